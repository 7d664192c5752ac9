"""Many agents at once: W processes each log C calls into one ledger through the CLI
(in-process `run`, as `followup log` does), while other processes read the sheet and
import visits. Then: every call is in the ledger exactly once, no "database is locked",
and every task's state agrees with its calls (`followup doctor`).

    python bench/stress.py                       # 8 workers x 500 calls (the issue's size)
    python bench/stress.py --workers 4 --calls 40   # what CI runs

bench/web_load.py runs the same agents' calls over HTTP and these functions beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's followup, not an installed one

DAY = "2026-11-03"
HEADER = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态"
NOTE = "患者恢复良好，已提醒按时来院复查并注意饮食清淡。"


def export(path: Path, first: int, count: int, visit_day: str = "2026-11-02") -> Path:
    rows = [f"S{i:06d},P{i:06d},患者{i},138{i:08d},{visit_day},吸脂,未到诊"
            for i in range(first, first + count)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def new_ledger(folder: Path, patients: int, day: str = DAY) -> str:
    """A fresh ledger of `patients` patients seen the day before `day`, imported on `day`:
    one open call each on `day`'s sheet."""
    from datetime import date, timedelta

    from followup_cli.cli import run

    os.environ["FOLLOWUP_LANG"] = "en"
    db = str(folder / "stress.db")
    visit_day = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    csv = export(folder / "v.csv", 0, patients, visit_day=visit_day)
    with contextlib.redirect_stdout(io.StringIO()):
        code = run(["--db", db, "import", "visits", str(csv), "--date", day])
    if code != 0:
        raise SystemExit("the stress ledger could not be imported")
    return db


def agent_calls(index: int, calls: int, first: int | None = None) -> list[tuple[str, str, str]]:
    """One agent's calls: per patient a failed call, then a reached one (two calls each),
    on patients P{first}… (default: the agent's own block); (patient, outcome, note). Every
    note is different, so a call logged twice shows (`tally`)."""
    patients = calls // 2
    first = index * patients if first is None else first
    out = []
    for k in range(patients):
        for step, outcome in enumerate(("no_answer", "reached")):
            note = f"worker {index} call {k} step {step}: {NOTE}"
            out.append((f"P{first + k:06d}", outcome, note if outcome == "reached" else note[:30]))
    return out


def worker(db: str, index: int, calls: int, queue: mp.Queue, first: int | None = None,
           day: str | None = DAY) -> None:
    """One agent through the CLI: `agent_calls`, logged at 15:xx and 19:xx of `day`
    (--when), or now (day None)."""
    from followup_cli.cli import run

    os.environ["FOLLOWUP_LANG"] = "en"
    codes: dict[int, int] = {}
    started = time.perf_counter()
    devnull = open(os.devnull, "w")  # noqa: SIM115
    sys.stdout = devnull
    for n, call in enumerate(agent_calls(index, calls, first)):
        code = run(log_args(db, index, n, call, day))
        codes[code] = codes.get(code, 0) + 1
    queue.put((index, codes, time.perf_counter() - started))


def log_args(db: str, index: int, n: int, call: tuple[str, str, str],
             day: str | None = DAY) -> list[str]:
    """The `followup log` arguments of agent `index`'s n-th call (`agent_calls`)."""
    pid, outcome, note = call
    k, step = divmod(n, 2)
    when = ["--when", f"{day}T{15 + step * 4}:{k % 60:02d}"] if day else []
    return ["--db", db, "log", "--patient", pid, "-o", outcome, "--note", note,
            "--agent", f"agent{index}", *when]


def reader(db: str, seconds: float, queue: mp.Queue) -> None:
    from followup_cli.cli import run

    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    ends, runs, bad = time.time() + seconds, 0, 0
    while time.time() < ends:
        bad += run(["--db", db, "due", "--date", DAY, "--format", "json"]) != 0
        runs += 1
    queue.put(("reader", runs, bad))


def importer(db: str, csv: str, queue: mp.Queue) -> None:
    from followup_cli.cli import run

    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    queue.put(("importer", run(["--db", db, "import", "visits", csv, "--date", DAY])))


def tally(db: str, expected: int) -> dict[str, int]:
    """The calls in the ledger against the `expected` attempts: lost, duplicated (a note
    twice), and `followup doctor`'s exit code."""
    from followup_cli.cli import run

    conn = sqlite3.connect(db)
    logged, distinct = conn.execute(
        "SELECT count(*), count(DISTINCT note) FROM attempts").fetchone()
    conn.close()
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115
    try:
        doctor = run(["--db", db, "doctor"])
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    return {"logged": logged, "lost": expected - logged, "duplicates": logged - distinct,
            "doctor": doctor}


def stress(workers: int, calls: int, *, side: bool = True) -> dict[str, Any]:
    """W worker processes x C calls through the CLI into a fresh ledger (with `side`, a
    reader of the sheet and an import at the same time); the figures."""
    tmp = Path(tempfile.mkdtemp())
    patients = workers * (calls // 2)
    db = new_ledger(tmp, patients)
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=worker, args=(db, i, calls, queue)) for i in range(workers)]
    if side:
        extra = export(tmp / "more.csv", patients, 500, visit_day=DAY)
        procs.append(mp.Process(target=importer, args=(db, str(extra), queue)))
        procs.append(mp.Process(target=reader, args=(db, 5.0, queue)))
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started

    done = [r for r in results if isinstance(r[0], int)]
    codes: dict[int, int] = {}
    for _, worker_codes, _ in done:
        for code, n in worker_codes.items():
            codes[code] = codes.get(code, 0) + n
    expected = workers * (calls // 2) * 2
    busy = max(seconds for _, _, seconds in done)
    figures: dict[str, Any] = {"workers": workers, "calls": calls, "expected": expected,
                               "busy_s": busy, "elapsed_s": elapsed, "codes": codes,
                               "calls_per_s": expected / busy, **tally(db, expected)}
    if side:
        figures["reader"] = next(r for r in results if r[0] == "reader")[1:]
        figures["import_code"] = next(r for r in results if r[0] == "importer")[1]
    figures["ok"] = (codes == {0: expected} and figures["lost"] == 0
                     and figures["duplicates"] == 0 and figures["doctor"] == 0
                     and (not side or (figures["reader"][1] == 0
                                       and figures["import_code"] == 0)))
    return figures


def describe(f: dict[str, Any]) -> list[str]:
    lines = [f"workers {f['workers']} x {f['calls']} calls = {f['expected']} calls in "
             f"{f['busy_s']:.1f} s: {f['calls_per_s']:.0f} calls/s by all agents together "
             f"({f['elapsed_s']:.1f} s in all)",
             f"exit codes {f['codes']}; attempts in ledger {f['logged']}; lost {f['lost']}; "
             f"duplicated {f['duplicates']}"]
    if "reader" in f:
        lines.append(f"concurrent due runs {f['reader'][0]} (failed {f['reader'][1]}); "
                     f"concurrent import exit {f['import_code']}; doctor exit {f['doctor']}")
    else:
        lines.append(f"doctor exit {f['doctor']}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--calls", type=int, default=500, help="calls per worker (even)")
    args = parser.parse_args()
    figures = stress(args.workers, args.calls)
    print("\n".join(describe(figures)))
    print("OK" if figures["ok"] else "FAILED")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
