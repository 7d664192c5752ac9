"""Many agents at once, and hostile input: nothing lost, nothing let in."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import write_export

ROOT = Path(__file__).resolve().parents[1]


def test_stress_at_reduced_size() -> None:
    """bench/stress.py at 4 agents x 40 calls (the full 8 x 500 run is in the README)."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "stress.py"), "--workers",
                             "4", "--calls", "40"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost 0; duplicated 0" in result.stdout
    assert "locked" not in result.stdout + result.stderr


def test_names_that_look_like_sql_are_just_names(cli, tmp_path: Path) -> None:
    hostile = "'); DROP TABLE visits;--"
    export = write_export(tmp_path / "v.csv", [
        f"A1,C1,\"{hostile}\",13812345678,2026-11-02,双眼皮,成交,,,,,,,",
        "A2,\"C2' OR '1'='1\",王五,13912345678,2026-11-02,\"隆鼻\"\" --\",成交,,,,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    conn = sqlite3.connect(tmp_path / "ledger.db")
    assert conn.execute("SELECT name FROM patients WHERE patient_id = 'C1'").fetchone() == (
        hostile,)
    assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 2
    result = cli("patient", "C2' OR '1'='1", "--format", "json")
    assert result.code == 0 and result.json()["patient"]["name"] == "王五"
    assert cli("patient", "' OR 1=1 --").code == 2
