"""followup doctor and followup backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "v.csv", [
            "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,",
            "A2,C2,冯雪,13734567890,2026-11-02,光子嫩肤,成交,,,,,,,"])
        cli("import", "visits", str(export), "--date", "2026-11-02")
        cli("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when", "2026-11-03T15:00")
        cli("log", "--patient", "C2", "-o", "no_answer", "--when", "2026-11-03T15:00")

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def test_doctor_on_a_sound_ledger(cli, ledger: Path) -> None:
    result = cli("doctor", "--format", "json")
    assert result.code == 0
    data = result.json()
    assert data["ok"] is True and data["problems"] == {}
    assert data["counts"]["attempts"] == 2


def test_doctor_finds_a_task_that_disagrees_with_its_calls(cli, ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    task = conn.execute("SELECT task_id FROM tasks WHERE status = 'done'").fetchone()[0]
    conn.execute("UPDATE tasks SET status = 'open', done_at = NULL WHERE task_id = ?", (task,))
    conn.commit()
    result = cli("doctor")
    assert result.code == 1
    assert f"tasks whose state disagrees with their calls: {task}\n" in result.out


def test_backup_is_a_private_consistent_copy(cli, ledger: Path, tmp_path: Path) -> None:
    # another agent is half-way through a write: the backup holds only what was committed
    other = sqlite3.connect(ledger, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO settings VALUES ('uncommitted', 'x')")
    copy = tmp_path / "copy.db"
    result = cli("backup", str(copy))
    other.execute("ROLLBACK")
    assert result.code == 0, result.err
    assert oct(copy.stat().st_mode & 0o777) == "0o600"
    original, backed = sqlite3.connect(ledger), sqlite3.connect(copy)
    for table in ("patients", "visits", "tasks", "attempts"):
        query = f"SELECT * FROM {table} ORDER BY 1"
        assert original.execute(query).fetchall() == backed.execute(query).fetchall()
    assert backed.execute("SELECT count(*) FROM settings WHERE key = 'uncommitted'"
                          ).fetchone()[0] == 0
    assert cli("backup", str(ledger)).code == 2


def _tamper(ledger: Path, *statements: str) -> None:
    """What someone with the sqlite3 shell could do to the file."""
    conn = sqlite3.connect(ledger, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


@pytest.mark.parametrize(("statements", "chains", "triggers"), [
    # a call's note rewritten once the trigger that refused it is gone
    (["DROP TRIGGER attempts_append_only_update",
      "UPDATE attempts SET note = '已回访' WHERE attempt_id = 2"],
     {"attempts": {"row": 2, "problem": "changed"}},
     {"attempts_append_only_update": "missing"}),
    # a call's link to its task removed
    (["DROP TRIGGER attempt_tasks_append_only_delete", "DELETE FROM attempt_tasks "
      "WHERE attempt_id = 1"],
     {"attempt_tasks": {"row": "1/2", "problem": "missing"}},
     {"attempt_tasks_append_only_delete": "missing"}),
    # a row slipped into the audit log without its chain entry
    (["DROP TRIGGER audit_chained", "INSERT INTO audit (at, agent, action, what) VALUES "
      "('2026-11-03T09:00:00', 'x', 'x', 'x')"],
     {"audit": {"row": 1, "problem": "unchained"}}, {"audit_chained": "missing"}),
    # a trigger kept by name that no longer refuses anything
    (["DROP TRIGGER attempts_append_only_delete",
      "CREATE TRIGGER attempts_append_only_delete BEFORE DELETE ON attempts BEGIN SELECT 1; "
      "END", "DELETE FROM attempts WHERE attempt_id = 2"],
     {"attempts": {"row": 2, "problem": "missing"}},
     {"attempts_append_only_delete": "altered"}),
])
def test_doctor_shows_a_log_changed_behind_its_back(cli, ledger: Path, statements: list[str],
                                                    chains: dict, triggers: dict) -> None:
    _tamper(ledger, *statements)
    result = cli("doctor", "--format", "json")
    assert result.code == 1
    problems = result.json()["problems"]
    assert problems["chains"] == chains
    assert problems["triggers"] == triggers
    table = cli("doctor")
    assert table.code == 1
    assert "✗ the triggers that protect the logs are missing or altered" in table.out
    assert "✗ calls, events or audit rows changed behind followup's back" in table.out
    (log, where), = chains.items()
    assert f"{log} row {where['row']} " in table.out and "{" not in table.out
    chinese = cli("--lang", "zh", "doctor").out
    assert f"{log} 第 {where['row']} 行" in chinese and "missing" not in chinese


def test_doctor_finds_a_task_of_another_patient(cli, ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    task = conn.execute("SELECT min(task_id) FROM tasks WHERE patient_id = 'C2'").fetchone()[0]
    conn.execute("UPDATE tasks SET patient_id = 'C1' WHERE task_id = ?", (task,))
    conn.commit()
    result = cli("doctor", "--format", "json")
    assert result.code == 1
    assert result.json()["problems"] == {"tasks_of_another_patient": [task]}


def test_every_writer_chains_its_rows(cli, ledger: Path, tmp_path: Path) -> None:
    """Calls, corrections, complaints, patient events (also from an import) and the audit
    log: every row lands in its chain, and doctor finds the ledger sound."""
    complaint = "患者对术后肿胀时间过长不满，要求医生回电说明情况。"
    steps = [
        ("log", "--patient", "C2", "-o", "complaint", "--note", complaint, "--when",
         "2026-11-04T15:00"),
        ("complaint", "ack", "1", "--note", "已致歉并安排医生回电"),
        ("log", "--amend", "1", "--note", NOTE + "补充。", "--reason", "补记"),
        ("log", "--void", "2", "--reason", "误登记"),
        ("log", "--patient", "C1", "-o", "do_not_call", "--when", "2026-11-05T15:00"),
        ("patient", "allow-calls", "C1", "--reason", "患者来电同意回访"),
        ("patient", "set-phone", "C2", "13700000000"),
        ("due", "--date", "2026-11-05", "--reveal"),
    ]
    for args in steps:
        result = cli(*args)
        assert result.code == 0, (args, result.err)
    export = write_export(tmp_path / "v2.csv", [
        "A1,C1,周晓雯,13912345678,2026-11-02,双眼皮,成交,,,,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-06").code == 0
    conn = sqlite3.connect(ledger)
    for log in ("attempts", "attempt_tasks", "patient_events", "complaint_events", "audit"):
        rows = conn.execute(f"SELECT count(*) FROM {log}").fetchone()[0]
        assert rows > 0, log
        assert conn.execute("SELECT count(*) FROM chain WHERE log = ?", (log,)
                            ).fetchone()[0] == rows, log
    result = cli("doctor", "--format", "json")
    assert result.code == 0, result.out
    assert set(result.json()["chain_heads"]) == {
        "attempts", "attempt_tasks", "patient_events", "complaint_events", "audit",
        "alert_events", "alerts", "rechecks", "sms", "sms_tasks"}


def test_doctor_reports_a_damaged_page(cli, ledger: Path) -> None:
    """One page of the tasks table overwritten: doctor says what it could not read."""
    conn = sqlite3.connect(ledger)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tasks'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with ledger.open("r+b") as f:
        f.seek((page - 1) * size)
        f.write(bytes(range(256)) * (size // 256))
    result = cli("doctor", "--format", "json")
    assert result.code == 1, result.err
    problems = result.json()["problems"]
    assert "tasks_disagreeing_with_calls" in problems["unreadable"]
    table = cli("doctor")
    assert table.code == 1 and table.err == ""
    assert "✗ could not be read (the ledger is damaged)" in table.out
    # a command that reads the page says the ledger is damaged, not "internal error"
    result = cli("due", "--date", "2026-11-03")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"followup: the ledger {ledger} is damaged beyond what SQLite can " \
                         "read: restore it from a backup\n"
    assert table.out.count("\n") < 8   # a few lines, not SQLite's hundred
    # a backup of it is kept, and says the ledger is damaged
    copy = ledger.parent / "copy.db"
    backup = cli("backup", str(copy))
    assert backup.code == 1 and copy.exists()
    assert backup.err.startswith(f"the copy is in {copy}, but the ledger itself is damaged (")


def test_doctor_finds_flags_changed_beside_their_history(cli, ledger: Path) -> None:
    """A case closed, or a patient's "never call" lifted, by hand: no trigger stops such an
    UPDATE, but the chained history says otherwise."""
    complaint = "患者对术后肿胀时间过长不满意，要求主治医生当面解释原因。"
    assert cli("log", "--patient", "C2", "-o", "complaint", "--note", complaint, "--when",
               "2026-11-03T19:05").code == 0
    assert cli("log", "--patient", "C1", "-o", "do_not_call", "--when",
               "2026-11-04T15:00").code == 0
    assert cli("doctor").code == 0
    _tamper(ledger, "UPDATE complaints SET status = 'closed'",
            "UPDATE patients SET do_not_call = 0 WHERE patient_id = 'C1'")
    result = cli("doctor", "--format", "json")
    assert result.code == 1
    assert result.json()["problems"] == {"complaints_disagreeing_with_history": [1],
                                         "patients_disagreeing_with_events": ["C1"]}
    assert "patients whose do-not-call or wrong-number flag is not what their events say: C1" \
        in cli("doctor").out


def test_a_whole_chain_rewritten_is_caught_by_a_fingerprint_kept_elsewhere(
        cli, ledger: Path) -> None:
    import hashlib

    from followup_cli.ledger.chain import LOGS

    noted = cli("doctor", "--format", "json").json()["anchor"]
    assert f"fingerprint of the logs: {noted} " in cli("doctor").out
    assert cli("log", "--patient", "C2", "-o", "no_answer", "--when",
               "2026-11-03T19:10").code == 0
    assert cli("doctor", "--anchor", noted).code == 0      # later calls keep it holding
    # someone with the sqlite3 shell rewrites the first call and its whole chain after it
    conn = sqlite3.connect(ledger, isolation_level=None)
    guards = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name IN ('attempts_append_only_update', "
        "'chain_append_only_update')")]
    for name in ("attempts_append_only_update", "chain_append_only_update"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE attempts SET note = '患者非常满意，没有任何不适，感谢医生团队的悉心照顾。', "
                 "satisfaction = 5 WHERE attempt_id = 1")
    columns = ", ".join(LOGS["attempts"][2])
    previous = None
    for attempt_id, content in conn.execute(
            f"SELECT attempt_id, json_array({columns}) FROM attempts ORDER BY attempt_id"
    ).fetchall():
        previous = hashlib.sha256(((previous or "") + content).encode()).hexdigest()
        conn.execute("UPDATE chain SET hash = ? WHERE log = 'attempts' AND row_id = ?",
                     (previous, attempt_id))
    for sql in guards:   # the guards put back as they were
        conn.execute(sql)
    conn.close()
    assert cli("doctor").code == 0                          # the chain alone cannot tell
    caught = cli("doctor", "--anchor", noted)
    assert caught.code == 1
    assert f"fingerprints noted earlier that no longer hold (the logs before them were " \
           f"rewritten): {noted}" in caught.out
    bad = cli("doctor", "--anchor", "12-ab")
    assert (bad.code, bad.err) == (2, "followup: --anchor 12-ab: not a fingerprint followup "
                                      "doctor gave\n")


def test_the_month_report_carries_the_fingerprint(cli, ledger: Path, tmp_path: Path) -> None:
    report = cli("report", "--month", "2026-11", "--date", "2026-11-04", "--format", "json")
    printed = report.json()["fingerprint"]
    assert printed == cli("doctor", "--format", "json").json()["anchor"]
    assert cli("report", "--month", "2026-11", "--date", "2026-11-04", "--format", "html",
               "-O", str(tmp_path / "r.html")).code == 0
    assert printed in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert cli("doctor", "--anchor", printed).code == 0


def _evidence(cli, ledger: Path, tmp_path: Path) -> None:  # noqa: ANN001
    """A warning sign heard (an alert and its answer), a re-check booked, an SMS sent."""
    steps = [
        ("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--sign", "fever",
         "--booked", "2026-11-20", "--when", "2026-11-04T15:00"),
        ("alert", "ack", "1", "--by", "吴医生", "--note", "已电话指导，明早复诊",
         "--when", "2026-11-04T15:20"),
        ("log", "--patient", "C2", "-o", "no_answer", "--when", "2026-11-04T16:00"),
        ("log", "--patient", "C2", "-o", "no_answer", "--when", "2026-11-04T19:00"),
        ("sms", "export", "--date", "2026-11-04", "--at", "2026-11-04T19:30", "--format",
         "csv", "-O", str(tmp_path / "sms.csv")),
    ]
    for args in steps:
        result = cli(*args)
        assert result.code == 0, (args, result.err)


def test_alerts_rechecks_and_messages_are_chained_too(cli, ledger: Path, tmp_path: Path) -> None:
    """Migration 014: alert events, alerts, re-checks, messages and their tasks each land in
    their chain; an answer filled in later (ack, receipt) keeps the ledger sound."""
    _evidence(cli, ledger, tmp_path)
    conn = sqlite3.connect(ledger)
    for log in ("alert_events", "alerts", "rechecks", "sms", "sms_tasks"):
        rows = conn.execute(f"SELECT count(*) FROM {log}").fetchone()[0]
        assert rows > 0, log
        assert conn.execute("SELECT count(*) FROM chain WHERE log = ?", (log,)
                            ).fetchone()[0] == rows, log
    conn.close()
    result = cli("doctor", "--format", "json")
    assert result.code == 0, result.out
    assert set(result.json()["chain_heads"]) >= {"alert_events", "alerts", "rechecks", "sms",
                                                 "sms_tasks"}
    assert len(result.json()["anchor"].split("-")) == 11     # ten logs and the digest


@pytest.mark.parametrize(("statement", "refusal"), [
    ("UPDATE alerts SET doctor = '某医生' WHERE alert_id = 1", "alerts are kept as opened"),
    ("UPDATE alerts SET urgency = 'routine'", "alerts are kept as opened"),
    ("UPDATE rechecks SET booked_for = '2027-01-01'", "a booked re-check is kept as booked"),
    ("UPDATE sms SET text = '您好'", "sent messages are kept as sent"),
    ("UPDATE sms_tasks SET kind = 'x'", "sent messages are kept as sent"),
    ("INSERT OR REPLACE INTO alerts SELECT * FROM alerts", "alerts are kept as opened"),
    ("INSERT OR REPLACE INTO sms SELECT * FROM sms", "sent messages are kept as sent"),
])
def test_what_was_recorded_with_an_alert_booking_or_message_is_refused_a_change(
        cli, ledger: Path, tmp_path: Path, statement: str, refusal: str) -> None:
    from followup_cli.ledger import chain

    _evidence(cli, ledger, tmp_path)
    conn = sqlite3.connect(ledger, isolation_level=None)
    chain.register(conn)     # a client that could write the logs: the guards still refuse
    with pytest.raises(sqlite3.IntegrityError, match=refusal):
        conn.execute(statement)
    conn.close()
    # what a later answer fills in stays writable
    _tamper(ledger, "UPDATE sms SET status = 'delivered', status_at = '2026-11-04T20:00:00'")
    assert cli("doctor").code == 0


@pytest.mark.parametrize(("statements", "log", "trigger"), [
    (["DROP TRIGGER alerts_kept_as_written", "UPDATE alerts SET doctor = '某医生'"],
     "alerts", "alerts_kept_as_written"),
    (["DROP TRIGGER alert_events_append_only_delete",
      "DELETE FROM alert_events WHERE action = 'ack'"], "alert_events",
     "alert_events_append_only_delete"),
    (["DROP TRIGGER sms_kept_as_written", "UPDATE sms SET text = '您好'"], "sms",
     "sms_kept_as_written"),
])
def test_doctor_shows_an_alert_or_message_changed_behind_its_back(
        cli, ledger: Path, tmp_path: Path, statements: list[str], log: str,
        trigger: str) -> None:
    _evidence(cli, ledger, tmp_path)
    _tamper(ledger, *statements)
    result = cli("doctor", "--format", "json")
    assert result.code == 1
    problems = result.json()["problems"]
    assert set(problems["chains"]) == {log}
    assert problems["triggers"] == {trigger: "missing"}


def test_a_ledger_from_before_migration_014_is_chained_and_its_fingerprint_holds(
        cli, ledger: Path, tmp_path: Path) -> None:
    """A ledger whose alerts, bookings and messages were written before they were chained:
    opening it chains them in id order, and a fingerprint noted then (five logs) holds."""
    from followup_cli.ledger import chain

    _evidence(cli, ledger, tmp_path)
    # put the ledger back as migration 013 left it: no chain entries, no triggers of 014
    conn = sqlite3.connect(ledger, isolation_level=None)
    new_logs = list(chain.LOGS)[5:]
    guard = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                         "'chain_append_only_delete'").fetchone()[0]
    conn.execute("DROP TRIGGER chain_append_only_delete")
    conn.execute(f"DELETE FROM chain WHERE log IN ({', '.join('?' * len(new_logs))})",
                 new_logs)
    conn.execute(guard)
    for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE '%_chained' "
            "OR name LIKE '%_kept_as_written' OR name LIKE '%_no_replace') AND "
            "tbl_name IN ('alert_events', 'alerts', 'rechecks', 'sms', 'sms_tasks') AND name "
            "!= 'alert_events_no_replace'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm014_more_chained_logs'")
    conn.execute("PRAGMA user_version = 13")
    chain.register(conn)
    places = [conn.execute("SELECT coalesce(max(seq), 0) FROM chain WHERE log = ?",
                           (log,)).fetchone()[0] for log in list(chain.LOGS)[:5]]
    noted = chain._fingerprint(conn, places)
    conn.close()
    assert len(noted.split("-")) == 6                       # five logs and the digest

    result = cli("doctor", "--anchor", noted, "--format", "json")   # migrates, then checks
    assert result.code == 0, result.out
    conn = sqlite3.connect(ledger)
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 14
    for log in new_logs:
        assert conn.execute("SELECT count(*) FROM chain WHERE log = ?", (log,)
                            ).fetchone()[0] == conn.execute(f"SELECT count(*) FROM {log}"
                                                            ).fetchone()[0] > 0, log
    conn.close()
