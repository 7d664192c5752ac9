"""Cell values into what the ledger stores: dates in four notations (and Excel's serial
numbers), yes/no, visit kinds, risk levels, and the id of a row that has none. Phones
are followup_cli.phones'."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Any

KIND_WORDS = {
    "treated": ("成交", "已成交", "消费", "已消费", "治疗", "已治疗", "手术", "已手术", "treated"),
    "consult": ("未成交", "咨询", "仅咨询", "咨询未成交", "consult"),
    "no_show": ("未到诊", "未到", "爽约", "未到院", "no_show", "no-show", "noshow"),
    "course_end": ("疗程结束", "疗程完成", "course_end"),
}
KINDS = {w.casefold(): k for k, words in KIND_WORDS.items() for w in words}
YES = {"是", "y", "yes", "1", "true", "√", "✓", "有"}
NO = {"否", "n", "no", "0", "false", "×", "无"}
RISKS = {"高": "high", "中": "medium", "低": "low", "high": "high", "medium": "medium",
         "low": "low", "高风险": "high", "中风险": "medium", "低风险": "low"}
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")
EXCEL_EPOCH = date(1899, 12, 30)


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
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise ValueError("yesno")


def derive_visit_id(patient_id: str, visit_date: date, visit_time: str | None,
                    project: str) -> str:
    """A stable id for exports without one: the same row always gets the same id."""
    key = "\x1f".join((patient_id, visit_date.isoformat(), visit_time or "", project))
    return "V" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
