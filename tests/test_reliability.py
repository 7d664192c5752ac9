"""Many agents at once, and hostile input: nothing lost, nothing let in."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_export

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
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
    note = "患者恢复良好，已提醒按时来院复查并注意饮食清淡。"
    procs = [subprocess.Popen(
        [sys.executable, "-m", "followup_cli", "--db", str(db), "--lang", "en", "log", *target,
         "-o", "reached", "--note", note, "--agent", agent, "--when", f"{day}T16:0{i}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i, agent in enumerate(("alice", "bob"))]
    outs = [p.communicate(timeout=60) for p in procs]
    return [subprocess.CompletedProcess(p.args, p.returncode, o, e)
            for p, (o, e) in zip(procs, outs, strict=True)]


@pytest.mark.slow
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


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")   # as a long import does
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


def _while_held(db: Path, seconds: float, *args: str, **env: str
                ) -> subprocess.CompletedProcess[str]:
    """Run followup ARGS while another process holds the ledger's write lock."""
    import os

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        return subprocess.run([sys.executable, "-m", "followup_cli", "--db", str(db), "--lang",
                               "en", *args], capture_output=True, text=True, timeout=120,
                              env={**os.environ, **env})
    finally:
        holder.kill()   # done with: followup waited it out, or gave up on it
        holder.wait(timeout=60)


def _ledger(tmp_path: Path) -> Path:
    db = tmp_path / "busy.db"
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,"])
    assert subprocess.run([sys.executable, "-m", "followup_cli", "--db", str(db), "import",
                           "visits", str(export), "--date", "2026-11-02"],
                          capture_output=True).returncode == 0
    return db


NOTE = "患者恢复良好，已提醒按时来院复查并注意饮食清淡。"
LOG = ("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when", "2026-11-03T15:00")


def test_a_call_waits_for_a_long_write_and_is_recorded(tmp_path: Path) -> None:
    """Issue 2: an import held the ledger longer than the busy timeout and the call was
    lost. Now `log` (the fast path, no typer) waits, says so, and records the call."""
    db = _ledger(tmp_path)
    result = _while_held(db, 2.5, *LOG)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "followup: waiting for the ledger: another followup is writing (an import?)…\n")
    assert sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0] == 1


def test_a_write_that_cannot_wait_longer_says_nothing_was_recorded(tmp_path: Path) -> None:
    """Past the limit ($FOLLOWUP_WAIT_LIMIT, minutes by default): exit 2, nothing written,
    on the fast path and through typer alike."""
    db = _ledger(tmp_path)
    for args in (LOG, ("patient", "set-phone", "C1", "13700000000")):
        result = _while_held(db, 4, *args, FOLLOWUP_WAIT_LIMIT="1.5")
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            "followup: waiting for the ledger: another followup is writing (an import?)…\n"
            f"followup: the ledger {db} stayed busy (another followup is writing): nothing was "
            "recorded, try again\n")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0
    assert conn.execute("SELECT phone FROM patients").fetchone()[0] == "13812345678"
