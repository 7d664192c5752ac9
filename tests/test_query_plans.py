"""The hot queries are served by indexes: EXPLAIN QUERY PLAN shows no scan of a table that
grows with the ledger, so the sheet, a call and the report cost what their own rows cost."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from followup_cli.calendar import load_calendar
from followup_cli.calls import log_call
from followup_cli.cli import run
from followup_cli.importing import import_visits
from followup_cli.ledger import chain, open_ledger
from followup_cli.report import month_report
from followup_cli.rules import load_rules
from followup_cli.sheet import due_tasks, numbers_to_fix, patient_context

GROWING = ("patients", "visits", "tasks", "attempts", "attempt_tasks", "complaints",
           "complaint_events", "patient_events", "audit", "assignments")


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("plans") / "plans.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "200"]) == 0
    return db


@pytest.fixture(scope="module")
def day(ledger: Path) -> date:
    """The demo's today (clinic time: not the test machine's date near midnight)."""
    conn = sqlite3.connect(ledger)
    value = conn.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()[0]
    conn.close()
    return date.fromisoformat(value)


def statements(db: Path, work) -> list[str]:  # noqa: ANN001
    """Every SELECT the work ran, as SQLite saw it (parameters bound)."""
    conn = open_ledger(db)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    work(conn)
    conn.close()
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def scans(db: Path | sqlite3.Connection, sql: str) -> list[str]:
    """The steps that read a growing table whole. Reading a partial index whole (open
    provisional tasks, say) is fine: it holds only the rows still in play."""
    conn = db if isinstance(db, sqlite3.Connection) else sqlite3.connect(db)
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    partial = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'")}
    if conn is not db:
        conn.close()
    return [step for step in plan if step.startswith("SCAN ") and
            step.split()[1] in GROWING + tuple(t[0] for t in GROWING)
            and not any(step.endswith(f"INDEX {name}") for name in partial)]


def test_the_call_sheet_reads_only_its_own_rows(ledger: Path, day: date) -> None:
    rules = load_rules(None)
    def work(conn: sqlite3.Connection) -> None:   # what `due` runs for the table
        rows = due_tasks(conn, day, rules)
        patient_context(conn, sorted({r["patient_id"] for r in rows}))
        numbers_to_fix(conn)

    queries = statements(ledger, work)
    assert any("tasks_open" in " ".join(
        r[3] for r in sqlite3.connect(ledger).execute(f"EXPLAIN QUERY PLAN {q}")) for q in queries)
    for sql in queries:
        assert scans(ledger, sql) == [], sql


def test_a_call_reads_only_its_patient(ledger: Path, day: date) -> None:
    rules, cal = load_rules(None), load_calendar(None)
    conn = sqlite3.connect(ledger)
    conn.row_factory = sqlite3.Row
    patient = due_tasks(conn, day, rules)[0]["patient_id"]
    conn.close()

    def work(conn: sqlite3.Connection) -> None:
        log_call(conn, cal, outcome="reached", when=datetime.combine(day, time(15)), agent="plan",
                 patient_id=patient, note="患者反馈恢复顺利，已提醒按时复查并注意饮食清淡。")

    for sql in statements(ledger, work):
        assert scans(ledger, sql) == [], sql


def test_the_month_report_reads_only_its_month(ledger: Path, day: date) -> None:
    queries = statements(ledger, lambda conn: month_report(conn, day.isoformat()[:7], day))
    assert len(queries) >= 8
    for sql in queries:
        assert scans(ledger, sql) == [], sql


def test_a_days_import_reads_only_its_patients(ledger: Path, day: date, tmp_path: Path) -> None:
    """Every statement of a small import into a big ledger, settling conversions included
    (explained on the import's own connection, where its temporary tables live)."""
    export = tmp_path / "today.csv"
    export.write_text("单号,客户编号,姓名,手机,就诊日期,项目,状态\n"
                      "Q1,NEW1,周晓雯,13812345678,2026-11-20,玻尿酸,咨询\n"
                      "Q2,NEW1,周晓雯,13812345678,2026-11-22,玻尿酸,成交\n", encoding="utf-8")
    work = tmp_path / "work.db"
    work.write_bytes(ledger.read_bytes())
    conn = open_ledger(work)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    summary = import_visits(conn, export, load_rules(None), load_calendar(None), day)
    conn.set_trace_callback(None)
    assert summary.added == 2 and summary.cancelled > 0
    dml = [s for s in seen if s.lstrip().upper().startswith(
        ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE"))]
    assert any("import_converted" in s for s in dml)
    for sql in dml:
        assert scans(conn, sql) == [], sql
    # each consult's first later treatment: one seek, not its patient's visits sorted
    settle = next(s for s in dml if s.startswith("INSERT INTO temp.import_converted"))
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {settle}")]
    assert any("INDEX visits_treated" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_sharing_the_sheet_reads_only_its_patients_calls(ledger: Path, day: date,
                                                        tmp_path: Path) -> None:
    """`assign` and the board's share: who called each patient last is read by patient
    (the whole call log took minutes on 1 M visits, holding the write lock)."""
    from followup_cli.assign import share_sheet

    work = tmp_path / "work.db"
    work.write_bytes(ledger.read_bytes())
    queries = statements(work, lambda conn: share_sheet(
        conn, day, load_rules(None), ["王芳", "李娜"], by="主管",
        now=datetime.combine(day, time(9))))
    assert any(" calls c " in q for q in queries)
    for sql in queries:
        assert scans(work, sql) == [], sql


def grow(db: Path, patients: int, day: date) -> None:
    """Years of history that is over: patients with an old visit, its call done and logged."""
    old = (day - timedelta(days=800)).isoformat()
    conn = sqlite3.connect(db, isolation_level=None)
    chain.register(conn)   # the call log's triggers chain every call (ledger/chain.py)
    conn.execute("BEGIN")
    for i in range(patients):
        pid, vid = f"OLD{i:05d}", f"VOLD{i:05d}"
        conn.execute("INSERT INTO patients (patient_id, name, phone, created_at, updated_at) "
                     "VALUES (?, '赵敏', '13900000000', ?, ?)", (pid, old, old))
        conn.execute("INSERT INTO visits (visit_id, patient_id, visit_date, project, kind, "
                     "category, entered_on, updated_at) VALUES (?, ?, ?, '双眼皮', 'treated', "
                     "'surgery', ?, ?)", (vid, pid, old, old, old))
        task = conn.execute(
            "INSERT INTO tasks (plan_key, patient_id, visit_id, category, touchpoint, seq, "
            "nominal_date, due_date, window, expires_on, status, planned_on, attempts) VALUES "
            "(?, ?, ?, 'surgery', '1m', 0, ?, ?, 'any', ?, 'done', ?, 1)",
            (f"{vid}/1m", pid, vid, old, old, old, old)).lastrowid
        attempt = conn.execute(
            "INSERT INTO attempts (patient_id, called_at, logged_at, agent, outcome, note) "
            "VALUES (?, ?, ?, '王芳', 'reached', '恢复良好')",
            (pid, f"{old}T15:00:00", f"{old}T15:00:00")).lastrowid
        conn.execute("INSERT INTO attempt_tasks VALUES (?, ?)", (attempt, task))
    conn.execute("COMMIT")
    conn.close()


def vm_steps(db: Path, work) -> int:  # noqa: ANN001
    """SQLite virtual-machine steps the work cost: a count, not a timing."""
    conn = open_ledger(db)
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 1)
    work(conn)
    conn.close()
    return steps[0]


@pytest.mark.slow
def test_the_hot_paths_cost_the_same_on_a_ledger_with_years_more_history(
        ledger: Path, day: date, tmp_path: Path) -> None:
    """Issue 8's promise, counted: 4,000 more patients whose care is over must not change
    what the sheet, a call, the month report or a day's import read (an index that is searched but not
    selective passes the plan tests above; this catches it)."""
    rules, cal = load_rules(None), load_calendar(None)
    conn = sqlite3.connect(ledger)
    conn.row_factory = sqlite3.Row
    patient = due_tasks(conn, day, rules)[-1]["patient_id"]
    conn.close()

    def sheet(conn: sqlite3.Connection) -> None:
        rows = due_tasks(conn, day, rules)
        patient_context(conn, sorted({r["patient_id"] for r in rows}))
        numbers_to_fix(conn)

    def call(conn: sqlite3.Connection) -> None:
        log_call(conn, cal, outcome="no_answer", when=datetime.combine(day, time(16)),
                 agent="plan", patient_id=patient)

    def report(conn: sqlite3.Connection) -> None:
        month_report(conn, day.isoformat()[:7], day)

    export = tmp_path / "today.csv"
    export.write_text("单号,客户编号,姓名,手机,就诊日期,项目,状态\n"
                      f"Q1,NEW1,周晓雯,13812345678,{day - timedelta(days=3)},玻尿酸,咨询\n"
                      f"Q2,NEW1,周晓雯,13812345678,{day},玻尿酸,成交\n", encoding="utf-8")

    def day_import(conn: sqlite3.Connection) -> None:
        import_visits(conn, export, rules, cal, day)

    for work in (sheet, call, report, day_import):
        small, big = tmp_path / "small.db", tmp_path / "big.db"
        small.write_bytes(ledger.read_bytes())
        big.write_bytes(ledger.read_bytes())
        grow(big, 4000, day)
        before, after = vm_steps(small, work), vm_steps(big, work)
        assert before > 0, (work.__name__, before, after)
        assert after <= before * 1.1 + 20, (work.__name__, before, after)


def test_the_workspaces_day_page_and_board_read_only_their_own_rows(
        ledger: Path, day: date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent's day page, the whole sheet and the supervisor's board (polled all day)
    over HTTP: every SELECT the server ran for them, explained. Calls made today are
    counted from today's attempts, not from every call ever logged (17 s on 1 M visits)."""
    pytest.importorskip("starlette")
    import io
    import sys

    from starlette.testclient import TestClient

    from followup_cli import clock
    from followup_cli import ledger as ledger_module
    from followup_cli.commands.serve import clinic_of
    from followup_cli.options import State
    from followup_cli.web.app import create_app

    db = tmp_path / "web.db"
    db.write_bytes(ledger.read_bytes())
    for name, role in (("王芳", "agent"), ("boss", "supervisor")):
        monkeypatch.setattr(sys, "stdin", io.StringIO("password-123\n"))
        assert run(["--db", str(db), "user", "add", name, "--role", role,
                    "--password-stdin"]) == 0
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(day, time(10)))
    seen: list[str] = []
    opened = ledger_module.open_ledger

    def traced(*args, **kw):  # noqa: ANN002, ANN003, ANN202 - the server's real connection
        conn = opened(*args, **kw)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(ledger_module, "open_ledger", traced)
    pages = {"王芳": ["/"], "boss": ["/?sheet=1", "/board", "/api/board"]}
    queries: list[str] = []
    for name, paths in pages.items():
        c = TestClient(create_app(clinic_of(State((db,)))), base_url="http://127.0.0.1:8765")
        assert c.post("/login", data={"username": name, "password": "password-123"},
                      follow_redirects=False).status_code == 303
        for path in paths:
            seen.clear()
            assert c.get(path).status_code == 200, path
            queries += [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert any(" FROM calls " in q for q in queries)
    for sql in queries:
        assert scans(db, sql) == [], sql
