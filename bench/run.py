"""How followup's cost grows with the ledger: 10 k, 100 k and 1 M visits.

    python bench/run.py                         # 10k, 100k, 1M (about 20 min the first time)
    python bench/run.py --sizes 10000,100000    # smaller
    python bench/run.py --runs 9                # more runs per median

For each size it writes a visit export (bench/generate.py) and measures, each as a whole
`followup` process started from the shell, the median of --runs runs:
  import     the whole export into a new ledger (visits/s, planning included; peak memory)
  due json   `due --date TODAY --format json` on a worked ledger (bench/generate.py ledger:
             the same last year at every size, so the same sheet; older history grows)
  due table  the same as the table an agent reads
  log        one reached call on a patient of today's sheet (2 x --runs patients)
  report     `report --month` of this month, JSON
  version    `followup --version`
and then how each figure grows from the smallest size to the largest. Exports and worked
ledgers are kept in bench/.data/ (ignored by git) and reused while bench/generate.py and
the default rules are unchanged; delete the folder to rebuild.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
TARGETS = {"version_ms": 60, "due_json_ms": 80, "due_table_ms": 120, "log_ms": 100,
           "report_ms": 1000, "import_visits_s": 50_000, "import_peak_mb": 300}
NOTE = "患者反馈恢复顺利，已提醒按时复查并注意饮食清淡，无其他不适。"


def followup(*args: str) -> list[str]:
    exe = shutil.which("followup", path=str(Path(sys.executable).parent))
    return [exe or "followup", *args]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall-clock milliseconds of one whole process; fails loudly if it fails."""
    started = time.perf_counter()
    result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
    return elapsed


def median(cmd: list[str], env: dict[str, str], runs: int) -> float:
    timed(cmd, env)  # warm the page cache and the interpreter's .pyc files
    return statistics.median(timed(cmd, env) for _ in range(runs))


def peak_import(ledger: Path, export: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak resident MB of one import into a new ledger: the followup process
    and the process it forks to read a large file, summed (sampled every 20 ms)."""
    for extra in ("", "-wal", "-shm"):
        Path(f"{ledger}{extra}").unlink(missing_ok=True)
    started = time.perf_counter()
    with open(DATA / "import-stderr.txt", "w+") as err:
        process = subprocess.Popen(followup(
            "--db", str(ledger), "import", "visits", str(export), "--date",
            env["BENCH_TODAY"]), stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_rss_kb(pid) for pid in (process.pid,
                                                          *_children(process.pid))))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"import of {export} failed: {err.read()[-500:]}")
    return seconds, peak / 1024


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def builder_hash() -> str:
    """What the generated data depends on. A worked ledger built by an older followup is
    still good: opening it migrates it, as it would a clinic's."""
    text = b"".join((ROOT / p).read_bytes() for p in (
        "bench/generate.py", "followup_cli/rules/default.toml"))
    return hashlib.sha256(text).hexdigest()[:10]


def prepare(n: int, today: date) -> tuple[Path, Path]:
    """The export and the worked ledger of n visits, built once per code version."""
    DATA.mkdir(exist_ok=True)
    tag = f"{n}-{today}-{builder_hash()}"
    export, ledger = DATA / f"visits-{tag}.csv", DATA / f"worked-{tag}.db"
    gen = [sys.executable, str(ROOT / "bench" / "generate.py")]
    if not export.exists():
        subprocess.run([*gen, "export", str(export), "--visits", str(n), "--end",
                        today.isoformat()], check=True, stdout=subprocess.DEVNULL)
    if not ledger.exists():
        started = time.perf_counter()
        partial = ledger.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run([*gen, "ledger", str(partial), str(export), "--today",
                        today.isoformat()], check=True, stdout=subprocess.DEVNULL)
        partial.rename(ledger)
        print(f"  built the worked ledger of {n:,} visits in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    return export, ledger


def measure(n: int, today: date, runs: int, import_runs: int) -> dict[str, float]:
    export, worked = prepare(n, today)
    env = {**os.environ, "FOLLOWUP_LANG": "zh", "COLUMNS": "120", "BENCH_TODAY":
           today.isoformat(), "FOLLOWUP_AGENT": "bench"}
    fresh = DATA / f"import-{n}.db"
    imports = [peak_import(fresh, export, env) for _ in range(import_runs)]
    seconds = statistics.median(s for s, _ in imports)
    figures = {"visits": n, "import_visits_s": n / seconds,
               "import_peak_mb": max(mb for _, mb in imports),
               "ledger_mb": worked.stat().st_size / 1e6}
    for extra in ("", "-wal", "-shm"):
        Path(f"{fresh}{extra}").unlink(missing_ok=True)
    work = DATA / f"work-{n}.db"
    shutil.copyfile(worked, work)
    with open(work, "rb+") as f:   # else the first commits pay for flushing the whole copy
        os.fsync(f.fileno())
    day = today.isoformat()
    db = ["--db", str(work)]
    sheet = json.loads(subprocess.run(followup(*db, "due", "--date", day, "--format", "json"),
                                      capture_output=True, env=env, check=True).stdout)
    figures["sheet_tasks"] = len(sheet)
    figures["due_json_ms"] = median(followup(*db, "due", "--date", day, "--format", "json"),
                                    env, runs)
    figures["due_table_ms"] = median(followup(*db, "due", "--date", day), env, runs)
    patients = sorted({row["patient_id"] for row in sheet})
    logs = [timed(followup(*db, "log", "--patient", pid, "-o", "reached", "--note", NOTE,
                           "--satisfaction", "5", "--when", f"{day}T15:00"), env)
            for pid in patients[1:2 * runs + 2]]   # a call each for 2 x runs patients
    figures["log_ms"] = statistics.median(logs[1:])
    figures["report_ms"] = median(followup(*db, "report", "--month", day[:7], "--date", day,
                                           "--format", "json"), env, runs)
    figures["version_ms"] = median(followup("--version"), env, runs)
    work.unlink()
    for extra in ("-wal", "-shm"):
        Path(f"{work}{extra}").unlink(missing_ok=True)
    return figures


def yardstick(env: dict[str, str], runs: int) -> str:
    """How fast this machine is today, to compare figures taken on different days: the
    same kind of machine has measured up to 2x apart between sessions."""
    loop = [sys.executable, "-c", "sum(i * i for i in range(10 ** 7))"]
    bare = median([sys.executable, "-c", "pass"], env, runs)
    typer = median([sys.executable, "-c", "import typer"], env, runs)
    cpu = median(loop, env, 3) - bare
    return (f"yardstick: bare python {bare:.0f} ms, import typer {typer:.0f} ms, "
            f"10M-step Python loop {cpu:.0f} ms")


ROWS = [("import_visits_s", "import, visits/s", "{:,.0f}"),
        ("import_peak_mb", "import, peak MB", "{:.0f}"),
        ("ledger_mb", "worked ledger, MB", "{:.0f}"),
        ("sheet_tasks", "today's sheet, tasks", "{:.0f}"),
        ("due_json_ms", "due --format json, ms", "{:.0f}"),
        ("due_table_ms", "due (table), ms", "{:.0f}"),
        ("log_ms", "log one call, ms", "{:.0f}"),
        ("report_ms", "report --month, ms", "{:.0f}"),
        ("version_ms", "followup --version, ms", "{:.0f}")]


def meets(key: str, value: float) -> str:
    if key not in TARGETS:
        return ""
    target = TARGETS[key]
    ok = value >= target if key == "import_visits_s" else value <= target
    sign = "≥" if key == "import_visits_s" else "≤"
    return f"{'ok ' if ok else 'MISS'} {sign} {target:,}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=7, help="runs per median")
    parser.add_argument("--import-runs", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"followup benchmark: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}; "
          f"medians of {args.runs} runs; today = {args.today}", flush=True)
    print(yardstick(dict(os.environ), args.runs), flush=True)
    results = []
    for n in sizes:
        print(f"{n:,} visits …", flush=True)
        results.append(measure(n, args.today, args.runs, args.import_runs))
    width = 26
    print("\n" + "".ljust(width) + "".join(f"{r['visits']:>12,}" for r in results)
          + f"{'growth':>10}  target (largest)")
    for key, label, fmt in ROWS:
        values = [r[key] for r in results]
        growth = f"{values[-1] / values[0]:.2f}x" if values[0] else "-"
        print(label.ljust(width) + "".join(f"{fmt.format(v):>12}" for v in values)
              + f"{growth:>10}  {meets(key, values[-1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
