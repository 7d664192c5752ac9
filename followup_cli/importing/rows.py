"""Rows into clean visits: `RowParser` checks every cell and names the column of what is
wrong; `unique_visits` reads each visit once and refuses a visit id given twice with
different values."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date
from operator import attrgetter
from typing import Any

from followup_cli.i18n import t, tn
from followup_cli.ids import normalise_id
from followup_cli.importing import tuning
from followup_cli.importing.columns import COLUMNS, REQUIRED
from followup_cli.importing.convert import (
    KINDS,
    RISKS,
    derive_visit_id,
    parse_date,
    parse_yes_no,
)
from followup_cli.importing.records import BadRow, RowError, Visit, chunks
from followup_cli.phones import normalise_phone

MAX_FIELD = 200
# the cells a row is read from, in the order they are checked
_READ = ("patient_id", "name", "phone", "visit_date", "project", "status", "arrived", "risk",
         "birthday", "no_callback", "visit_id", "department", "doctor", "consultant",
         "vip_tier", "sms_off")
_EARLIEST_VISIT, _EARLIEST_BIRTHDAY = date(1990, 1, 1), date(1900, 1, 1)
_IDS = ("patient_id", "visit_id")


class RowParser:
    """Turns a file's rows into clean Visits, or RowError naming the column (the file's own
    header) and why. Where each column is, is worked out once per file."""

    def __init__(self, headers: list[str], mapping: dict[str, list[int]], as_of: date):
        self.headers, self.as_of, self.width = headers, as_of, len(headers)
        self.columns = [(c, mapping[c][0]) for c in _READ if mapping.get(c)]
        self.header = {c: headers[mapping[c][0]] if mapping.get(c) else c for c in COLUMNS}
        self.converted = mapping.get("converted", [])
        self.yes_no_kind = "converted" in mapping
        self.dates: dict[str, tuple[date, str | None]] = {}   # a file has few distinct days

    def __call__(self, line: int, cells: list[Any]) -> Visit:
        """A clean Visit, or RowError. A row as wide as the header; one with fewer cells (a
        file cut off mid-write) is refused, so is one with more unless the extra cells are
        empty (a trailing comma)."""
        n = len(cells)
        if n < self.width or (n > self.width and any(str(c).strip()
                                                     for c in cells[self.width:])):
            raise RowError("-", tn("the row has {count} cell, the header {header} (a file cut "
                                   "off mid-write?)",
                                   "the row has {count} cells, the header {header} (a file "
                                   "cut off mid-write?)", n, header=self.width))
        cell: dict[str, Any] = {}
        for column, i in self.columns:
            value = cells[i]
            if isinstance(value, str):
                value = value.strip()
                if len(value) > MAX_FIELD:
                    raise RowError(self.headers[i], t("too long (more than {limit} "
                                                      "characters)", limit=MAX_FIELD))
            if column in _IDS and value is not None:
                value = normalise_id(str(value))
            if value not in ("", None):
                cell[column] = value
        for column in REQUIRED:
            if column not in cell:
                raise RowError(self.header[column], t("required, but empty"))
        try:
            phone = normalise_phone(str(cell["phone"]))
        except ValueError:
            raise RowError(self.header["phone"], t("not a mainland mobile or landline "
                                                   "number")) from None
        visit_date, visit_time = self.date(cell["visit_date"], "visit_date", _EARLIEST_VISIT)
        birthday = None
        if "birthday" in cell:
            birthday = self.date(cell["birthday"], "birthday", _EARLIEST_BIRTHDAY)[0]
        patient_id, project = str(cell["patient_id"]), str(cell["project"])
        risk = None
        if "risk" in cell:
            risk = RISKS.get(str(cell["risk"]).casefold())
            if risk is None:
                raise RowError(self.header["risk"], t("risk must be 高/中/低 or high/medium/low"))
        no_callback = False
        if "no_callback" in cell:
            no_callback = bool(self.yes_no(cell, "no_callback"))
        sms_off = "sms_off" in cell and bool(self.yes_no(cell, "sms_off"))
        visit_id = cell.get("visit_id")
        return Visit(
            line=line, patient_id=patient_id, name=str(cell["name"]), phone=phone,
            visit_date=visit_date, visit_time=visit_time, project=project,
            kind=self.kind(cells, cell),
            visit_id=str(visit_id) if visit_id is not None else derive_visit_id(
                patient_id, visit_date, visit_time, project),
            department=_text(cell, "department"), doctor=_text(cell, "doctor"),
            consultant=_text(cell, "consultant"), risk=risk, birthday=birthday,
            vip_tier=_text(cell, "vip_tier"), no_callback=no_callback, sms_off=sms_off,
        )

    def date(self, value: Any, column: str, earliest: date) -> tuple[date, str | None]:
        """A date cell, not after the import day nor before `earliest`."""
        parsed = self.dates.get(value) if isinstance(value, str) else None
        if parsed is None:
            try:
                parsed = parse_date(value)
            except ValueError:
                raise RowError(self.header[column], t("not a date (use 2026-10-01, 2026/10/1, "
                                                      "2026年10月1日 or an Excel date "
                                                      "number)")) from None
            if isinstance(value, str) and len(self.dates) < 100_000:
                self.dates[value] = parsed
        if parsed[0] > self.as_of:
            raise RowError(self.header[column], t("the date is after the import day {as_of}",
                                                  as_of=self.as_of.isoformat()))
        if parsed[0] < earliest:
            raise RowError(self.header[column], t("not a date (use 2026-10-01, 2026/10/1, "
                                                  "2026年10月1日 or an Excel date number)"))
        return parsed

    def yes_no(self, cell: dict[str, Any], column: str) -> bool | None:
        try:
            return parse_yes_no(str(cell.get(column, "")))
        except ValueError:
            raise RowError(self.header[column], t("expected 是/否, Y/N or 1/0")) from None

    def kind(self, cells: list[Any], cell: dict[str, Any]) -> str:
        """From the status column, or from yes/no columns (arrived? converted?)."""
        if "status" in cell:
            kind = KINDS.get(str(cell["status"]).casefold())
            if kind is None:
                raise RowError(self.header["status"],
                               t("unknown status (expected 成交/未成交/未到诊/疗程结束 "
                                                        "or treated/consult/no_show/course_end)"))
            return kind
        arrived = self.yes_no(cell, "arrived")
        if arrived is False:
            return "no_show"
        if not self.yes_no_kind and arrived is None:
            return "treated"
        for i in self.converted:
            value = cells[i] if i < len(cells) else ""
            try:
                if parse_yes_no(str(value)):
                    return "treated"
            except ValueError:
                raise RowError(self.headers[i], t("expected 是/否, Y/N or 1/0")) from None
        return "consult"


def _text(cell: dict[str, Any], column: str) -> str | None:
    value = cell.get(column)
    return None if value is None else str(value)


def id_column(headers: list[str], mapping: dict[str, list[int]]) -> str:
    return headers[mapping["visit_id"][0]] if "visit_id" in mapping else "visit_id"


def unique_visits(conn: sqlite3.Connection, rows: Iterable[tuple[int, list[Any]]],
                  parse_row: RowParser, id_column: str, bad: list[BadRow]) -> Iterator[Visit]:
    """Each visit once: the same row twice is read once, the same visit id with other
    values is a bad row. The ids seen so far wait in a temporary table, not in memory."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_seen (visit_id TEXT PRIMARY KEY, "
                 "line INTEGER NOT NULL, signature TEXT NOT NULL) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_seen")

    def parsed() -> Iterator[tuple[Visit, list[Any]]]:
        for line, cells in rows:
            try:
                yield parse_row(line, cells), cells
            except RowError as e:
                bad.append(BadRow(line, e.column, e.reason, tuple(str(c) for c in cells)))

    for batch in chunks(parsed(), tuning.TUNING.chunk):
        yield from _first_seen(conn, batch, id_column, bad)


def _first_seen(conn: sqlite3.Connection, batch: list[tuple[Visit, list[Any]]],
                id_column: str, bad: list[BadRow]) -> Iterator[Visit]:
    ids = {v.visit_id for v, _ in batch}
    seen: dict[str, tuple[int, str]] = {
        row[0]: (row[1], row[2]) for row in conn.execute(
            f"SELECT visit_id, line, signature FROM temp.import_seen WHERE visit_id IN "
            f"({', '.join('?' * len(ids))})", tuple(ids))}
    fresh: list[tuple[str, int, str]] = []
    for visit, cells in batch:
        signature = _signature(visit)
        earlier = seen.get(visit.visit_id)
        if earlier is None:
            seen[visit.visit_id] = (visit.line, signature)
            fresh.append((visit.visit_id, visit.line, signature))
            yield visit
        elif earlier[1] != signature:
            bad.append(BadRow(visit.line, id_column, t("the same visit id appears twice in the "
                                                       "file with different content (see also "
                                                       "line {line})", line=earlier[0]),
                              tuple(str(c) for c in cells)))
        # else: the same row twice in one export
    conn.executemany("INSERT INTO temp.import_seen VALUES (?, ?, ?)", fresh)


def _signature(v: Visit) -> str:
    """Everything a row says but where it is, written out whole (never a hash, which two
    different rows may share): two rows of one visit id that differ in any of it disagree
    (which one is right is the clinic's to say)."""
    return repr(visit_fields(v)[1:])   # all but the line


visit_fields = attrgetter(*Visit.__slots__)   # a Visit as a tuple, in Visit(*fields) order
