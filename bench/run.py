"""followup's cost as ratios to floors measured in the same run, at 10 k, 100 k and 1 M
visits (this machine's speed drifts 2x within the hour: absolute times say little).

    python bench/run.py                         # 10k, 100k, 1M (about 20 min the first time)
    python bench/run.py --sizes 10000,100000    # smaller
    python bench/run.py --runs 9                # more runs per median

For each size it writes a visit export (bench/generate.py) and measures, each as a whole
process started from the shell (this checkout's followup), the median of --runs runs:
  floor      a ten-line Python script that runs the sheet's query (the SQL of
             `due --format json`, followup_cli/sheet.py) and prints the rows as JSON
  due json   `due --date TODAY --format json` on a worked ledger (bench/generate.py ledger:
             the same last year at every size, so the same sheet; older history grows)
  due table  the same as the table an agent reads
  log        one reached call on a patient of today's sheet (one a round)
  report     `report --month` of this month, JSON
  version    `followup --version`
each as a ratio to the floor; and the import of the whole export into a new ledger: its
CPU time (user + sys of the whole process tree) as a ratio to that of `sqlite3 .import`
of the same CSV into a bare table, and its peak memory. The floor and the commands run
in rounds, one after the other, and each ratio is the median of its rounds' ratios. Then
how each command's time grows from the smallest size to the largest, in units of
`followup --version` timed in the same rounds. Exports and worked ledgers are kept in
bench/.data/ (ignored by git) and reused while bench/generate.py and the default rules
are unchanged; delete the folder to rebuild.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
SQLITE3 = "/usr/bin/sqlite3"
# the most each figure may be at the largest size (issue 17); growth: largest / smallest
TARGETS = {"due_json_x": 2.5, "due_table_x": 3.5, "report_x": 5.0, "import_cpu_x": 20.0,
           "import_peak_mb": 300.0}
GROWTH = 1.2   # of each command's time, from the smallest size to the largest (in units
               # of `followup --version` in the same rounds: the machine drifts meanwhile)
NOTE = "患者反馈恢复顺利，已提醒按时复查并注意饮食清淡，无其他不适。"


def followup(*args: str) -> list[str]:
    """This checkout's followup (the environment puts ROOT first on the path: an installed
    `followup` script may run another checkout's code)."""
    return [sys.executable, "-m", "followup_cli", *args]


def cpu_seconds(cmd: list[str], env: dict[str, str]) -> float:
    """User + system seconds of one whole process and every process it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def floor_script(day: str) -> Path:
    """The floor of the commands: the sheet's query (the SQL `due --format json` runs),
    its rows printed as JSON, by a bare Python and sqlite3."""
    sys.path.insert(0, str(ROOT))
    from followup_cli import sheet

    sql = getattr(sheet, "_DETAILS")  # noqa: B009 - the very SQL of due_tasks
    script = DATA / "floor.py"
    script.write_text(
        "import json\nimport sqlite3\nimport sys\n\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        "conn.row_factory = sqlite3.Row\n"
        f"rows = conn.execute({sql!r}, {sheet.sheet_params(date.fromisoformat(day))!r})\n"
        "json.dump([dict(row) for row in rows], sys.stdout, ensure_ascii=False, indent=2)\n",
        encoding="utf-8")
    return script


def sqlite3_import(export: Path, env: dict[str, str]) -> float:
    """CPU seconds of `sqlite3 .import` of the export into a bare table (the import's floor)."""
    bare = DATA / "bare.db"
    bare.unlink(missing_ok=True)
    seconds = cpu_seconds([SQLITE3, str(bare), "-cmd", ".mode csv", f".import {export} t"], env)
    bare.unlink()
    return seconds


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
    """CPU seconds (user + sys, the whole process tree) and peak resident MB of one import
    into a new ledger: the followup process and the process it forks to read a large file,
    summed (sampled every 20 ms)."""
    for extra in ("", "-wal", "-shm"):
        Path(f"{ledger}{extra}").unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(DATA / "import-stderr.txt", "w+") as err:
        process = subprocess.Popen(followup(
            "--db", str(ledger), "import", "visits", str(export), "--date",
            env["BENCH_TODAY"]), stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_rss_kb(pid) for pid in (process.pid,
                                                          *_children(process.pid))))
            time.sleep(0.02)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
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
    # as an installed followup runs: from compiled bytecode (pip compiles at install; a
    # PYTHONDONTWRITEBYTECODE shell would make every command compile its modules again)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "followup_cli")],
                   check=True, env=env)
    env = {**env, "FOLLOWUP_LANG": "zh", "COLUMNS": "120", "BENCH_TODAY":
           today.isoformat(), "FOLLOWUP_AGENT": "bench", "PYTHONPATH": str(ROOT)}
    figures = {"visits": n, "ledger_mb": worked.stat().st_size / 1e6}
    figures.update(dict.fromkeys(("import_cpu_s", "sqlite3_import_cpu_s", "import_cpu_x",
                                  "import_peak_mb"), math.nan))   # --import-runs 0
    if import_runs:
        fresh = DATA / f"import-{n}.db"
        imports = [peak_import(fresh, export, env) for _ in range(import_runs)]
        floor_cpu = statistics.median(sqlite3_import(export, env) for _ in range(3))
        cpu = statistics.median(s for s, _ in imports)
        figures.update(import_cpu_s=cpu, sqlite3_import_cpu_s=floor_cpu,
                       import_cpu_x=cpu / floor_cpu,
                       import_peak_mb=max(mb for _, mb in imports))
        for extra in ("", "-wal", "-shm"):
            Path(f"{fresh}{extra}").unlink(missing_ok=True)
    work = DATA / f"work-{n}.db"
    shutil.copyfile(worked, work)
    with open(work, "rb+") as f:   # else the first commits pay for flushing the whole copy
        os.fsync(f.fileno())
    day = today.isoformat()
    db = ["--db", str(work)]
    # the first sheet of the day may plan birthdays: done before anything is timed
    sheet = json.loads(subprocess.run(followup(*db, "due", "--date", day, "--format", "json"),
                                      capture_output=True, env=env, check=True).stdout)
    figures["sheet_tasks"] = len(sheet)
    floor = [sys.executable, str(floor_script(day)), str(work)]
    commands = {"due_json_ms": followup(*db, "due", "--date", day, "--format", "json"),
                "due_table_ms": followup(*db, "due", "--date", day),
                "report_ms": followup(*db, "report", "--month", day[:7], "--date", day,
                                      "--format", "json"),
                "version_ms": followup("--version")}
    patients = iter(sorted({row["patient_id"] for row in sheet})[1:])

    def log() -> list[str]:   # one reached call, on the next patient of today's sheet
        return followup(*db, "log", "--patient", next(patients), "-o", "reached", "--note",
                        NOTE, "--satisfaction", "5")   # now: a call is never in the future

    # rounds of the floor and every command one after the other, so that the machine's
    # drift (2x within the hour) moves them alike; ratios are taken within a round
    times: dict[str, list[float]] = {key: [] for key in ("floor_ms", *COMMANDS)}
    for round_ in range(runs + 1):   # the first round warms the caches: not counted
        measured = {"floor_ms": timed(floor, env), "log_ms": timed(log(), env)}
        measured.update((key, timed(cmd, env)) for key, cmd in commands.items())
        for key, ms in measured.items():
            if round_:
                times[key].append(ms)
    for key, values in times.items():
        figures[key] = statistics.median(values)
        if key in COMMANDS:
            figures[key.replace("_ms", "_x")] = statistics.median(
                t / f for t, f in zip(values, times["floor_ms"], strict=True))
            # size-independent work in the same round: what a command's growth is taken from
            figures[key.replace("_ms", "_v")] = statistics.median(
                t / v for t, v in zip(values, times["version_ms"], strict=True))
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


COMMANDS = ("due_json_ms", "due_table_ms", "report_ms", "log_ms", "version_ms")
GROWS = COMMANDS[:-1]   # growth relative to `followup --version`, the same at every size
ROWS = [("import_cpu_x", "import CPU, x sqlite3", "{:.1f}x"),
        ("import_peak_mb", "import, peak MB", "{:.0f}"),
        ("import_cpu_s", "  import CPU, s", "{:.1f}"),
        ("sqlite3_import_cpu_s", "  sqlite3 .import CPU, s", "{:.2f}"),
        ("due_json_x", "due --format json, x floor", "{:.2f}x"),
        ("due_table_x", "due (table), x floor", "{:.2f}x"),
        ("report_x", "report --month, x floor", "{:.2f}x"),
        ("log_x", "log one call, x floor", "{:.2f}x"),
        ("version_x", "followup --version, x floor", "{:.2f}x"),
        ("floor_ms", "  floor (sheet query), ms", "{:.0f}"),
        ("ledger_mb", "  worked ledger, MB", "{:.0f}"),
        ("sheet_tasks", "  today's sheet, tasks", "{:.0f}")]


def meets(key: str, value: float, growth: float) -> str:
    """The targets of the largest size: its figure, and its time's growth for a command."""
    out = []
    if key in TARGETS and not math.isnan(value):
        out.append(f"{'ok  ' if value <= TARGETS[key] else 'MISS'} <= {TARGETS[key]:g}")
    if key.replace("_x", "_ms") in GROWS and growth:
        out.append(f"growth {'ok' if growth <= GROWTH else 'MISS'} <= {GROWTH:g}x")
    return "; ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=7, help="runs per median")
    parser.add_argument("--import-runs", type=int, default=1,
                        help="imports per size (0: the commands only)")
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
    width = 30
    print("\n" + "".ljust(width) + "".join(f"{r['visits']:>12,}" for r in results)
          + f"{'growth':>10}  target (largest)")
    for key, label, fmt in ROWS:
        values = [r[key] for r in results]
        per = key.replace("_x", "_v")
        growth = (results[-1][per] / results[0][per]
                  if key.replace("_x", "_ms") in GROWS else 0.0)
        print(label.ljust(width) + "".join(f"{'-' if math.isnan(v) else fmt.format(v):>12}"
                                           for v in values)
              + f"{f'{growth:.2f}x' if growth else '':>10}  {meets(key, values[-1], growth)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
