"""The second reading process: on a large CSV a forked process reads, checks and
de-duplicates the rows on the other core while the importing process stages and writes
them."""

from __future__ import annotations

import gc
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.importing import tuning
from followup_cli.importing.columns import map_headers
from followup_cli.importing.files import read_table
from followup_cli.importing.records import BadRow, Visit
from followup_cli.importing.rows import RowParser, id_column, unique_visits, visit_fields
from followup_cli.importing.write import TEMP_CACHE_KB


def worth_a_process(path: Path) -> bool:
    """Reading and checking rows is a third of an import's work: on a large CSV a second
    process does it on the other core while this one writes. Forking needs Linux."""
    return (sys.platform == "linux" and path.suffix.casefold() in (".csv", ".txt")
            and path.is_file() and path.stat().st_size >= tuning.TUNING.process_bytes)


def read_in_a_second_process(path: Path, user_map: dict[str, str], as_of: date,
                             bad: list[BadRow]) -> tuple[list[str], Iterator[Visit]]:
    """The file's headers and its clean visits, each once, as a forked process reads,
    checks and de-duplicates them; bad rows go to `bad`. The pipe between the processes
    holds a few messages, so memory stays flat whatever the file's size."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    reader = context.Process(target=_reader, args=(send, receive, path, user_map, as_of),
                             daemon=True)
    reader.start()
    send.close()

    def message() -> tuple[Any, ...]:
        try:
            got: tuple[Any, ...] = receive.recv()
        except EOFError:
            got = ("crash", "EOFError")
        if got[0] == "error":
            error = FollowupError(got[1])
            error.cli_hint = got[2]   # what only the command line can do, as said here
            raise error
        if got[0] == "crash":
            raise RuntimeError(f"the reading process failed: {got[1]}")
        return got

    def stop() -> None:
        reader.terminate()
        reader.join()
        receive.close()

    def visits() -> Iterator[Visit]:
        try:
            while (got := message())[0] == "visits":
                bad.extend(got[2])
                for fields in got[1]:
                    yield Visit(*fields)
        finally:
            stop()   # also when the importing process stops reading early

    try:
        headers = message()[1]
    except BaseException:
        stop()
        raise
    return headers, visits()


def _reader(send: Any, receive: Any, path: Path, user_map: dict[str, str],
            as_of: date) -> None:
    """The second process: ("headers", …), then ("visits", visits as tuples, bad rows)…,
    then ("end",); or ("error", message) for what the user can fix, ("crash", type)."""
    # the fork copied the importing process's end of the pipe: with it open, this process
    # would be its own reader and wait forever once the importing process is gone (killed)
    receive.close()
    gc.disable()   # see visits.without_cycle_collector; this process ends with the file
    try:
        conn = sqlite3.connect("")   # a private temporary database for the ids seen
        conn.execute(f"PRAGMA cache_size = -{TEMP_CACHE_KB}")
        headers, rows = read_table(path)
        mapping = map_headers(path, headers, user_map)
        send.send(("headers", headers))
        bad: list[BadRow] = []   # the reading adds to this very list: sent, then emptied
        batch: list[Any] = []
        size = tuning.TUNING.sent
        parse = RowParser(headers, mapping, as_of)
        for v in unique_visits(conn, rows, parse, id_column(headers, mapping), bad):
            batch.append(visit_fields(v))
            if len(batch) == size:
                send.send(("visits", batch, bad))
                batch = []
                bad.clear()
        send.send(("visits", batch, bad))
        send.send(("end",))
    except FollowupError as e:
        send.send(("error", str(e), e.cli_hint))
    except BaseException as e:  # noqa: BLE001 - reported to the importing process
        send.send(("crash", type(e).__name__))
