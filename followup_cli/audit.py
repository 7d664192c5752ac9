"""The audit log: every time full phone numbers are shown, who, when and what."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from followup_cli.i18n import N_
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


# what each kind of reveal records (the command as typed, or the workspace's action), and
# how it is said to a reader of the log
_SAID = [
    (r"serve: call (?P<task>\d+) --reveal", N_("workspace: task {task}, number shown")),
    (r"patient (?P<patient>\S+) --reveal", N_("patient {patient}'s page, number shown")),
    (r"due --date (?P<date>\S+) --reveal", N_("call sheet of {date}, numbers shown")),
    (r"sms export --date (?P<date>\S+) --format (?P<format>\S+)",
     N_("SMS export of {date} ({format})")),
]


def action_words(action: str) -> str:
    """A recorded action in words (the web's audit page); one not known, as recorded."""
    import re

    from followup_cli.i18n import t

    for pattern, message in _SAID:
        found = re.fullmatch(pattern, action)
        if found:
            return t(message, **found.groupdict())
    return action
