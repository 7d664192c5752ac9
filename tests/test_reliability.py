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


def _race(db: Path, target: list[str], day: str) -> list[subprocess.CompletedProcess[str]]:
    """Two agents log the same call at the same moment, each in its own process."""
    note = "患者恢复良好，已提醒按时复查并注意饮食。"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "followup_cli", "--db", str(db), "--lang", "en", "log", *target,
         "-o", "reached", "--note", note, "--agent", agent, "--when", f"{day}T16:0{i}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, agent in enumerate(("alice", "bob"))]
    outs = [p.communicate(timeout=60) for p in procs]
    return [subprocess.CompletedProcess(p.args, p.returncode, o, e)
            for p, (o, e) in zip(procs, outs, strict=True)]


def test_two_agents_one_patient_the_second_is_refused_with_who_and_when(tmp_path: Path) -> None:
    """Two processes log the same task (or the same patient) at once, six times over: exactly
    one lands each time; the other exits 2 naming the agent who settled it and when."""
    day = "2026-11-03"
    db = tmp_path / "race.db"
    export = write_export(tmp_path / "v.csv", [
        f"R{i},P{i},患者{i},1381234567{i},2026-11-02,吸脂,未到诊,,,,,,," for i in range(6)])
    assert subprocess.run([sys.executable, "-m", "followup_cli", "--db", str(db), "import",
                           "visits", str(export), "--date", day],
                          capture_output=True).returncode == 0
    conn = sqlite3.connect(db)
    for i in range(6):
        if i % 2:
            target = ["--patient", f"P{i}"]
        else:
            (task_id,) = conn.execute("SELECT min(task_id) FROM tasks WHERE patient_id = ? "
                                      "AND due_date <= ?", (f"P{i}", day)).fetchone()
            target = [str(task_id)]
        results = _race(db, target, day)
        codes = sorted(r.returncode for r in results)
        assert codes == [0, 2], [(r.returncode, r.stderr) for r in results]
        winner = next(r for r in results if r.returncode == 0)
        loser = next(r for r in results if r.returncode == 2)
        who = "alice" if "alice" in winner.args else "bob"
        assert who in loser.stderr and f"{day} 16:0" in loser.stderr, loser.stderr
        assert "Traceback" not in loser.stderr
        assert conn.execute("SELECT count(*), min(agent) FROM attempts WHERE patient_id = ?",
                            (f"P{i}",)).fetchone() == (1, who)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
