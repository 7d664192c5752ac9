"""Many agents at once: W processes each log C calls into one ledger through the CLI
(in-process `run`, as `followup log` does), while other processes read the sheet and
import visits. Then: every call is in the ledger exactly once, no "database is locked",
and every task's state agrees with its calls (`followup doctor`).

    python bench/stress.py                       # 8 workers x 500 calls (the issue's size)
    python bench/stress.py --workers 4 --calls 40   # what CI runs
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

DAY = "2026-11-03"
HEADER = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态"


def export(path: Path, first: int, count: int, visit_day: str = "2026-11-02") -> Path:
    rows = [f"S{i:06d},P{i:06d},患者{i},138{i:08d},{visit_day},吸脂,未到诊"
            for i in range(first, first + count)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def worker(db: str, index: int, calls: int, queue: mp.Queue) -> None:
    """One agent: per patient a failed call, then a reached one (two calls each)."""
    from followup_cli.cli import run

    os.environ["FOLLOWUP_LANG"] = "en"
    patients = calls // 2
    codes: dict[int, int] = {}
    started = time.perf_counter()
    devnull = open(os.devnull, "w")  # noqa: SIM115
    sys.stdout = devnull
    for k in range(patients):
        pid = f"P{index * patients + k:06d}"
        for step, outcome in enumerate(("no_answer", "reached")):
            note = (f"worker {index} call {k} step {step}: "
                    "患者恢复良好，已提醒按时来院复查并注意饮食清淡。")
            code = run(["--db", db, "log", "--patient", pid, "-o", outcome, "--note",
                        note if outcome == "reached" else note[:30], "--agent", f"agent{index}",
                        "--when", f"{DAY}T{15 + step * 4}:{k % 60:02d}"])
            codes[code] = codes.get(code, 0) + 1
    queue.put((index, codes, time.perf_counter() - started))


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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--calls", type=int, default=500, help="calls per worker (even)")
    args = parser.parse_args()
    from followup_cli.cli import run

    os.environ["FOLLOWUP_LANG"] = "en"
    tmp = Path(tempfile.mkdtemp())
    db = str(tmp / "stress.db")
    patients = args.workers * (args.calls // 2)
    assert run(["--db", db, "import", "visits", str(export(tmp / "v.csv", 0, patients)),
                "--date", DAY]) == 0
    extra = export(tmp / "more.csv", patients, 500, visit_day=DAY)
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=worker, args=(db, i, args.calls, queue))
             for i in range(args.workers)]
    procs.append(mp.Process(target=importer, args=(db, str(extra), queue)))
    started = time.perf_counter()
    for p in procs:
        p.start()
    side = mp.Process(target=reader, args=(db, 5.0, queue))
    side.start()
    results = [queue.get() for _ in procs] + [queue.get()]
    for p in [*procs, side]:
        p.join()
    elapsed = time.perf_counter() - started

    workers = [r for r in results if isinstance(r[0], int)]
    codes: dict[int, int] = {}
    for _, worker_codes, _ in workers:
        for code, n in worker_codes.items():
            codes[code] = codes.get(code, 0) + n
    expected = args.workers * (args.calls // 2) * 2
    conn = sqlite3.connect(db)
    logged = conn.execute("SELECT count(*), count(DISTINCT note) FROM attempts").fetchone()
    lost = expected - logged[0]
    duplicates = logged[0] - logged[1]
    doctor = run(["--db", db, "doctor"])
    reader_result = next(r for r in results if r[0] == "reader")
    import_code = next(r for r in results if r[0] == "importer")[1]
    busy = max(seconds for _, _, seconds in workers)
    print(f"workers {args.workers} x {args.calls} calls = {expected} calls in {busy:.1f} s: "
          f"{expected / busy:.0f} calls/s by all agents together ({elapsed:.1f} s in all)")
    print(f"exit codes {codes}; attempts in ledger {logged[0]}; lost {lost}; "
          f"duplicated {duplicates}")
    print(f"concurrent due runs {reader_result[1]} (failed {reader_result[2]}); "
          f"concurrent import exit {import_code}; doctor exit {doctor}")
    ok = (codes == {0: expected} and lost == 0 and duplicates == 0 and doctor == 0
          and reader_result[2] == 0 and import_code == 0)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
