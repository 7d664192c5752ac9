"""From a visit to its callback plan: due dates by rule, moved by the calendar, stored once.

The plan is made when the visit enters the ledger and stored as tasks; `due` reads
the stored tasks and never recomputes a visit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from followup_cli import checkpoint
from followup_cli.calendar import ClinicCalendar
from followup_cli.rules import Category, RulePack, Touchpoint

# A task not done on its due day is overdue; it is missed once the next touchpoint
# of the same visit is due, or once 7 days have passed since its due day.
MISSED_AFTER_DAYS = 7

# date.isoformat formats through printf: ~4,500 instructions a call, 4 % of an import's
# writing process. An import has few distinct days (visits, birthdays, due dates).
iso_day = lru_cache(maxsize=65536)(date.isoformat)


class PlannedTask(NamedTuple):
    plan_key: str
    category: str
    touchpoint: str
    seq: int
    nominal_date: date
    due_date: date
    window: str
    move: str
    expires_on: date
    provisional: bool

    def backfill(self, as_of: date) -> bool:
        """Already past the point of being missed when the visit entered the ledger."""
        return self.expires_on <= as_of


def nominal_date(start: date, tp: Touchpoint) -> date:
    """Always counted from the visit date itself: chained month steps drift."""
    if not tp.months:
        return start + timedelta(days=tp.days)
    # loaded here: the call sheet imports this module but plans nothing (~5 ms to load)
    from dateutil.relativedelta import relativedelta

    return start + relativedelta(months=tp.months) + timedelta(days=tp.days)


def expiry(due: date, next_due: date | None) -> date:
    """The first day the task counts as missed."""
    limit = due + timedelta(days=MISSED_AFTER_DAYS + 1)
    return min(limit, next_due) if next_due is not None else limit


def plan_from(start: date, key: str, category: Category, cal: ClinicCalendar) -> list[PlannedTask]:
    """The touchpoints of `category` counted from `start`, each moved to a calling day."""
    moved = []
    for seq, tp in enumerate(category.touchpoints):
        nominal = nominal_date(start, tp)
        due, provisional = cal.move(nominal, tp.move)
        moved.append((seq, tp, nominal, due, provisional))
    tasks = []
    for seq, tp, nominal, due, provisional in moved:
        later = [d for _, _, _, d, _ in moved if d > due]
        tasks.append(PlannedTask(
            plan_key=f"{key}/{tp.id}", category=category.id, touchpoint=tp.id, seq=seq,
            nominal_date=nominal, due_date=due, window=tp.window, move=tp.move,
            expires_on=expiry(due, min(later) if later else None), provisional=provisional,
        ))
    return tasks


def birthday_in(year: int, birthday: date) -> date:
    """The birthday in `year`; 29 February falls on 28 February in other years."""
    if birthday.month == 2 and birthday.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birthday.replace(year=year)


def plan_birthday(
    patient_id: str, birthday: date, year: int, rules: RulePack, cal: ClinicCalendar
) -> list[PlannedTask]:
    category = rules.by_kind("birthday")
    return plan_from(birthday_in(year, birthday), f"birthday/{patient_id}/{year}", category, cal)


# --- storing plans -----------------------------------------------------------------

INSERT_TASK = _INSERT = """
INSERT OR IGNORE INTO tasks (plan_key, patient_id, visit_id, category, touchpoint, seq,
    nominal_date, due_date, window, move, expires_on, base_expires_on, provisional, status,
    planned_on, complaint_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class PlanCount:
    """Tasks planned, calls already past when their visit came in, provisional due dates."""

    __slots__ = ("planned", "backfill", "provisional")

    def __init__(self) -> None:
        self.planned = 0
        self.backfill = 0
        self.provisional: list[date] = []


class StoredPlan:
    """One plan shared by every visit of a day and category, its task rows rendered once;
    `rows` gives a new visit's rows (plan key: the visit id and the touchpoint). Calls
    already past when the visit came in are not rows: `backfill` counts them. `uses`
    counts the new visits given the plan; `count_into` adds them all up at the end.

    Most of a history import is visits whose every call is long past: their plan is
    only counted, its dates worked out if ever asked for (`tasks`)."""

    def __init__(self, start: date, category: Category, cal: ClinicCalendar, as_of: date):
        self.start, self.category, self.cal = start, category, cal
        self._tasks: list[PlannedTask] | None = None
        self.uses = 0
        self.size = len(category.touchpoints)
        self._tails: list[tuple[Any, ...]] = []
        self._provisional: list[date] = []
        if start + timedelta(days=_reach(category)) <= as_of:
            self.backfill = self.size   # every call expired before `as_of`
        else:
            planned_on = as_of.isoformat()
            kept = [task for task in self.tasks if not task.backfill(as_of)]
            self.backfill = self.size - len(kept)
            self._tails = [
                (task.category, task.touchpoint, task.seq, task.nominal_date.isoformat(),
                 task.due_date.isoformat(), task.window, task.move,
                 task.expires_on.isoformat(), task.expires_on.isoformat(),
                 int(task.provisional), "open", planned_on, None)
                for task in kept]
            self._provisional = [task.due_date for task in kept if task.provisional]
        self.has_rows = bool(self._tails)   # years of history: most plans are all past

    @property
    def tasks(self) -> list[PlannedTask]:
        if self._tasks is None:
            self._tasks = plan_from(self.start, "", self.category, self.cal)
        return self._tasks

    def rows(self, patient_id: str, visit_id: str) -> list[tuple[Any, ...]]:
        return [(f"{visit_id}/{tail[1]}", patient_id, visit_id, *tail) for tail in self._tails]

    def count_into(self, count: PlanCount) -> None:
        count.planned += self.size * self.uses
        count.backfill += self.backfill * self.uses
        count.provisional.extend(self._provisional * self.uses)


def _reach(category: Category) -> int:
    """Days from a visit after which every call of its plan has expired: a touchpoint's
    day is at most 31 days a month on, moved at most 59 days to a calling day
    (ClinicCalendar.move), and expires at most 8 days after it is due (`expiry`)."""
    last = max((tp.months * 31 + tp.days for tp in category.touchpoints), default=0)
    return last + 59 + MISSED_AFTER_DAYS + 1 + 1


def store(
    conn: sqlite3.Connection, patient_id: str, visit_id: str | None,
    tasks: Iterable[PlannedTask], as_of: date, count: PlanCount,
    complaint_id: int | None = None, key: str | None = None,
) -> int:
    """Insert the tasks not yet in the ledger (a plan key is planned once). `key` replaces
    the plan key's prefix (plans are shared between visits of one day). A task already
    past being missed on `as_of` is backfill: counted, not stored. Returns the number of
    backfill tasks, for the visit's record."""
    backfill = 0
    for task in tasks:
        plan_key = f"{key}/{task.touchpoint}" if key else task.plan_key
        if task.backfill(as_of):
            if conn.execute("SELECT 1 FROM tasks WHERE plan_key = ?", (plan_key,)).fetchone():
                continue   # called before the visit changed: the row stays what it is
            backfill += 1
            continue
        new = conn.execute(_INSERT, (
            plan_key, patient_id, visit_id, task.category, task.touchpoint, task.seq,
            iso_day(task.nominal_date), iso_day(task.due_date), task.window, task.move,
            iso_day(task.expires_on), iso_day(task.expires_on), int(task.provisional),
            "open", iso_day(as_of), complaint_id)).rowcount
        if new:
            count.planned += 1
            if task.provisional:
                count.provisional.append(task.due_date)
    count.planned += backfill
    count.backfill += backfill
    return backfill


def birthdays_planned_through(conn: sqlite3.Connection) -> int:
    """The last year every VIP's birthday call is planned for (0: none yet)."""
    from followup_cli.ledger import get_setting

    return int(get_setting(conn, "birthdays_planned_through") or 0)


def note_birthdays_planned(conn: sqlite3.Connection, year: int) -> None:
    """Every VIP's birthday calls are planned through `year` (never moves back)."""
    from followup_cli.ledger import set_setting

    set_setting(conn, "birthdays_planned_through",
                str(max(year, birthdays_planned_through(conn))))


# a sheet looked at years ahead plans the birthdays of every year up to it, at most this
# many years at once; further ahead, only the years looked at, and the mark stays put
MAX_BIRTHDAY_YEARS = 10


def top_up_birthdays(conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar,
                     day: date, today: date) -> None:
    """Before the sheet of `day`: every VIP's birthday planned through the next year,
    without skipping a year between the mark and `day` (a year skipped would never be
    planned: the mark only moves forward). Runs inside the caller's transaction."""
    through = birthdays_planned_through(conn)
    last = day.year + 1
    if through >= last:
        return
    as_of = min(day, today)   # birthdays between today and a day ahead are still to come
    # years before as_of's are past being missed (a late-December one runs into January)
    first = max(through + 1, as_of.year - 1) if through else as_of.year
    if last - first + 1 > MAX_BIRTHDAY_YEARS:
        plan_birthdays(conn, rules, cal, as_of, range(day.year, last + 1))
        return
    plan_birthdays(conn, rules, cal, as_of, range(first, last + 1))
    note_birthdays_planned(conn, last)


def plan_birthdays(
    conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar, as_of: date,
    years: Iterable[int], patient_ids: Iterable[str] | None = None,
) -> PlanCount:
    """Plan VIP birthday greetings for `years` (all VIPs, or just `patient_ids`).

    Birthdays already past being missed on `as_of` are not planned at all: a VIP
    who joins in June has no January greeting to miss.
    """
    count = PlanCount()
    try:
        rules.by_kind("birthday")
    except KeyError:
        return count
    # a birthday call is for a tier (rules.birthday_applies): patients without one have none
    sql = ("SELECT patient_id, birthday, vip_tier FROM patients WHERE birthday IS NOT NULL "
           "AND do_not_call = 0 AND vip_tier IS NOT NULL AND vip_tier != ''")
    rows: Iterable[sqlite3.Row]
    if patient_ids is None:
        rows = conn.execute(sql)   # read as the tasks go in: a group's ledger has many VIPs
    else:
        ids = list(patient_ids)
        rows = [r for i in range(0, len(ids), 500) for r in conn.execute(
            f"{sql} AND patient_id IN ({', '.join('?' * len(ids[i:i + 500]))}) "
            "ORDER BY patient_id", ids[i:i + 500])]
    years = list(years)
    for row in rows:
        if not rules.birthday_applies(row["vip_tier"]):
            continue
        born = date.fromisoformat(row["birthday"])
        for year in years:
            tasks = [task for task in plan_birthday(row["patient_id"], born, year, rules, cal)
                     if not task.backfill(as_of)]
            store(conn, row["patient_id"], None, tasks, as_of, count)
    return count


# --- re-planning when the calendar changes ------------------------------------------

class Moved(NamedTuple):
    task_id: int
    patient_id: str
    category: str
    touchpoint: str
    old_due: str
    new_due: str
    provisional: bool


def replan(conn: sqlite3.Connection, cal: ClinicCalendar, today: date, *,
           upcoming: bool = True) -> list[Moved]:
    """Move open tasks whose calling day the calendar now puts elsewhere.

    Provisional tasks are always re-checked (a year's schedule was added); with
    `upcoming`, so is every open task not yet due (a closure day, weekends switched off).
    Done, missed and cancelled calls are history and never move. Runs inside the
    caller's transaction.
    """
    sql = ("SELECT task_id, patient_id, visit_id, category, touchpoint, nominal_date, due_date, "
           "move, provisional FROM tasks WHERE status = 'open' AND provisional = 1")
    rows = conn.execute(sql).fetchall()
    if upcoming:
        seen = {r["task_id"] for r in rows}
        rows += [r for r in conn.execute(
            sql.replace("provisional = 1", "due_date >= ?"), (today.isoformat(),))
            if r["task_id"] not in seen]
    moved: list[Moved] = []
    visits: set[str] = set()
    for row in rows:
        due, provisional = cal.move(date.fromisoformat(row["nominal_date"]), row["move"])
        if due.isoformat() == row["due_date"] and provisional == bool(row["provisional"]):
            continue
        conn.execute("UPDATE tasks SET due_date = ?, provisional = ? WHERE task_id = ?",
                     (due.isoformat(), int(provisional), row["task_id"]))
        moved.append(Moved(row["task_id"], row["patient_id"], row["category"],
                           row["touchpoint"], row["due_date"], due.isoformat(), provisional))
        checkpoint.reached("replan.task")
        if row["visit_id"] is None:  # a birthday or complaint follow-up: no visit plan
            conn.execute("UPDATE tasks SET expires_on = ?, base_expires_on = ? "
                         "WHERE task_id = ?", (*[expiry(due, None).isoformat()] * 2,
                                               row["task_id"]))
        else:
            visits.add(row["visit_id"])
    for visit_id in sorted(visits):
        _refresh_expiry(conn, visit_id)
    return moved


def _refresh_expiry(conn: sqlite3.Connection, visit_id: str) -> None:
    """Expiry follows the due dates of the visit's other calls (see `expiry`)."""
    tasks = conn.execute("SELECT task_id, due_date, status, next_try_at FROM tasks "
                         "WHERE visit_id = ?", (visit_id,)).fetchall()
    dues = [date.fromisoformat(task["due_date"]) for task in tasks]
    for task in tasks:
        if task["status"] != "open" or task["next_try_at"]:
            continue
        due = date.fromisoformat(task["due_date"])
        later = [d for d in dues if d > due]
        expires = expiry(due, min(later) if later else None).isoformat()
        conn.execute("UPDATE tasks SET expires_on = ?, base_expires_on = ? WHERE task_id = ?",
                     (expires, expires, task["task_id"]))


class _DryRun(Exception):
    """Raised inside a transaction to roll it back."""


def replan_calendar(conn: sqlite3.Connection, cal: ClinicCalendar, today: date, *,
                    dry_run: bool = False) -> list[Moved]:
    """After the calendar changed: every open task moved to its new day, in one
    transaction (replan). With `dry_run`, what would move; nothing moves."""
    from followup_cli.ledger import transaction

    moved: list[Moved] = []
    try:
        with transaction(conn):
            moved = replan(conn, cal, today)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return moved
