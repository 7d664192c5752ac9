"""followup doctor and followup backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


@pytest.fixture
def ledger(cli, tmp_path: Path) -> Path:
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,",
        "A2,C2,冯雪,13734567890,2026-11-02,光子嫩肤,成交,,,,,,,"])
    cli("import", "visits", str(export), "--date", "2026-11-02")
    cli("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when", "2026-11-03T15:00")
    cli("log", "--patient", "C2", "-o", "no_answer", "--when", "2026-11-03T15:00")
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
    assert f"tasks whose state disagrees with their calls: [{task}]" in result.out


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
