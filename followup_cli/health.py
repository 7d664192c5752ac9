"""The ledger's health check."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from followup_cli.calendar import ClinicCalendar


def check(conn: sqlite3.Connection, cal: ClinicCalendar, today: date) -> dict[str, Any]:
    """Everything that should be true of a ledger, and what is not."""
    from followup_cli.calls import replay

    problems: dict[str, Any] = {}
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems["integrity"] = integrity[:20]
    foreign = [dict(zip(("table", "rowid", "parent", "fkid"), r, strict=False))
               for r in conn.execute("PRAGMA foreign_key_check")]
    if foreign:
        problems["foreign_keys"] = foreign[:20]
    orphans = [r[0] for r in conn.execute(
        "SELECT task_id FROM tasks WHERE visit_id IS NULL AND complaint_id IS NULL AND "
        "category != 'birthday'")]
    if orphans:
        problems["orphan_tasks"] = orphans[:50]
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
    if disagree:
        problems["tasks_disagreeing_with_calls"] = disagree[:50]
    provisional = conn.execute("SELECT count(*) FROM tasks WHERE status = 'open' AND "
                               "provisional = 1").fetchone()[0]
    to_fix = conn.execute("SELECT count(*) FROM patients WHERE phone_bad = 1").fetchone()[0]
    return {
        "ok": not problems,
        "problems": problems,
        "notices": {"provisional_open_tasks": provisional, "phones_to_fix": to_fix},
        "counts": {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                   for table in ("patients", "visits", "tasks", "attempts", "complaints")},
    }
