"""The ledger file: migrations from every older schema, refusal of newer ones."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from followup_cli.errors import LedgerError
from followup_cli.ledger import chain, open_ledger, transaction
from followup_cli.ledger.migrations import LATEST, STEPS, migrate

ATTEMPT = ("INSERT INTO attempts (attempt_id, patient_id, called_at, logged_at, agent, outcome, "
           "note, satisfaction, nps) VALUES ({0}, 'P1', {1}, {1}, {2}, {3}, {4}, {5}, {6})")
# Rows written by each schema version, as that version's code would have written them.
# A new migration adds the fixture of the version before it was applied, if needed.
FIXTURES: dict[int, list[str]] = {
    1: [
        "INSERT INTO patients VALUES ('P1', '周晓雯', '13812345678', 0, '1994-03-12', '金卡', 0,"
        " '2026-11-01', '2026-11-01')",
        "INSERT INTO visits VALUES ('V1', 'P1', '2026-11-01', NULL, '双眼皮', 'treated',"
        " 'surgery', NULL, '整形外科', '吴医生', '林咨询', 0, NULL, '2026-11-01', '2026-11-01')",
        "INSERT INTO tasks (task_id, plan_key, patient_id, visit_id, category, touchpoint, seq,"
        " nominal_date, due_date, window, expires_on, status, planned_on) VALUES (1, 'V1/0d',"
        " 'P1', 'V1', 'surgery', '0d', 0, '2026-11-01', '2026-11-01', 'evening', '2026-11-02',"
        " 'done', '2026-11-01')",
        *(ATTEMPT.format(*row) for row in (
            (1, "'2026-11-01T19:10:00'", "'王芳'", "'reached'",
             "'患者反馈恢复顺利，肿胀已明显消退，已提醒按时复查'", 5, 9),
            (2, "'2026-11-02T15:00:00'", "'李娜'", "'complaint'",
             "'患者对术后肿胀时间过长不满，要求医生回电说明'", "NULL", "NULL"),
            (3, "'2026-11-03T15:00:00'", "'李娜'", "'do_not_call'", "''", "NULL", "NULL"))),
        "INSERT INTO attempt_tasks VALUES (1, 1)",
        "UPDATE patients SET do_not_call = 1",
    ],
}
# version 2: complaint cases, their events, patient events and corrections
FIXTURES[2] = [
    *FIXTURES[1],
    "UPDATE tasks SET base_expires_on = expires_on",
    "INSERT INTO complaints (complaint_id, patient_id, attempt_id, category, severity, note, "
    "agent, opened_at, acknowledged_at, status) VALUES (1, 'P1', 2, 'result', 'high', '不满', "
    "'李娜', '2026-11-02T15:00:00', '2026-11-02T18:00:00', 'acknowledged')",
    "INSERT INTO complaint_events (complaint_id, at, agent, action, note) VALUES "
    "(1, '2026-11-02T15:00:00', '李娜', 'open', '不满'), "
    "(1, '2026-11-02T18:00:00', '主管', 'ack', '已致歉')",
    "INSERT INTO patient_events (patient_id, at, agent, action, attempt_id) VALUES "
    "('P1', '2026-11-03T15:00:00', '李娜', 'do_not_call', 3)",
    "INSERT INTO attempts (attempt_id, patient_id, called_at, logged_at, agent, outcome, note, "
    "corrects, correction, reason, logged_by) VALUES (4, 'P1', '2026-11-01T19:10:00', "
    "'2026-11-04T09:00:00', '王芳', 'no_answer', '', 1, 'amend', '误点', '主管')",
]
# version 3: the audit log
FIXTURES[3] = [
    *FIXTURES[2],
    "INSERT INTO audit (at, agent, action, what) VALUES ('2026-11-05T10:00:00', '主管', "
    "'due --date 2026-11-05 --reveal', '1: P1')",
]
# version 4: the day's shares
FIXTURES[4] = [
    *FIXTURES[3],
    "INSERT INTO assignments VALUES ('2026-11-05', 'P1', '王芳', 0, '2026-11-05T08:30:00', "
    "'主管')",
]
# version 5: history imported before backfill was a count: past calls stored as task rows
FIXTURES[5] = [
    *FIXTURES[4],
    "INSERT INTO visits VALUES ('V0', 'P1', '2025-01-06', NULL, '双眼皮', 'treated', 'surgery',"
    " NULL, '整形外科', '吴医生', '林咨询', 0, NULL, '2026-11-01', '2026-11-01')",
    *(f"INSERT INTO tasks (task_id, plan_key, patient_id, visit_id, category, touchpoint, seq,"
      f" nominal_date, due_date, window, expires_on, status, planned_on) VALUES ({n}, 'V0/{tp}',"
      f" 'P1', 'V0', 'surgery', '{tp}', {n - 2}, '2025-01-0{n}', '2025-01-0{n}', 'any',"
      f" '2025-01-0{n + 1}', 'backfill', '2026-11-01')" for n, tp in ((2, "0d"), (3, "1d"),
                                                                       (4, "2d"))),
    "INSERT INTO attempt_tasks VALUES (2, 4)",   # a call logged against one: it stays a row
]
# version 6: a patient whose number was reported wrong (migration 007 indexes them)
FIXTURES[6] = [*(s.replace("'2026-11-01', '2026-11-01')", "'2026-11-01', '2026-11-01', 0)")
                 if s.startswith("INSERT INTO visits") else s for s in FIXTURES[4]),
               "UPDATE patients SET phone_bad = 1"]   # visits gained backfill in 006
# version 7: nothing new to write (migration 008 rewrites CHECK constraints in place)
FIXTURES[7] = [*FIXTURES[6], "UPDATE complaints SET severity = 'medium', status = 'resolved'"]
# version 8: nothing new to write (migration 009 adds an index)
FIXTURES[8] = [*FIXTURES[7], "UPDATE visits SET kind = 'treated' WHERE kind = 'consult'"]
# version 9: more of each log (migration 010 chains them in id order)
FIXTURES[9] = [
    *FIXTURES[8],
    "INSERT INTO attempt_tasks VALUES (4, 1)",
    "INSERT INTO audit (at, agent, action, what) VALUES ('2026-11-06T10:00:00', '主管', "
    "'patient show --reveal', '1: P1')",
]
# version 10: the logs are chained (their triggers need followup's hash function, which a
# plain connection lacks): another share of a day, which no chain covers
FIXTURES[10] = [
    *FIXTURES[9],
    "INSERT INTO assignments VALUES ('2026-11-06', 'P1', '李娜', 1, '2026-11-06T08:30:00', "
    "'主管')",
]
# version 11: nothing new to write (migration m012_sms adds the SMS tables)
FIXTURES[11] = [*FIXTURES[10], "UPDATE patients SET vip_tier = '金卡'"]
# version 12: the chained logs as they stand (m013_users adds the web's users and sessions)
FIXTURES[12] = [*FIXTURES[11]]
# version 13: an alert and its answer, a booked re-check and a message sent, as issues 19-20
# wrote them before migration 014 chained them
FIXTURES[13] = [
    *FIXTURES[12],
    "INSERT INTO alerts VALUES (1, 'P1', 1, 'V1', '[{\"id\": \"fever\"}]', 'today', '吴医生', "
    "'visit', '2026-11-01T19:10:00', '2026-11-01T23:10:00', '2026-11-01T19:30:00', '吴医生', "
    "NULL, NULL, NULL, 'acknowledged')",
    "INSERT INTO alert_events (alert_id, at, agent, action, note) VALUES "
    "(1, '2026-11-01T19:10:00', '王芳', 'open', 'fever'), "
    "(1, '2026-11-01T19:30:00', '吴医生', 'ack', '已电话指导')",
    "INSERT INTO rechecks VALUES (1, 'P1', 1, 'V1', '2026-12-01', '2026-11-01T19:10:00', "
    "'王芳', 3, NULL, NULL, NULL)",
    "INSERT INTO sms VALUES (1, 'P1/2026-11-03', 'P1', '2026-11-03', 'surgery', 'unreachable', "
    "'【美丽诊所】周晓雯您好', 12, 1, '13812345678', 'B1', '2026-11-03T10:00:00', "
    "'2026-11-03T09:00:00', '主管', 'delivered', '2026-11-03T10:01:00', 'DELIVRD')",
    "INSERT INTO sms_tasks VALUES (1, 1, 'unreachable')",
]
TABLES = ("patients", "visits", "tasks", "attempts", "attempt_tasks", "complaints",
          "complaint_events", "patient_events", "audit", "assignments", "alert_events",
          "alerts", "rechecks", "sms", "sms_tasks")


def rows(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    return {t: [tuple(r) for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1")]
            for t in TABLES if t in present}


def test_every_older_schema_has_fixture_rows() -> None:
    assert set(FIXTURES) == set(range(1, LATEST)), "a schema version has no fixture rows"


@pytest.mark.parametrize("version", range(1, LATEST))
def test_every_older_schema_migrates_without_losing_a_row(tmp_path: Path, version: int) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, stop_before=STEPS[version][0])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    for statement in FIXTURES[version]:
        conn.execute(statement)
    before = rows(conn)
    counted = conn.execute("SELECT count(*) FROM tasks WHERE status = 'backfill' AND task_id "
                           "NOT IN (SELECT task_id FROM attempt_tasks)").fetchone()[0]
    conn.close()
    upgraded = open_ledger(db)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == LATEST
    after = rows(upgraded)
    for table in before:
        # backfill rows no call refers to became their visit's count (migration 006)
        lost = counted if table == "tasks" else 0
        assert len(after[table]) == len(before[table]) - lost, table
    assert upgraded.execute("SELECT coalesce(sum(backfill), 0) FROM visits").fetchone()[0] \
        == counted
    if version == 5:
        assert counted == 2
        assert [tuple(r) for r in upgraded.execute(
            "SELECT task_id, status FROM tasks WHERE visit_id = 'V0'")] == [(4, "backfill")]
    assert [r[0] for r in upgraded.execute("SELECT name FROM _sqlite_migrations")] == [
        name for name, _ in STEPS]
    # every row already logged is chained (migration 010), and the chains verify
    logged = sum(len(after[log]) for log in chain.LOGS if log in after)
    assert upgraded.execute("SELECT count(*) FROM chain").fetchone()[0] == logged
    assert chain.verify(upgraded)[0] == {}
    if version < 2:  # complaint calls logged before cases existed each opened one
        assert [tuple(r) for r in upgraded.execute("SELECT patient_id, attempt_id, status, "
                                                   "opened_at FROM complaints")] == [
            ("P1", 2, "open", "2026-11-02T15:00:00")]
        assert [tuple(r) for r in upgraded.execute("SELECT action, attempt_id FROM "
                                                   "patient_events")] == [("do_not_call", 3)]


def test_reopening_applies_nothing(tmp_path: Path) -> None:
    open_ledger(tmp_path / "l.db").close()
    conn = open_ledger(tmp_path / "l.db")
    assert conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == LATEST


def test_creating_a_ledger_loads_neither_numpy_nor_pandas(tmp_path: Path) -> None:
    """sqlite-utils would import them when installed (~100 ms): kept out of migrating;
    they still import afterwards, for the report's charts."""
    import subprocess
    import sys

    probe = ("import sys; from followup_cli.ledger import open_ledger; "
             f"conn = open_ledger({str(tmp_path / 'l.db')!r}); "
             "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules), "
             "conn.execute('SELECT count(*) FROM _sqlite_migrations').fetchone()[0]); "
             "import numpy")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", str(LATEST)]


def test_a_newer_ledger_is_refused(tmp_path: Path) -> None:
    conn = open_ledger(tmp_path / "l.db")
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(LedgerError, match="newer than this followup"):
        open_ledger(tmp_path / "l.db")


def test_pragmas(tmp_path: Path) -> None:
    conn = open_ledger(tmp_path / "l.db")
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1_000   # a step: transaction()
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO visits (visit_id, patient_id, visit_date, project, kind, "
                      "entered_on, updated_at) VALUES ('V', 'nobody', '2026-11-01', 'x', "
                      "'treated', 'x', 'x')")


def test_nested_transaction_rolls_back_only_the_inner_part(tmp_path: Path) -> None:
    conn = open_ledger(tmp_path / "l.db")
    with transaction(conn):
        conn.execute("INSERT INTO settings VALUES ('a', '1')")
        with pytest.raises(RuntimeError), transaction(conn):
            conn.execute("INSERT INTO settings VALUES ('b', '2')")
            raise RuntimeError
    assert [r[0] for r in conn.execute("SELECT key FROM settings")] == ["a"]


def test_writers_of_one_process_are_let_in_as_the_one_before_commits(tmp_path: Path) -> None:
    """The web server's threads, a connection each: a write waiting for another thread's
    starts the moment that one commits, not at SQLite's busy handler's next wake-up (it
    sleeps in steps of up to 100 ms: ~20 ms late after a 35 ms write, most of a second
    under load)."""
    import statistics
    import threading
    import time

    first = open_ledger(tmp_path / "l.db")
    late: list[float] = []
    for _ in range(5):
        ready, waiting = threading.Event(), threading.Event()
        committed = [0.0]

        def other(ready: threading.Event, waiting: threading.Event,
                  committed: list[float]) -> None:
            second = open_ledger(tmp_path / "l.db")
            ready.set()
            waiting.wait()
            with transaction(second):
                late.append(time.monotonic() - committed[0])
            second.close()

        thread = threading.Thread(target=other, args=(ready, waiting, committed))
        thread.start()
        ready.wait()
        with transaction(first):
            first.execute("INSERT INTO settings (key, value) VALUES ('k', 'v') "
                          "ON CONFLICT (key) DO UPDATE SET value = 'w'")
            waiting.set()
            time.sleep(0.035)
            committed[0] = time.monotonic()
        thread.join()
    assert statistics.median(late) < 0.008, late


def test_an_older_ledger_is_copied_before_the_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, stop_before=STEPS[1][0])
    for statement in FIXTURES[1]:
        conn.execute(statement)
    conn.close()
    open_ledger(db).close()
    copy = tmp_path / f"old.db.before-v{LATEST}.bak"
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    kept = sqlite3.connect(copy)
    assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
    assert kept.execute("SELECT count(*) FROM attempts").fetchone()[0] == 3


# (table, column, a value the CHECK must refuse, the columns a row needs besides it)
REFUSED = [
    ("visits", "kind", "bogus", "visit_id, patient_id, visit_date, project, entered_on, "
     "updated_at", "'V9', 'P1', '2026-11-01', 'x', 'x', 'x'"),
    ("visits", "risk", "severe", "visit_id, patient_id, visit_date, project, kind, entered_on, "
     "updated_at", "'V9', 'P1', '2026-11-01', 'x', 'treated', 'x', 'x'"),
    ("tasks", "status", "lost", "plan_key, patient_id, category, touchpoint, seq, nominal_date, "
     "due_date, window, expires_on, planned_on", "'k', 'P1', 'c', 't', 0, 'd', 'd', 'any', "
     "'d', 'd'"),
    ("tasks", "window", "night", "plan_key, patient_id, category, touchpoint, seq, "
     "nominal_date, due_date, status, expires_on, planned_on", "'k', 'P1', 'c', 't', 0, 'd', "
     "'d', 'open', 'd', 'd'"),
    ("complaints", "severity", "huge", "patient_id, attempt_id, category, note, agent, "
     "opened_at, status", "'P1', 1, 'c', 'n', 'a', 'x', 'open'"),
    ("complaints", "status", "gone", "patient_id, attempt_id, category, severity, note, agent, "
     "opened_at", "'P1', 1, 'c', 'low', 'n', 'a', 'x'"),
]


def test_checks_still_refuse_after_migration_008(tmp_path: Path) -> None:
    """008 edits the tables' text in place: an older ledger's CHECKs must refuse what they
    refused before, on this connection and on one opened before the upgrade."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, stop_before=STEPS[7][0])
    for statement in FIXTURES[7]:
        conn.execute(statement)
    before = rows(conn)
    upgraded = open_ledger(db)
    assert upgraded.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {t: r for t, r in rows(upgraded).items() if t in before} == before
    for other in (upgraded, conn):   # conn read the schema before the edit
        for table, column, bad, columns, values in REFUSED:
            with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                other.execute(f"INSERT INTO {table} ({columns}, {column}) "
                              f"VALUES ({values}, '{bad}')")
    edited = upgraded.execute("SELECT sql FROM sqlite_master WHERE name = 'visits'").fetchone()
    assert "kind = 'treated' OR" in edited[0]


def test_no_check_lists_more_than_two_constants(tmp_path: Path) -> None:
    """SQLite builds a temporary b-tree for such a list on every row written (issue 8):
    new CHECKs compare with = and OR."""
    conn = open_ledger(tmp_path / "l.db")
    lists = [(name, m.group(0)) for name, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        for m in re.finditer(r"CHECK\s*\([^()]*\bIN\s*\(([^)]*)\)", sql)
        if m.group(1).count(",") >= 2]
    assert lists == []


# each log, a row already in it (by its key) and a column to change
LOGGED = [("attempts", "attempt_id = 1", "note"), ("attempt_tasks", "attempt_id = 1", "task_id"),
          ("patient_events", "event_id = 1", "reason"),
          ("complaint_events", "event_id = 1", "note"), ("audit", "audit_id = 1", "what")]


def _old_ledger_with_rows(tmp_path: Path) -> Path:
    db = tmp_path / "l.db"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, stop_before=STEPS[9][0])
    for statement in FIXTURES[9]:
        conn.execute(statement)
    conn.close()
    open_ledger(db).close()
    return db


@pytest.mark.parametrize(("table", "key", "column"), LOGGED)
def test_a_logged_row_cannot_be_replaced_or_changed(tmp_path: Path, table: str, key: str,
                                                     column: str) -> None:
    """INSERT OR REPLACE fires no delete trigger (recursive_triggers is off): a plain
    sqlite3 connection, even one that registered followup's chain function, is refused."""
    db = _old_ledger_with_rows(tmp_path)
    raw = sqlite3.connect(db, isolation_level=None)
    chain.register(raw)
    row = raw.execute(f"SELECT * FROM {table} WHERE {key}").fetchone()
    names = [d[0] for d in raw.execute(f"SELECT * FROM {table} LIMIT 0").description]
    assert row is not None
    # a link's key is all of it: replacing it would move it to the end of the table
    changed = tuple("forged" if name == column and table != "attempt_tasks" else value
                    for name, value in zip(names, row, strict=True))
    marks = ", ".join("?" for _ in names)
    for verb in ("INSERT OR REPLACE", "REPLACE", "INSERT OR IGNORE", "INSERT"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(f"{verb} INTO {table} VALUES ({marks})", changed)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"UPDATE {table} SET {column} = {column} WHERE {key}")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"DELETE FROM {table} WHERE {key}")
    assert raw.execute(f"SELECT * FROM {table} WHERE {key}").fetchone() == row
    for sql in ("UPDATE chain SET hash = 'x'", "DELETE FROM chain",
                "INSERT OR REPLACE INTO chain SELECT * FROM chain LIMIT 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute(sql)
    assert chain.verify(raw)[0] == {}


def test_a_client_without_followup_cannot_add_to_a_log(tmp_path: Path) -> None:
    """The sqlite3 shell has no followup_chain: a row it adds would be unchained."""
    db = _old_ledger_with_rows(tmp_path)
    raw = sqlite3.connect(db, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="followup_chain"):
        raw.execute("INSERT INTO audit (at, agent, action, what) VALUES ('x', 'x', 'x', 'x')")


def test_each_log_is_a_chain_of_hashes(tmp_path: Path) -> None:
    db = _old_ledger_with_rows(tmp_path)
    conn = open_ledger(db)
    with transaction(conn):
        conn.execute("INSERT INTO audit (at, agent, action, what) VALUES ('a', 'b', 'c', 'd')")
    entries = [tuple(r) for r in conn.execute("SELECT row_id, hash FROM chain WHERE log = "
                                             "'audit' ORDER BY seq")]
    first = chain.link(None, '[1,"2026-11-05T10:00:00","主管","due --date 2026-11-05 --reveal",'
                             '"1: P1"]')
    assert entries[0] == (1, first)
    assert entries[-1] == (3, chain.link(entries[1][1], '[3,"a","b","c","d"]'))


def test_a_ledger_someone_else_made_becomes_owner_only(tmp_path: Path) -> None:
    """An empty file made first with the usual umask (or an older ledger and its -wal left
    by the sqlite3 shell) is owner-only once followup opens it, and so are its side files."""
    empty = tmp_path / "empty.db"
    empty.touch()
    empty.chmod(0o644)
    old = tmp_path / "old.db"
    shell = sqlite3.connect(old)
    shell.execute("PRAGMA journal_mode = WAL")
    shell.execute("CREATE TABLE x (y)")   # not yet a ledger: its -wal is left open
    for path in (old, Path(f"{old}-wal"), Path(f"{old}-shm")):
        path.chmod(0o644)
    for db in (empty, old):
        conn = open_ledger(db)
        with transaction(conn):
            conn.execute("INSERT INTO settings VALUES ('k', 'v')")
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert oct(path.stat().st_mode & 0o777) == "0o600", path
        conn.close()
    shell.close()


def test_a_ledger_whose_steps_ran_out_of_order_says_it_is_up_to_date(tmp_path: Path) -> None:
    """Steps are known by name: a ledger may have had a later step before an earlier one
    (two branches of followup). Once every step is applied its version is the latest, and
    it is not copied and migrated again at every open."""
    db = tmp_path / "l.db"
    open_ledger(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {LATEST - 1}")   # the last step ran first
    conn.close()
    open_ledger(db).close()
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == LATEST
    backups = sorted(tmp_path.glob("l.db.before-*"))
    open_ledger(db).close()
    assert sorted(tmp_path.glob("l.db.before-*")) == backups
