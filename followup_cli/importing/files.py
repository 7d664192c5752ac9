"""Reading an export: CSV (UTF-8, UTF-8 with BOM, GB18030) or a workbook (its sheet
chosen, a zip bomb refused before it is unpacked); and writing the bad rows' file."""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import t, tn
from followup_cli.importing import tuning
from followup_cli.importing.records import BadRow

XLSX = (".xlsx", ".xlsm", ".xls")


def read_table(path: Path, sheet: str | None = None
               ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header row and an iterator of (file line, cells); of a workbook, the sheet
    named `sheet`, else its first visible one (`choose_sheet`)."""
    if not path.is_file():
        raise FollowupError(t("file not found: {path}", path=path))
    suffix = path.suffix.casefold()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in XLSX:
        return _read_xlsx(path, sheet)
    raise FollowupError(t("{path}: unsupported file type (use .csv or .xlsx)", path=path))


def _sniff_encoding(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        # the last character may be cut in half by the 64 KiB read: ignore only that
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3 and e.reason == "unexpected end of data":
            return "utf-8"
    return "gb18030"


def _undecodable(path: Path, encoding: str) -> FollowupError:
    """The error of a file with bytes `encoding` cannot read, naming the line and column
    where they are. The reader decodes ahead in blocks, so its own line is not theirs; and
    a UTF-8 file with a few bad bytes was sniffed as GB18030, which stops at its first
    Chinese character: the bad bytes are where the encoding that reads farthest stops."""
    tried = ("utf-8-sig",) if encoding == "utf-8-sig" else ("utf-8", "gb18030")
    found = [where for enc in tried if (where := _first_undecodable(path, enc)) is not None]
    line, column = max(found, default=(1, 1))
    return FollowupError(t("{path} line {line}, column {column}: unreadable text encoding "
                           "(UTF-8 and GB18030 are supported)", path=path, line=line,
                           column=column))


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """The line and column (in characters) of the first bytes `encoding` cannot read."""
    with open(path, "rb") as f:
        # a newline byte is never part of a UTF-8 or GB18030 character: split on it safely
        for line, raw in enumerate(f, start=1):
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as e:
                return line, len(raw[:e.start].decode(encoding, errors="replace")) + 1
    return None


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    encoding = _sniff_encoding(path)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by rows()
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except UnicodeDecodeError:
        handle.close()
        raise _undecodable(path, encoding) from None
    except csv.Error as e:
        handle.close()
        raise FollowupError(t("{path} line {line}, column '{column}': {reason}", path=path, line=1,
                              column="-",
                              reason=str(e))) from None
    if not header or not any(h.strip() for h in header):
        handle.close()
        raise FollowupError(t("{path}: the file is empty, no header row", path=path))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with handle:
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise _undecodable(path, encoding) from None
                except csv.Error as e:
                    raise FollowupError(t("{path} line {line}, column '{column}': "
                                          "{reason}", path=path, line=start,
                                          column="-", reason=str(e))) from None
                if "".join(cells).strip():   # skip blank lines
                    yield start, cells
                start = reader.line_num + 1

    return header, rows()


# what a workbook may unpack to: a few MB of zip can declare gigabytes of sheet XML,
# which the reader would hold in memory. Real exports stay far below every limit.
MAX_MEMBERS = 10_000
MAX_RATIO = 100               # unpacked : packed, for a member larger than LARGE_MEMBER
LARGE_MEMBER = 16 << 20


def check_unpacked_size(path: Path) -> None:
    """Refuse a zip-based workbook whose members declare more than the limits above, before
    anything is unpacked (the declared sizes are in the zip's directory)."""
    import zipfile

    limit = tuning.TUNING.max_unpacked   # 1 GiB, all members together
    try:
        with zipfile.ZipFile(path) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return   # not a zip (an .xls) or damaged: the reader says what it finds
    total = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or total > limit or any(
            m.file_size > LARGE_MEMBER and m.file_size > MAX_RATIO * max(m.compress_size, 1)
            for m in members):
        raise FollowupError(tn("{path}: this workbook would unpack to too much ({count} "
                               "member, {mb} MB; the limits are {limit} MB and 100:1 for a "
                               "large member): not read",
                               "{path}: this workbook would unpack to too much ({count} "
                               "members, {mb} MB; the limits are {limit} MB and 100:1 for a "
                               "large member): not read", len(members), path=path,
                               mb=total >> 20, limit=limit >> 20))


def not_a_workbook(path: Path) -> FollowupError:
    """A file calamine cannot read (damaged, or not an Excel workbook at all): said so, never
    by the reader's internal error class."""
    return FollowupError(t("{path}: not a readable Excel workbook (.xlsx): damaged, or another "
                           "kind of file renamed", path=path))


def choose_sheet(path: Path, sheet: str | None) -> str:
    """The sheet to read: `sheet`, else the workbook's first visible worksheet (a hidden
    first sheet is often a template or a lookup list)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    check_unpacked_size(path)
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            sheets = book.sheets_metadata
    except Exception:  # calamine raises its own types for every kind of damage
        raise not_a_workbook(path) from None
    names = [m.name for m in sheets]
    if sheet is not None:
        if sheet not in names:
            raise FollowupError(t("{path}: no sheet named '{sheet}'. Sheets: "
                                  "{sheets}", path=path, sheet=sheet,
                                  sheets="、".join(names)))
        return sheet
    for m in sheets:
        if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet:
            return str(m.name)
    hidden = FollowupError(t("{path}: no visible worksheet (sheets: {sheets})", path=path,
                             sheets="、".join(names)))
    hidden.cli_hint = t("Choose one with --sheet")
    raise hidden


def _read_xlsx(path: Path, sheet: str | None
               ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    from python_calamine import CalamineWorkbook

    name = choose_sheet(path, sheet)
    try:
        rows = iter(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).iter_rows())
        header = next(rows, None)
    except Exception:  # calamine raises its own types for every kind of damage
        raise not_a_workbook(path) from None
    if not header or not any(str(h).strip() for h in header):
        raise FollowupError(t("{path}: the file is empty, no header row", path=path))

    def cells() -> Iterator[tuple[int, list[Any]]]:
        for line, row in enumerate(rows, start=2):
            if any(str(c).strip() for c in row):
                yield line, [_xlsx_cell(c) for c in row]

    return [str(h) for h in header], cells()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, bool):   # a TRUE/FALSE cell: the 1/0 a yes/no column reads
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phones and ids come back as floats
    if isinstance(value, (date, datetime)):
        return value
    return "" if value is None else str(value)


def write_bad_rows(path: Path, headers: list[str], bad: list[BadRow]) -> None:
    """The rows that were not imported, with where and why, for the clinic to fix."""
    from followup_cli.output.files import writing
    from followup_cli.output.formats import safe_cell

    with writing(path, kind="csv") as f:
        f.write("\ufeff")  # utf-8-sig: Excel then reads the Chinese right
        writer = csv.writer(f)
        writer.writerow(["line", "column", "reason", *(safe_cell(h) for h in headers)])
        for row in bad:
            writer.writerow([row.line, row.column, row.reason,
                             *(safe_cell(c) for c in row.cells)])


def with_cells(path: Path, sheet: str | None, bad: list[BadRow]) -> list[BadRow]:
    """Bad rows found only as they were written (a visit of another patient) carry no
    cells: read those lines of the file again, for the bad rows' file."""
    wanted = {row.line for row in bad if not row.cells}
    if not wanted:
        return bad
    found: dict[int, tuple[str, ...]] = {}
    _, rows = read_table(path, sheet)
    for line, cells in rows:
        if line in wanted:
            found[line] = tuple(str(c) for c in cells)
            if len(found) == len(wanted):
                break
    if isinstance(rows, Generator):
        rows.close()
    return [row if row.cells else BadRow(row.line, row.column, row.reason,
                                         found.get(row.line, ())) for row in bad]
