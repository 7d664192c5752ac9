"""The ledger's health check."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from followup_cli.calendar import ClinicCalendar

COUNTED = ("patients", "visits", "tasks", "attempts", "complaints")


def check(conn: sqlite3.Connection, cal: ClinicCalendar, today: date,
          anchors: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything that should be true of a ledger, and what is not. A check that cannot
    read the ledger (a damaged page) is named under "unreadable"; the others still run.
    `anchors`: fingerprints noted earlier, which the logs must still pass through."""
    from followup_cli.ledger import chain

    problems: dict[str, Any] = {}

    def run(name: str, find: Callable[[], Any]) -> Any:
        try:
            found = find()
        except sqlite3.DatabaseError:
            problems.setdefault("unreadable", []).append(name)
            return None
        if found:
            problems[name] = found
        return found

    run("integrity", lambda: [r[0] for r in conn.execute("PRAGMA integrity_check")
                              if r[0] != "ok"][:20])
    run("foreign_keys", lambda: [
        dict(zip(("table", "rowid", "parent", "fkid"), r, strict=False))
        for r in conn.execute("PRAGMA foreign_key_check")][:20])
    run("orphan_tasks", lambda: [r[0] for r in conn.execute(
        "SELECT task_id FROM tasks WHERE visit_id IS NULL AND complaint_id IS NULL AND "
        "category != 'birthday' AND category != 'recheck' LIMIT 50")])
    run("tasks_of_another_patient", lambda: [r[0] for r in conn.execute(
        "SELECT t.task_id FROM tasks t LEFT JOIN visits v ON v.visit_id = t.visit_id "
        "LEFT JOIN complaints c ON c.complaint_id = t.complaint_id "
        "WHERE t.patient_id != v.patient_id OR t.patient_id != c.patient_id "
        "ORDER BY t.task_id LIMIT 50")])
    run("tasks_disagreeing_with_calls", lambda: _disagreeing(conn, cal))
    # what is kept beside the chained logs must say what they say: a case closed or a
    # patient's "never call" lifted by hand would take them off every sheet
    run("complaints_disagreeing_with_history", lambda: [r[0] for r in conn.execute(
        f"SELECT c.complaint_id FROM complaints c WHERE c.status IS NOT (SELECT {_STATUS} "
        "FROM complaint_events e WHERE e.complaint_id = c.complaint_id "
        "ORDER BY e.event_id DESC LIMIT 1) ORDER BY c.complaint_id LIMIT 50")])
    # an alert closed by hand would leave every sheet with no doctor having answered
    run("alerts_disagreeing_with_history", lambda: [r[0] for r in conn.execute(
        "SELECT a.alert_id FROM alerts a WHERE a.status IS NOT (SELECT CASE WHEN e.action = "
        "'open' THEN 'open' WHEN e.action = 'ack' THEN 'acknowledged' WHEN e.action LIKE "
        "'close:%' THEN 'closed' END FROM alert_events e WHERE e.alert_id = a.alert_id "
        "ORDER BY e.event_id DESC LIMIT 1) ORDER BY a.alert_id LIMIT 50")])
    run("patients_disagreeing_with_events", lambda: _patients_disagreeing(conn))
    run("triggers", lambda: _triggers_changed(conn))
    heads: dict[str, Any] = {}

    def chains() -> dict[str, Any]:
        broken, found = chain.verify(conn)
        heads.update(found)
        return broken

    run("chains", chains)
    run("anchors", lambda: [a for a in anchors if not chain.anchor_holds(conn, a)])
    if any(chain.anchor_holds(conn, a) is None for a in anchors):
        from followup_cli.errors import FollowupError
        from followup_cli.i18n import t

        raise FollowupError(t("--anchor {anchor}: not a fingerprint followup doctor "
                              "gave", anchor=next(
            a for a in anchors if chain.anchor_holds(conn, a) is None)))
    notices = {"provisional_open_tasks": _count(conn, "SELECT count(*) FROM tasks WHERE "
                                                "status = 'open' AND provisional = 1"),
               "phones_to_fix": _count(conn, "SELECT count(*) FROM patients WHERE "
                                       "phone_bad = 1")}
    return {
        "ok": not problems,
        "problems": problems,
        "notices": notices,
        "counts": {table: _count(conn, f"SELECT count(*) FROM {table}") for table in COUNTED},
        "chain_heads": heads,
        "anchor": _or_unknown(lambda: chain.anchor(conn)),
    }


# a complaint's status after each step of its history (complaints.TRANSITIONS)
_STATUS = ("CASE e.action WHEN 'open' THEN 'open' WHEN 'ack' THEN 'acknowledged' "
           "WHEN 'resolve' THEN 'resolved' WHEN 'close' THEN 'closed' "
           "WHEN 'reopen' THEN 'acknowledged' WHEN 'void' THEN 'void' END")


def _patients_disagreeing(conn: sqlite3.Connection) -> list[str]:
    """Patients whose do-not-call or wrong-number flag is not what their events say."""
    from followup_cli.calls import latest_decision

    found = []
    for pid, do_not_call, phone_bad in conn.execute(
            "SELECT p.patient_id, p.do_not_call, p.phone_bad FROM patients p WHERE "
            "p.do_not_call OR p.phone_bad OR EXISTS (SELECT 1 FROM patient_events e "
            "WHERE e.patient_id = p.patient_id) ORDER BY p.patient_id"):
        if (bool(do_not_call), bool(phone_bad)) != (
                latest_decision(conn, pid, "do_not_call", "allow_calls"),
                latest_decision(conn, pid, "wrong_number", "phone_changed")):
            found.append(pid)
            if len(found) == 50:
                break
    return found


def _or_unknown(find: Callable[[], Any]) -> Any:
    try:
        return find()
    except sqlite3.DatabaseError:
        return "?"


def _count(conn: sqlite3.Connection, sql: str) -> int | str:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.DatabaseError:
        return "?"


def _disagreeing(conn: sqlite3.Connection, cal: ClinicCalendar) -> list[int]:
    """Tasks whose stored state is not what replaying their calls gives."""
    from followup_cli.calls import replay

    disagree = []
    for task in conn.execute("SELECT t.*, p.do_not_call FROM tasks t JOIN patients p ON "
                             "p.patient_id = t.patient_id WHERE t.attempts > 0 OR "
                             "t.status IN ('done', 'unreachable')"):
        if task["status"] in ("backfill",) or (task["status"] == "cancelled"
                                               and task["status_reason"] != "do_not_call"):
            continue
        calls = conn.execute(
            "SELECT c.* FROM calls c JOIN attempt_tasks at ON at.attempt_id = c.attempt_id "
            "WHERE at.task_id = ? ORDER BY c.called_at, c.attempt_id",
            (task["task_id"],)).fetchall()
        state = replay(dict(task), calls, cal, bool(task["do_not_call"]))
        stored = (task["status"], task["attempts"], task["done_at"])
        if stored != (state["status"], state["attempts"], state["done_at"]):
            disagree.append(task["task_id"])
    return disagree[:50]


def _triggers_changed(conn: sqlite3.Connection) -> dict[str, str]:
    """Triggers missing, altered or added, against a ledger freshly made by the same
    migrations (they refuse changes to the logs and chain every row)."""
    from followup_cli.ledger.migrations import migrate

    sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(fresh)
        want = dict(fresh.execute(sql).fetchall())
    finally:
        fresh.close()
    have = dict(conn.execute(sql).fetchall())
    changed = {name: "missing" if name not in have else "altered"
               for name, text in want.items() if have.get(name) != text}
    changed.update({name: "unexpected" for name in have if name not in want})
    return dict(sorted(changed.items()))
