"""From a visit to its callback plan: due dates by rule, moved by the calendar, stored once.

The plan is made when the visit enters the ledger and stored as tasks; `due` reads
the stored tasks and never recomputes a visit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from followup_cli.calendar import ClinicCalendar
from followup_cli.rules import Category, RulePack, Touchpoint

# A task not done on its due day is overdue; it is missed once the next touchpoint
# of the same visit is due, or once 7 days have passed since its due day.
MISSED_AFTER_DAYS = 7


@dataclass(frozen=True)
class PlannedTask:
    plan_key: str
    category: str
    touchpoint: str
    seq: int
    nominal_date: date
    due_date: date
    window: str
    expires_on: date
    provisional: bool

    def backfill(self, as_of: date) -> bool:
        """Already past the point of being missed when the visit entered the ledger."""
        return self.expires_on <= as_of


def nominal_date(start: date, tp: Touchpoint) -> date:
    """Always counted from the visit date itself: chained month steps drift."""
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
            nominal_date=nominal, due_date=due, window=tp.window,
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

_INSERT = """
INSERT OR IGNORE INTO tasks (plan_key, patient_id, visit_id, category, touchpoint, seq,
    nominal_date, due_date, window, expires_on, provisional, status, planned_on)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


@dataclass
class PlanCount:
    planned: int = 0
    backfill: int = 0


def store(
    conn: sqlite3.Connection, patient_id: str, visit_id: str | None,
    tasks: Iterable[PlannedTask], as_of: date, count: PlanCount,
) -> None:
    """Insert the tasks not yet in the ledger (a plan key is planned once)."""
    for task in tasks:
        status = "backfill" if task.backfill(as_of) else "open"
        cur = conn.execute(_INSERT, (
            task.plan_key, patient_id, visit_id, task.category, task.touchpoint, task.seq,
            task.nominal_date.isoformat(), task.due_date.isoformat(), task.window,
            task.expires_on.isoformat(), int(task.provisional), status, as_of.isoformat(),
        ))
        if cur.rowcount:
            count.planned += 1
            count.backfill += status == "backfill"


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
    sql = ("SELECT patient_id, birthday, vip_tier FROM patients "
           "WHERE birthday IS NOT NULL AND do_not_call = 0")
    rows = conn.execute(sql).fetchall() if patient_ids is None else [
        r for pid in patient_ids for r in conn.execute(sql + " AND patient_id = ?", (pid,))
    ]
    years = list(years)
    for row in rows:
        if not rules.birthday_applies(row["vip_tier"]):
            continue
        born = date.fromisoformat(row["birthday"])
        for year in years:
            tasks = [t for t in plan_birthday(row["patient_id"], born, year, rules, cal)
                     if not t.backfill(as_of)]
            store(conn, row["patient_id"], None, tasks, as_of, count)
    return count
