"""Sharing a day's sheet among the agents on shift."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from followup_cli import ids
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.ledger import transaction
from followup_cli.text import agent_name, agent_names

if TYPE_CHECKING:
    from followup_cli.rules import RulePack

# a clinic's callback team on one shift: a list far longer is a pasted file, not a team
MAX_AGENTS = 200


def share(patients: list[str], agents: list[str], previous: dict[str, str],
          fixed: dict[str, str]) -> dict[str, str]:
    """patient -> agent: balanced by calls, a patient kept with the agent who called them
    before when that agent has room, manual moves (`fixed`) kept. Deterministic."""
    target = -(-len(patients) // len(agents)) if agents else 0
    rank = {a: i for i, a in enumerate(agents)}
    load: Counter[str] = Counter({a: 0 for a in agents})
    out: dict[str, str] = {}
    for pid, agent in fixed.items():
        if pid in patients:
            out[pid] = agent
            load[agent] += 1
    rest = [p for p in sorted(patients) if p not in out]
    for pid in rest:
        before = previous.get(pid)
        if before is not None and before in load and load[before] < target:
            out[pid] = before
            load[before] += 1
    for pid in rest:
        if pid not in out:
            agent = min(agents, key=lambda a: (load[a], rank[a]))
            out[pid] = agent
            load[agent] += 1
    return out


def on_shift(agents: list[str]) -> list[str]:
    """The agents named, each once, blanks dropped; at most MAX_AGENTS. Each item may be a
    list itself (text.agent_names: commas, semicolons, 、, ASCII or full-width)."""
    names = [name for item in agents for name in agent_names(item, "--agents")]
    if not names or len(set(names)) != len(names):
        raise FollowupError(t("{option}: give the agents on shift, e.g. 王芳,李娜,张伟 (no "
                              "repeats)", option="--agents"))
    if len(names) > MAX_AGENTS:
        raise FollowupError(t("--agents: at most {limit} agents on a shift ({count} given)",
                              limit=MAX_AGENTS, count=len(names)))
    return names


def assign_day(conn: sqlite3.Connection, day: date, patients: list[str], agents: list[str], *,
               by: str, now: datetime) -> dict[str, str]:
    agents = on_shift(agents)
    with transaction(conn):
        # a patient moved by hand stays with that agent while they are on shift; else the
        # patient is shared again with the rest (a share never loses a patient)
        fixed = {r[0]: r[1] for r in conn.execute(
            "SELECT patient_id, agent FROM assignments WHERE day = ? AND manual = 1",
            (day.isoformat(),)) if r[1] in agents}
        conn.execute("DELETE FROM assignments WHERE day = ? AND manual = 1 AND agent NOT IN "
                     f"({','.join('?' * len(agents))})", (day.isoformat(), *agents))
        # who called each patient of the sheet last (the latest call wins a tie): read by
        # patient, never the whole call log (minutes on a clinic group's ledger, all of
        # them holding the write lock)
        previous = {r[0]: r[1] for r in conn.execute(
            "SELECT c.patient_id, c.agent FROM json_each(?) j CROSS JOIN calls c "
            "ON c.patient_id = j.value WHERE c.called_at = (SELECT max(x.called_at) "
            "FROM calls x WHERE x.patient_id = c.patient_id) ORDER BY c.attempt_id",
            (json.dumps(patients),))}
        plan = share(patients, agents, previous, fixed)
        conn.execute("DELETE FROM assignments WHERE day = ? AND manual = 0", (day.isoformat(),))
        conn.executemany(
            "INSERT OR IGNORE INTO assignments (day, patient_id, agent, manual, assigned_at, "
            "assigned_by) VALUES (?, ?, ?, 0, ?, ?)",
            [(day.isoformat(), pid, agent, now.isoformat(timespec="seconds"), by)
             for pid, agent in sorted(plan.items())])
    return plan


def move(conn: sqlite3.Connection, day: date, patient_id: str, agent: str, *, by: str,
         now: datetime) -> None:
    patient_id = ids.lookup_patient(conn, patient_id)
    agent = agent_name(agent, "--to")
    with transaction(conn):
        if conn.execute("SELECT 1 FROM patients WHERE patient_id = ?",
                        (patient_id,)).fetchone() is None:
            raise FollowupError(t("there is no patient {patient_id}", patient_id=patient_id))
        shift = [r[0] for r in conn.execute(
            "SELECT DISTINCT agent FROM assignments WHERE day = ? ORDER BY agent",
            (day.isoformat(),))]
        if shift and agent not in shift:   # once the day is shared, only among its agents
            refused = FollowupError(t("{agent} is not on shift on {day} (on shift: {shift})",
                                      agent=agent, day=day.isoformat(),
                                      shift="、".join(shift) or "-"))
            # the board shares the sheet from its own form; the command line, so:
            refused.cli_hint = t("Share the sheet with followup assign --agents including "
                                 "{agent} first", agent=agent)
            raise refused
        conn.execute(
            "INSERT INTO assignments (day, patient_id, agent, manual, assigned_at, assigned_by) "
            "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(day, patient_id) DO UPDATE SET "
            "agent = excluded.agent, manual = 1, assigned_at = excluded.assigned_at, "
            "assigned_by = excluded.assigned_by",
            (day.isoformat(), patient_id, agent, now.isoformat(timespec="seconds"), by))


def assigned(conn: sqlite3.Connection, day: date) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(
        "SELECT patient_id, agent FROM assignments WHERE day = ?", (day.isoformat(),))}


def share_sheet(conn: sqlite3.Connection, day: date, rules: RulePack, agents: list[str], *,
                by: str, now: datetime) -> list[dict[str, Any]]:
    """Share the sheet of `day` among `agents` (assign_day): each agent with the patients
    and the tasks given them, in the order named."""
    from followup_cli.sheet import due_tasks

    names = on_shift(agents)
    records = due_tasks(conn, day, rules)
    plan = assign_day(conn, day, sorted({r["patient_id"] for r in records}), names, by=by,
                      now=now)
    calls = Counter(plan.values())
    tasks = Counter(plan[r["patient_id"]] for r in records)
    return [{"agent": a, "patients": calls[a], "tasks": tasks[a]} for a in names]
