"""The clinic calendar: which days are calling days, where a due date moves, calling windows.

This module is the one seam the planner and the sheet ask. Mainland statutory
holidays and make-up working days come from `chinesecalendar`; a year it does not
know is planned with ordinary weekends and marked provisional.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath

Direction = str  # "later" | "earlier"

Windows = dict[str, tuple[time, time]]
WINDOW_NAMES = ("afternoon", "evening")
# Summer (1 May – 30 Sep) and winter calling windows, from the clinics' callback rules.
SUMMER_WINDOWS: Windows = {"afternoon": (time(14, 30), time(16, 30)),
                           "evening": (time(19, 0), time(20, 0))}
WINTER_WINDOWS: Windows = {"afternoon": (time(14, 0), time(16, 30)),
                           "evening": (time(19, 0), time(20, 0))}
SUMMER = ((5, 1), (9, 30))


@lru_cache(maxsize=4096)
def _national(d: date) -> str | None:
    """"rest" on a statutory rest day (weekend days inside a holiday block included),
    "work" on a make-up working day (调休), "ordinary" otherwise, None where the
    holiday data does not know the year."""
    import chinese_calendar

    try:
        off, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return None
    if off and name:
        return "rest"
    if not off and name and d.weekday() >= 5:
        return "work"
    return "ordinary"


@lru_cache(maxsize=1)
def last_known_year() -> int:
    year = date.today().year - 1
    while _national(date(year + 1, 6, 1)) is not None:
        year += 1
    return year


class ClinicCalendar(NamedTuple):
    # national = false: no mainland holiday schedule (a clinic elsewhere, or for tests)
    national: bool = True
    weekends: bool = True
    closed: frozenset[date] = frozenset()
    rest: frozenset[date] = frozenset()
    work: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    summer: tuple[tuple[int, int], tuple[int, int]] = SUMMER
    summer_windows: Windows = SUMMER_WINDOWS   # read, never changed: shared is safe
    winter_windows: Windows = WINTER_WINDOWS

    def knows(self, d: date) -> bool:
        return not self.national or d.year in self.years or _national(d) is not None

    def is_calling_day(self, d: date) -> bool:
        if d in self.closed:
            return False
        if d.year in self.years:
            if d in self.rest:
                return False
            if d in self.work:
                return True
            return self.weekends or d.weekday() < 5
        national = _national(d) if self.national else None
        if national == "rest":
            return False
        if national == "work":
            return True
        return self.weekends or d.weekday() < 5

    def is_provisional(self, d: date) -> bool:
        """A date whose calling-day status may still change when a schedule is published."""
        if not self.knows(d):
            return True
        # a late-December Saturday of the last known year can still be made a working day
        last = max(last_known_year(), max(self.years, default=0))
        return (
            self.national and not self.weekends and d.year == last and d.month == 12 and d.day >= 20
            and d.weekday() == 5
        )

    def move(self, d: date, direction: Direction = "later") -> tuple[date, bool]:
        """The calling day a due date lands on, and whether that is provisional."""
        step = timedelta(days=-1 if direction == "earlier" else 1)
        provisional = self.is_provisional(d)
        moved = d
        for _ in range(60):
            if self.is_calling_day(moved):
                return moved, provisional or self.is_provisional(moved)
            moved += step
            provisional = provisional or self.is_provisional(moved)
        return d, True

    def windows(self, d: date) -> Windows:
        first, last = self.summer
        return self.summer_windows if first <= (d.month, d.day) <= last else self.winter_windows

    def unknown_years(self, days: Iterable[date]) -> list[int]:
        return sorted({d.year for d in days if not self.knows(d)})

    def window_of(self, moment: datetime) -> str | None:
        """The calling window a moment falls in, if any."""
        if not self.is_calling_day(moment.date()):
            return None
        for name, (start, end) in self.windows(moment.date()).items():
            if start <= moment.time() <= end:
                return name
        return None

    def next_window_start(self, moment: datetime) -> tuple[datetime, str]:
        """The start of the next calling window strictly after the window `moment` is in."""
        d = moment.date()
        for _ in range(60):
            if self.is_calling_day(d):
                for name, (start, _end) in sorted(self.windows(d).items(), key=lambda w: w[1]):
                    begins = datetime.combine(d, start)
                    if begins > moment:
                        return begins, name
            d += timedelta(days=1)
        raise ValueError("no calling day within 60 days")


MAINLAND = ClinicCalendar()
EVERY_DAY = ClinicCalendar(national=False)


def load_calendar(path: StrPath | None) -> ClinicCalendar:
    """The clinic's calendar file (see SPEC's CLI contract); none means the defaults."""
    if path is None or not os.path.exists(path):
        return MAINLAND
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import t

    def fail(where: str, reason: str) -> FollowupError:
        return FollowupError(t("{path}: {where}: {reason}", path=path, where=where, reason=reason))

    from followup_cli.clinic_files import read_toml

    data = read_toml(path)
    unknown = set(data) - {"national", "weekends", "closed", "years", "windows"}
    if unknown:
        raise fail(sorted(unknown)[0], t("unknown key ({keys})",
                                         keys="national, weekends, closed, years, windows"))
    for key in ("national", "weekends"):
        if not isinstance(data.get(key, True), bool):
            raise fail(key, t("expected true or false"))
    weekends = data.get("weekends", True)

    def days(where: str, value: object) -> frozenset[date]:
        if not isinstance(value, list):
            raise fail(where, t('expected a list of dates like ["2026-12-24"]'))
        out = set()
        for i, item in enumerate(value):
            try:
                out.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
            except ValueError:
                raise fail(f"{where}[{i}]", t("{value} is not a date YYYY-MM-DD",
                                               value=repr(item))) from None
        return frozenset(out)

    closed = days("closed", data.get("closed", []))
    rest: set[date] = set()
    work: set[date] = set()
    years = set()
    raw_years = data.get("years", {})
    if not isinstance(raw_years, dict):
        raise fail("years", t("expected tables like [years.2027]"))
    for key, table in raw_years.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            raise fail(f"years.{key}", t("a year is four digits"))
        if not isinstance(table, dict) or set(table) - {"rest", "work"}:
            raise fail(f"years.{key}", t("expected rest = [...] and work = [...]"))
        year = int(key)
        for name, bucket in (("rest", rest), ("work", work)):
            got = days(f"years.{key}.{name}", table.get(name, []))
            wrong = sorted(d for d in got if d.year != year)
            if wrong:
                raise fail(f"years.{key}.{name}", t("{day} is not in {year}", day=wrong[0],
                                                      year=year))
            bucket.update(got)
        years.add(year)
    windows = _windows(data.get("windows", {}), fail)
    return ClinicCalendar(national=data.get("national", True), weekends=weekends, closed=closed,
                          **windows, rest=frozenset(rest),
                          work=frozenset(work), years=frozenset(years))


def _windows(raw: Any, fail: Any) -> dict[str, Any]:
    """[windows] summer = ["05-01", "09-30"], [windows.summer_hours] afternoon = "14:30-16:30"…"""
    from followup_cli.i18n import t

    if not isinstance(raw, dict):
        raise fail("windows", t("expected a table"))
    unknown = set(raw) - {"summer", "summer_hours", "winter_hours"}
    if unknown:
        raise fail(f"windows.{sorted(unknown)[0]}",
                   t("unknown key ({keys})", keys="summer, summer_hours, winter_hours"))
    out: dict[str, Any] = {}
    if "summer" in raw:
        span = raw["summer"]
        try:
            first, last = ((int(p[:2]), int(p[3:])) for p in span)
            date(2024, *first), date(2024, *last)  # noqa: B018 - validates month and day
        except (TypeError, ValueError):
            raise fail("windows.summer", t('expected ["MM-DD", "MM-DD"], e.g. ["05-01", '
                                           '"09-30"]')) from None
        out["summer"] = (first, last)
    for key, field_name, default in (("summer_hours", "summer_windows", SUMMER_WINDOWS),
                                     ("winter_hours", "winter_windows", WINTER_WINDOWS)):
        if key not in raw:
            continue
        table = raw[key]
        if not isinstance(table, dict) or set(table) - set(WINDOW_NAMES):
            raise fail(f"windows.{key}", t("expected afternoon = \"HH:MM-HH:MM\" and "
                                           "evening = \"HH:MM-HH:MM\""))
        hours = dict(default)
        for name, value in table.items():
            try:
                start, end = (time.fromisoformat(p.strip()) for p in str(value).split("-"))
            except ValueError:
                raise fail(f"windows.{key}.{name}", t("{value} is not HH:MM-HH:MM",
                                                         value=repr(value))) from None
            if start >= end:
                raise fail(f"windows.{key}.{name}", t("the window ends before it starts"))
            hours[name] = (start, end)
        out[field_name] = hours
    return out


def day_kind(cal: ClinicCalendar, d: date) -> str:
    """calling | rest (statutory) | work (make-up working day) | closed | weekend."""
    if d in cal.closed:
        return "closed"
    if cal.is_calling_day(d):
        national = _national(d) if cal.national and d.year not in cal.years else None
        is_work = d in cal.work or national == "work"
        return "work" if is_work and d.weekday() >= 5 else "calling"
    if d in cal.rest or (cal.national and _national(d) == "rest"):
        return "rest"
    return "weekend"


def year_days(cal: ClinicCalendar, year: int) -> dict[date, str]:
    """Every day of `year` and its kind (day_kind)."""
    day, out = date(year, 1, 1), {}
    while day.year == year:
        out[day] = day_kind(cal, day)
        day += timedelta(days=1)
    return out
