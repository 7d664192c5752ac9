"""One patient's history: visits, planned calls and what became of them, the calls made,
complaint cases and decisions about the patient, in time order."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from followup_cli import ids
from followup_cli.complaints import summary
from followup_cli.errors import FollowupError, NotFound
from followup_cli.i18n import t
from followup_cli.phones import mask_phone


def timeline(conn: sqlite3.Connection, patient_id: str, today: date, now: datetime, *,
             reveal: bool = False, viewer: str = "", rules: Any = None) -> dict[str, Any]:
    """A patient's history as of `today`; with `reveal`, the phone in full, which the
    audit log records as shown to `viewer` at `now`. With `rules`, each task says what it
    is for (`purpose`)."""
    patient_id = ids.lookup_patient(conn, patient_id)
    patient = conn.execute("SELECT * FROM patients WHERE patient_id = ?",
                           (patient_id,)).fetchone()
    if patient is None:
        raise NotFound(t("there is no patient {patient_id}", patient_id=patient_id))
    info = dict(patient)
    info["phone"] = info["phone"] if reveal else mask_phone(info["phone"])
    visits = [dict(r) for r in conn.execute(
        "SELECT visit_id, visit_date, visit_time, project, kind, category, risk, department, "
        "doctor, consultant, no_callback, converted_by, backfill, entered_on FROM visits "
        "WHERE patient_id = ? ORDER BY visit_date, visit_id", (patient_id,))]
    tasks = []
    for r in conn.execute(
            "SELECT task_id, visit_id, complaint_id, category, touchpoint, nominal_date, "
            "due_date, window, expires_on, provisional, status, status_reason, attempts, "
            "next_try_at, agent, done_at FROM tasks WHERE patient_id = ? "
            "ORDER BY due_date, task_id", (patient_id,)):
        task = dict(r)
        task["state"] = task_state(task, today)
        if rules is not None:
            from followup_cli.sheet import purpose_of

            task["purpose"] = purpose_of(rules, task["category"], task["touchpoint"])
        tasks.append(task)
    calls = [dict(r) for r in conn.execute(
        "SELECT a.attempt_id, a.called_at, a.logged_at, a.agent, a.outcome, a.note, "
        "a.satisfaction, a.nps, a.callback_at, a.corrects, a.correction, a.reason, "
        "a.logged_by, (SELECT group_concat(task_id) FROM attempt_tasks x "
        "WHERE x.attempt_id = a.attempt_id) AS task_ids FROM attempts a "
        "WHERE a.patient_id = ? ORDER BY a.called_at, a.attempt_id", (patient_id,))]
    # deadlines are judged now on today's timeline, at the end of the day on another day's
    judged = now if today == now.date() else datetime.combine(
        today, datetime.max.time()).replace(microsecond=0)
    cases = [summary(c, judged) for c in conn.execute(
        "SELECT * FROM complaints WHERE patient_id = ? ORDER BY complaint_id", (patient_id,))]
    events = [dict(r) for r in conn.execute(
        "SELECT at, agent, action, reason, attempt_id FROM patient_events "
        "WHERE patient_id = ? ORDER BY at, event_id", (patient_id,))]
    from followup_cli import alerts, rechecks

    found = [alerts.summary(a, judged) for a in conn.execute(
        "SELECT * FROM alerts WHERE patient_id = ? ORDER BY alert_id", (patient_id,))]
    booked = rechecks.of_patient(conn, patient_id, today)
    if reveal:
        from followup_cli import audit

        audit.record(conn, agent=viewer, action=f"patient {patient_id} --reveal",
                     patient_ids=[patient_id], at=now)
    from followup_cli.sms import patient_messages, sms_off

    info["sms_off"] = sms_off(conn, patient_id)
    return {"patient": info, "visits": visits, "tasks": tasks, "calls": calls,
            "complaints": cases, "events": events, "alerts": found, "rechecks": booked,
            "sms": patient_messages(conn, patient_id)}


def call_words(call: dict[str, Any]) -> tuple[str, str]:
    """What a call of the timeline is and who it is by, as `patient show` and the web say
    them: "call #N", or "amendment #N → #M" / "void #N → #M" by whoever corrected it (the
    row's logged_by), never the agent who made the call."""
    from followup_cli.i18n import tc

    if not call["correction"]:
        return t("call") + f" #{call['attempt_id']}", call["agent"]
    what = tc("patient", "void") if call["correction"] == "void" else t("amendment")
    return f"{what} #{call['attempt_id']} → #{call['corrects']}", call["logged_by"] or call["agent"]


def task_state(task: dict[str, Any], today: date) -> str:
    """What a task is, seen today: open tasks become missed once they expire."""
    if task["status"] == "open":
        if task["expires_on"] <= today.isoformat():
            return "missed"
        return "due" if task["due_date"] <= today.isoformat() else "planned"
    return str(task["status"])


def bad_phones(conn: sqlite3.Connection, *, reveal: bool = False) -> list[dict[str, Any]]:
    """Patients whose number was reported wrong, with the calls waiting on a new one."""
    rows = conn.execute(
        "SELECT p.patient_id, p.name, p.phone, (SELECT max(called_at) FROM calls c WHERE "
        "c.patient_id = p.patient_id AND c.outcome = 'wrong_number') AS reported_at, "
        "(SELECT count(*) FROM tasks t WHERE t.patient_id = p.patient_id AND t.status = "
        "'open') AS waiting FROM patients p WHERE p.phone_bad = 1 ORDER BY reported_at")
    return [{**dict(r), "phone": r["phone"] if reveal else mask_phone(r["phone"])}
            for r in rows]


SEARCH_LIMIT = 50


def search(conn: sqlite3.Connection, text: str) -> list[dict[str, Any]]:
    """Patients whose id is `text` (ids.lookup_patient: exactly, else the one id that
    differs only in case; first), whose name holds it, or whose phone ends with it (four
    digits or more), at most SEARCH_LIMIT, phones masked. An id that matches several
    patients ignoring case is refused as every lookup refuses it."""
    text = text.strip()
    if not text:
        return []
    found = ids.lookup_patient(conn, text) if ids.normalise_id(text) else ""
    digits = phone_digits(text)
    rows = conn.execute(
        "SELECT patient_id, name, phone, vip_tier, do_not_call, phone_bad FROM patients "
        "WHERE patient_id = :found OR instr(name, :text) > 0 "
        "OR (length(:digits) >= 4 AND substr(phone, -length(:digits)) = :digits) "
        "ORDER BY patient_id = :found DESC, patient_id LIMIT :limit",
        {"text": text, "found": found, "digits": digits, "limit": SEARCH_LIMIT}).fetchall()
    if not rows and digits and len(digits) < 4:   # the start of a phone, not yet one
        raise FollowupError(t("“{text}”: a phone number is searched by its last digits, at "
                              "least 4 of them", text=digits))
    return [{**dict(r), "phone": mask_phone(r["phone"])} for r in rows]


def phone_digits(text: str) -> str:
    """The digits of `text` typed as a phone number, the spaces, dashes, dots and
    brackets people write in one left out ("171 4379 1439", "171-4379-1439"); "" when
    `text` is not a phone number's digits."""
    import re

    digits = re.sub(r"[\s\-‐–—.()（）]", "", text)
    return digits if digits.isascii() and digits.isdigit() else ""
