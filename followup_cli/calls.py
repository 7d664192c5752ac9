"""Logging a call: the attempt is appended to the call log, and the state of every task it
settled is replayed from that task's calls as they stand. Corrections (amend, void) are
appended too; the original stays, and the same replay gives the corrected state."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli import alerts, checkpoint, clock, complaints, ids, rechecks
from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, t, tn
from followup_cli.labels import label
from followup_cli.ledger import transaction
from followup_cli.sheet import ON_SHEET, sheet_params
from followup_cli.text import BLANK, agent_name, given

if TYPE_CHECKING:
    from followup_cli.scripts import Scripts

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
NOTED = frozenset({"reached", "complaint"})
MAX_FAILED_ATTEMPTS = 3
MIN_NOTE_CHARS = 20
# a note is what was said on one call: longer is a paste gone wrong (the card's box, the
# API and the CLI all stop here, and the stored note is this long at most)
MAX_NOTE_CHARS = 4000
MAX_REASON_CHARS = 500   # why a call is corrected: a sentence or two, not a pasted file
# the same outcome on the same task by the same agent this soon after is the same call
# logged twice (a double press, a command run again), not a second call
REPEAT_SECONDS = 60


class CallResult(NamedTuple):
    """What one logged call did: its id, the tasks it settled, and what happens next."""

    attempt_id: int
    patient_id: str
    outcome: str
    task_ids: list[int]
    effect: str
    effect_values: dict[str, Any] = {}
    warnings: tuple[str, ...] = ()
    complaint_id: int | None = None
    alert_id: int | None = None
    recheck_id: int | None = None
    # what the call set going, said after its effect: the alert and whom it went to, the
    # re-check booked and when a missed one comes back
    follow_up: tuple[str, ...] = ()

    def lines(self, *, web: bool = False, **more: Any) -> list[str]:
        """What the ledger did, in words: the effect, then what the call set going. With
        `web`, said for the workspace: no command to run, the page that has it instead."""
        effect = "complaint_web" if web and self.effect == "complaint" else self.effect
        return [effect_text(effect, self.effect_values, len(self.task_ids), **more),
                *self.follow_up]


def effect_text(effect: str, values: dict[str, Any], tasks: int, **more: Any) -> str:
    """What the ledger did after a call, in words ("1 task done", "3 tasks cancelled")."""
    if effect == "done":
        return tn("task done", "tasks done", tasks, **values, **more)
    if effect == "unreachable":
        return tn("{limit} failed attempts: task unreachable; send an SMS instead",
                  "{limit} failed attempts: tasks unreachable; send an SMS instead", tasks,
                  **values, **more)
    if effect == "do_not_call":
        return tn("patient marked do-not-call: {count} pending task cancelled, none will be "
                  "planned again",
                  "patient marked do-not-call: {count} pending tasks cancelled, none will be "
                  "planned again", values["count"])
    keys = {"retry": N_("will retry at {at} (failed attempt {attempts} of {limit})"),
            "callback": N_("will call back at {at} as asked"),
            "wrong_number": N_("number marked wrong: the patient's tasks leave the sheet until a "
                               "new number arrives"),
            "complaint": N_("complaint case #{id} opened and the task done. Acknowledge within 24 "
                            "h, a solution within 48 h, remedy and close within 72 h: followup "
                            "complaint show {id}"),
            "complaint_web": N_("complaint case #{id} opened and the task done. Acknowledge "
                                "within 24 h, a solution within 48 h, remedy and close within "
                                "72 h: the case is on the board"),
            "amended": N_("call #{id} with {patient} amended (correction #{correction}; the "
                          "original stays)"),
            "voided": N_("call #{id} with {patient} voided (record #{correction}; the original "
                         "stays)")}
    return t(keys[effect], **values, **more)


def outcome_label(outcome: str) -> str:
    """The outcome as an agent says it: 已接通 in Chinese, reached in English."""
    from followup_cli.i18n import current

    aliases = OUTCOMES.get(outcome)
    if not aliases:
        return outcome
    return aliases[0] if current() == "zh" else outcome.replace("_", " ")


def parse_outcome(value: str) -> str:
    outcome = _ALIASES.get(value.strip()) or _ALIASES.get(value.strip().casefold())
    if outcome is None:
        choices = ", ".join(f"{o} ({'/'.join(a)})" for o, a in OUTCOMES.items())
        raise FollowupError(t("unknown outcome {value}; one of: {choices}", value=value,
                              choices=choices))
    return outcome


# a character str.isalnum() counts (Python's \w for text is exactly that, and "_"), but
# not the blank look-alikes text.visible() drops (Hangul fillers are letters to Unicode)
_WORD_CHARACTER = re.compile("[^\\W_" + "".join(sorted(c for c in BLANK if c.isalnum())) + "]")


def note_length(note: str) -> int:
    """Characters of what was said, as a reader counts them: a Chinese character, a letter
    or a digit is one; spaces, punctuation, symbols and invisible characters are none (a
    note of 21 。 says nothing)."""
    return len(_WORD_CHARACTER.findall(note))


def validate(outcome: str, note: str, satisfaction: int | None, nps: int | None,
             at: datetime | None, when: datetime, min_note: int) -> None:
    if len(note.strip()) > MAX_NOTE_CHARS:
        raise FollowupError(t("--note is too long: at most {max} characters (got {length})",
                              max=MAX_NOTE_CHARS, length=len(note.strip())))
    if outcome in NOTED and note_length(note) < min_note:
        raise FollowupError(t("a call logged as {outcome} needs a note of at least {min} "
                              "characters (got {length}; punctuation and spaces do not count)",
                              outcome=outcome_label(outcome), min=min_note,
                              length=note_length(note)))
    if (satisfaction is not None or nps is not None) and outcome not in SCORED:
        raise FollowupError(t("satisfaction and NPS apply only to a call that reached the patient"))
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise FollowupError(t("satisfaction must be a whole number 1–5"))
    if nps is not None and not 0 <= nps <= 10:
        raise FollowupError(t("NPS must be a whole number 0–10"))
    if at is not None and outcome != "callback_requested":
        # a callback time on another outcome would be dropped without a word
        raise FollowupError(t("--at, the time to call back, is only for a call logged as "
                              "{callback}; clear it, or log the call as {callback}",
                              callback=outcome_label("callback_requested")))
    if outcome == "callback_requested":
        if at is None:
            raise FollowupError(t("callback_requested needs --at, {what} (e.g. "
                                  "2026-11-23T15:00)", what=t("the time to call back")))
        if at <= when:
            raise FollowupError(t("--at {at} is before the call itself ({when})", at=_fmt(at),
                                  when=_fmt(when)))
        if at.date() > when.date() + timedelta(days=rechecks.MAX_AHEAD_DAYS):
            # as far as a booked re-check: a later day is a typo (2030 for 2026)
            raise FollowupError(t("--at {at} is more than a year after the call ({day}): "
                                  "check the year", at=_fmt(at), day=when.date().isoformat()))


def _check_callback_day(cal: ClinicCalendar, outcome: str, at: datetime | None) -> None:
    if outcome == "callback_requested" and at is not None and not cal.is_calling_day(at.date()):
        nxt, _ = cal.move(at.date(), "later")
        raise FollowupError(t("--at {at} is not a calling day (holiday or closure); the next "
                              "calling day is {next}", at=_fmt(at), next=nxt.isoformat()))


def log_call(
    conn: sqlite3.Connection, cal: ClinicCalendar, *, outcome: str, when: datetime, agent: str,
    task_id: int | None = None, patient_id: str | None = None, note: str = "",
    satisfaction: int | None = None, nps: int | None = None, at: datetime | None = None,
    logged_at: datetime | None = None, min_note: int = MIN_NOTE_CHARS,
    complaint_category: str = "other", severity: str = "medium",
    signs: Sequence[str] = (), booked: str | None = None, scripts: Scripts | None = None,
    settings: alerts.Settings | None = None, timed: bool = False,
) -> CallResult:
    """Record one call and settle every task of the patient on the sheet of the call's day
    (and `task_id` itself). Warning signs heard open a clinical alert; a re-check agreed
    (`booked`) is recorded and followed. All of it lands, or none of it.

    The same outcome on the same task by the same agent within REPEAT_SECONDS of a call
    logged before is refused as that call logged twice, unless the call's time was given
    (`timed`: the user said when this second call happened)."""
    if (task_id is None) == (patient_id is None):
        raise FollowupError(t("give a TASK_ID or --patient PATIENT_ID (one of them)"))
    agent = agent_name(agent)
    if patient_id is not None:
        patient_id = ids.lookup_patient(conn, patient_id)
    outcome = parse_outcome(outcome)
    if logged_at is not None:   # a call is logged once made
        clock.not_future(when, logged_at, "--when")
    validate(outcome, note, satisfaction, nps, at, when, min_note)
    _check_callback_day(cal, outcome, at)
    if (signs or booked is not None) and outcome not in NOTED:
        raise FollowupError(t("{option} is for a call where the patient was reached (reached or "
                              "complaint)", option="--sign" if signs else "--booked"))
    settings = settings or alerts.Settings()
    recheck = rechecks.parse_booked(booked, when) if booked is not None else None
    with transaction(conn):
        patient_id, task_ids = _targets(conn, when.date(), task_id, patient_id)
        if not timed:
            _refuse_repeat(conn, task_ids, agent, outcome, when)
        heard = alerts.resolve_signs(scripts or _default_scripts(), _touchpoints(conn, task_ids),
                                     list(signs)) if signs else []
        cur = conn.execute(
            "INSERT INTO attempts (patient_id, called_at, logged_at, agent, outcome, note, "
            "satisfaction, nps, callback_at, logged_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (patient_id, _iso(when), _iso(logged_at or when), agent, outcome, note.strip(),
             satisfaction, nps, _iso(at) if at else None, agent))
        attempt_id = int(cur.lastrowid or 0)
        checkpoint.reached("log.attempt")
        conn.executemany("INSERT INTO attempt_tasks (attempt_id, task_id) VALUES (?, ?)",
                         [(attempt_id, tid) for tid in task_ids])
        _record_decision(conn, patient_id, outcome, attempt_id, agent, logged_at or when)
        complaint_id = None
        if outcome == "complaint":
            complaint_id = complaints.open_case(
                conn, patient_id=patient_id, attempt_id=attempt_id, category=complaint_category,
                severity=severity, note=note.strip(), agent=agent, at=when)
        alert_id = alerts.open_alert(
            conn, patient_id=patient_id, attempt_id=attempt_id, task_ids=task_ids, signs=heard,
            at=when, agent=agent, settings=settings, recheck=recheck) if heard else None
        recheck_id = rechecks.book(
            conn, cal, patient_id=patient_id, attempt_id=attempt_id, task_ids=task_ids,
            booked=recheck, at=when, agent=agent, grace=settings.recheck_grace_days,
            text=str(booked).strip()) if recheck is not None else None
        settle(conn, cal, patient_id, task_ids, when)
        effect, values = _effect(conn, patient_id, outcome, task_ids, complaint_id, at)
        follow_up, notes = _set_going(conn, alert_id, recheck_id, logged_at or when)
    warnings = () if cal.window_of(when) else (t("note: {when} is outside every calling "
                                                 "window", when=_fmt(when)),)
    return CallResult(attempt_id, patient_id, outcome, task_ids, effect, values,
                      warnings + notes, complaint_id, alert_id, recheck_id, follow_up)


def _set_going(conn: sqlite3.Connection, alert_id: int | None, recheck_id: int | None,
               now: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a call set going, in words (`log` prints them, the web's flash says them), and
    the notes about it: an alert already past its deadline, an alert nobody is given."""
    said: list[str] = []
    notes: list[str] = []
    if alert_id:
        alert = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
        due = alert["due_at"].replace("T", " ")[:16]
        urgency = {"urgent": t("urgent"), "today": t("today"),
                   "routine": t("routine")}[alert["urgency"]]
        said.append(t("clinical alert #{id} opened ({urgency}) for {doctor}: a doctor must answer "
                      "by {due}", id=alert_id, urgency=urgency,
                      doctor=alert["doctor"] or t("no doctor"), due=due))
        if alert["due_at"] < _iso(now):
            # a call logged after the fact (--when): the alert is breached already
            notes.append(t("note: the deadline {due} of alert #{id} has already passed (the call "
                           "was logged after it): a doctor must answer now, it counts as breached",
                           due=due, id=alert_id))
        if alert["routed"] == "none":
            notes.append(t("note: the visit has no doctor and no doctor on duty is set "
                           "(followup.toml [alerts] doctor_on_duty): hand the alert to a doctor "
                           "now"))
    if recheck_id:
        row = conn.execute("SELECT r.booked_for, t.due_date FROM rechecks r JOIN tasks t "
                           "ON t.task_id = r.task_id WHERE r.recheck_id = ?",
                           (recheck_id,)).fetchone()
        said.append(t("re-check booked for {day}; with no visit by the end of the grace it comes "
                      "back on the sheet of {back} to rebook", day=row["booked_for"],
                      back=row["due_date"]))
    return tuple(said), tuple(notes)


def _refuse_repeat(conn: sqlite3.Connection, task_ids: list[int], agent: str, outcome: str,
                   when: datetime) -> None:
    """A call with the outcome of one `agent` logged on one of `task_ids` within
    REPEAT_SECONDS of `when` (and not corrected since) is this call: refuse it."""
    span = timedelta(seconds=REPEAT_SECONDS)
    row = conn.execute(
        f"SELECT a.attempt_id, a.called_at FROM attempt_tasks x JOIN attempts a "
        f"ON a.attempt_id = x.attempt_id WHERE x.task_id IN ({','.join('?' * len(task_ids))}) "
        "AND a.agent = ? AND a.outcome = ? AND a.correction IS NULL "
        "AND a.called_at BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM attempts c "
        "WHERE c.corrects = a.attempt_id) ORDER BY a.called_at DESC, a.attempt_id DESC LIMIT 1",
        (*task_ids, agent, outcome, _iso(when - span), _iso(when + span))).fetchone()
    if row is not None:
        error = FollowupError(t(
            "this call is already logged: call #{id} at {time}, the same outcome on the same task "
            "by the same agent; nothing was recorded again", id=row["attempt_id"],
            time=row["called_at"][11:16]))
        error.cli_hint = t("If a second call truly happened, log it with its time: "
                           "--when \"{when}\"", when=when.strftime("%Y-%m-%d %H:%M"))
        raise error


def _default_scripts() -> Scripts:
    from followup_cli.scripts import load_scripts

    return load_scripts()


def _touchpoints(conn: sqlite3.Connection, task_ids: list[int]) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(
        f"SELECT category, touchpoint FROM tasks WHERE task_id IN "
        f"({','.join('?' * len(task_ids))}) ORDER BY task_id", task_ids)]


def _targets(conn: sqlite3.Connection, day: date, task_id: int | None,
             patient_id: str | None) -> tuple[str, list[int]]:
    if task_id is not None:
        task = conn.execute("SELECT t.patient_id, t.status, t.agent, t.done_at, v.visit_date "
                            "FROM tasks t LEFT JOIN visits v ON v.visit_id = t.visit_id "
                            "WHERE t.task_id = ?", (task_id,)).fetchone()
        if task is None:
            raise FollowupError(t("there is no task {task_id}", task_id=task_id))
        if task["visit_date"] and day.isoformat() < task["visit_date"][:10]:
            # a callback cannot come before the visit it follows (--when mistyped)
            raise FollowupError(t("task #{task_id} follows a visit on {visit}: a call on {day} "
                                  "cannot come before it (--when)", task_id=task_id,
                                  day=day.isoformat(),
                                  visit=task["visit_date"][:10]))
        if task["status"] != "open":
            raise FollowupError(t("task {task_id} is already {status} (by {by} at {at}); nothing "
                                  "to log", task_id=task_id,
                                  status=label("status", task['status']),
                                  by=task["agent"] or "-", at=_short(task["done_at"])))
        patient_id = str(task["patient_id"])
    patient = conn.execute("SELECT do_not_call FROM patients WHERE patient_id = ?",
                           (patient_id,)).fetchone()
    if patient is None:
        raise FollowupError(t("there is no patient {patient_id}", patient_id=patient_id))
    if patient["do_not_call"]:
        raise FollowupError(t("patient {patient_id} is marked do-not-call", patient_id=patient_id))
    on_sheet = [r[0] for r in conn.execute(
        f"SELECT t.task_id FROM tasks t WHERE t.patient_id = :pid AND {ON_SHEET}",
        {**sheet_params(day), "pid": patient_id})]
    ids = sorted(set(on_sheet) | ({task_id} if task_id is not None else set()))
    if not ids:
        raise _nothing_due(conn, str(patient_id), day)
    return str(patient_id), ids


def _nothing_due(conn: sqlite3.Connection, patient_id: str, day: date) -> FollowupError:
    """Nothing left on the patient's sheet: if someone settled it that day, say who and when."""
    last = conn.execute(
        "SELECT agent, called_at FROM calls WHERE patient_id = ? AND called_at >= ? "
        "AND called_at < ? ORDER BY called_at DESC, attempt_id DESC LIMIT 1",
        (patient_id, day.isoformat(), (day + timedelta(days=1)).isoformat())).fetchone()
    if last is not None:
        return FollowupError(t("patient {patient_id}'s calls for the day were already logged by "
                               "{by} at {at}; nothing left to log", patient_id=patient_id,
                               by=last["agent"],
                               at=_short(last["called_at"])))
    return FollowupError(t("patient {patient_id} has no task on the sheet of {date}",
                           patient_id=patient_id, date=day.isoformat()))


# --- the state of a task, replayed from its calls ------------------------------------

def replay(task: dict[str, Any], calls: list[sqlite3.Row], cal: ClinicCalendar,
           do_not_call: bool) -> dict[str, Any]:
    """A task's state from its plan and its calls as they stand, in the order made."""
    state = {"status": "open", "status_reason": None, "attempts": 0, "next_try_at": None,
             "done_at": None, "agent": None, "expires_on": task["base_expires_on"]}
    failures = 0
    for call in calls:
        state["attempts"] += 1
        if state["status"] != "open":
            continue   # settled: the task stays with the call that settled it, made when it may
        state["agent"] = call["agent"]
        outcome, called = call["outcome"], datetime.fromisoformat(call["called_at"])
        if outcome in DONE:
            state.update(status="done", done_at=call["called_at"], next_try_at=None)
        elif outcome in FAILED:
            failures += 1
            if failures >= MAX_FAILED_ATTEMPTS:
                state.update(status="unreachable", status_reason="failed_attempts",
                             next_try_at=None)
            else:
                state["next_try_at"] = _iso(retry_at(cal, called, task["window"]))
        elif outcome == "callback_requested" and call["callback_at"]:
            back = datetime.fromisoformat(call["callback_at"])
            state["next_try_at"] = call["callback_at"]
            state["expires_on"] = max(state["expires_on"],
                                      (back.date() + timedelta(days=1)).isoformat())
        elif outcome == "do_not_call":
            state.update(status="cancelled", status_reason="do_not_call", next_try_at=None)
    if state["status"] == "open" and do_not_call:
        state.update(status="cancelled", status_reason="do_not_call", next_try_at=None)
    state["failures"] = failures
    return state


def retry_at(cal: ClinicCalendar, when: datetime, window: str) -> datetime:
    """The next calling window after a failed call; an evening-only call waits for an
    evening."""
    moment = when
    for _ in range(200):
        moment, name = cal.next_window_start(moment)
        if window == "any" or name == window:
            return moment
    return moment


def recompute(conn: sqlite3.Connection, cal: ClinicCalendar, task_id: int) -> dict[str, Any]:
    task = conn.execute("SELECT t.*, p.do_not_call FROM tasks t JOIN patients p "
                        "ON p.patient_id = t.patient_id WHERE t.task_id = ?",
                        (task_id,)).fetchone()
    # history or another decision (a conversion, a reopened complaint) keeps its status
    kept = task["status"] == "backfill" or (
        task["status"] == "cancelled" and task["status_reason"] != "do_not_call")
    calls = conn.execute(
        "SELECT c.* FROM calls c JOIN attempt_tasks at ON at.attempt_id = c.attempt_id "
        "WHERE at.task_id = ? ORDER BY c.called_at, c.attempt_id", (task_id,)).fetchall()
    state = replay(dict(task), calls, cal, bool(task["do_not_call"]))
    if kept:
        state.update(status=task["status"], status_reason=task["status_reason"])
    conn.execute(
        "UPDATE tasks SET status = ?, status_reason = ?, attempts = ?, next_try_at = ?, "
        "done_at = ?, agent = ?, expires_on = ? WHERE task_id = ?",
        (state["status"], state["status_reason"], state["attempts"], state["next_try_at"],
         state["done_at"], state["agent"], state["expires_on"], task_id))
    return state


def settle(conn: sqlite3.Connection, cal: ClinicCalendar, patient_id: str,
           task_ids: list[int], now: datetime) -> None:
    """Bring the patient's flags and the given tasks in line with the calls as they stand."""
    affected = set(task_ids) | refresh_patient(conn, patient_id, now)
    for tid in sorted(affected):
        recompute(conn, cal, tid)


def _record_decision(conn: sqlite3.Connection, patient_id: str, outcome: str,
                     attempt_id: int, agent: str, at: datetime) -> None:
    """A call that decides something about the patient is also a patient event, so that
    decisions follow the order they were recorded in."""
    if outcome in ("do_not_call", "wrong_number"):
        conn.execute("INSERT INTO patient_events (patient_id, at, agent, action, attempt_id) "
                     "VALUES (?, ?, ?, ?, ?)", (patient_id, _iso(at), agent, outcome,
                                                attempt_id))


def latest_decision(conn: sqlite3.Connection, patient_id: str, by_call: str, undo: str) -> bool:
    """Whether the latest recorded event of the pair (by_call, undo) is by_call. An event
    made by a call counts only while that call, as it stands, still says so."""
    row = conn.execute(
        "SELECT e.action FROM patient_events e WHERE e.patient_id = ? AND e.action IN (?, ?) "
        "AND (e.attempt_id IS NULL OR (SELECT c.outcome FROM calls c WHERE c.attempt_id = "
        "e.attempt_id) = e.action) ORDER BY e.event_id DESC LIMIT 1",
        (patient_id, by_call, undo)).fetchone()
    return bool(row and row[0] == by_call)


def refresh_patient(conn: sqlite3.Connection, patient_id: str, now: datetime) -> set[int]:
    """do_not_call and phone_bad follow the latest recorded decision about them.
    Returns the tasks whose state may have changed with them."""
    do_not_call = latest_decision(conn, patient_id, "do_not_call", "allow_calls")
    phone_bad = latest_decision(conn, patient_id, "wrong_number", "phone_changed")
    old = conn.execute("SELECT do_not_call FROM patients WHERE patient_id = ?",
                       (patient_id,)).fetchone()
    conn.execute("UPDATE patients SET do_not_call = ?, phone_bad = ? WHERE patient_id = ?",
                 (int(do_not_call), int(phone_bad), patient_id))
    if bool(old["do_not_call"]) == do_not_call:
        return set()
    # the flag changed: every pending (or do-not-call-cancelled) task of the patient follows
    return {r[0] for r in conn.execute(
        "SELECT task_id FROM tasks WHERE patient_id = ? AND (status = 'open' OR "
        "(status = 'cancelled' AND status_reason = 'do_not_call'))", (patient_id,))}


def _effect(conn: sqlite3.Connection, patient_id: str, outcome: str, task_ids: list[int],
            complaint_id: int | None, at: datetime | None) -> tuple[str, dict[str, Any]]:
    """What happens next after a call: the effect's name and what its message says."""
    rows = conn.execute(
        f"SELECT status, next_try_at FROM tasks WHERE task_id IN "
        f"({','.join('?' * len(task_ids))})", task_ids).fetchall()
    if outcome in DONE:
        return ("complaint" if outcome == "complaint" else "done",
                {"id": complaint_id} if complaint_id else {})
    if outcome in FAILED:
        if any(r["status"] == "unreachable" for r in rows):
            return "unreachable", {"limit": MAX_FAILED_ATTEMPTS}
        failures = max(_failures(conn, tid) for tid in task_ids)
        next_try = min(r["next_try_at"] for r in rows if r["next_try_at"])
        return "retry", {"at": _fmt(datetime.fromisoformat(next_try)), "attempts": failures,
                         "limit": MAX_FAILED_ATTEMPTS}
    if outcome == "callback_requested" and at is not None:
        return "callback", {"at": _fmt(at)}
    if outcome == "do_not_call":
        count = conn.execute("SELECT count(*) FROM tasks WHERE patient_id = ? AND status = "
                             "'cancelled' AND status_reason = 'do_not_call'",
                             (patient_id,)).fetchone()[0]
        return "do_not_call", {"count": count}
    if outcome == "wrong_number":
        return "wrong_number", {}
    return "done", {}


def _failures(conn: sqlite3.Connection, task_id: int) -> int:
    return int(conn.execute(
        "SELECT count(*) FROM calls c JOIN attempt_tasks at ON at.attempt_id = c.attempt_id "
        "WHERE at.task_id = ? AND c.outcome IN ('no_answer', 'busy', 'switched_off')",
        (task_id,)).fetchone()[0])


# --- corrections -------------------------------------------------------------------

def correct(
    conn: sqlite3.Connection, cal: ClinicCalendar, attempt_id: int, *, agent: str,
    reason: str, now: datetime, void: bool = False, outcome: str | None = None,
    note: str | None = None, satisfaction: int | None = None, nps: int | None = None,
    at: datetime | None = None, when: datetime | None = None,
    min_note: int = MIN_NOTE_CHARS,
) -> CallResult:
    """Amend or void a logged call by appending a correction; the original stays."""
    if not given(reason):
        raise FollowupError(t("give the reason with --reason"))
    if len(reason.strip()) > MAX_REASON_CHARS:
        raise FollowupError(t("--reason is {count} characters long: at most {limit}",
                              count=len(reason.strip()), limit=MAX_REASON_CHARS))
    if when is not None:
        clock.not_future(when, now, "--when")
    with transaction(conn):
        original = conn.execute("SELECT * FROM attempts WHERE attempt_id = ?",
                                (attempt_id,)).fetchone()
        if original is None or original["correction"] is not None:
            raise FollowupError(t("there is no logged call {id} (a correction cannot itself be "
                                  "corrected)", id=attempt_id))
        current = conn.execute("SELECT * FROM calls WHERE attempt_id = ?",
                               (attempt_id,)).fetchone()
        if current is None:
            raise FollowupError(t("call #{id} is already voided", id=attempt_id))
        new = dict(current)
        if not void:
            if outcome is not None:
                new["outcome"] = parse_outcome(outcome)
                if new["outcome"] not in SCORED:
                    new["satisfaction"] = new["nps"] = None
                if new["outcome"] != "callback_requested":
                    new["callback_at"] = None
            for key, value in (("note", note), ("satisfaction", satisfaction), ("nps", nps),
                               ("callback_at", _iso(at) if at else None),
                               ("called_at", _iso(when) if when else None)):
                if value is not None:
                    new[key] = value
            called = datetime.fromisoformat(new["called_at"])
            back = datetime.fromisoformat(new["callback_at"]) if new["callback_at"] else None
            validate(new["outcome"], new["note"], new["satisfaction"], new["nps"], back,
                     called, min_note)
            _check_callback_day(cal, new["outcome"], back)
            if new == dict(current):   # an amendment that changes nothing is not recorded
                raise FollowupError(t("call #{id}: this amendment changes nothing (give a new "
                                      "--outcome, --note, --when, --at, --satisfaction or "
                                      "--nps)", id=attempt_id))
        cur = conn.execute(
            "INSERT INTO attempts (patient_id, called_at, logged_at, agent, outcome, note, "
            "satisfaction, nps, callback_at, corrects, correction, reason, logged_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (original["patient_id"], new["called_at"], _iso(now), new["agent"],
             new["outcome"], new["note"], new["satisfaction"], new["nps"], new["callback_at"],
             attempt_id, "void" if void else "amend", reason.strip(), agent))
        correction_id = int(cur.lastrowid or 0)
        if not void and new["outcome"] != current["outcome"]:
            _record_decision(conn, original["patient_id"], new["outcome"], attempt_id, agent,
                             now)
        dropped = _follow_complaint(conn, attempt_id, current["outcome"],
                                    None if void else new["outcome"], agent, now, reason, new)
        task_ids = [r[0] for r in conn.execute(
            "SELECT task_id FROM attempt_tasks WHERE attempt_id = ?", (attempt_id,))]
        settle(conn, cal, original["patient_id"], task_ids, now)
        bookings = rechecks.follow_call(conn, attempt_id)
    return CallResult(correction_id, original["patient_id"],
                      "void" if void else new["outcome"], task_ids,
                      "voided" if void else "amended", {"id": attempt_id},
                      warnings=tuple(_booking_note(*b) for b in bookings)
                      + ((_complaint_note(*dropped),) if dropped else ()))


def _complaint_note(case_id: int, status: str) -> str:
    return t("note: complaint case #{id} opened by this call (it was {status}) is voided with "
             "it; if the patient still complains, log a new complaint call",
             id=case_id, status=label("complaint.status", status))


def _booking_note(change: str, booked_for: str, task_id: int) -> str:
    if change == "dropped":
        return t("note: the re-check booked for {day} by this call is dropped and its "
                 "rebooking task {task} cancelled", day=booked_for, task=task_id)
    return t("note: the re-check booked for {day} by this call stands again and its "
             "rebooking task {task} is back", day=booked_for, task=task_id)


def _follow_complaint(conn: sqlite3.Connection, attempt_id: int, was: str, now_is: str | None,
                      agent: str, at: datetime, reason: str,
                      call: dict[str, Any]) -> tuple[int, str] | None:
    """A call that is no longer a complaint voids its case (returned: its id and the status
    it had); one that now is opens one."""
    case = conn.execute("SELECT complaint_id, status FROM complaints WHERE attempt_id = ?",
                        (attempt_id,)).fetchone()
    if was == "complaint" and now_is != "complaint" and case and case["status"] != "void":
        conn.execute("UPDATE complaints SET status = 'void' WHERE complaint_id = ?",
                     (case["complaint_id"],))
        conn.execute("INSERT INTO complaint_events (complaint_id, at, agent, action, note) "
                     "VALUES (?, ?, ?, 'void', ?)", (case["complaint_id"], _iso(at), agent,
                                                     reason))
        return int(case["complaint_id"]), str(case["status"])
    if now_is == "complaint" and was != "complaint":
        complaints.open_case(conn, patient_id=call["patient_id"], attempt_id=attempt_id,
                             category="other", severity="medium", note=call["note"],
                             agent=agent, at=datetime.fromisoformat(call["called_at"]))
    return None


# --- patient-level decisions ---------------------------------------------------------

def allow_calls(conn: sqlite3.Connection, cal: ClinicCalendar, patient_id: str, *, agent: str,
                reason: str, now: datetime) -> int:
    """Undo do-not-call, on the record: who and why. Returns the tasks reopened."""
    agent = agent_name(agent)
    patient_id = ids.lookup_patient(conn, patient_id)
    if not given(reason):
        raise FollowupError(t("give the reason with --reason"))
    with transaction(conn):
        patient = _patient(conn, patient_id)
        if not patient["do_not_call"]:
            raise FollowupError(t("patient {patient_id} is not marked "
                                  "do-not-call", patient_id=patient_id))
        conn.execute("INSERT INTO patient_events (patient_id, at, agent, action, reason) "
                     "VALUES (?, ?, ?, 'allow_calls', ?)", (patient_id, _iso(now), agent,
                                                            reason.strip()))
        affected = refresh_patient(conn, patient_id, now)
        for tid in sorted(affected):
            recompute(conn, cal, tid)
        return sum(1 for tid in affected if conn.execute(
            "SELECT status FROM tasks WHERE task_id = ?", (tid,)).fetchone()[0] == "open")


def set_phone(conn: sqlite3.Connection, patient_id: str, phone: str, *, agent: str,
              now: datetime) -> None:
    """A new number for the patient: their tasks come back to the sheet."""
    agent = agent_name(agent)
    patient_id = ids.lookup_patient(conn, patient_id)
    from followup_cli.phones import normalise_phone

    try:
        number = normalise_phone(phone)
    except ValueError:
        raise FollowupError(t("not a mainland mobile or landline number")) from None
    with transaction(conn):
        _patient(conn, patient_id)
        conn.execute("UPDATE patients SET phone = ?, updated_at = ? WHERE patient_id = ?",
                     (number, now.date().isoformat(), patient_id))
        conn.execute("INSERT INTO patient_events (patient_id, at, agent, action, reason) "
                     "VALUES (?, ?, ?, 'phone_changed', '')", (patient_id, _iso(now), agent))
        refresh_patient(conn, patient_id, now)


def _patient(conn: sqlite3.Connection, patient_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM patients WHERE patient_id = ?", (patient_id,)).fetchone()
    if row is None:
        raise FollowupError(t("there is no patient {patient_id}", patient_id=patient_id))
    return row


def _short(stamp: str | None) -> str:
    """'2026-11-03T16:00:00' as '2026-11-03 16:00' for messages."""
    return stamp.replace("T", " ")[:16] if stamp else "-"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")
