"""Re-checks agreed on the phone: `log … --booked DAY` records that the patient agreed to
come in. An import that brings a visit of theirs on that day or within the grace after it
keeps the booking; the `recheck` task planned with the booking (the first calling day
after the grace) stays on the sheet otherwise, to rebook the missed re-check."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from followup_cli import clock
from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError
from followup_cli.i18n import t

CATEGORY, TOUCHPOINT = "recheck", "missed"
# a booking stands while its call does: voided, or amended to an outcome that books
# nothing (calls.NOTED: reached, complaint), the call drops it
STANDS = ("EXISTS (SELECT 1 FROM calls c WHERE c.attempt_id = r.attempt_id "
          "AND c.outcome IN ('reached', 'complaint'))")
DROPPED = "recheck_dropped"
# a re-check agreed on the phone is within a year; a later day is a typo (2062 for 2026)
MAX_AHEAD_DAYS = 366   # the status_reason of a dropped booking's rebooking task


def parse_booked(value: str, called: datetime) -> datetime:
    """A day (YYYY-MM-DD) or a day and time the patient agreed to come; not before the
    call's day. A day alone stands for its start."""
    if ":" in value:
        moment = clock.parse_datetime(value, "--booked")
    else:
        moment = datetime.combine(clock.parse_day(value, "--booked"), datetime.min.time())
    if moment.date() < called.date():
        raise FollowupError(t("--booked {value} is before the day of the call ({day})",
                              value=value.strip(),
                              day=called.date().isoformat()))
    if ":" in value and moment < called:
        raise FollowupError(t("--booked {value} is before the call ({at})", value=value.strip(),
                              at=called.strftime("%Y-%m-%d %H:%M")))
    if moment.date() > called.date() + timedelta(days=MAX_AHEAD_DAYS):
        raise FollowupError(t("--booked {value} is more than a year after the call ({day}): "
                              "check the year", value=value.strip(),
                              day=called.date().isoformat()))
    return moment


def rebook_day(booked: date, grace: int, cal: ClinicCalendar) -> date:
    """The calling day a missed re-check comes back on: the first after the grace."""
    return cal.move(booked + timedelta(days=grace + 1), "later")[0]


def book(conn: sqlite3.Connection, cal: ClinicCalendar, *, patient_id: str, attempt_id: int,
         task_ids: list[int], booked: datetime, at: datetime, agent: str, grace: int,
         text: str) -> int:
    """Record the booking and plan its `recheck` task, in the caller's transaction."""
    from followup_cli import planning

    visit = conn.execute(
        f"SELECT visit_id FROM tasks WHERE task_id IN ({','.join('?' * len(task_ids))}) "
        f"AND visit_id IS NOT NULL ORDER BY due_date DESC LIMIT 1", task_ids).fetchone()
    visit_id = visit[0] if visit else None
    cur = conn.execute(
        "INSERT INTO rechecks (patient_id, attempt_id, visit_id, booked_for, booked_at, agent, "
        "grace_days) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (patient_id, attempt_id, visit_id, text, _iso(at), agent, grace))
    recheck_id = int(cur.lastrowid or 0)
    due = rebook_day(booked.date(), grace, cal)
    day = due.isoformat()
    conn.execute(planning.INSERT_TASK, (
        f"recheck/{recheck_id}", patient_id, visit_id, CATEGORY, TOUCHPOINT, 0, day, day,
        "any", "later", planning.expiry(due, None).isoformat(),
        planning.expiry(due, None).isoformat(), 0, "open", at.date().isoformat(), None))
    task = conn.execute("SELECT task_id FROM tasks WHERE plan_key = ?",
                        (f"recheck/{recheck_id}",)).fetchone()[0]
    conn.execute("UPDATE rechecks SET task_id = ? WHERE recheck_id = ?", (task, recheck_id))
    return recheck_id


# a visit of the patient on the booked day or within the grace after it (a no-show is
# no visit) keeps the booking
_KEEPING = """
SELECT r.recheck_id, r.task_id,
       (SELECT v.visit_id FROM visits v
         WHERE v.patient_id = r.patient_id AND v.kind <> 'no_show'
           AND v.visit_date >= substr(r.booked_for, 1, 10)
           AND v.visit_date <= date(substr(r.booked_for, 1, 10), '+' || r.grace_days || ' days')
         ORDER BY v.visit_date, v.visit_id LIMIT 1) AS visit_id
  FROM rechecks r WHERE r.kept_visit_id IS NULL AND """ + STANDS


def keep_visited(conn: sqlite3.Connection, as_of: date) -> int:
    """Mark kept every waiting booking a visit now in the ledger keeps, and take its
    rebooking task off the sheet if nobody has called it. In the caller's transaction
    (an import's). Returns the bookings kept."""
    kept = [r for r in conn.execute(_KEEPING).fetchall() if r["visit_id"]]
    for row in kept:
        conn.execute("UPDATE rechecks SET kept_visit_id = ?, kept_on = ? WHERE recheck_id = ?",
                     (row["visit_id"], as_of.isoformat(), row["recheck_id"]))
        conn.execute("UPDATE tasks SET status = 'cancelled', status_reason = 'recheck_kept', "
                     "next_try_at = NULL WHERE task_id = ? AND status = 'open' AND attempts = 0",
                     (row["task_id"],))
    return len(kept)


def follow_call(conn: sqlite3.Connection, attempt_id: int) -> list[tuple[str, str, int]]:
    """A corrected call's bookings: one it no longer stands for is dropped (its rebooking
    task cancelled), one it stands for again comes back. In the caller's transaction.
    Returns what changed: ("dropped" or "restored", the day booked, the task)."""
    changed = []
    for row in conn.execute(f"SELECT r.recheck_id, r.booked_for, r.task_id, {STANDS} AS stands "
                            "FROM rechecks r WHERE r.attempt_id = ? ORDER BY r.recheck_id",
                            (attempt_id,)).fetchall():
        if not row["stands"]:
            cur = conn.execute("UPDATE tasks SET status = 'cancelled', status_reason = ?, "
                               "next_try_at = NULL WHERE task_id = ? AND status = 'open'",
                               (DROPPED, row["task_id"]))
            if cur.rowcount:
                changed.append(("dropped", row["booked_for"], row["task_id"]))
        else:
            cur = conn.execute("UPDATE tasks SET status = 'open', status_reason = NULL "
                               "WHERE task_id = ? AND status = 'cancelled' "
                               "AND status_reason = ?", (row["task_id"], DROPPED))
            if cur.rowcount:
                changed.append(("restored", row["booked_for"], row["task_id"]))
    return changed


def state(row: sqlite3.Row | dict[str, Any], today: date) -> str:
    """kept, missed (the grace has passed with no visit), booked (still waiting) or
    dropped (its call was voided or amended to one that books nothing)."""
    if not row["stands"]:
        return "dropped"
    if row["kept_visit_id"]:
        return "kept"
    last = date.fromisoformat(row["booked_for"][:10]) + timedelta(days=row["grace_days"])
    return "missed" if last < today else "booked"


def of_patient(conn: sqlite3.Connection, patient_id: str, today: date) -> list[dict[str, Any]]:
    rows = [dict(r) for r in conn.execute(
        f"SELECT r.*, {STANDS} AS stands FROM rechecks r WHERE r.patient_id = ? "
        "ORDER BY r.recheck_id", (patient_id,))]
    for row in rows:
        row["state"] = state(row, today)
    return rows


def figures(conn: sqlite3.Connection, start: str, end: str, today: date,
            agent: str | None = None) -> dict[str, Any]:
    """Re-checks booked on calls in [start, end) (by `agent`, if given): kept, missed, and
    the kept rate over those decided (kept or missed). A dropped booking is not counted."""
    rows = conn.execute(f"SELECT r.*, {STANDS} AS stands FROM rechecks r WHERE r.booked_at >= ? "
                        f"AND r.booked_at < ? AND (? IS NULL OR r.agent = ?) AND {STANDS}",
                        (start, end, agent, agent)).fetchall()
    states = [state(r, today) for r in rows]
    kept, missed = states.count("kept"), states.count("missed")
    return {"rechecks_booked": len(rows), "rechecks_kept": kept, "rechecks_missed": missed,
            "recheck_kept_rate": round(kept / (kept + missed), 4) if kept + missed else None}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
