"""Clinical alerts: a warning sign heard on a call opens one, routed to the visit's doctor
(else the doctor on duty), with a deadline on the clock from the call by the highest
urgency of its signs. A doctor's answer (acknowledged, closed) is an append-only event;
the deadline is met by the first answer and never moves."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli import clock, rechecks
from followup_cli.errors import FollowupError, NotFound
from followup_cli.i18n import current, t, tc
from followup_cli.text import agent_name, given

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath
    from followup_cli.scripts import Scripts, Sign

URGENCIES = ("urgent", "today", "routine")
# what was done, and the words a clinic says it in
CLOSE_ACTIONS: dict[str, tuple[str, ...]] = {
    "called": ("已回电", "医生回电"),
    "recheck_booked": ("约复诊", "预约复查"),
    "home_care": ("居家护理", "居家观察"),
    "referred": ("转诊", "转急诊"),
    # the call that heard the signs was voided (logged in error): no doctor's answer.
    # Never automatic: a sign heard on a call logged to the wrong task is still real
    "call_voided": ("通话已作废", "作废"),
}
VOIDED = "call_voided"
# action -> (statuses it may follow, status it leads to)
TRANSITIONS = {"ack": (("open",), "acknowledged"),
               "close": (("open", "acknowledged"), "closed")}


class Settings(NamedTuple):
    """[alerts] and [rechecks] of followup.toml: how soon a doctor must answer each
    urgency, who answers when a visit has no doctor, how long a booked re-check waits."""

    urgent_minutes: int = 30
    today_minutes: int = 240
    routine_minutes: int = 72 * 60   # before the next re-check, else within 3 days
    doctor_on_duty: str = ""
    recheck_grace_days: int = 3

    def minutes(self, urgency: str) -> int:
        return {"urgent": self.urgent_minutes, "today": self.today_minutes,
                "routine": self.routine_minutes}[urgency]


def settings_from(config: dict[str, Any], path: StrPath) -> Settings:
    """The settings from a clinic's followup.toml (already read), each checked."""
    alerts, rechecks = config.get("alerts", {}), config.get("rechecks", {})
    for table, name in ((alerts, "alerts"), (rechecks, "rechecks")):
        if not isinstance(table, dict):
            raise FollowupError(t("{path}: {where}: {reason}", path=path, where=name,
                                  reason=t("must be a table")))
    values: dict[str, Any] = {}
    for table, name, key, field in (
            (alerts, "alerts", "urgent_minutes", "urgent_minutes"),
            (alerts, "alerts", "today_minutes", "today_minutes"),
            (alerts, "alerts", "routine_minutes", "routine_minutes"),
            (rechecks, "rechecks", "grace_days", "recheck_grace_days")):
        if key in table:
            value = table[key]
            # bool is an int to Python; a week is the most any of these can sensibly be
            if not isinstance(value, int) or isinstance(value, bool) or not (
                    0 <= value <= 7 * 24 * 60):
                raise FollowupError(t("{path}: {where}: {reason}", path=path, where=f"{name}.{key}",
                                      reason=t("expected a whole number from 0 to 10080")))
            values[field] = value
    duty = alerts.get("doctor_on_duty", "")
    if not isinstance(duty, str):
        raise FollowupError(t("{path}: {where}: {reason}", path=path, where="alerts.doctor_on_duty",
                              reason=t("expected a name")))
    return Settings(**values, doctor_on_duty=duty.strip())


# --- the signs a call names ----------------------------------------------------------

def resolve_signs(scripts: Scripts, touchpoints: list[tuple[str, str]],
                  given_signs: list[str]) -> list[Sign]:
    """The signs named on a call, by id or Chinese words. Any known sign is taken (a
    patient may describe one the touchpoint does not list); an unknown one is refused
    with the signs of the call's touchpoints."""
    from followup_cli.ids import normalise_id
    from followup_cli.scripts import signs_of

    by_words: dict[str, Sign] = {}
    for known in scripts.signs.values():
        by_words[known.id] = known
        by_words[normalise_id(known.text["zh"]).casefold()] = known
    found: list[Sign] = []
    for value in given_signs:
        # typed on a full-width keyboard or pasted with invisible characters: the same sign
        sign = by_words.get(normalise_id(value).casefold())
        if sign is None:
            listed = {s.id: s for category, tp in touchpoints
                      for s in signs_of(scripts, category, tp)}
            # the signs' words in the language spoken (a page's, the command line's)
            lang = current()
            choices = ", ".join(f"{s.id} ({s.text.get(lang, s.text['zh'])})"
                                for s in listed.values()) or ", ".join(scripts.signs)
            shown = normalise_id(value)[:40] or "''"
            raise FollowupError(t("--sign {value}: not a known warning sign. The signs of this "
                                  "call's touchpoint: {choices}", value=shown, choices=choices))
        if sign not in found:
            found.append(sign)
    return found


def highest(signs: list[Sign]) -> str:
    return min((s.urgency for s in signs), key=URGENCIES.index)


def deadline(urgency: str, at: datetime, settings: Settings,
             recheck: datetime | None = None) -> datetime:
    """When a doctor must have answered: on the clock from the call; a routine sign is
    due before the re-check booked on the same call, if that comes sooner."""
    due = at + timedelta(minutes=settings.minutes(urgency))
    if urgency == "routine" and recheck is not None and at < recheck < due:
        return recheck
    return due


def open_alert(conn: sqlite3.Connection, *, patient_id: str, attempt_id: int,
               task_ids: list[int], signs: list[Sign], at: datetime, agent: str,
               settings: Settings, recheck: datetime | None = None) -> int:
    """Open one alert for the signs of a call, inside the caller's transaction."""
    visit = conn.execute(
        f"SELECT v.visit_id, v.doctor FROM tasks t JOIN visits v ON v.visit_id = t.visit_id "
        f"WHERE t.task_id IN ({','.join('?' * len(task_ids))}) "
        f"ORDER BY (coalesce(trim(v.doctor), '') = ''), v.visit_date DESC LIMIT 1",
        task_ids).fetchone()
    doctor, routed = "", "none"
    if visit is not None and given(visit["doctor"] or ""):
        doctor, routed = visit["doctor"].strip(), "visit"
    elif settings.doctor_on_duty:
        doctor, routed = settings.doctor_on_duty, "duty"
    urgency = highest(signs)
    if recheck is None:   # "before the next re-check": one booked earlier, still waiting
        waiting = conn.execute(
            "SELECT min(booked_for) FROM rechecks r WHERE patient_id = ? AND kept_visit_id IS "
            f"NULL AND booked_for > ? AND {rechecks.STANDS}",
            (patient_id, _iso(at))).fetchone()[0]
        recheck = datetime.fromisoformat(waiting) if waiting else None
    words = [{"id": s.id, "zh": s.text["zh"], "en": s.text["en"], "urgency": s.urgency}
             for s in signs]
    cur = conn.execute(
        "INSERT INTO alerts (patient_id, attempt_id, visit_id, signs, urgency, doctor, routed, "
        "opened_at, due_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')",
        (patient_id, attempt_id, visit["visit_id"] if visit else None,
         json.dumps(words, ensure_ascii=False), urgency, doctor, routed, _iso(at),
         _iso(deadline(urgency, at, settings, recheck))))
    alert_id = int(cur.lastrowid or 0)
    _event(conn, alert_id, at, agent, "open", ", ".join(s.id for s in signs))
    return alert_id


def _event(conn: sqlite3.Connection, alert_id: int, at: datetime, agent: str, action: str,
           note: str) -> None:
    conn.execute("INSERT INTO alert_events (alert_id, at, agent, action, note) "
                 "VALUES (?, ?, ?, ?, ?)", (alert_id, _iso(at), agent, action, note))


# --- a doctor's answer -----------------------------------------------------------------

def act(conn: sqlite3.Connection, alert_id: int, action: str, *, by: str | None, note: str,
        at: datetime, now: datetime, done: str | None = None,
        closer: str | None = None) -> sqlite3.Row:
    """Acknowledge or close an alert, in one transaction: who answered, when (never after
    `now`, never before the call, a close never before the answer), and for a close what
    was done. A close with no answer before it is the doctor's answer: `by` names that
    doctor, or it is refused; after an answer, `by` (else `closer`) is who closed it."""
    from followup_cli.ledger import transaction

    clock.not_future(at, now, "--when")
    if action == "close":
        from followup_cli.complaints import canonical

        done = canonical(done or "", CLOSE_ACTIONS, "--action")
    with transaction(conn):
        alert = get_alert(conn, alert_id)   # an unknown alert is said first
        if not given(note):
            raise FollowupError(t("give --note: {what}", what=t("what the doctor said or did")))
        allowed, status = TRANSITIONS[action]
        if alert["status"] not in allowed:
            raise FollowupError(t("alert #{id} is {status}: that step does not apply", id=alert_id,
                                  status=_status(alert["status"])))
        if at < datetime.fromisoformat(alert["opened_at"]):
            raise FollowupError(t("--when {at} is before the alert was opened ({opened})",
                                  at=_short(_iso(at)),
                                  opened=_short(alert["opened_at"])))
        answered = alert["acknowledged_at"]
        if answered and at < datetime.fromisoformat(answered):
            raise FollowupError(t("--when {at} is before the doctor's answer ({answered}): an "
                                  "alert is closed after it is answered", at=_short(_iso(at)),
                                  answered=_short(answered)))
        voided = done == VOIDED
        if voided and conn.execute("SELECT 1 FROM calls WHERE attempt_id = ?",
                                   (alert["attempt_id"],)).fetchone():
            raise FollowupError(t("alert #{id}: its call #{call} is not voided; close it with "
                                  "what the doctor did", id=alert_id, call=alert["attempt_id"]))
        if by is None and not voided and (action == "ack" or not answered):
            # the close is the doctor's answer the deadline is judged by: never whoever typed
            raise FollowupError(t("alert #{id} has no doctor's answer yet: give --by, {what}",
                                  id=alert_id, what=t("the doctor who answered")))
        if by is None and closer is None:
            from followup_cli.agents import default_agent

            closer = default_agent(None)   # nobody known: says how to give a name
        by = agent_name(by, "--by") if by is not None else agent_name(str(closer))
        stamp = _iso(at)
        # the first answer is the response the deadline is judged by; a voided call's close
        # is nobody's answer
        conn.execute("UPDATE alerts SET status = ?, acknowledged_at = coalesce(acknowledged_at, "
                     "?), acknowledged_by = coalesce(acknowledged_by, ?) WHERE alert_id = ?",
                     (status, None if voided else stamp, None if voided else by, alert_id))
        if action == "close":
            conn.execute("UPDATE alerts SET closed_at = ?, closed_by = ?, action = ? "
                         "WHERE alert_id = ?", (stamp, by, done, alert_id))
        _event(conn, alert_id, at, by, action if action == "ack" else f"close:{done}",
               note.strip())
        return get_alert(conn, alert_id)


def answered_words(alert: dict[str, Any], action: str) -> list[str]:
    """What `alert ack` / `alert close` say after `action` on `alert` (a summary): the
    answer recorded, and whether it came after the deadline (the web says the same)."""
    if alert["action"] == VOIDED:
        return [t("alert #{id} closed: its call was voided", id=alert["alert_id"])]
    minutes = alert["response_minutes"]
    said = [t("alert #{id}: the doctor's answer is recorded ({minutes} minutes after it "
              "opened)", id=alert["alert_id"], minutes=minutes) if action == "ack" else
            t("alert #{id} closed (a doctor answered {minutes} minutes after it opened)",
              id=alert["alert_id"], minutes=minutes)]
    if alert["breached"]:
        said.append(t("note: the doctor answered after the deadline {due}",
                      due=alert["due_at"].replace("T", " ")[:16]))
    return said


def get_alert(conn: sqlite3.Connection, alert_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)).fetchone()
    if row is None:
        raise NotFound(t("no alert #{id}", id=alert_id))
    return row


# --- alerts as plain data ----------------------------------------------------------------

def summary(alert: sqlite3.Row | dict[str, Any], now: datetime) -> dict[str, Any]:
    """An alert as a plain dict: its signs, the time left to its deadline (open ones,
    counted from `now`: on a sheet of any day, the moment it is drawn), the minutes to the
    doctor's response, and whether the deadline was breached (by `now`)."""
    due = datetime.fromisoformat(alert["due_at"])
    opened = datetime.fromisoformat(alert["opened_at"])
    answered = (datetime.fromisoformat(alert["acknowledged_at"])
                if alert["acknowledged_at"] else None)
    waiting = alert["status"] != "closed"
    return {
        "alert_id": alert["alert_id"], "patient_id": alert["patient_id"],
        "attempt_id": alert["attempt_id"], "visit_id": alert["visit_id"],
        "signs": json.loads(alert["signs"]), "urgency": alert["urgency"],
        "doctor": alert["doctor"], "routed": alert["routed"], "status": alert["status"],
        "opened_at": alert["opened_at"], "due_at": alert["due_at"],
        "acknowledged_at": alert["acknowledged_at"],
        "acknowledged_by": alert["acknowledged_by"], "closed_at": alert["closed_at"],
        "closed_by": alert["closed_by"], "action": alert["action"],
        "minutes_left": int((due - now).total_seconds() // 60)
        if waiting and answered is None else None,
        "response_minutes": int((answered - opened).total_seconds() // 60)
        if answered else None,
        # closed unanswered (its call voided): no alert left to breach
        "breached": answered > due if answered else waiting and now > due,
    }


def open_alerts(conn: sqlite3.Connection, now: datetime, *,
                patient_id: str | None = None) -> list[dict[str, Any]]:
    """Alerts not yet closed, the nearest deadline first."""
    sql = "SELECT * FROM alerts WHERE status <> 'closed'"
    params: tuple[Any, ...] = ()
    if patient_id:
        sql += " AND patient_id = ?"
        params = (patient_id,)
    return [summary(a, now) for a in conn.execute(sql + " ORDER BY due_at, alert_id", params)]


def list_alerts(conn: sqlite3.Connection, now: datetime, *,
                include_closed: bool = False) -> list[dict[str, Any]]:
    if not include_closed:
        return open_alerts(conn, now)
    return [summary(a, now) for a in conn.execute("SELECT * FROM alerts ORDER BY alert_id")]


def events(conn: sqlite3.Connection, alert_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT at, agent, action, note FROM alert_events WHERE alert_id = ? "
        "ORDER BY event_id", (alert_id,))]


def sign_words(alert: dict[str, Any], lang: str) -> str:
    """The alert's signs as the agent heard them, in `lang`."""
    return "、".join(s[lang] for s in alert["signs"]) if lang == "zh" else "; ".join(
        s[lang] for s in alert["signs"])


def time_left(minutes: int) -> str:
    from followup_cli.complaints import time_left as left

    return left(minutes)


# --- the month's figures -----------------------------------------------------------------

def figures(conn: sqlite3.Connection, start: str, end: str, now: datetime,
            agent: str | None = None) -> dict[str, Any]:
    """Alerts opened in [start, end) (by `agent`'s calls only, if given): by urgency,
    breached, the minutes to a doctor's response (median and worst), and the same per
    doctor."""
    # an alert closed because its call was voided is left out, as voided calls are
    rows = [summary(a, now) for a in conn.execute(
        "SELECT a.* FROM alerts a JOIN attempts c ON c.attempt_id = a.attempt_id "
        "WHERE a.opened_at >= ? AND a.opened_at < ? AND (? IS NULL OR c.agent = ?) "
        "AND a.action IS NOT ? ORDER BY a.alert_id", (start, end, agent, agent, VOIDED))]
    doctors: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        doctors.setdefault(row["doctor"] or "-", []).append(row)
    return {**_alert_figures(rows),
            "by_doctor": {name: _alert_figures(group) for name, group in sorted(doctors.items())}}


def _alert_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    minutes = sorted(r["response_minutes"] for r in rows if r["response_minutes"] is not None)
    return {
        "alerts_opened": len(rows),
        "alerts_by_urgency": {u: sum(r["urgency"] == u for r in rows) for u in URGENCIES},
        "alerts_breached": sum(r["breached"] for r in rows),
        "alert_response_minutes_median": _median(minutes),
        "alert_response_minutes_worst": minutes[-1] if minutes else None,
    }


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def action_label(action: str) -> str:
    """An event's action as a person says it: opened, acknowledged, closed: referred …"""
    labels = {"open": t("opened"), "ack": tc("alert.action", "acknowledged"),
              "called": t("the doctor called"),
              "recheck_booked": t("re-check booked"),
              "home_care": t("home care"), "referred": t("referred"),
              VOIDED: t("its call was voided")}
    step, _, done = action.partition(":")
    if step == "close":
        return t("closed: {done}", done=labels.get(done, done))
    return labels.get(step, step)


def _status(status: str) -> str:
    return {"open": tc("alert.status", "open"), "acknowledged": tc("alert.status", "acknowledged"),
            "closed": tc("alert.status", "closed")}[status]


def _short(stamp: str) -> str:
    return stamp.replace("T", " ")[:16]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
