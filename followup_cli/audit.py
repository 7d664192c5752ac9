"""The audit log: every time full phone numbers are shown, who, when and what."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from followup_cli.ledger import transaction


def record(conn: sqlite3.Connection, *, agent: str, action: str, patient_ids: list[str],
           at: datetime) -> None:
    """One row per reveal: the command and the patients whose numbers were shown."""
    from followup_cli.text import agent_name

    agent = agent_name(agent)
    what = f"{len(patient_ids)}: " + ",".join(patient_ids)
    with transaction(conn):
        conn.execute("INSERT INTO audit (at, agent, action, what) VALUES (?, ?, ?, ?)",
                     (at.isoformat(timespec="seconds"), agent, action, what))


def entries(conn: sqlite3.Connection, *, since: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT audit_id, at, agent, action, what FROM audit"
    params: tuple[str, ...] = ()
    if since:
        sql += " WHERE at >= ?"
        params = (since,)
    return [dict(r) for r in conn.execute(sql + " ORDER BY audit_id", params)]
