"""Logging a call: the attempt is appended to the call log and its outcome decides what
happens to every task of the patient on that day's sheet."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.ledger import transaction
from followup_cli.sheet import ON_SHEET, sheet_params

OUTCOMES: dict[str, tuple[str, ...]] = {
    "reached": ("已接通", "接通", "已回访"),
    "no_answer": ("未接", "未接通", "无人接听"),
    "busy": ("占线", "忙线"),
    "switched_off": ("关机", "停机"),
    "wrong_number": ("空号", "错号", "号码错误"),
    "callback_requested": ("改约", "约回电", "稍后回电"),
    "declined": ("拒访", "拒绝"),
    "do_not_call": ("勿扰", "不再联系"),
    "complaint": ("投诉",),
}
_ALIASES = {a: o for o, aliases in OUTCOMES.items() for a in (o, *aliases)}
# outcomes where somebody answered: they count as reached in the report
REACHED = frozenset({"reached", "declined", "callback_requested", "do_not_call", "complaint"})
FAILED = frozenset({"no_answer", "busy", "switched_off"})
# outcomes that settle the task
DONE = frozenset({"reached", "declined", "complaint"})
SCORED = frozenset({"reached", "complaint"})
MAX_FAILED_ATTEMPTS = 3
MIN_NOTE_CHARS = 20


@dataclass
class CallResult:
    attempt_id: int
    patient_id: str
    outcome: str
    task_ids: list[int]
    effect: str
    effect_values: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def parse_outcome(value: str) -> str:
    outcome = _ALIASES.get(value.strip()) or _ALIASES.get(value.strip().casefold())
    if outcome is None:
        choices = ", ".join(f"{o} ({'/'.join(a)})" for o, a in OUTCOMES.items())
        raise FollowupError(t("log.bad_outcome", value=value, choices=choices))
    return outcome


def note_length(note: str) -> int:
    """Characters as a reader counts them: a Chinese character is one, spaces are none."""
    return sum(1 for ch in note if not ch.isspace())


def validate(outcome: str, note: str, satisfaction: int | None, nps: int | None,
             at: datetime | None, when: datetime, min_note: int) -> None:
    if outcome == "reached" and note_length(note) < min_note:
        raise FollowupError(t("log.note_short", min=min_note, length=note_length(note)))
    if (satisfaction is not None or nps is not None) and outcome not in SCORED:
        raise FollowupError(t("log.score_not_reached"))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise FollowupError(t("log.satisfaction"))
    if nps is not None and not 0 <= nps <= 10:
        raise FollowupError(t("log.nps"))
    if outcome == "callback_requested":
        if at is None:
            raise FollowupError(t("log.need_at"))
        if at <= when:
            raise FollowupError(t("log.at_past", at=_fmt(at), when=_fmt(when)))


def log_call(
    conn: sqlite3.Connection, cal: ClinicCalendar, *, outcome: str, when: datetime, agent: str,
    task_id: int | None = None, patient_id: str | None = None, note: str = "",
    satisfaction: int | None = None, nps: int | None = None, at: datetime | None = None,
    logged_at: datetime | None = None, min_note: int = MIN_NOTE_CHARS,
) -> CallResult:
    """Record one call and apply its outcome to the patient's tasks on the sheet of the
    call's day (and to `task_id` itself). All of it lands, or none of it."""
    if (task_id is None) == (patient_id is None):
        raise FollowupError(t("log.need_target"))
    outcome = parse_outcome(outcome)
    validate(outcome, note, satisfaction, nps, at, when, min_note)
    if outcome == "callback_requested" and at is not None and not cal.is_calling_day(at.date()):
        nxt, _ = cal.move(at.date(), "later")
        raise FollowupError(t("log.at_not_calling_day", at=_fmt(at), next=nxt.isoformat()))
    with transaction(conn):
        patient_id, task_ids = _targets(conn, when.date(), task_id, patient_id)
        cur = conn.execute(
            "INSERT INTO attempts (patient_id, called_at, logged_at, agent, outcome, note, "
            "satisfaction, nps, callback_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, _iso(when), _iso(logged_at or when), agent, outcome, note.strip(),
             satisfaction, nps, _iso(at) if at else None))
        attempt_id = int(cur.lastrowid or 0)
        conn.executemany("INSERT INTO attempt_tasks (attempt_id, task_id) VALUES (?, ?)",
                         [(attempt_id, tid) for tid in task_ids])
        conn.executemany("UPDATE tasks SET attempts = attempts + 1, agent = ? WHERE task_id = ?",
                         [(agent, tid) for tid in task_ids])
        result = CallResult(attempt_id, patient_id, outcome, task_ids, "done")
        _apply(conn, cal, result, when, at)
    if cal.window_of(when) is None:
        result.warnings.append(t("log.outside_window", when=_fmt(when)))
    return result


def _targets(conn: sqlite3.Connection, day: date, task_id: int | None,
             patient_id: str | None) -> tuple[str, list[int]]:
    if task_id is not None:
        task = conn.execute("SELECT patient_id, status, agent, done_at FROM tasks "
                            "WHERE task_id = ?", (task_id,)).fetchone()
        if task is None:
            raise FollowupError(t("log.no_task", task_id=task_id))
        if task["status"] != "open":
            raise FollowupError(t("log.task_closed", task_id=task_id,
                                  status=_status_text(task["status"]),
                                  by=task["agent"] or "-", at=task["done_at"] or "-"))
        patient_id = str(task["patient_id"])
    patient = conn.execute("SELECT do_not_call FROM patients WHERE patient_id = ?",
                           (patient_id,)).fetchone()
    if patient is None:
        raise FollowupError(t("log.no_patient", patient_id=patient_id))
    if patient["do_not_call"]:
        raise FollowupError(t("log.do_not_call", patient_id=patient_id))
    on_sheet = [r[0] for r in conn.execute(
        f"SELECT t.task_id FROM tasks t WHERE t.patient_id = :pid AND {ON_SHEET}",
        {**sheet_params(day), "pid": patient_id})]
    ids = sorted(set(on_sheet) | ({task_id} if task_id is not None else set()))
    if not ids:
        raise FollowupError(t("log.nothing_due", patient_id=patient_id, date=day.isoformat()))
    return str(patient_id), ids


def _status_text(status: str) -> str:
    return t(f"status.{status}")


def _apply(conn: sqlite3.Connection, cal: ClinicCalendar, result: CallResult,
           when: datetime, at: datetime | None) -> None:
    outcome, ids = result.outcome, result.task_ids
    marks = ",".join("?" * len(ids))
    if outcome in DONE:
        conn.execute(f"UPDATE tasks SET status = 'done', done_at = ?, next_try_at = NULL "
                     f"WHERE task_id IN ({marks})", (_iso(when), *ids))
        result.effect = "complaint" if outcome == "complaint" else "done"
    elif outcome in FAILED:
        _retry(conn, cal, result, when)
    elif outcome == "callback_requested" and at is not None:
        conn.execute(
            f"UPDATE tasks SET next_try_at = ?, expires_on = max(expires_on, ?) "
            f"WHERE task_id IN ({marks})",
            (_iso(at), (at.date() + timedelta(days=1)).isoformat(), *ids))
        result.effect, result.effect_values = "callback", {"at": _fmt(at)}
    elif outcome == "do_not_call":
        conn.execute("UPDATE patients SET do_not_call = 1 WHERE patient_id = ?",
                     (result.patient_id,))
        cur = conn.execute(
            "UPDATE tasks SET status = 'cancelled', status_reason = 'do_not_call' "
            "WHERE patient_id = ? AND status = 'open'", (result.patient_id,))
        result.effect, result.effect_values = "do_not_call", {"count": cur.rowcount}
    elif outcome == "wrong_number":
        conn.execute("UPDATE patients SET phone_bad = 1 WHERE patient_id = ?",
                     (result.patient_id,))
        result.effect = "wrong_number"


def _retry(conn: sqlite3.Connection, cal: ClinicCalendar, result: CallResult,
           when: datetime) -> None:
    """A failed call comes back in the next calling window; the third failure ends it."""
    failed_counts = dict(conn.execute(
        f"SELECT at.task_id, count(*) FROM attempt_tasks at JOIN attempts a "
        f"ON a.attempt_id = at.attempt_id WHERE at.task_id IN "
        f"({','.join('?' * len(result.task_ids))}) AND a.outcome IN "
        f"('no_answer', 'busy', 'switched_off') GROUP BY at.task_id",
        result.task_ids).fetchall())
    worst = max(failed_counts.values(), default=1)
    next_at, _ = cal.next_window_start(when)
    for tid in result.task_ids:
        if failed_counts.get(tid, 0) >= MAX_FAILED_ATTEMPTS:
            conn.execute("UPDATE tasks SET status = 'unreachable', status_reason = "
                         "'failed_attempts', next_try_at = NULL WHERE task_id = ?", (tid,))
        else:
            window = conn.execute("SELECT window FROM tasks WHERE task_id = ?",
                                  (tid,)).fetchone()[0]
            retry_at = next_at if window == "any" else _next_in(cal, when, window)
            conn.execute("UPDATE tasks SET next_try_at = ? WHERE task_id = ?",
                         (_iso(retry_at), tid))
            next_at = min(next_at, retry_at)
    if worst >= MAX_FAILED_ATTEMPTS:
        result.effect = "unreachable"
        result.effect_values = {"limit": MAX_FAILED_ATTEMPTS}
    else:
        result.effect = "retry"
        result.effect_values = {"at": _fmt(next_at), "attempts": worst,
                                "limit": MAX_FAILED_ATTEMPTS}


def _next_in(cal: ClinicCalendar, when: datetime, window: str) -> datetime:
    moment = when
    for _ in range(200):
        moment, name = cal.next_window_start(moment)
        if name == window:
            return moment
    return moment


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def parse_datetime(value: str, option: str) -> datetime:
    """Clinic-local ISO 8601: 2026-11-23T15:00 or 2026-11-23 15:00, seconds optional."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FollowupError(t("log.datetime", option=option, value=value)) from None
    if moment.tzinfo is not None:
        raise FollowupError(t("log.datetime", option=option, value=value))
    return moment
