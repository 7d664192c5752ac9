"""Visit exports in, as clinics really export them: CSV (UTF-8, UTF-8 with BOM, GB18030)
or .xlsx, Chinese headers, four date notations, phones in any punctuation.

`import_visits` reads a file, checks every row, and writes the good ones with their
callback plans in one transaction: a file with a bad row writes nothing unless the
caller asked to skip bad rows.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import re
import sqlite3
import sys
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, TypeVar

from followup_cli import planning
from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.ids import normalise_id
from followup_cli.ledger import transaction
from followup_cli.phones import mask_phone, normalise_phone  # noqa: F401 - re-exported
from followup_cli.rules import RulePack
from followup_cli.staging import Staged, Stager, phone_changes_noted, write_staged

T = TypeVar("T")

# canonical column -> (required, recognised headers)
COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "patient_id": (True, ("客户编号", "患者ID", "患者编号", "档案号", "会员号", "门诊号",
                          "病历号", "客户ID")),
    "name": (True, ("姓名", "客户姓名", "患者姓名", "顾客姓名")),
    "phone": (True, ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式")),
    "visit_date": (True, ("就诊日期", "到诊日期", "治疗日期", "日期", "就诊时间", "到诊时间",
                          "治疗时间", "消费日期")),
    "project": (True, ("项目", "治疗项目", "消费项目", "项目名称", "就诊项目")),
    "status": (False, ("状态", "到诊状态", "成交状态", "就诊状态")),
    "visit_id": (False, ("单号", "就诊号", "流水号", "就诊单号", "订单号")),
    "department": (False, ("科室", "就诊科室")),
    "doctor": (False, ("医生", "主治医生", "接待医生", "治疗医生", "手术医生")),
    "consultant": (False, ("咨询师", "现场咨询", "网络咨询", "咨询顾问")),
    "risk": (False, ("风险等级", "风险")),
    "birthday": (False, ("生日", "出生日期")),
    "vip_tier": (False, ("会员等级", "卡级", "会员卡级")),
    "no_callback": (False, ("无需回访", "不回访")),
    # yes/no kind columns some systems export instead of a status
    "arrived": (False, ("是否到诊", "是否到院")),
    "converted": (False, ("是否成交", "是否消费", "是否治疗")),
}
REQUIRED = [c for c, (req, _) in COLUMNS.items() if req]
MAX_FIELD = 200
MAX_BAD_SHOWN = 20

KIND_WORDS = {
    "treated": ("成交", "已成交", "消费", "已消费", "治疗", "已治疗", "手术", "已手术", "treated"),
    "consult": ("未成交", "咨询", "仅咨询", "咨询未成交", "consult"),
    "no_show": ("未到诊", "未到", "爽约", "未到院", "no_show", "no-show", "noshow"),
    "course_end": ("疗程结束", "疗程完成", "course_end"),
}
_KIND = {w.casefold(): k for k, words in KIND_WORDS.items() for w in words}
_YES = {"是", "y", "yes", "1", "true", "√", "✓", "有"}
_NO = {"否", "n", "no", "0", "false", "×", "无"}
_RISK = {"高": "high", "中": "medium", "低": "low", "high": "high", "medium": "medium",
         "low": "low", "高风险": "high", "中风险": "medium", "低风险": "low"}
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(slots=True)   # not frozen: slow to build, and built for every row
class Visit:
    """One clean row of an export."""

    line: int
    patient_id: str
    name: str
    phone: str
    visit_date: date
    visit_time: str | None
    project: str
    kind: str
    visit_id: str
    department: str | None = None
    doctor: str | None = None
    consultant: str | None = None
    risk: str | None = None
    birthday: date | None = None
    vip_tier: str | None = None
    no_callback: bool = False


@dataclass(frozen=True)
class BadRow:
    line: int
    column: str
    reason: str
    cells: tuple[str, ...]


class RowError(Exception):
    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason


@dataclass
class ImportSummary:
    path: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    patients_added: int = 0
    patients_updated: int = 0
    tasks: int = 0
    backfill: int = 0
    cancelled: int = 0
    no_callback: int = 0
    replanned: int = 0
    provisional: list[date] = field(default_factory=list)
    general: dict[str, int] = field(default_factory=dict)
    bad: list[BadRow] = field(default_factory=list)
    dry_run: bool = False
    sheet: str | None = None                              # the workbook's sheet read
    ignored: list[str] = field(default_factory=list)      # headers of no known column

    def add(self, other: ImportSummary) -> None:
        """What another part of the same import counted (the reading process)."""
        for name in ("added", "updated", "unchanged", "patients_added", "patients_updated",
                     "tasks", "backfill", "no_callback"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.provisional += other.provisional
        for project, n in other.general.items():
            self.general[project] = self.general.get(project, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path, "visits_added": self.added, "visits_updated": self.updated,
            "visits_unchanged": self.unchanged, "patients_added": self.patients_added,
            "patients_updated": self.patients_updated, "tasks_planned": self.tasks,
            "tasks_backfill": self.backfill, "consult_tasks_cancelled": self.cancelled,
            "no_callback_visits": self.no_callback, "general_projects": self.general,
            "provisional_tasks": len(self.provisional), "replanned": self.replanned,
            "bad_rows": len(self.bad), "dry_run": self.dry_run, "sheet": self.sheet,
            "ignored_columns": self.ignored,
        }


# --- values ----------------------------------------------------------------------

def parse_date(value: Any) -> tuple[date, str | None]:
    """A date, and the time of day if the cell had one ("HH:MM" or "HH:MM:SS")."""
    if isinstance(value, datetime):
        has_time = value.time() != datetime.min.time()
        return value.date(), value.strftime("%H:%M:%S") if has_time else None
    if isinstance(value, date):
        return value, None
    if isinstance(value, (int, float)):
        return _from_serial(float(value))
    text = str(value).strip()
    m = _DATE.match(text)
    if m:
        y, mo, d, hh, mm, ss = m.groups()
        day = date(int(y), int(mo), int(d))
        if hh is None:
            return day, None
        clock = datetime(2000, 1, 1, int(hh), int(mm), int(ss or 0))
        return day, clock.strftime("%H:%M:%S" if ss else "%H:%M")
    m = _COMPACT_DATE.match(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
    if _SERIAL.match(text):
        return _from_serial(float(text))
    raise ValueError("date")


def _from_serial(serial: float) -> tuple[date, str | None]:
    if not 1 <= serial < 2958466:
        raise ValueError("date")
    moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=serial)
    seconds = round((serial % 1) * 86400)
    return moment.date(), (
        (datetime.min + timedelta(seconds=seconds)).strftime("%H:%M") if seconds else None
    )


def parse_yes_no(value: str) -> bool | None:
    folded = value.strip().casefold()
    if not folded:
        return None
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise ValueError("yesno")


# --- reading files -----------------------------------------------------------------

def _norm_header(header: str) -> str:
    """A header as it is matched: normalised like an id (ｖｉｓｉｔ＿ｉｄ is visit_id), no
    spaces inside, case folded."""
    return re.sub(r"\s+", "", normalise_id(str(header))).casefold()


XLSX = (".xlsx", ".xlsm", ".xls")


def read_table(path: Path, sheet: str | None = None
               ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header row and an iterator of (file line, cells); of a workbook, the sheet
    named `sheet`, else its first visible one (`choose_sheet`)."""
    if not path.is_file():
        raise FollowupError(t("import.no_file", path=path))
    suffix = path.suffix.casefold()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in XLSX:
        return _read_xlsx(path, sheet)
    raise FollowupError(t("import.bad_format", path=path))


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


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    encoding = _sniff_encoding(path)
    handle = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by rows()
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except UnicodeDecodeError:
        handle.close()
        raise FollowupError(t("import.encoding", path=path, line=1)) from None
    except csv.Error as e:
        handle.close()
        raise FollowupError(t("import.row_error", path=path, line=1, column="-",
                              reason=str(e))) from None
    if not header or not any(h.strip() for h in header):
        handle.close()
        raise FollowupError(t("import.empty", path=path))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        with handle:
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise FollowupError(t("import.encoding", path=path, line=start)) from None
                except csv.Error as e:
                    raise FollowupError(t("import.row_error", path=path, line=start,
                                          column="-", reason=str(e))) from None
                if "".join(cells).strip():   # skip blank lines
                    yield start, cells
                start = reader.line_num + 1

    return header, rows()


# what a workbook may unpack to: a few MB of zip can declare gigabytes of sheet XML,
# which the reader would hold in memory. Real exports stay far below every limit.
MAX_UNPACKED = 1 << 30        # 1 GiB, all members together
MAX_MEMBERS = 10_000
MAX_RATIO = 100               # unpacked : packed, for a member larger than LARGE_MEMBER
LARGE_MEMBER = 16 << 20


def check_unpacked_size(path: Path) -> None:
    """Refuse a zip-based workbook whose members declare more than the limits above, before
    anything is unpacked (the declared sizes are in the zip's directory)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return   # not a zip (an .xls) or damaged: the reader says what it finds
    total = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or total > MAX_UNPACKED or any(
            m.file_size > LARGE_MEMBER and m.file_size > MAX_RATIO * max(m.compress_size, 1)
            for m in members):
        raise FollowupError(t("import.too_large", path=path, members=len(members),
                              mb=total >> 20, limit=MAX_UNPACKED >> 20))


def choose_sheet(path: Path, sheet: str | None) -> str:
    """The sheet to read: `sheet`, else the workbook's first visible worksheet (a hidden
    first sheet is often a template or a lookup list)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    check_unpacked_size(path)
    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            sheets = book.sheets_metadata
    except Exception as e:  # calamine raises its own types for every kind of damage
        raise FollowupError(t("import.xlsx", path=path, reason=type(e).__name__)) from None
    names = [m.name for m in sheets]
    if sheet is not None:
        if sheet not in names:
            raise FollowupError(t("import.no_sheet", path=path, sheet=sheet,
                                  sheets="、".join(names)))
        return sheet
    for m in sheets:
        if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet:
            return str(m.name)
    raise FollowupError(t("import.no_visible_sheet", path=path, sheets="、".join(names)))


def _read_xlsx(path: Path, sheet: str | None
               ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    from python_calamine import CalamineWorkbook

    name = choose_sheet(path, sheet)
    try:
        rows = iter(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).iter_rows())
        header = next(rows, None)
    except Exception as e:  # calamine raises its own types for every kind of damage
        raise FollowupError(t("import.xlsx", path=path, reason=type(e).__name__)) from None
    if not header or not any(str(h).strip() for h in header):
        raise FollowupError(t("import.empty", path=path))

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


# --- headers -----------------------------------------------------------------------

def parse_map(items: Iterable[str]) -> dict[str, str]:
    """`--map 预约到院时间=visit_date` items into {normalised header: column}."""
    out: dict[str, str] = {}
    for item in items:
        header, sep, column = item.partition("=")
        column = column.strip()
        if not sep or not header.strip() or column not in COLUMNS:
            raise FollowupError(t("import.bad_map", value=item, columns=", ".join(COLUMNS)))
        out[_norm_header(header)] = column
    return out


def map_headers(path: Path, headers: list[str], user_map: dict[str, str]) -> dict[str, list[int]]:
    """Canonical column -> the header indexes that feed it."""
    known = {_norm_header(a): c for c, (_, aliases) in COLUMNS.items() for a in aliases}
    known.update({c.casefold(): c for c in COLUMNS})
    found = {_norm_header(h) for h in headers}
    # a first row that has none of the headers followup or --map knows may well be a
    # patient's row (a file without its header row): none of it is shown
    is_header_row = bool(found & (known.keys() | user_map.keys()))
    for header in user_map:
        if header not in found:
            raise FollowupError(t("import.map_missing", path=path, header=header,
                                  headers=shown_headers(headers, is_header_row)))
    known.update(user_map)
    mapping: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        column = known.get(_norm_header(header))
        if column is None:
            continue
        if mapping.get(column) and column != "converted":
            first = headers[mapping[column][0]]
            raise FollowupError(t("import.dup_header", path=path, column=column, a=first,
                                  b=header))
        mapping.setdefault(column, []).append(i)
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        unknown = [h for h in headers if h.strip() and _norm_header(h) not in known
                   and is_header_row and _header_like(h)]
        example = unknown[0] if unknown else t("import.a_header")
        fix = " ".join(f"--map {example if i == 0 else '…'}={c}" for i, c in enumerate(missing))
        raise FollowupError(t("import.missing", path=path, columns=", ".join(missing),
                              headers=shown_headers(headers, is_header_row), fix=fix))
    return mapping


def _header_like(header: str) -> bool:
    """A cell that may be shown as a header: short, and no run of three digits (a phone,
    a date, an id number are data)."""
    return len(header) <= 30 and not re.search(r"\d{3}", normalise_id(header))


def shown_headers(headers: list[str], is_header_row: bool = True) -> str:
    """The headers as a message may show them: header-like cells, the others by their
    column number; of a first row that is no header row, only how many columns it has."""
    if not is_header_row:
        return t("import.not_headers", count=len(headers))
    return "、".join(h if _header_like(h) else t("import.column_n", n=i)
                    for i, h in enumerate(headers, start=1) if h.strip())


def ignored_headers(headers: list[str], mapping: dict[str, list[int]]) -> list[str]:
    """The file's columns the import does not read, as `shown_headers` shows them."""
    used = {i for indexes in mapping.values() for i in indexes}
    return [h if _header_like(h) else t("import.column_n", n=i + 1)
            for i, h in enumerate(headers) if i not in used and h.strip()]


# --- rows --------------------------------------------------------------------------

# the cells a row is read from, in the order they are checked
_READ = ("patient_id", "name", "phone", "visit_date", "project", "status", "arrived", "risk",
         "birthday", "no_callback", "visit_id", "department", "doctor", "consultant",
         "vip_tier")
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
        # the common row, all text and as wide as the header, read in one go (`_quick`)
        where = {c: k for k, (c, _) in enumerate(self.columns)}
        self.cells_of = itemgetter(*(i for _, i in self.columns))
        # _READ's values from the mapped cells' values, "" (one past them) for the others
        self.pick = itemgetter(*(where.get(c, len(self.columns)) for c in _READ))
        self.quick = len(self.columns) > 1 and "arrived" not in where and not self.yes_no_kind

    def __call__(self, line: int, cells: list[Any]) -> Visit:
        """A clean Visit, or RowError. Most rows of a CSV take `_quick`; anything it does
        not expect is left to `checked`, which names what is wrong."""
        if self.quick and len(cells) == self.width:
            try:
                values = [c.strip() for c in self.cells_of(cells)]
            except AttributeError:   # not text: a spreadsheet's numbers and dates
                return self.checked(line, cells)
            if max(map(len, values)) <= MAX_FIELD:
                visit = self._quick(line, values)
                if visit is not None:
                    return visit
        return self.checked(line, cells)

    def _quick(self, line: int, values: list[str]) -> Visit | None:
        """`checked` for a row's mapped cells, stripped text, or None where it would say
        more."""
        values.append("")
        (pid, name, phone, day, project, status, _, risk, birthday, no_callback, visit_id,
         department, doctor, consultant, vip_tier) = self.pick(values)
        if not (pid.isascii() and pid.isprintable()):   # normalise_id's own quick test
            pid = normalise_id(pid)
        if not (visit_id.isascii() and visit_id.isprintable()):
            visit_id = normalise_id(visit_id)
        if not (pid and name and phone and day and project):
            return None
        if not (len(phone) == 11 and phone.isascii() and phone.isdigit() and phone[0] == "1"
                and phone[1] in "3456789"):
            return None   # not as most exports have it: normalise_phone, in `checked`
        parsed = self.dates.get(day)
        if parsed is None or not _EARLIEST_VISIT <= parsed[0] <= self.as_of:
            return None
        born = None
        if birthday:
            known = self.dates.get(birthday)
            if known is None or not _EARLIEST_BIRTHDAY <= known[0] <= self.as_of:
                return None
            born = known[0]
        level = None
        if risk:
            level = _RISK.get(risk.casefold())
            if level is None:
                return None
        skip = False
        if no_callback:
            folded = no_callback.casefold()
            if folded not in _YES and folded not in _NO:
                return None
            skip = folded in _YES
        kind = "treated"
        if status:
            kind = _KIND.get(status.casefold(), "")
            if not kind:
                return None
        visit_date, visit_time = parsed
        return Visit(line, pid, name, phone, visit_date, visit_time, project, kind,
                     visit_id or derive_visit_id(pid, visit_date, visit_time, project),
                     department or None, doctor or None, consultant or None, level, born,
                     vip_tier or None, skip)

    def checked(self, line: int, cells: list[Any]) -> Visit:
        """A row as wide as the header; one with fewer cells (a file cut off mid-write) is
        refused, so is one with more unless the extra cells are empty (a trailing comma)."""
        n = len(cells)
        if n < self.width or (n > self.width and any(str(c).strip()
                                                     for c in cells[self.width:])):
            raise RowError("-", t("row.cells", cells=n, header=self.width))
        cell: dict[str, Any] = {}
        for column, i in self.columns:
            value = cells[i]
            if isinstance(value, str):
                value = value.strip()
                if len(value) > MAX_FIELD:
                    raise RowError(self.headers[i], t("row.too_long", limit=MAX_FIELD))
            if column in _IDS and value is not None:
                value = normalise_id(str(value))
            if value not in ("", None):
                cell[column] = value
        for column in REQUIRED:
            if column not in cell:
                raise RowError(self.header[column], t("row.required"))
        try:
            phone = normalise_phone(str(cell["phone"]))
        except ValueError:
            raise RowError(self.header["phone"], t("row.phone")) from None
        visit_date, visit_time = self.date(cell["visit_date"], "visit_date", _EARLIEST_VISIT)
        birthday = None
        if "birthday" in cell:
            birthday = self.date(cell["birthday"], "birthday", _EARLIEST_BIRTHDAY)[0]
        patient_id, project = str(cell["patient_id"]), str(cell["project"])
        risk = None
        if "risk" in cell:
            risk = _RISK.get(str(cell["risk"]).casefold())
            if risk is None:
                raise RowError(self.header["risk"], t("row.risk"))
        no_callback = False
        if "no_callback" in cell:
            no_callback = bool(self.yes_no(cell, "no_callback"))
        visit_id = cell.get("visit_id")
        return Visit(
            line=line, patient_id=patient_id, name=str(cell["name"]), phone=phone,
            visit_date=visit_date, visit_time=visit_time, project=project,
            kind=self.kind(cells, cell),
            visit_id=str(visit_id) if visit_id is not None else derive_visit_id(
                patient_id, visit_date, visit_time, project),
            department=_text(cell, "department"), doctor=_text(cell, "doctor"),
            consultant=_text(cell, "consultant"), risk=risk, birthday=birthday,
            vip_tier=_text(cell, "vip_tier"), no_callback=no_callback,
        )

    def date(self, value: Any, column: str, earliest: date) -> tuple[date, str | None]:
        """A date cell, not after the import day nor before `earliest`."""
        parsed = self.dates.get(value) if isinstance(value, str) else None
        if parsed is None:
            try:
                parsed = parse_date(value)
            except ValueError:
                raise RowError(self.header[column], t("row.date")) from None
            if isinstance(value, str) and len(self.dates) < 100_000:
                self.dates[value] = parsed
        if parsed[0] > self.as_of:
            raise RowError(self.header[column], t("row.future", as_of=self.as_of.isoformat()))
        if parsed[0] < earliest:
            raise RowError(self.header[column], t("row.date"))
        return parsed

    def yes_no(self, cell: dict[str, Any], column: str) -> bool | None:
        try:
            return parse_yes_no(str(cell.get(column, "")))
        except ValueError:
            raise RowError(self.header[column], t("row.yesno")) from None

    def kind(self, cells: list[Any], cell: dict[str, Any]) -> str:
        """From the status column, or from yes/no columns (arrived? converted?)."""
        if "status" in cell:
            kind = _KIND.get(str(cell["status"]).casefold())
            if kind is None:
                raise RowError(self.header["status"], t("row.status"))
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
                raise RowError(self.headers[i], t("row.yesno")) from None
        return "consult"


def _text(cell: dict[str, Any], column: str) -> str | None:
    value = cell.get(column)
    return None if value is None else str(value)


def derive_visit_id(patient_id: str, visit_date: date, visit_time: str | None,
                    project: str) -> str:
    """A stable id for exports without one: the same row always gets the same id."""
    key = "\x1f".join((patient_id, visit_date.isoformat(), visit_time or "", project))
    return "V" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


# --- writing -----------------------------------------------------------------------

def import_visits(
    conn: sqlite3.Connection, path: Path, rules: RulePack, cal: ClinicCalendar, as_of: date,
    *, user_map: dict[str, str] | None = None, dry_run: bool = False,
    skip_bad: Path | None = None, now: datetime | None = None, sheet: str | None = None,
) -> ImportSummary:
    """Import one export file as of day `as_of`. All or nothing, unless `skip_bad`.
    Of a workbook, the sheet named `sheet`, else its first visible one."""
    from followup_cli.output.files import check_target, protect

    protect(path)   # neither --skip-bad nor any other output may write over what is read
    if skip_bad is not None:
        check_target(skip_bad, "csv")   # refused before anything is read or written
    if path.suffix.casefold() in XLSX and path.is_file():
        sheet = choose_sheet(path, sheet)
    try:
        return _import(conn, path, rules, cal, as_of, user_map or {}, dry_run, skip_bad, now,
                       sheet, trusting=True)
    except _SameIdTwice:
        # a first import trusted the file to name each visit once: it did not (rolled
        # back); again, the careful way, which tells a repeated row from a conflict
        return _import(conn, path, rules, cal, as_of, user_map or {}, dry_run, skip_bad, now,
                       sheet, trusting=False)


class _SameIdTwice(Exception):
    pass


def _import(conn: sqlite3.Connection, path: Path, rules: RulePack, cal: ClinicCalendar,
            as_of: date, user_map: dict[str, str], dry_run: bool, skip_bad: Path | None,
            now: datetime | None, sheet: str | None, *, trusting: bool) -> ImportSummary:
    """`trusting`: a ledger's first import from a large CSV does not look for a visit id
    the file has already given (a temporary table of a million ids costs a quarter of
    the reading); the ledger's key on visit ids then refuses a repeat (_SameIdTwice)."""
    summary = ImportSummary(path=str(path), dry_run=dry_run, sheet=sheet)
    bulk = _is_bulk(conn, path)
    at_end = bulk and _is_empty(conn)
    headers: list[str] = []
    visits: Iterator[Visit] = iter(())
    staged: Iterator[Staged] | None = None
    try:
        with references_checked_at_end(conn, at_end), transaction(conn), \
                without_cycle_collector():
            # read inside the transaction: the ledger cannot change under what is decided
            if not _worth_a_process(path):
                headers, visits = _read_here(conn, path, user_map, as_of, summary.bad, sheet)
            elif _is_empty(conn, inside=True):
                # a first import: the reading process decides every row, this one writes
                stager = Stager(rules, cal, as_of, ImportSummary(path=""), note_touched=False,
                                rows=_rows_in(path))
                headers, staged = _second_process(path, user_map, as_of, summary, stager,
                                                  trusting)
            else:
                headers, visits = _read_in_a_second_process(path, user_map, as_of, summary)
            mapping = map_headers(path, headers, user_map)
            summary.ignored = ignored_headers(headers, mapping)
            try:
                write_visits(conn, visits, rules, cal, as_of, summary, now, bulk=bulk,
                             staged=staged, rows=_rows_in(path),
                             patient_column=headers[mapping["patient_id"][0]])
            except sqlite3.IntegrityError as e:
                if trusting and staged is not None and "visits.visit_id" in str(e):
                    raise _SameIdTwice from None
                raise
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
                write_bad_rows(skip_bad, headers, _with_cells(path, sheet, summary.bad))
    except _Rollback:
        pass
    finally:
        for source in (visits, staged):
            if isinstance(source, Generator):
                source.close()   # a second process still reading is stopped
    summary.bad.sort(key=lambda row: row.line)
    if summary.bad and skip_bad is None:
        raise FollowupError(_bad_rows_message(path, summary.bad))
    return summary


def _with_cells(path: Path, sheet: str | None, bad: list[BadRow]) -> list[BadRow]:
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


def _is_empty(conn: sqlite3.Connection, *, inside: bool = False) -> bool:
    """No patients, visits or tasks yet; outside a transaction unless `inside`."""
    return (inside or not conn.in_transaction) and conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM patients) AND NOT EXISTS (SELECT 1 FROM visits) "
        "AND NOT EXISTS (SELECT 1 FROM tasks)").fetchone()[0] == 1


@contextmanager
def references_checked_at_end(conn: sqlite3.Connection, at_end: bool) -> Iterator[None]:
    """A ledger's first large import checks its references once, at the end of its
    transaction, not at every row: SQLite's check looks up each visit's patient at random
    (~3 s per million visits); the end's check walks them in order (~0.3 s). Only for a
    ledger with nothing in it yet, where the import inserts rows and deletes none. Wrap
    around the transaction: SQLite switches foreign keys only outside one."""
    if not at_end:
        yield
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def check_references(conn: sqlite3.Connection) -> None:
    """Every reference in the ledger leads to a row, or RuntimeError (the transaction
    rolls back: a bug of ours, never a user's). Visits to their patients and conversions
    are checked in index order; the other tables by SQLite's own check."""
    if {tuple(row[2:5]) for row in conn.execute("PRAGMA foreign_key_list(visits)")} != {
            ("patients", "patient_id", "patient_id"), ("visits", "converted_by", "visit_id")}:
        raise RuntimeError("check_references does not know the visits' references")
    broken = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM visits v WHERE NOT EXISTS "
        "(SELECT 1 FROM patients p WHERE p.patient_id = v.patient_id)) "
        "OR EXISTS (SELECT 1 FROM visits v WHERE v.converted_by IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM visits c WHERE c.visit_id = v.converted_by))").fetchone()[0]
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'visits'")]
    for table in tables:
        broken = broken or conn.execute(f"PRAGMA foreign_key_check('{table}')").fetchone()
    if broken:
        raise RuntimeError("an import left a reference to a missing row")


# --- reading: here, or in a second process for a large CSV --------------------------

def _read_here(conn: sqlite3.Connection, path: Path, user_map: dict[str, str], as_of: date,
               bad: list[BadRow], sheet: str | None) -> tuple[list[str], Iterator[Visit]]:
    """The file's headers and its clean visits, each once; bad rows go to `bad`."""
    headers, rows = read_table(path, sheet)
    mapping = map_headers(path, headers, user_map)
    return headers, unique_visits(conn, rows, RowParser(headers, mapping, as_of),
                                  _id_column(headers, mapping), bad)


def _id_column(headers: list[str], mapping: dict[str, list[int]]) -> str:
    return headers[mapping["visit_id"][0]] if "visit_id" in mapping else "visit_id"


def unique_visits(conn: sqlite3.Connection, rows: Iterable[tuple[int, list[Any]]],
                  parse_row: RowParser, id_column: str, bad: list[BadRow]) -> Iterator[Visit]:
    """Each visit once: the same row twice is read once, the same visit id with other
    values is a bad row. The ids seen so far wait in a temporary table, not in memory."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_seen (visit_id TEXT PRIMARY KEY, "
                 "line INTEGER NOT NULL, signature INTEGER NOT NULL) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_seen")

    def parsed() -> Iterator[tuple[Visit, list[Any]]]:
        for line, cells in rows:
            try:
                yield parse_row(line, cells), cells
            except RowError as e:
                bad.append(BadRow(line, e.column, e.reason, tuple(str(c) for c in cells)))

    for batch in chunks(parsed(), CHUNK):
        yield from _first_seen(conn, batch, id_column, bad)


def parsed_visits(rows: Iterable[tuple[int, list[Any]]], parse_row: RowParser,
                  bad: list[BadRow]) -> Iterator[Visit]:
    """Every clean visit, repeats and all; bad rows go to `bad`."""
    for line, cells in rows:
        try:
            yield parse_row(line, cells)
        except RowError as e:
            bad.append(BadRow(line, e.column, e.reason, tuple(str(c) for c in cells)))


_fields = attrgetter(*Visit.__slots__)   # a Visit as a tuple, in Visit(*fields) order
PROCESS_BYTES = 2_000_000   # a CSV this large (~20 k rows) is read by a second process
SENT = 2_000                # visits a message from the reading process carries


def _worth_a_process(path: Path) -> bool:
    """Reading and checking rows is a third of an import's work: on a large CSV a second
    process does it on the other core while this one writes. Forking needs Linux."""
    return (sys.platform == "linux" and path.suffix.casefold() in (".csv", ".txt")
            and path.is_file() and path.stat().st_size >= PROCESS_BYTES)


def _read_in_a_second_process(
        path: Path, user_map: dict[str, str], as_of: date,
        summary: ImportSummary) -> tuple[list[str], Iterator[Visit]]:
    """`_read_here`, with the reading, checking and de-duplicating done by a forked
    process that sends the clean visits (and the bad rows) as it goes; the pipe between
    them holds a few messages, so memory stays flat whatever the file's size."""
    headers, messages = _second_process(path, user_map, as_of, summary, None, False)

    def visits() -> Iterator[Visit]:
        with closing(messages):
            for fields in messages:
                yield Visit(*fields)

    return headers, visits()


def _second_process(path: Path, user_map: dict[str, str], as_of: date, summary: ImportSummary,
                    stager: Stager | None,
                    trusting: bool) -> tuple[list[str], Generator[Any, None, None]]:
    """The file's headers, and what a forked reading process sends as it reads: visits
    as tuples (`stager` None), or a first import's chunks staged there (`stager` decides;
    its counts join `summary` at the end), in which case this process only writes.
    `trusting`: no look for repeated visit ids (see _import)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    reader = context.Process(target=_reader, args=(send, path, user_map, as_of, stager,
                                                    trusting), daemon=True)
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
            stager: Stager | None, trusting: bool) -> None:
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
        parse = RowParser(headers, mapping, as_of)
        visits = (parsed_visits(rows, parse, bad) if trusting else
                  unique_visits(conn, rows, parse, _id_column(headers, mapping), bad))
        if stager is None:
            for v in visits:
                batch.append(_fields(v))
                if len(batch) == SENT:
                    send.send(("items", batch, bad))
                    batch = []
                    bad.clear()
        else:
            for chunk in chunks(visits, SENT):
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


BULK_ROWS = 20_000   # an export this large, and larger than the ledger, is a bulk load


def _rows_in(path: Path) -> int:
    """About how many rows a file has: a CSV row is ~100 bytes."""
    return path.stat().st_size // 100


def _is_bulk(conn: sqlite3.Connection, path: Path) -> bool:
    """History coming into a new or small ledger: cheaper to build the visits' indexes
    once at the end than to update them a row at a time."""
    rows = _rows_in(path)
    ledger = conn.execute("SELECT coalesce(max(rowid), 0) FROM visits").fetchone()[0]
    return rows >= BULK_ROWS and rows > ledger


def _first_seen(conn: sqlite3.Connection, batch: list[tuple[Visit, list[Any]]],
                id_column: str, bad: list[BadRow]) -> Iterator[Visit]:
    ids = {v.visit_id for v, _ in batch}
    seen: dict[str, tuple[int, int]] = {
        row[0]: (row[1], row[2]) for row in conn.execute(
            f"SELECT visit_id, line, signature FROM temp.import_seen WHERE visit_id IN "
            f"({', '.join('?' * len(ids))})", tuple(ids))}
    fresh: list[tuple[str, int, int]] = []
    for visit, cells in batch:
        signature = hash(_signature(visit))
        earlier = seen.get(visit.visit_id)
        if earlier is None:
            seen[visit.visit_id] = (visit.line, signature)
            fresh.append((visit.visit_id, visit.line, signature))
            yield visit
        elif earlier[1] != signature:
            bad.append(BadRow(visit.line, id_column, t("row.conflict", line=earlier[0]),
                              tuple(str(c) for c in cells)))
        # else: the same row twice in one export
    conn.executemany("INSERT INTO temp.import_seen VALUES (?, ?, ?)", fresh)


class _Rollback(Exception):
    pass


def _signature(v: Visit) -> tuple[Any, ...]:
    """Everything a row says but where it is: two rows of one visit id that differ in any
    of it disagree (which one is right is the clinic's to say)."""
    return _fields(v)[1:]   # all but the line


def _bad_rows_message(path: Path, bad: list[BadRow]) -> str:
    lines = [t("import.bad_rows", path=path, count=len(bad))]
    for row in bad[:MAX_BAD_SHOWN]:
        lines.append("  " + t("import.row_error", path=path.name, line=row.line,
                                column=row.column, reason=row.reason))
    if len(bad) > MAX_BAD_SHOWN:
        lines.append("  " + t("import.more_bad", count=len(bad) - MAX_BAD_SHOWN))
    return "\n".join(lines)


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


# page caches of an import, the most its memory grows by whatever the file's size:
# 64 MB each for the temporary tables here and in the reading process, 64 MB for the
# ledger; with the two interpreters (~45 MB each) under the 300 MB aimed at
TEMP_CACHE_KB = 64 * 1024   # an import of 1 M visits: 76 -> 65 s, peak 74 -> 117 MB
MAIN_CACHE_KB = 64 * 1024
CHUNK = 500  # visits looked up together: one query for their patients, one for the visits


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last one shorter), read as the items come."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_visits(conn: sqlite3.Connection, visits: Iterable[Visit], rules: RulePack,
                 cal: ClinicCalendar, as_of: date, summary: ImportSummary,
                 now: datetime | None = None, *, bulk: bool = False,
                 staged: Iterable[Staged] | None = None, rows: int = 0,
                 patient_column: str = "patient_id") -> None:
    """Upsert patients and visits, plan new and changed visits, then plan the birthdays
    and settle the conversions of every patient the visits touched.

    `now` is when the export entered the ledger (default: the end of `as_of`). Runs
    inside the caller's transaction. Visits are read as a stream, CHUNK at a time, each
    chunk staged from the ledger as the chunks before it left it; or `staged` gives the
    chunks already staged (by the reading process of a first import, which counted them
    into `summary`); `rows`: about how many visits come. The patients touched wait in a
    temporary table. `bulk` drops the visits' and patients' secondary indexes while the
    rows go in and builds them again after (same transaction), but for the patients'
    visits by date, which each patient's row is checked against (staging.UPSERT_PATIENT).
    A visit the ledger has under another patient is a bad row (of `patient_column`).
    """
    entered_at = (now or datetime.combine(as_of, datetime.max.time())).isoformat(
        timespec="seconds")
    count = planning.PlanCount()
    # the ids seen and the patients touched wait in temporary tables: give them a page cache
    # of their own (64 MB at most, whatever the file's size) rather than spill to disk
    conn.execute(f"PRAGMA temp.cache_size = -{TEMP_CACHE_KB}")
    # and the ledger one large enough for the indexes the rows go into: a key is looked
    # up or inserted at random for every visit and patient, and with SQLite's default
    # 2 MB each of those was a read from the operating system
    conn.execute(f"PRAGMA main.cache_size = -{MAIN_CACHE_KB}")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_touched "
                 "(patient_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_touched")
    # a ledger with no patients: every patient at the end is one this import touched
    touch_all = conn.execute("SELECT max(rowid) IS NULL FROM patients").fetchone()[0]
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
        "('visits', 'patients') AND sql IS NOT NULL AND name <> 'visits_patient'"
    ).fetchall() if bulk else []
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    stager = Stager(rules, cal, as_of, summary, note_touched=not touch_all,
                    rows=0 if staged is not None else rows)
    with phone_changes_noted(conn, entered_at):
        for chunk in staged if staged is not None else _stage_here(conn, visits, stager):
            write_staged(conn, chunk, as_of, summary, count)
    for line, visit_id, theirs, given in stager.moved:
        summary.bad.append(BadRow(line, patient_column, t(
            "row.moved", visit_id=visit_id, theirs=theirs, given=given), ()))
    stager.count_plans(count)
    for _, sql in indexes:
        conn.execute(sql)
    years = (as_of.year, as_of.year + 1)
    if touch_all:   # every patient: one pass over them, not a lookup of each
        birthdays = [planning.plan_birthdays(conn, rules, cal, as_of, years)]
    else:
        touched = conn.execute("SELECT patient_id FROM temp.import_touched ORDER BY patient_id")
        birthdays = [planning.plan_birthdays(conn, rules, cal, as_of, years, patient_ids)
                     for patient_ids in chunks((row[0] for row in touched), CHUNK)]
    for planned in birthdays:
        count.planned += planned.planned
        count.backfill += planned.backfill
        count.provisional.extend(planned.provisional)
    if touch_all:
        # every patient's birthdays are now planned through next year, as `due` tops them
        # up: the first sheet after a big first import need not plan them all again
        planning.note_birthdays_planned(conn, as_of.year + 1)
    summary.cancelled = settle_conversions(conn, as_of.isoformat(), every=touch_all)
    # a year's holidays may have been added since: provisional dates get their real day
    summary.replanned = len(planning.replan(conn, cal, as_of, upcoming=False))
    summary.tasks += count.planned
    summary.provisional += count.provisional
    summary.backfill += count.backfill


def _stage_here(conn: sqlite3.Connection, visits: Iterable[Visit],
                stager: Stager) -> Iterator[Staged]:
    """Chunks staged from the ledger: lazily, so each sees the chunks before it written."""
    # a ledger with no visits yet: a visit id can only repeat inside the file (seen there)
    empty = conn.execute("SELECT max(rowid) IS NULL FROM visits").fetchone()[0]
    for chunk in chunks(visits, CHUNK):
        known_patients = _known(
            conn, "SELECT patient_id, do_not_call, (SELECT max(visit_date) FROM visits v "
            "WHERE v.patient_id = p.patient_id) FROM patients p WHERE patient_id IN ({})",
            {v.patient_id for v in chunk})
        do_not_call = {row[0] for row in known_patients if row[1]}
        latest = {row[0]: row[2] for row in known_patients if row[2]}
        known_visits: dict[str, Any] = {} if empty else {row[0]: row for row in _known(
            conn, "SELECT * FROM visits WHERE visit_id IN ({})", {v.visit_id for v in chunk})}
        yield stager.stage(chunk, do_not_call, known_visits, latest)


def _known(conn: sqlite3.Connection, sql: str, keys: set[str]) -> list[Any]:
    return conn.execute(sql.format(", ".join("?" * len(keys))), tuple(keys)).fetchall()


def settle_conversions(conn: sqlite3.Connection, stamp: str, *, every: bool = False) -> int:
    """A later treated visit converts the earlier consults of the patients in
    temp.import_touched (`every`: of all patients, the ledger's first import): each
    consult records its earliest later treatment and its pending tasks are cancelled.
    Returns the number of tasks cancelled. Set-based: a bulk load settles hundreds of
    thousands of consults."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_converted (visit_id TEXT PRIMARY "
                 "KEY, by_visit TEXT) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_converted")
    # CROSS JOIN: from the touched patients to their visits, never a scan of every visit;
    # but when every patient is touched, one pass over the visits beats a seek per patient
    consults = ("visits c" if every else
                "temp.import_touched touched CROSS JOIN visits c "
                "ON c.patient_id = touched.patient_id")
    conn.execute(
        "INSERT INTO temp.import_converted SELECT c.visit_id, "
        "(SELECT v.visit_id FROM visits v WHERE v.patient_id = c.patient_id "
        "AND v.kind = 'treated' AND v.visit_date > c.visit_date "
        "ORDER BY v.visit_date, v.visit_id LIMIT 1) "
        f"FROM {consults} WHERE c.kind = 'consult' AND c.converted_by IS NULL")
    conn.execute("DELETE FROM temp.import_converted WHERE by_visit IS NULL")
    conn.execute("UPDATE visits SET updated_at = ?, converted_by = (SELECT by_visit FROM "
                 "temp.import_converted x WHERE x.visit_id = visits.visit_id) "
                 "WHERE visit_id IN (SELECT visit_id FROM temp.import_converted)", (stamp,))
    return conn.execute(
        "UPDATE tasks SET status = 'cancelled', status_reason = 'converted' WHERE status = "
        "'open' AND visit_id IN (SELECT visit_id FROM temp.import_converted)").rowcount
