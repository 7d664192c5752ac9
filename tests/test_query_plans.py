"""The hot queries are served by indexes: EXPLAIN QUERY PLAN shows no scan of a table that
grows with the ledger, so the sheet, a call and the report cost what their own rows cost."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from followup_cli.calendar import load_calendar
from followup_cli.calls import log_call
from followup_cli.cli import run
from followup_cli.ledger import open_ledger
from followup_cli.report import month_report
from followup_cli.rules import load_rules
from followup_cli.sheet import due_tasks, numbers_to_fix, patient_context

GROWING = ("patients", "visits", "tasks", "attempts", "attempt_tasks", "complaints",
           "complaint_events", "patient_events", "audit", "assignments")
DAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("plans") / "plans.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "200"]) == 0
    return db


def statements(db: Path, work) -> list[str]:  # noqa: ANN001
    """Every SELECT the work ran, as SQLite saw it (parameters bound)."""
    conn = open_ledger(db)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    work(conn)
    conn.close()
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def scans(db: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(db)
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    conn.close()
    return [step for step in plan if step.startswith("SCAN ") and
            step.split()[1] in GROWING + tuple(t[0] for t in GROWING)]


def test_the_call_sheet_reads_only_its_own_rows(ledger: Path) -> None:
    rules = load_rules(None)
    def work(conn: sqlite3.Connection) -> None:   # what `due` runs for the table
        rows = due_tasks(conn, DAY, rules)
        patient_context(conn, sorted({r["patient_id"] for r in rows}))
        numbers_to_fix(conn)

    queries = statements(ledger, work)
    assert any("tasks_open" in " ".join(
        r[3] for r in sqlite3.connect(ledger).execute(f"EXPLAIN QUERY PLAN {q}")) for q in queries)
    for sql in queries:
        assert scans(ledger, sql) == [], sql


def test_a_call_reads_only_its_patient(ledger: Path) -> None:
    rules, cal = load_rules(None), load_calendar(None)
    conn = sqlite3.connect(ledger)
    conn.row_factory = sqlite3.Row
    patient = due_tasks(conn, DAY, rules)[0]["patient_id"]
    conn.close()

    def work(conn: sqlite3.Connection) -> None:
        log_call(conn, cal, outcome="reached", when=datetime(2026, 11, 23, 15), agent="plan",
                 patient_id=patient, note="患者反馈恢复顺利，已提醒按时复查并注意饮食清淡。")

    for sql in statements(ledger, work):
        assert scans(ledger, sql) == [], sql


def test_the_month_report_reads_only_its_month(ledger: Path) -> None:
    queries = statements(ledger, lambda conn: month_report(conn, "2026-11", DAY))
    assert len(queries) >= 8
    for sql in queries:
        assert scans(ledger, sql) == [], sql
