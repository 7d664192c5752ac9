"""The second reading process: on a large CSV a forked process reads and checks the rows
(or, on a ledger's first import, also stages them) on the other core while the
importing process writes."""

from __future__ import annotations

import gc
import sqlite3
import sys
from collections.abc import Generator, Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

from followup_cli import planning
from followup_cli.errors import FollowupError
from followup_cli.importing import tuning
from followup_cli.importing.columns import map_headers
from followup_cli.importing.files import read_table
from followup_cli.importing.records import BadRow, ImportSummary, Visit, chunks
from followup_cli.importing.rows import (
    RowParser,
    id_column,
    unique_visits,
    visit_fields,
)
from followup_cli.importing.stage import Stager
from followup_cli.importing.write import TEMP_CACHE_KB


def worth_a_process(path: Path) -> bool:
    """Reading and checking rows is a third of an import's work: on a large CSV a second
    process does it on the other core while this one writes. Forking needs Linux."""
    return (sys.platform == "linux" and path.suffix.casefold() in (".csv", ".txt")
            and path.is_file() and path.stat().st_size >= tuning.TUNING.process_bytes)


def read_in_a_second_process(
        path: Path, user_map: dict[str, str], as_of: date,
        summary: ImportSummary) -> tuple[list[str], Iterator[Visit]]:
    """`_read_here`, with the reading, checking and de-duplicating done by a forked
    process that sends the clean visits (and the bad rows) as it goes; the pipe between
    them holds a few messages, so memory stays flat whatever the file's size."""
    headers, messages = second_process(path, user_map, as_of, summary, None)

    def visits() -> Iterator[Visit]:
        with closing(messages):
            for fields in messages:
                yield Visit(*fields)

    return headers, visits()


def second_process(path: Path, user_map: dict[str, str], as_of: date, summary: ImportSummary,
                   stager: Stager | None) -> tuple[list[str], Generator[Any, None, None]]:
    """The file's headers, and what a forked reading process sends as it reads: visits
    as tuples (`stager` None), or a first import's chunks staged there (`stager` decides;
    its counts join `summary` at the end), in which case this process only writes."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    reader = context.Process(target=_reader, args=(send, path, user_map, as_of, stager),
                             daemon=True)
    reader.start()
    send.close()

    def message() -> tuple[Any, ...]:
        try:
            got: tuple[Any, ...] = receive.recv()
        except EOFError:
            got = ("crash", "EOFError")
        if got[0] == "error":
            raise FollowupError(got[1])
        if got[0] == "crash":
            raise RuntimeError(f"the reading process failed: {got[1]}")
        return got

    def stop() -> None:
        reader.terminate()
        reader.join()
        receive.close()

    def items() -> Generator[Any, None, None]:
        try:
            while (got := message())[0] == "items":
                summary.bad.extend(got[2])
                yield from got[1]
            if got[1] is not None:
                summary.add(got[1])
        finally:
            stop()

    try:
        headers = message()[1]
    except BaseException:
        stop()
        raise
    return headers, items()


def _reader(send: Any, path: Path, user_map: dict[str, str], as_of: date,
            stager: Stager | None) -> None:
    """The second process: ("headers", …), then ("items", visits as tuples or staged
    chunks, bad rows)…, then ("end", what `stager` counted); or ("error", message) for
    what the user can fix, ("crash", type)."""
    gc.disable()   # see without_cycle_collector; this process ends with the file
    try:
        conn = sqlite3.connect("")   # a private temporary database for the ids seen
        conn.execute(f"PRAGMA cache_size = -{TEMP_CACHE_KB}")
        headers, rows = read_table(path)
        mapping = map_headers(path, headers, user_map)
        send.send(("headers", headers))
        bad: list[BadRow] = []   # the reading adds to this very list: sent, then emptied
        batch: list[Any] = []
        sent = tuning.TUNING.sent
        parse = RowParser(headers, mapping, as_of)
        visits = unique_visits(conn, rows, parse, id_column(headers, mapping), bad)
        if stager is None:
            for v in visits:
                batch.append(visit_fields(v))
                if len(batch) == sent:
                    send.send(("items", batch, bad))
                    batch = []
                    bad.clear()
        else:
            for chunk in chunks(visits, sent):
                send.send(("items", [stager.stage(chunk, frozenset(), {})], bad))
                bad.clear()
        send.send(("items", batch, bad))
        counted = None
        if stager is not None:
            count = planning.PlanCount()
            stager.count_plans(count)
            counted = stager.summary
            counted.tasks, counted.backfill = count.planned, count.backfill
            counted.provisional = count.provisional
        send.send(("end", counted))
    except FollowupError as e:
        send.send(("error", str(e)))
    except BaseException as e:  # noqa: BLE001 - reported to the importing process
        send.send(("crash", type(e).__name__))
