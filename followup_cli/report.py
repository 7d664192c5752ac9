"""The supervisor's month report: over the tasks due in the month up to today (backfill
and cancelled left out) and the calls made in it."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from followup_cli.calls import FAILED, MIN_NOTE_CHARS, REACHED, note_length
from followup_cli.errors import FollowupError
from followup_cli.i18n import t

HEADLINE = ("due", "done", "on_time", "completion_rate", "on_time_rate", "missed", "unreachable",
            "attempts", "reached", "reach_rate", "satisfaction_mean", "nps",
            "complaints_opened", "complaints_closed", "conversions")
CONVERSION_DAYS = 30


def parse_month(value: str) -> tuple[date, date]:
    """'2026-11' -> (first day, first day of the next month)."""
    try:
        year, month = (int(p) for p in value.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise FollowupError(t("report.bad_month", value=value)) from None
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end


def previous_month(value: str) -> str:
    start, _ = parse_month(value)
    return f"{start.year - (start.month == 1)}-{(start.month - 2) % 12 + 1:02d}"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _task_figures(rows: list[sqlite3.Row], today: date) -> dict[str, Any]:
    due = len(rows)
    done = sum(r["status"] == "done" for r in rows)
    on_time = sum(r["status"] == "done" and r["done_at"][:10] <= r["due_date"] for r in rows)
    missed = sum(r["status"] == "open" and r["expires_on"] <= today.isoformat() for r in rows)
    return {
        "due": due, "done": done, "on_time": on_time,
        "completion_rate": _rate(done, due), "on_time_rate": _rate(on_time, due),
        "missed": missed, "unreachable": sum(r["status"] == "unreachable" for r in rows),
    }


def _call_figures(rows: list[sqlite3.Row], min_note: int) -> dict[str, Any]:
    attempts = len(rows)
    reached = sum(r["outcome"] in REACHED for r in rows)
    scores = [r["satisfaction"] for r in rows if r["satisfaction"] is not None]
    nps_scores = [r["nps"] for r in rows if r["nps"] is not None]
    nps = None
    if nps_scores:
        promoters = sum(s >= 9 for s in nps_scores)
        detractors = sum(s <= 6 for s in nps_scores)
        nps = round(100 * (promoters - detractors) / len(nps_scores), 1)
    return {
        "attempts": attempts, "reached": reached, "reach_rate": _rate(reached, attempts),
        "failed": sum(r["outcome"] in FAILED for r in rows),
        "satisfaction_mean": round(sum(scores) / len(scores), 2) if scores else None,
        "satisfaction_distribution": {str(k): scores.count(k) for k in range(1, 6)},
        "nps": nps, "nps_responses": len(nps_scores),
        "complaints_opened": sum(r["outcome"] == "complaint" for r in rows),
        "notes_short": sum(r["outcome"] == "reached" and note_length(r["note"]) < min_note
                           for r in rows),
    }


def month_report(conn: sqlite3.Connection, month: str, today: date, *,
                 min_note: int = MIN_NOTE_CHARS, compare: bool = True) -> dict[str, Any]:
    """Every figure of the month, per agent and per category, and the change against the
    month before."""
    start, end = parse_month(month)
    # a month still running is reported up to today: tomorrow's tasks are not late yet
    span = {"start": start.isoformat(), "end": min(end, today + timedelta(days=1)).isoformat()}
    tasks = conn.execute(
        "SELECT task_id, category, status, due_date, done_at, expires_on, agent FROM tasks "
        "WHERE due_date >= :start AND due_date < :end "
        "AND status NOT IN ('backfill', 'cancelled')", span).fetchall()
    calls = conn.execute(
        "SELECT attempt_id, agent, outcome, note, satisfaction, nps FROM calls "
        "WHERE called_at >= :start AND called_at < :end", span).fetchall()
    conversions = conn.execute(
        f"""SELECT c.visit_id, c.consultant,
                   (SELECT a.agent FROM calls a JOIN attempt_tasks at
                       ON at.attempt_id = a.attempt_id JOIN tasks t ON t.task_id = at.task_id
                     WHERE t.visit_id = c.visit_id AND a.outcome IN
                           ({','.join(repr(o) for o in sorted(REACHED))})
                       AND a.called_at < v.visit_date
                       AND date(a.called_at, '+{CONVERSION_DAYS} days') >= v.visit_date
                     ORDER BY a.called_at DESC LIMIT 1) AS agent
              FROM visits c JOIN visits v ON v.visit_id = c.converted_by
             WHERE v.visit_date >= :start AND v.visit_date < :end""", span).fetchall()
    converted = [c for c in conversions if c["agent"] is not None]

    report: dict[str, Any] = {"month": month, "as_of": today.isoformat()}
    report.update(_task_figures(tasks, today))
    report.update(_call_figures(calls, min_note))
    report.update(complaint_figures(conn, start, end, today))
    report["conversions"] = len(converted)
    report["by_agent"] = _by(tasks, calls, converted, "agent", today, min_note)
    report["by_category"] = {
        category: _task_figures([r for r in tasks if r["category"] == category], today)
        for category in sorted({r["category"] for r in tasks})
    }
    if compare:
        before = month_report(conn, previous_month(month), today, min_note=min_note,
                              compare=False)
        report["previous"] = {k: before[k] for k in HEADLINE}
        report["change"] = {
            k: (round(report[k] - before[k], 4)
                if isinstance(report[k], (int, float)) and isinstance(before[k], (int, float))
                else None)
            for k in HEADLINE
        }
    return report


def complaint_figures(conn: sqlite3.Connection, start: date, end: date,
                      today: date) -> dict[str, Any]:
    """Cases opened and closed in the month, each deadline of the month's cases met or
    broken, and the cases still open when the month ended."""
    from followup_cli.complaints import deadlines

    month_end = datetime.combine(min(end - timedelta(days=1), today), datetime.max.time())
    span = {"start": start.isoformat(), "end": end.isoformat()}
    opened = conn.execute("SELECT * FROM complaints WHERE status != 'void' AND "
                          "opened_at >= :start AND opened_at < :end", span).fetchall()
    # closed in the month, even if reopened since: the close is on the case's record
    closed = conn.execute(
        "SELECT count(DISTINCT e.complaint_id) FROM complaint_events e JOIN complaints c "
        "ON c.complaint_id = e.complaint_id WHERE c.status != 'void' AND e.action = 'close' "
        "AND e.at >= :start AND e.at < :end", span).fetchone()[0]
    still_open = conn.execute(
        "SELECT count(*) FROM complaints WHERE status != 'void' AND opened_at < :end AND "
        "(closed_at IS NULL OR closed_at >= :end)", span).fetchone()[0]
    states: dict[str, dict[str, int]] = {
        step: {"met": 0, "broken": 0, "pending": 0, "overdue": 0}
        for step in ("acknowledge", "resolve", "close")}
    for case in opened:
        for mark in deadlines(case):
            states[mark.step][mark.state(month_end.replace(microsecond=0))] += 1
    return {"complaints_opened": len(opened), "complaints_closed": closed,
            "complaints_open_at_month_end": still_open, "complaint_deadlines": states}


def _by(tasks: list[sqlite3.Row], calls: list[sqlite3.Row], converted: list[sqlite3.Row],
        key: str, today: date, min_note: int) -> dict[str, Any]:
    names = sorted({r[key] for r in tasks if r[key]} | {r[key] for r in calls if r[key]})
    out = {}
    for name in names:
        figures = _task_figures([r for r in tasks if r[key] == name], today)
        figures.update(_call_figures([r for r in calls if r[key] == name], min_note))
        figures["conversions"] = sum(c["agent"] == name for c in converted)
        out[name] = figures
    return out
