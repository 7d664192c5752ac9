"""Schema migrations: numbered, each with why, each in one transaction, never edited once landed.

They run through sqlite-utils' `Migrations`, which records each applied migration
in `_sqlite_migrations` inside the migration's own transaction. `PRAGMA user_version`
mirrors the number applied, so opening an up-to-date ledger costs one PRAGMA and
never imports sqlite-utils.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

STEPS: list[tuple[str, str]] = []


def step(name: str):  # noqa: ANN201 - decorator
    def register(sql_fn):  # noqa: ANN001, ANN202
        STEPS.append((name, sql_fn.__doc__ or ""))
        return sql_fn

    return register


@step("m001_initial")
def _m001() -> None:
    """
    -- Why: the core loop. Patients and their visits as imported; tasks are the
    -- stored callback plan (planned once, when the visit enters the ledger, as the
    -- clinics' rules require); attempts are the append-only call log, linked to
    -- every task a call settled.
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE patients (
        patient_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        phone_bad INTEGER NOT NULL DEFAULT 0,
        birthday TEXT,
        vip_tier TEXT,
        do_not_call INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE visits (
        visit_id TEXT PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        visit_date TEXT NOT NULL,
        visit_time TEXT,
        project TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('treated', 'consult', 'no_show', 'course_end')),
        category TEXT,
        risk TEXT CHECK (risk IN ('high', 'medium', 'low')),
        department TEXT,
        doctor TEXT,
        consultant TEXT,
        no_callback INTEGER NOT NULL DEFAULT 0,
        converted_by TEXT REFERENCES visits(visit_id),
        entered_on TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX visits_patient ON visits(patient_id, visit_date);
    CREATE TABLE tasks (
        task_id INTEGER PRIMARY KEY,
        plan_key TEXT NOT NULL UNIQUE,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        visit_id TEXT REFERENCES visits(visit_id),
        category TEXT NOT NULL,
        touchpoint TEXT NOT NULL,
        seq INTEGER NOT NULL,
        nominal_date TEXT NOT NULL,
        due_date TEXT NOT NULL,
        window TEXT NOT NULL CHECK (window IN ('any', 'afternoon', 'evening')),
        move TEXT NOT NULL DEFAULT 'later' CHECK (move IN ('later', 'earlier')),
        expires_on TEXT NOT NULL,
        provisional INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL
            CHECK (status IN ('open', 'done', 'unreachable', 'cancelled', 'backfill')),
        status_reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT,
        agent TEXT,
        done_at TEXT,
        planned_on TEXT NOT NULL
    );
    CREATE INDEX tasks_open_due ON tasks(due_date) WHERE status = 'open';
    CREATE INDEX tasks_open_retry ON tasks(next_try_at) WHERE status = 'open';
    CREATE INDEX tasks_provisional ON tasks(due_date) WHERE status = 'open' AND provisional = 1;
    CREATE INDEX tasks_patient ON tasks(patient_id, status);
    CREATE INDEX tasks_visit ON tasks(visit_id);
    CREATE INDEX tasks_due ON tasks(due_date);
    CREATE TABLE attempts (
        attempt_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        called_at TEXT NOT NULL,
        logged_at TEXT NOT NULL,
        agent TEXT NOT NULL,
        outcome TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
        nps INTEGER CHECK (nps BETWEEN 0 AND 10),
        callback_at TEXT
    );
    CREATE INDEX attempts_called ON attempts(called_at);
    CREATE INDEX attempts_patient ON attempts(patient_id);
    CREATE TABLE attempt_tasks (
        attempt_id INTEGER NOT NULL REFERENCES attempts(attempt_id),
        task_id INTEGER NOT NULL REFERENCES tasks(task_id),
        PRIMARY KEY (attempt_id, task_id)
    );
    CREATE INDEX attempt_tasks_task ON attempt_tasks(task_id);
    -- what a user logged is never changed or deleted by the tool
    CREATE TRIGGER attempts_append_only_update BEFORE UPDATE ON attempts
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempts_append_only_delete BEFORE DELETE ON attempts
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempt_tasks_append_only_delete BEFORE DELETE ON attempt_tasks
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    """


LATEST = len(STEPS)


def migrate(conn: sqlite3.Connection, *, stop_before: str | None = None) -> None:
    """Apply every pending migration, each in its own transaction."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations("followup")
    for number, (name, sql) in enumerate(STEPS, start=1):

        def apply(db: Database, sql: str = sql, number: int = number) -> None:
            for statement in _statements(sql):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")

        migrations(name=name)(apply)
    migrations.apply(Database(conn), stop_before=stop_before)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers hold inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
