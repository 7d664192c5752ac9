"""The call sheet of a day: the stored tasks that are due, overdue or retried that day."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli.errors import FollowupError, NotFound
from followup_cli.i18n import pick, t
from followup_cli.phones import mask_phone
from followup_cli.rules import RulePack

if TYPE_CHECKING:
    from followup_cli.calendar import ClinicCalendar
    from followup_cli.scripts import Scripts

# a sheet's record as `due --format json` and the workspace's /api/sheet give it
SHEET_FIELDS = ("task_id", "patient_id", "visit_id", "category", "touchpoint", "purpose",
                "due_date", "window", "overdue_days", "attempts", "provisional", "next_try_at",
                "name", "phone", "vip_tier", "project", "visit_date", "days_since_visit",
                "doctor", "consultant", "agent")


def sheet_record(record: dict[str, Any]) -> dict[str, Any]:
    """A task of the sheet as `due --format json` and the web's /api/sheet give it: the
    contract's fields, and its patient's open clinical alerts."""
    return {**{k: record[k] for k in SHEET_FIELDS}, "alerts": record.get("alerts", [])}

WINDOW_ORDER = {"any": 0, "afternoon": 1, "evening": 2}

# On the sheet of day :d: an open task from its due day until it expires (is missed);
# a retried or rescheduled task from the day of its next try.
ON_SHEET = """t.status = 'open' AND t.expires_on > :d
   AND (t.next_try_at < :next_day OR (t.next_try_at IS NULL AND t.due_date <= :d))"""

# The whole sheet as two bounded range scans, each on a partial index, so its cost grows
# with the sheet, not with the ledger. A task without a next try expires at most
# MISSED_AFTER_DAYS + 1 days after its due day, which bounds the first scan; the second
# reads the retried tasks not yet expired (tasks_open_retry is by expiry).
_ON_SHEET = f"""
SELECT t.task_id FROM tasks t
 WHERE t.status = 'open' AND t.due_date <= :d AND t.due_date > :oldest AND {ON_SHEET}
UNION
SELECT t.task_id FROM tasks t
 WHERE t.status = 'open' AND t.next_try_at IS NOT NULL AND t.expires_on > :d AND {ON_SHEET}
"""

# CROSS JOIN keeps the sheet's tasks the outer loop: else SQLite may walk every callable
# patient through patients_phone_bad (migration 007) and look for tasks of each
_DETAILS = f"""
SELECT t.task_id, t.patient_id, t.visit_id, t.category, t.touchpoint, t.seq, t.nominal_date,
       t.due_date, t.window, t.expires_on, t.provisional, t.attempts, t.next_try_at, t.agent,
       p.name, p.phone, p.vip_tier, v.project, v.visit_date, v.doctor, v.consultant
  FROM tasks t
  CROSS JOIN patients p ON p.patient_id = t.patient_id
  LEFT JOIN visits v ON v.visit_id = t.visit_id
 WHERE t.task_id IN ({_ON_SHEET})
   AND p.do_not_call = 0 AND p.phone_bad = 0
"""


def sheet_params(day: date) -> dict[str, str]:
    from followup_cli.planning import MISSED_AFTER_DAYS

    return {
        "d": day.isoformat(),
        "next_day": (day + timedelta(days=1)).isoformat(),
        "oldest": (day - timedelta(days=MISSED_AFTER_DAYS + 1)).isoformat(),
    }


def due_tasks(conn: sqlite3.Connection, day: date, rules: RulePack, *,
              agent: str | None = None, category: str | None = None,
              reveal: bool = False) -> list[dict[str, Any]]:
    """One record per task on the sheet of `day`, in calling order."""
    sql = _DETAILS
    params: dict[str, Any] = sheet_params(day)
    if category:
        sql += " AND t.category = :category"
        params["category"] = category
    if agent:
        # the agent's share of the day, and whatever nobody was given
        sql += (" AND coalesce((SELECT a.agent FROM assignments a WHERE a.day = :d AND "
                "a.patient_id = t.patient_id), :agent) = :agent")
        params["agent"] = agent
    records = [_record(row, day, rules, reveal) for row in conn.execute(sql, params)]
    promised = promised_callbacks(conn, [r["task_id"] for r in records if r["next_try_at"]])
    for record in records:
        record["promised"] = record["task_id"] in promised
    records.sort(key=lambda r: (-r["overdue_days"], WINDOW_ORDER[r["window"]],
                                r["patient_id"], r["seq"]))
    return records


def task_record(conn: sqlite3.Connection, task_id: int, day: date,
                rules: RulePack) -> dict[str, Any] | None:
    """One task as a sheet record (whether or not it is on a sheet), with the date of the
    next call planned for the same visit."""
    row = conn.execute(_DETAILS.split(" WHERE t.task_id IN")[0] + " WHERE t.task_id = ?",
                       (task_id,)).fetchone()
    if row is None:
        return None
    record = _record(row, day, rules, reveal=False)
    nxt = conn.execute(
        "SELECT min(due_date) FROM tasks WHERE visit_id = ? AND due_date > ? AND status = "
        "'open'", (row["visit_id"], row["due_date"])).fetchone()[0] if row["visit_id"] else None
    record["next_due"] = nxt
    return record


def purpose_of(rules: RulePack, category_id: str, touchpoint: str) -> str:
    """What a touchpoint is for, in the user's language (its id if the rules lost it)."""
    if touchpoint == "sms_failed":   # sms.SMS_FAILED: the call a failed SMS asks for
        return t("SMS failed: call")
    if category_id == "recheck":   # planned by a booked re-check, not by the rules
        return t("Missed re-check: rebook")
    category = rules.categories.get(category_id)
    for tp in category.touchpoints if category is not None else ():
        if tp.id == touchpoint:
            return pick(tp.purpose)
    return touchpoint


def _record(row: sqlite3.Row, day: date, rules: RulePack, reveal: bool) -> dict[str, Any]:
    due = date.fromisoformat(row["due_date"])
    window = row["window"]
    if row["next_try_at"]:
        window = _window_at(datetime.fromisoformat(row["next_try_at"]), rules, window)
    purpose = purpose_of(rules, row["category"], row["touchpoint"])
    visit_date = row["visit_date"]
    return {
        "task_id": row["task_id"],
        "patient_id": row["patient_id"],
        "visit_id": row["visit_id"],
        "category": row["category"],
        "touchpoint": row["touchpoint"],
        "purpose": purpose,
        "due_date": row["due_date"],
        "window": window,
        "overdue_days": max((day - due).days, 0),
        "attempts": row["attempts"],
        "provisional": bool(row["provisional"]),
        "next_try_at": row["next_try_at"],
        "promised": False,
        "name": row["name"],
        "phone": row["phone"] if reveal else mask_phone(row["phone"]),
        "vip_tier": row["vip_tier"],
        "project": row["project"],
        "visit_date": visit_date,
        "days_since_visit": (day - date.fromisoformat(visit_date)).days if visit_date else None,
        "doctor": row["doctor"],
        "consultant": row["consultant"],
        "agent": row["agent"],
        "seq": row["seq"],
    }


# the tasks whose next try is the time the patient asked to be called back at (an
# outcome callback_requested), not a retry after a failed call
_PROMISED = """
SELECT DISTINCT x.task_id FROM json_each(:ids) j
  JOIN tasks t ON t.task_id = j.value
  JOIN attempt_tasks x ON x.task_id = t.task_id
  JOIN calls c ON c.attempt_id = x.attempt_id
 WHERE c.outcome = 'callback_requested' AND c.callback_at = t.next_try_at
"""


def promised_callbacks(conn: sqlite3.Connection, task_ids: list[int]) -> set[int]:
    """Which of these retried tasks are due at a time promised to the patient."""
    if not task_ids:
        return set()
    import json

    return {row[0] for row in conn.execute(_PROMISED, {"ids": json.dumps(task_ids)})}


def _window_at(moment: datetime, rules: RulePack, planned: str) -> str:
    """A retry keeps an evening-only touchpoint in the evening; otherwise it goes in the
    window its next try opens in."""
    if planned != "any":
        return planned
    return "evening" if moment.hour >= 18 else "afternoon" if moment.hour >= 12 else "any"


def by_patient(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group a sheet's task records into one entry per patient, keeping the order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["patient_id"], []).append(record)
    return list(groups.values())


def patient_window(tasks: list[dict[str, Any]]) -> str:
    """One call settles every task, so the patient is called in the narrowest window."""
    return max((task["window"] for task in tasks), key=WINDOW_ORDER.__getitem__)


def visits_of(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A patient's tasks' visits, one task standing for each, in sheet order (birthdays and
    complaint calls belong to no visit)."""
    seen: dict[str, dict[str, Any]] = {}
    for task in tasks:
        if task["visit_id"] and task["visit_id"] not in seen:
            seen[task["visit_id"]] = task
    return list(seen.values())


def visit_label(task: dict[str, Any]) -> str:
    """The visit a task follows up, short: its project and the days since it."""
    return t("{project} · day {days}", project=task["project"], days=task["days_since_visit"])


def call_time(task: dict[str, Any], day: str) -> str | None:
    """When a task is to be called, if a call set it: the time promised to the patient
    (with its day when that was before the sheet's `day`, YYYY-MM-DD), or the time a retry
    comes on the sheet's day."""
    at = task["next_try_at"]
    if not at:
        return None
    moment = datetime.fromisoformat(at)
    today = moment.date().isoformat() == day
    if not (today or task["promised"]):
        return None   # a retry from an earlier day: any time in the window will do
    shown = moment.strftime("%H:%M" if today else "%m-%d %H:%M")
    return (t("promised callback at {at}", at=shown) if task["promised"]
            else t("retry from {at}", at=shown))


def window_hours(windows: dict[str, tuple[Any, Any]]) -> dict[str, str]:
    """Each calling window's hours as printed, HH:MM–HH:MM; "any" is every window's."""
    hours = {name: f"{start:%H:%M}–{end:%H:%M}"
             for name, (start, end) in sorted(windows.items(), key=lambda w: w[1])}
    return {"any": " / ".join(hours.values()), **hours}


def callable_at(records: list[dict[str, Any]], moment: datetime,
                window: str | None) -> list[dict[str, Any]]:
    """The part of a sheet that may be called at `moment`, inside calling window `window`:
    tasks for any window or this one, whose retry or requested callback time has come."""
    if window is None:
        return []
    return [r for r in ready_at(records, moment) if r["window"] in ("any", window)]


def ready_at(records: list[dict[str, Any]], moment: datetime) -> list[dict[str, Any]]:
    """The tasks whose retry or requested callback time has come by `moment`."""
    now = moment.isoformat(timespec="seconds")
    return [r for r in records if (r["next_try_at"] or "") <= now]


def numbers_to_fix(conn: sqlite3.Connection) -> int:
    """Patients whose calls wait for a correct number: the reminder under the sheet."""
    return int(conn.execute("SELECT count(*) FROM patients WHERE phone_bad = 1 "
                            "AND do_not_call = 0").fetchone()[0])


def patient_context(conn: sqlite3.Connection, patient_ids: list[str]) -> dict[str, Any]:
    """What an agent should know before dialling: the last call and its note, and any
    complaint case still open."""
    out: dict[str, Any] = {pid: {"last_call": None, "complaints": []} for pid in patient_ids}
    for pid in patient_ids:
        out[pid]["last_call"] = conn.execute(
            "SELECT called_at, agent, outcome, note FROM calls WHERE patient_id = ? "
            "ORDER BY called_at DESC, attempt_id DESC LIMIT 1", (pid,)).fetchone()
        out[pid]["complaints"] = [r[0] for r in conn.execute(
            "SELECT complaint_id FROM complaints WHERE patient_id = ? AND status IN "
            "('open', 'acknowledged', 'resolved')", (pid,))]
    return out


class Calling(NamedTuple):
    """The sheet at one moment: the calling window it falls in (None: outside them all),
    when that window ends, when and which the next one opens, and the tasks kept for later."""

    window: str | None
    ends: time | None
    opens: datetime
    next_window: str
    waiting: list[dict[str, Any]]


class CallSheet(NamedTuple):
    """The sheet of a day as plain data, for a terminal, a printed page or a web page.
    The details (open cases, numbers to fix, patient context, prompts, scripts) are there
    only when the sheet was asked for with its scripts."""

    day: date
    records: list[dict[str, Any]]
    calling: Calling | None = None
    cases: list[dict[str, Any]] = []
    to_fix: int = 0
    context: dict[str, Any] = {}
    prompts: dict[int, str] = {}
    scripts: dict[int, dict[str, Any]] = {}
    share: dict[str, str] = {}   # patient -> the agent they are assigned to that day
    alerts: list[dict[str, Any]] = []


def category_id(rules: RulePack, value: str) -> str:
    """The category `value` names: its id, or its label in either language, whole or without
    what its brackets add (手术 for 手术（高风险）); else an error listing the categories."""
    import re

    from followup_cli.labels import LABELS

    names = rules.labels()
    if value in names:
        return value
    wanted = value.strip().casefold()
    named = set()
    for cid, cat in rules.categories.items():
        for text in cat.label.values():
            short = re.split(r"[（(]", text, maxsplit=1)[0]
            if wanted in (text.strip().casefold(), short.strip().casefold(), cid.casefold()):
                named.add(cid)
    if len(named) == 1:
        return named.pop()
    for cid in LABELS["category"]:   # the categories followup plans itself, by either name
        short = re.split(r"[（(]", names[cid], maxsplit=1)[0]
        if wanted in (names[cid].strip().casefold(), short.strip().casefold()):
            return cid
    raise FollowupError(t("unknown category {value}; one of: {choices}", value=value,
                          choices=", ".join(f"{cid} ({name})" for cid, name in names.items())))


def check_share(conn: sqlite3.Connection, day: date, agent: str) -> None:
    """Refuse a name with no share of a day shared among the agents on shift (followup assign
    --agents): a typo would show only what nobody was given, as if it were the agent's whole
    day. A day with moves only is still everyone's."""
    shared = {r[0] for r in conn.execute("SELECT DISTINCT agent FROM assignments WHERE day = ?",
                                         (day.isoformat(),))}
    if agent not in shared and conn.execute(
            "SELECT 1 FROM assignments WHERE day = ? AND NOT manual LIMIT 1",
            (day.isoformat(),)).fetchone():
        raise FollowupError(t("no agent named {agent} on the sheet of {date}; agents: "
                              "{agents}", agent=agent, date=day.isoformat(),
                              agents=", ".join(sorted(shared))))


# a sheet is looked at up to a year before its day; a day further ahead is a typo of the
# year (2099 for 2026), and drawing it would plan birthdays for every year up to it
MAX_SHEET_AHEAD_DAYS = 366


def check_sheet_day(day: date, today: date) -> None:
    """A day's sheet is drawn at most MAX_SHEET_AHEAD_DAYS days before the day."""
    if day > today + timedelta(days=MAX_SHEET_AHEAD_DAYS):
        raise FollowupError(t("{date} is more than {limit} days ahead: a day's call sheet is "
                              "drawn at most {limit} days (a year) before it", date=day.isoformat(),
                              limit=MAX_SHEET_AHEAD_DAYS))


def call_sheet(conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar, day: date,
               now: datetime, *, agent: str | None = None, category: str | None = None,
               moment: datetime | None = None, reveal: bool = False, viewer: str = "",
               scripts: Scripts | None = None, clinic: str | None = None, caller: str = "",
               whole_scripts: bool = False) -> CallSheet:
    """The sheet of `day` (only `agent`'s share, only `category`): VIP birthdays topped
    up first, a reveal of full numbers recorded in the audit log as `viewer`; with a
    `moment`, only what may be called then. With `scripts`, the details an agent reads
    before dialling, the scripts filled for `clinic` as the agent each patient is assigned
    to that day (`followup assign`), else as `caller` (else as no one by name)."""
    from followup_cli import planning

    if category is not None:
        category = category_id(rules, category)
    check_sheet_day(day, now.date())
    # VIP birthdays are planned a year ahead; top the plan up when a new year is reached
    if planning.birthdays_planned_through(conn) < day.year + 1:
        from followup_cli.ledger import transaction

        with transaction(conn):
            planning.top_up_birthdays(conn, rules, cal, day, now.date())
    records = due_tasks(conn, day, rules, agent=agent, category=category, reveal=reveal)
    if reveal:
        from followup_cli import audit

        audit.record(conn, agent=viewer, action=f"due --date {day.isoformat()} --reveal",
                     patient_ids=sorted({r["patient_id"] for r in records}), at=now)
    calling = None
    if moment is not None:
        window = cal.window_of(moment)
        whole, records = records, callable_at(records, moment, window)
        called = {r["patient_id"] for r in records}
        opens, name = cal.next_window_start(moment)
        calling = Calling(window, cal.windows(moment.date())[window][1] if window else None,
                          opens, name, [r for r in whole if r["patient_id"] not in called])
    from followup_cli.alerts import open_alerts
    from followup_cli.assign import assigned

    share = assigned(conn, day)
    # open alerts lead every sheet, whatever its day: judged at the moment it is drawn
    alerts = open_alerts(conn, now)
    for record in records:   # each task carries its patient's open alerts
        record["alerts"] = [_alert_brief(a) for a in alerts
                            if a["patient_id"] == record["patient_id"]]
    if scripts is None:
        return CallSheet(day, records, calling, share=share, alerts=alerts)
    from followup_cli.complaints import open_cases
    from followup_cli.i18n import current
    from followup_cli.scripts import filled_scripts, prompt

    lang = current()
    shift = moment or (now if day == now.date() else datetime.combine(day, time(9, 0)))
    prompts = {r["task_id"]: p for r in records if (p := prompt(
        scripts, r, lang, clinic, share.get(r["patient_id"], caller))) is not None}
    context = patient_context(conn, sorted({r["patient_id"] for r in records}))
    for pid, about in context.items():   # the alert marks beside the patient's name
        about["alerts"] = [a["alert_id"] for a in alerts if a["patient_id"] == pid]
    return CallSheet(
        day, records, calling, open_cases(conn, shift), numbers_to_fix(conn), context, prompts,
        filled_scripts(scripts, records, lang, clinic, caller, share) if whole_scripts else {},
        share, alerts)


def _alert_brief(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: alert[k] for k in ("alert_id", "urgency", "due_at", "minutes_left", "breached",
                                  "status", "doctor")} | {
        "signs": [s["id"] for s in alert["signs"]]}


def in_calling_order(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Patients grouped by the window they are called in, then in sheet order."""
    return sorted(by_patient(records), key=lambda tasks: WINDOW_ORDER[patient_window(tasks)])


def task_script(conn: sqlite3.Connection, task_id: int, day: date, rules: RulePack,
                scripts: Scripts, *, clinic: str | None,
                caller: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The task as on the sheet of `day`, and its script filled for its patient."""
    from followup_cli.i18n import current
    from followup_cli.scripts import filled_script

    record = task_record(conn, task_id, day, rules)
    if record is None:
        raise NotFound(t("there is no task {task_id}", task_id=task_id))
    return record, filled_script(scripts, record, current(), clinic, caller)
