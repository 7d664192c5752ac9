"""Clinic-local time. Only the CLI reads the clock; the library is handed `today`."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo

DEFAULT_TZ = "Asia/Shanghai"
CHINA = timezone(timedelta(hours=8))   # all year: no daylight saving since 1991


def clinic_tz() -> tzinfo:
    name = os.environ.get("FOLLOWUP_TZ", DEFAULT_TZ)
    if name == DEFAULT_TZ:   # no tz database to load (zoneinfo: 4 ms of every sheet)
        return CHINA
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database on the machine: China's time
        return CHINA


def now() -> datetime:
    """Clinic-local wall-clock time, naive, to the minute's seconds."""
    return datetime.now(clinic_tz()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
