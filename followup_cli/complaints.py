"""Complaint cases: opened by a complaint call, with deadlines counted from the opening
(acknowledged within 24 h, a solution within 48 h, remedied and closed within 72 h).
Deadlines run on the clock and never move. Closing plans the follow-up calls."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from followup_cli import clock, planning
from followup_cli.calendar import ClinicCalendar
from followup_cli.errors import FollowupError, NotFound
from followup_cli.i18n import current, t
from followup_cli.labels import label
from followup_cli.rules import RulePack
from followup_cli.text import given

DEADLINES = (("acknowledge", "acknowledged_at", timedelta(hours=24)),
             ("resolve", "resolved_at", timedelta(hours=48)),
             ("close", "closed_at", timedelta(hours=72)))
CATEGORIES: dict[str, tuple[str, ...]] = {
    "service": ("服务", "服务流程"),
    "result": ("效果", "治疗效果", "手术效果"),
    "attitude": ("态度", "服务态度"),
    "price": ("价格", "收费"),
    "safety": ("安全", "医疗安全", "并发症"),
    "environment": ("环境",),
    "other": ("其他",),
}
SEVERITIES: dict[str, tuple[str, ...]] = {
    "low": ("一般", "低"), "medium": ("较重", "中"), "high": ("严重", "高"),
}
# action -> (statuses it may follow, status it leads to)
TRANSITIONS = {
    "ack": (("open",), "acknowledged"),
    "resolve": (("open", "acknowledged"), "resolved"),
    "close": (("open", "acknowledged", "resolved"), "closed"),
    "reopen": (("closed", "resolved"), "acknowledged"),
}


def canonical(value: str, table: dict[str, tuple[str, ...]], option: str) -> str:
    """The key of `table` that `value` names, by the key or one of its words."""
    folded = value.strip().casefold()
    for key, aliases in table.items():
        if folded == key or value.strip() in aliases:
            return key
    # in Chinese each key with its Chinese word; in English the keys are the words
    zh = current() == "zh"
    raise FollowupError(t("{option} {value}: one of {choices}", option=option, value=value,
                          choices="/".join(f"{k}({a[0]})" if zh else k
                                           for k, a in table.items())))


def parse_category(value: str) -> str:
    return canonical(value, CATEGORIES, "--complaint-category")


def parse_severity(value: str) -> str:
    return canonical(value, SEVERITIES, "--severity")


def open_case(conn: sqlite3.Connection, *, patient_id: str, attempt_id: int, category: str,
              severity: str, note: str, agent: str, at: datetime) -> int:
    cur = conn.execute(
        "INSERT INTO complaints (patient_id, attempt_id, category, severity, note, agent, "
        "opened_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
        (patient_id, attempt_id, category, severity, note, agent, _iso(at)))
    case_id = int(cur.lastrowid or 0)
    _event(conn, case_id, at, agent, "open", note)
    return case_id


def _event(conn: sqlite3.Connection, case_id: int, at: datetime, agent: str, action: str,
           note: str) -> None:
    conn.execute("INSERT INTO complaint_events (complaint_id, at, agent, action, note) "
                 "VALUES (?, ?, ?, ?, ?)", (case_id, _iso(at), agent, action, note))


def act(conn: sqlite3.Connection, case_id: int, action: str, *, agent: str, at: datetime,
        note: str, rules: RulePack, cal: ClinicCalendar,
        now: datetime | None = None) -> sqlite3.Row:
    """Acknowledge, resolve, close or reopen a case, in one transaction (nested in the
    caller's, if any). With `now`, a step dated after it is refused (a step is recorded
    once taken)."""
    from followup_cli.ledger import transaction

    with transaction(conn):
        return _act(conn, case_id, action, agent=agent, at=at, note=note, rules=rules, cal=cal,
                    now=now)


def _act(conn: sqlite3.Connection, case_id: int, action: str, *, agent: str, at: datetime,
         note: str, rules: RulePack, cal: ClinicCalendar, now: datetime | None) -> sqlite3.Row:
    from followup_cli.text import agent_name

    agent = agent_name(agent)
    if now is not None:
        clock.not_future(at, now, "--when")
    case = get_case(conn, case_id)
    allowed, status = TRANSITIONS[action]
    if case["status"] not in allowed:
        actions = {"ack": t("acknowledge"), "resolve": t("resolve"),
                   "close": t("close"), "reopen": t("reopen")}
        raise FollowupError(t("complaint #{id} is {status}: cannot {action} it", id=case_id,
                              action=actions[action],
                              status=label("complaint.status", case['status'])))
    if not given(note):
        raise FollowupError(t("give --note: {what}", what=t("what was done")))
    if at < datetime.fromisoformat(case["opened_at"]):
        raise FollowupError(t("{at} is before the case was opened ({opened})", at=_iso(at),
                              opened=case["opened_at"]))
    stamp = _iso(at)
    if action == "ack":
        conn.execute("UPDATE complaints SET status = ?, acknowledged_at = ? WHERE "
                     "complaint_id = ?", (status, stamp, case_id))
    elif action in ("resolve", "close"):
        # a later step implies the earlier ones, at the same moment if they were skipped: the
        # ack's 24 h deadline is judged at that moment, and the case's timeline says so (an
        # ack the report counts is one the timeline shows)
        for step, column in (("ack", "acknowledged_at"), ("resolve", "resolved_at")):
            if step != action and case[column] is None:
                _event(conn, case_id, at, agent, step, note)
        sets = ["status = ?", "acknowledged_at = coalesce(acknowledged_at, ?)",
                "resolved_at = coalesce(resolved_at, ?)"]
        values: list[Any] = [status, stamp, stamp]
        if action == "close":
            sets.append("closed_at = ?")
            values.append(stamp)
        conn.execute(f"UPDATE complaints SET {', '.join(sets)} WHERE complaint_id = ?",
                     (*values, case_id))
    else:  # reopen: the case is worked again; its follow-up calls wait for the next close
        conn.execute("UPDATE complaints SET status = ?, resolved_at = NULL, closed_at = NULL "
                     "WHERE complaint_id = ?", (status, case_id))
        conn.execute("UPDATE tasks SET status = 'cancelled', status_reason = 'reopened' "
                     "WHERE complaint_id = ? AND status = 'open'", (case_id,))
    _event(conn, case_id, at, agent, action, note)
    if action == "close":
        closes = conn.execute("SELECT count(*) FROM complaint_events WHERE complaint_id = ? "
                              "AND action = 'close'", (case_id,)).fetchone()[0]
        category = rules.by_kind("complaint")
        tasks = planning.plan_from(at.date(), f"complaint/{case_id}/{closes}", category, cal)
        planning.store(conn, case["patient_id"], None, tasks, at.date(), planning.PlanCount(),
                       complaint_id=case_id)
    return get_case(conn, case_id)


def get_case(conn: sqlite3.Connection, case_id: int) -> sqlite3.Row:
    case = conn.execute("SELECT * FROM complaints WHERE complaint_id = ?", (case_id,)).fetchone()
    if case is None:
        raise NotFound(t("there is no complaint case {id}", id=case_id))
    return case


class Deadline(NamedTuple):
    step: str
    due_at: datetime
    done_at: datetime | None

    def state(self, now: datetime) -> str:
        """met, broken (done late), pending (time left) or overdue (not done, time up)."""
        if self.done_at is not None:
            return "met" if self.done_at <= self.due_at else "broken"
        return "pending" if now <= self.due_at else "overdue"


def deadlines(case: sqlite3.Row | dict[str, Any]) -> list[Deadline]:
    opened = datetime.fromisoformat(case["opened_at"])
    return [Deadline(step, opened + limit,
                     datetime.fromisoformat(case[column]) if case[column] else None)
            for step, column, limit in DEADLINES]


def summary(case: sqlite3.Row, now: datetime) -> dict[str, Any]:
    """A case as a plain dict, with each deadline's state and the time left to the next."""
    marks = deadlines(case)
    waiting = [d for d in marks if d.done_at is None]
    nxt = waiting[0] if waiting and case["status"] not in ("closed", "void") else None
    return {
        "complaint_id": case["complaint_id"], "patient_id": case["patient_id"],
        "attempt_id": case["attempt_id"], "category": case["category"],
        "severity": case["severity"], "status": case["status"], "note": case["note"],
        "agent": case["agent"], "opened_at": case["opened_at"],
        "acknowledged_at": case["acknowledged_at"], "resolved_at": case["resolved_at"],
        "closed_at": case["closed_at"],
        "deadlines": {d.step: {"due_at": _iso(d.due_at), "state": d.state(now)} for d in marks},
        "next_step": nxt.step if nxt else None,
        "next_due_at": _iso(nxt.due_at) if nxt else None,
        "minutes_left": int((nxt.due_at - now).total_seconds() // 60) if nxt else None,
        "breached": any(d.state(now) in ("broken", "overdue") for d in marks),
    }


def open_cases(conn: sqlite3.Connection, now: datetime, *,
               patient_id: str | None = None) -> list[dict[str, Any]]:
    """Cases not yet closed, most urgent first."""
    sql = "SELECT * FROM complaints WHERE status IN ('open', 'acknowledged', 'resolved')"
    params: tuple[Any, ...] = ()
    if patient_id:
        sql += " AND patient_id = ?"
        params = (patient_id,)
    cases = [summary(c, now) for c in conn.execute(sql, params)]
    return sorted(cases, key=lambda c: (c["next_due_at"] or "", c["complaint_id"]))


def list_cases(conn: sqlite3.Connection, now: datetime, *,
               include_closed: bool = False) -> list[dict[str, Any]]:
    if not include_closed:
        return open_cases(conn, now)
    return [summary(c, now) for c in conn.execute("SELECT * FROM complaints ORDER BY "
                                                   "complaint_id")]


def events(conn: sqlite3.Connection, case_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT at, agent, action, note FROM complaint_events WHERE complaint_id = ? "
        "ORDER BY event_id", (case_id,))]


def time_left(minutes: int) -> str:
    """Minutes to a deadline (of a complaint's step or a clinical alert) in the user's
    words: 1 h 5 min, 1小时5分; past it, how long past (never "-0h25m"). The one display of
    time left, for the CLI's tables and the web pages."""
    hours, mins = divmod(abs(minutes), 60)
    if not hours:
        shown = t("{minutes} min", minutes=mins)
    elif not mins:
        shown = t("{hours} h", hours=hours)
    else:
        shown = t("{hours} h {minutes} min", hours=hours, minutes=mins)
    return t("{time} past", time=shown) if minutes < 0 else shown


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
