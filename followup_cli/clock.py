"""Clinic-local time. Only the CLI reads the clock; the library is handed `today`.

Also the limits every date and time a user gives must keep: the years the ledger plans
in, and no call or complaint step after now."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo

from followup_cli.errors import FollowupError
from followup_cli.i18n import t

DEFAULT_TZ = "Asia/Shanghai"
CHINA = timezone(timedelta(hours=8))   # all year: no daylight saving since 1991
# a year outside these is a typo; and a plan's month steps (12 months on, moved up to 59
# days) or a report's previous period must stay inside Python's dates (years 1-9999)
FIRST_YEAR, LAST_YEAR = 1900, 9000
# a call or complaint step logged as done this far after now is a typo or a wrong clock;
# a little is two computers' clocks disagreeing
CLOCK_SKEW = timedelta(minutes=5)


def clinic_tz() -> tzinfo:
    name = os.environ.get("FOLLOWUP_TZ") or DEFAULT_TZ   # set but empty: as if unset
    if name == DEFAULT_TZ:   # no tz database to load (zoneinfo: 4 ms of every sheet)
        return CHINA
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # a typo, or no tz database on the machine: guessing China is worse
        raise FollowupError(t("clock.bad_tz", name=name)) from None


def now() -> datetime:
    """Clinic-local wall-clock time, naive, to the minute's seconds."""
    return datetime.now(clinic_tz()).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


def in_range(day: date) -> bool:
    """Whether the ledger can plan around `day` (FIRST_YEAR to LAST_YEAR)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def not_future(moment: datetime, current: datetime, option: str) -> None:
    """Refuse a moment something was done that is still to come."""
    if moment > current + CLOCK_SKEW:
        raise FollowupError(t("clock.future", option=option,
                              value=moment.strftime("%Y-%m-%d %H:%M"),
                              now=current.strftime("%Y-%m-%d %H:%M")))
