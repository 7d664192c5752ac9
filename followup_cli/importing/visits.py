"""`import_visits`: read a file, check every row, and write the good ones with their
callback plans in one transaction: a file with a bad row writes nothing unless the
caller asked to skip bad rows."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError
from followup_cli.i18n import pick, t, tn
from followup_cli.importing import tuning
from followup_cli.importing.columns import ignored_headers, map_headers
from followup_cli.importing.files import XLSX, choose_sheet, read_table, with_cells, write_bad_rows
from followup_cli.importing.reader import (
    read_in_a_second_process,
    worth_a_process,
)
from followup_cli.importing.records import BadRow, ImportSummary, Visit
from followup_cli.importing.rows import RowParser, id_column, unique_visits
from followup_cli.importing.write import (
    check_references,
    is_empty,
    references_checked_at_end,
    write_visits,
)
from followup_cli.ledger import transaction
from followup_cli.rules import RulePack

MAX_BAD_SHOWN = 20
PROGRESS_EVERY = 1000   # visits between two reports to a progress bar


def import_visits(
    conn: sqlite3.Connection, path: Path, rules: RulePack, cal: ClinicCalendar, as_of: date,
    *, user_map: dict[str, str] | None = None, dry_run: bool = False,
    skip_bad: Path | None = None, now: datetime | None = None, sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one export file as of day `as_of`. All or nothing, unless `skip_bad`.
    Of a workbook, the sheet named `sheet`, else its first visible one. `progress` is
    told how many visits were read so far, now and then (a progress bar)."""
    from followup_cli.output.files import check_target, protect

    protect(path)   # neither --skip-bad nor any other output may write over what is read
    if skip_bad is not None:
        check_target(skip_bad, "csv")   # refused before anything is read or written
    if path.suffix.casefold() in XLSX and path.is_file():
        sheet = choose_sheet(path, sheet)
    elif sheet is not None:   # a CSV has no sheets: the file may not be the one meant
        raise FollowupError(t("{path} is not an .xlsx workbook and has no sheets: --sheet is for "
                              ".xlsx files", path=path.name))
    user_map = user_map or {}
    summary = ImportSummary(path=path, dry_run=dry_run, sheet=sheet)
    bulk = _is_bulk(conn, path)
    at_end = bulk and is_empty(conn)
    headers: list[str] = []
    visits: Iterator[Visit] = iter(())
    try:
        with references_checked_at_end(conn, at_end), transaction(conn), \
                without_cycle_collector():
            # read inside the transaction: the ledger cannot change under what is decided
            if not worth_a_process(path):
                headers, visits = _read_here(conn, path, user_map, as_of, summary.bad, sheet)
            else:
                headers, visits = read_in_a_second_process(path, user_map, as_of, summary.bad)
            mapping = map_headers(path, headers, user_map)
            summary.ignored = ignored_headers(headers, mapping)
            write_visits(conn, visits if progress is None else _told(visits, progress),
                         rules, cal, as_of, summary, now, bulk=bulk,
                         patient_column=headers[mapping["patient_id"][0]])
            if at_end:
                check_references(conn)
            if summary.bad and skip_bad is None:
                raise _Rollback
            if dry_run:
                raise _Rollback
            summary.bad.sort(key=lambda row: row.line)
            if summary.bad and skip_bad is not None:
                # before the ledger commits: a bad rows' file that cannot be written
                # leaves the ledger as it was (the file is written whole or not at all)
                write_bad_rows(skip_bad, headers, with_cells(path, sheet, summary.bad))
    except _Rollback:
        pass
    finally:
        if isinstance(visits, Generator):
            visits.close()   # a second process still reading is stopped
    summary.bad.sort(key=lambda row: row.line)
    if summary.bad and skip_bad is None:
        raise _bad_rows_error(path, summary.bad)
    return summary


def summary_lines(summary: ImportSummary, name: str) -> list[str]:
    """What an import did, in the words `followup import visits` and the web's import page
    both say (a dry run says so last)."""
    lines = [t("{path}: visits added {added}, updated {updated}, unchanged {unchanged}; "
               "patients added {patients_added}, updated {patients_updated}; callback tasks "
               "planned {tasks} (backfill {backfill}), consult tasks cancelled by conversion "
               "{cancelled}", path=name, **{
                   k: getattr(summary, k) for k in (
                       "added", "updated", "unchanged", "patients_added", "patients_updated",
                       "tasks", "backfill", "cancelled")})]
    if summary.sheet is not None:
        lines.append(t("sheet read: {sheet}", sheet=summary.sheet))
    if summary.ignored:
        lines.append(t("columns not read: {columns}", columns="、".join(summary.ignored)))
    if summary.no_callback:
        lines.append(tn("{count} visit marked no-callback, nothing planned",
                        "{count} visits marked no-callback, nothing planned",
                        summary.no_callback))
    if summary.sms_off:
        lines.append(tn("{count} patient unsubscribed from SMS (the export's 短信退订/拒收短信 "
                        "column)", "{count} patients unsubscribed from SMS (the export's "
                        "短信退订/拒收短信 column)", summary.sms_off))
    if summary.general:
        projects = "、".join(f"{p} ({n})" for p, n in sorted(summary.general.items()))
        lines.append(t("these projects match no rule and get the general plan: {projects}",
                       projects=projects))
    for category, count in sorted(summary.no_calls.items()):
        lines.append(tn("{count} visit planned no calls: its category, {category}, has none of "
                        "its own (a re-check, dressing or stitches visit follows a treatment, "
                        "whose plan makes the calls)",
                        "{count} visits planned no calls: their category, {category}, has none "
                        "of its own (a re-check, dressing or stitches visit follows a treatment, "
                        "whose plan makes the calls)", count,
                        category=pick(summary.labels.get(category, {"en": category}))))
    if summary.replanned:
        lines.append(tn("{count} provisional call moved to its day under the holidays now known",
                        "{count} provisional calls moved to their day under the holidays now "
                        "known", summary.replanned))
    if summary.dry_run:
        lines.append(t("(dry run: nothing was written)"))
    return lines


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """An import makes millions of short-lived tuples and no reference cycles; Python's
    cycle collector kept walking the live ones (~5 % of the writing process at 1 M)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _told(visits: Iterable[Visit], progress: Callable[[int], None]) -> Iterator[Visit]:
    """`visits`, telling `progress` how many were read every PROGRESS_EVERY."""
    done = 0
    for visit in visits:
        yield visit
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(done)
    progress(done)


def _read_here(conn: sqlite3.Connection, path: Path, user_map: dict[str, str], as_of: date,
               bad: list[BadRow], sheet: str | None) -> tuple[list[str], Iterator[Visit]]:
    """The file's headers and its clean visits, each once; bad rows go to `bad`."""
    headers, rows = read_table(path, sheet)
    mapping = map_headers(path, headers, user_map)
    return headers, unique_visits(conn, rows, RowParser(headers, mapping, as_of),
                                  id_column(headers, mapping), bad)


def _rows_in(path: Path) -> int:
    """About how many rows a file has: a CSV row is ~100 bytes."""
    return path.stat().st_size // 100


def _is_bulk(conn: sqlite3.Connection, path: Path) -> bool:
    """History coming into a new or small ledger: cheaper to build the visits' indexes
    once at the end than to update them a row at a time."""
    rows = _rows_in(path)
    ledger = conn.execute("SELECT coalesce(max(rowid), 0) FROM visits").fetchone()[0]
    return rows >= tuning.TUNING.bulk_rows and rows > ledger


class _Rollback(Exception):
    pass


def _bad_rows_error(path: Path, bad: list[BadRow]) -> FollowupError:
    """The rows that cannot be imported, each with its line, column and reason; what the
    command line's options can do about them is its hint (the web has no such options)."""
    lines = [tn("{path}: {count} row cannot be imported; nothing of the file was written. Fix "
                "it and retry:",
                "{path}: {count} rows cannot be imported; nothing of the file was written. Fix "
                "them and retry:",
                len(bad), path=path)]
    for row in bad[:MAX_BAD_SHOWN]:
        lines.append("  " + t("{path} line {line}, column '{column}': {reason}", path=path.name,
                              line=row.line,
                                column=row.column, reason=row.reason))
    if len(bad) > MAX_BAD_SHOWN:
        lines.append("  " + tn("… and {count} more bad row", "… and {count} more bad rows",
                                     len(bad) - MAX_BAD_SHOWN))
    error = FollowupError("\n".join(lines))
    hints = [t("Or use --skip-bad BAD.csv to import the good rows only.")]
    after = t("the date is after the import day {as_of}", as_of="\0").split("\0")[0]
    if any(row.reason.startswith(after) for row in bad):
        hints.append(t("To load history, give the import day with --date."))
    error.cli_hint = " ".join(hints)
    return error
