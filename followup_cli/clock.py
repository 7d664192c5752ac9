"""Clinic-local time. Only the CLI reads the clock; the library is handed `today`.

Also the limits every date and time a user gives must keep: the years the ledger plans
in, and no call or complaint step after now."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TypeVar

from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, t

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
        raise FollowupError(t("FOLLOWUP_TZ={name}: unknown time zone (e.g. "
                              "Asia/Shanghai)", name=name)) from None


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
        raise FollowupError(t("{option} {value} is in the future (now {now}): only what has "
                              "happened can be recorded", option=option,
                              value=moment.strftime("%Y-%m-%d %H:%M"),
                              now=current.strftime("%Y-%m-%d %H:%M")))


# --- what users type: every date and time option is read by one of these -----------------

T = TypeVar("T", date, time, datetime)


def parse_day(value: str, option: str = "--date") -> date:
    """A day, YYYY-MM-DD, in the years the ledger plans in."""
    return _read(value, option, date.fromisoformat, N_("{option} {value}: expected YYYY-MM-DD"))


def parse_past_day(value: str, option: str = "--date") -> date:
    """A day to work as of (an import, a report): today or before, not one still to come."""
    day = parse_day(value, option)
    current = today()
    if day > current:
        raise FollowupError(t("{option} {value} is after today ({today}): give today or an "
                              "earlier day", option=option, value=day.isoformat(),
                              today=current.isoformat()))
    return day


def parse_time(value: str, option: str = "--time") -> time:
    """A clinic-local time of day, HH:MM (an offset would not compare with one)."""
    return _read(value, option, time.fromisoformat, N_("{option} {value}: expected HH:MM"))


def parse_datetime(value: str, option: str) -> datetime:
    """Clinic-local ISO 8601: 2026-11-23T15:00 or 2026-11-23 15:00, seconds optional. A
    day alone is refused: a call or a callback at midnight is a time left out."""
    moment = _read(value, option, datetime.fromisoformat, N_("{option} {value}: expected a time "
                                                             "like 2026-11-23T15:00 or 2026-11-23 "
                                                             "15:00"))
    if ":" not in value:
        raise FollowupError(t("{option} {value}: give a time too, e.g. {value} 19:30",
                              option=option, value=value.strip()))
    return moment


def _read(value: str, option: str, parse: Callable[[str], T], message: str) -> T:
    """`value` read by `parse`: never empty, never with a UTC offset, never a year outside
    FIRST_YEAR..LAST_YEAR (a typo, and a plan's month steps would leave the calendar)."""
    if not value.strip():
        raise FollowupError(t("{option} is empty: give a value or leave the option "
                              "out", option=option))
    try:
        found = parse(value.strip())
    except ValueError:
        raise FollowupError(t(message, option=option, value=value)) from None
    if getattr(found, "tzinfo", None) is not None:
        raise FollowupError(t(message, option=option, value=value))
    day = found.date() if isinstance(found, datetime) else found
    if isinstance(day, date) and not in_range(day):
        raise FollowupError(t("{option} {value}: the year must be {first} to "
                              "{last}", option=option, value=value,
                              first=FIRST_YEAR, last=LAST_YEAR))
    return found
