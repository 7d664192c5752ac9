"""Crashes leave the ledger as before or as after; bad input never breaks anything."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup_cli.cli import run

HEADER = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态"


def big_export(path: Path, n: int) -> Path:
    rows = [f"K{i:06d},Q{i:06d},患者{i},139{i:08d},2026-11-02,双眼皮,成交" for i in range(n)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (conn.execute("SELECT count(*) FROM visits").fetchone()[0],
                conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
    finally:
        conn.close()


def test_an_import_killed_at_any_moment(tmp_path: Path) -> None:
    """SIGKILL an import at random moments: the ledger is always exactly as before or
    exactly as after, and re-running completes it."""
    db = tmp_path / "crash.db"
    assert run(["--db", str(db), "init"]) == 0
    export = big_export(tmp_path / "big.csv", 6000)   # about 1.7 s to import here
    cmd = [sys.executable, "-m", "followup_cli", "--db", str(db), "import", "visits",
           str(export), "--date", "2026-11-02"]
    rng = random.Random(7)
    killed_midway = 0
    for _ in range(8):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = counts(db)
        assert state in ((0, 0), (6000, 54000)), state
        if state != (0, 0):
            break
        killed_midway += 1
    assert killed_midway >= 3, "the kills did not land while the import was running"
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert counts(db) == (6000, 54000)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    db = tmp_path / "fuzz.db"
    code = run(["--db", str(db), "import", "visits", str(path), "--date", "2026-11-02"])
    assert code in (0, 2)
    if code == 2 and db.exists():
        assert counts(db) == (0, 0)


cells = st.one_of(st.text(max_size=30), st.sampled_from([
    "", "=cmd|' /C calc'!A0", "2026-02-30", "2026年13月1日", "99999999", "+86 138 0000 0000",
    "'); DROP TABLE visits;--", "成交", "未到诊", "高", "是", "x" * 500, "46296.5"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=9), max_size=6),
       header=st.permutations(["客户编号", "姓名", "手机号", "就诊日期", "项目", "状态", "风险等级"]))
def test_random_exports_never_break_anything(tmp_path: Path, rows, header) -> None:  # noqa: ANN001
    import csv

    path = tmp_path / "rows.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    db = tmp_path / "rows.db"
    if db.exists():
        os.remove(db)
    code = run(["--db", str(db), "import", "visits", str(path), "--date", "2026-11-02"])
    assert code in (0, 2)
    if code == 2 and db.exists():
        assert counts(db) == (0, 0)
