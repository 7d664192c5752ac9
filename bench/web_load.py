"""The workspace under load, beside the CLI (issue 21's figures), on loopback.

    python bench/web_load.py                          # 8 agents x 500 calls; the 1 M sheet
    python bench/web_load.py --ledger-size 100000     # a quicker sheet (100 k visits)
    python bench/web_load.py --agents 4 --calls 40 --ledger-size 0   # load only, small

1. HTTP: `followup serve` on a free loopback port over a fresh ledger (bench/stress.py's:
   one open call per patient on today's sheet); N agents, each a user with a session and
   its CSRF token, each in its own process on one kept-alive connection, log C calls
   through `POST /api/calls`: bench/stress.py's calls (per patient a failed call, then a
   reached one). Printed: calls/s, p50/p95/max latency, answers other than 201, calls lost
   and duplicated (the ledger against the attempts made), `followup doctor`'s exit code,
   and the CPU seconds of the server and of the clients (the clients must not be what
   limits the rate: on 2 cores they share the machine with the server).
2. The CLI on the same shape in the same run: bench/stress.py's W processes x C calls
   (no reader or import beside them), and the ratio HTTP calls/s / CLI calls/s; then the
   CLI as an agent types it, W shells each running --cli-processes `followup log`
   processes one after the other (a process a call), and that ratio too.
3. The sheet on a worked ledger of --ledger-size visits (bench/run.py's cache in
   bench/.data/, built by bench/generate.py when missing: about 25 min for 1 M): in rounds,
   a `followup due --today --format json` process, the agent's day page (`GET /`: nothing
   is shared out, so the whole sheet), the supervisor's whole sheet (`GET /?sheet=1`) and
   `GET /api/sheet?date=`, on one running server; one warm-up round, then the median of
   --runs rounds, each page as a ratio to the `due` process of its round.

Exit code 0 when no call was lost or duplicated, every answer was 201 and doctor passed.
No personal data is printed (patients are numbered, notes invented).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import multiprocessing as mp
import os
import platform
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's followup, not an installed one
sys.path.insert(0, str(ROOT / "bench"))

import stress  # noqa: E402

PASSWORD = "bench-password-{}"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "FOLLOWUP_LANG": "en"}


def add_user(db: str, name: str, role: str = "agent") -> str:
    """A user with a password (in-process `user add --password-stdin`); the password."""
    from followup_cli.cli import run

    password = PASSWORD.format(name)
    stdin, sys.stdin = sys.stdin, io.StringIO(password + "\n")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = run(["--db", db, "user", "add", name, "--role", role, "--password-stdin"])
    finally:
        sys.stdin = stdin
    if code != 0:
        raise SystemExit(f"user add {name} failed")
    return password


@contextlib.contextmanager
def serving(db: str, log: Path) -> Iterator[tuple[int, int]]:
    """`followup serve` on a free loopback port over `db`, until the block ends: (port,
    the server's process id). Its log (which names no patient) goes to `log`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "followup_cli", "--db", db, "serve", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env(), cwd=ROOT)
    try:
        for _ in range(600):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"followup serve ended: {log.read_text()[-500:]}") from None
                time.sleep(0.05)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


class Session:
    """One signed-in user on one kept-alive connection: its cookie and CSRF token."""

    def __init__(self, port: int, name: str, password: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        status, _, headers = self.request(
            "POST", "/login", urlencode({"username": name, "password": password}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        cookie = headers.get("set-cookie", "")
        if status != 303 or not cookie:
            raise SystemExit(f"sign-in of {name} answered {status}")
        self.headers = {"Cookie": cookie.split(";")[0]}
        status, body, _ = self.request("GET", "/api/session")
        self.headers["X-CSRF-Token"] = json.loads(body)["csrf"]

    def request(self, method: str, path: str, body: str | bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        self.conn.request(method, path, body, {**getattr(self, "headers", {}),
                                               **(headers or {})})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, data, {k.lower(): v for k, v in response.getheaders()}

    def timed_get(self, path: str) -> tuple[float, int, int]:
        """Milliseconds to the last byte of `path`; its status and size."""
        started = time.perf_counter()
        status, body, _ = self.request("GET", path)
        return (time.perf_counter() - started) * 1000, status, len(body)


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_agent(port: int, index: int, calls: int, first: int | None, ready: Any,
               results: Any) -> None:
    """One agent over HTTP: signs in, waits for the start, logs bench/stress.py's calls of
    agent `index` through POST /api/calls; puts (index, latencies, statuses, errors, CPU
    seconds, the monotonic time it finished)."""
    session = Session(port, f"agent{index}", PASSWORD.format(f"agent{index}"))
    plan = [json.dumps({"patient_id": pid, "outcome": outcome, "note": note}).encode()
            for pid, outcome, note in stress.agent_calls(index, calls, first)]
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    ready.wait()
    cpu = time.process_time()
    for body in plan:
        started = time.perf_counter()
        try:
            status, answer, _ = session.request("POST", "/api/calls", body, headers)
        except (OSError, http.client.HTTPException) as e:
            status, answer = 0, type(e).__name__.encode()
            session.conn.close()
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 201 and len(errors) < 3:
            errors.append(f"{status} {answer[:200].decode(errors='replace')}")
    results.put((index, latencies, statuses, errors, time.process_time() - cpu,
                 time.monotonic()))


def http_load(agents: int, calls: int, *, cli_calls: int = 0,
              client: str = "processes") -> dict[str, Any]:
    """N agents x C calls over HTTP into a fresh ledger served on loopback, and (with
    cli_calls) one more agent logging that many calls through the CLI at the same time,
    on patients of its own; the figures and whether nothing was lost."""
    from followup_cli import clock

    tmp = Path(tempfile.mkdtemp(prefix="web-load-"))
    today = clock.today().isoformat()
    per_agent = calls // 2
    db = stress.new_ledger(tmp, agents * per_agent + cli_calls // 2, today)
    for n in range(agents):
        add_user(db, f"agent{n}")
    threads = client == "threads"
    results: Any = mp.Queue()   # the CLI process puts its figures in it too
    ready: Any = (threading.Barrier if threads else mp.Barrier)(agents + 1)
    start = threading.Thread if threads else mp.Process
    with serving(db, tmp / "serve.log") as (port, server):
        clients = [start(target=http_agent, args=(port, n, calls, None, ready, results))
                   for n in range(agents)]
        for c in clients:
            c.start()
        cli = None
        if cli_calls:   # the CLI writes at the same time, as agent{agents}
            cli = mp.Process(target=stress.worker, args=(
                db, agents, cli_calls, results, agents * per_agent, None))
        ready.wait()   # every agent signed in
        go, server_cpu, own_cpu = time.monotonic(), cpu_of(server), time.process_time()
        if cli is not None:
            cli.start()
        answers = [results.get(timeout=3600) for _ in range(agents + (cli is not None))]
        server_cpu = cpu_of(server) - server_cpu
        own_cpu = time.process_time() - own_cpu
        for c in clients:
            c.join()
        if cli is not None:
            cli.join()
    done = [a for a in answers if len(a) == 6]
    elapsed = max(a[5] for a in done) - go
    latencies = sorted(x for a in done for x in a[1])
    statuses: dict[int, int] = {}
    for a in done:
        for status, n in a[2].items():
            statuses[status] = statuses.get(status, 0) + n
    expected_http = agents * per_agent * 2
    cli_codes = next((a[1] for a in answers if len(a) == 3), {})
    conn = sqlite3.connect(db)
    by_agent = dict(conn.execute("SELECT agent, count(*) FROM attempts GROUP BY agent"))
    open_tasks = conn.execute("SELECT count(*) FROM tasks WHERE status = 'open'").fetchone()[0]
    conn.close()
    figures: dict[str, Any] = {
        "agents": agents, "calls": calls, "expected": expected_http, "elapsed_s": elapsed,
        "calls_per_s": len(latencies) / elapsed, "statuses": statuses,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": statistics.quantiles(latencies, n=100)[94] * 1000 if len(latencies) > 1
        else latencies[0] * 1000,
        "max_ms": latencies[-1] * 1000, "errors": [e for a in done for e in a[3]][:3],
        "server_cpu_s": server_cpu,
        "client_cpu_s": own_cpu if threads else sum(a[4] for a in done), "client": client,
        "cli_calls": cli_calls, "cli_codes": cli_codes, "open_tasks": open_tasks,
        "http_logged": sum(by_agent.get(f"agent{n}", 0) for n in range(agents)),
        **stress.tally(db, expected_http + cli_calls // 2 * 2)}
    figures["ok"] = (statuses == {201: expected_http} and figures["lost"] == 0
                     and figures["duplicates"] == 0 and figures["doctor"] == 0
                     and figures["http_logged"] == expected_http
                     and (not cli_calls or (cli_codes == {0: cli_calls // 2 * 2}
                                            and by_agent.get(f"agent{agents}") == cli_codes[0])))
    shutil.rmtree(tmp, ignore_errors=True)
    return figures


def describe_http(f: dict[str, Any]) -> list[str]:
    cli = (f"; the CLI logged {f['cli_calls']} more at the same time (exit codes "
           f"{f['cli_codes']})" if f["cli_calls"] else "")
    return [
        f"HTTP: {f['agents']} agents x {f['calls']} calls = {f['expected']} calls in "
        f"{f['elapsed_s']:.1f} s: {f['calls_per_s']:.0f} calls/s; latency p50 "
        f"{f['p50_ms']:.0f} ms, p95 {f['p95_ms']:.0f} ms, max {f['max_ms']:.0f} ms{cli}",
        f"      answers {f['statuses']}; attempts in ledger {f['logged']}; lost {f['lost']}; "
        f"duplicated {f['duplicates']}; doctor exit {f['doctor']}; open tasks left "
        f"{f['open_tasks']}",
        f"      CPU: server {f['server_cpu_s']:.1f} s, clients ({f['client']}) "
        f"{f['client_cpu_s']:.1f} s, over {f['elapsed_s']:.1f} s on {os.cpu_count()} cores",
        *(f"      refused: {e}" for e in f["errors"])]


def cli_processes(workers: int, calls: int) -> dict[str, Any]:
    """The CLI as an agent types it: W shells at once, each running C `followup log`
    processes one after the other (bench/stress.py's calls); a process each pays for
    starting Python and followup, which the in-process stress run does not."""
    tmp = Path(tempfile.mkdtemp(prefix="cli-processes-"))
    db = stress.new_ledger(tmp, workers * (calls // 2))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "followup_cli")],
                   check=True)   # as installed: from bytecode
    codes: dict[int, int] = {}
    lock = threading.Lock()

    def shell(index: int) -> None:
        for n, call in enumerate(stress.agent_calls(index, calls)):
            code = subprocess.run([sys.executable, "-m", "followup_cli",
                                   *stress.log_args(db, index, n, call)], env=env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  cwd=ROOT).returncode
            with lock:
                codes[code] = codes.get(code, 0) + 1

    shells = [threading.Thread(target=shell, args=(i,)) for i in range(workers)]
    started = time.perf_counter()
    for s in shells:
        s.start()
    for s in shells:
        s.join()
    elapsed = time.perf_counter() - started
    expected = workers * (calls // 2) * 2
    figures = {"workers": workers, "calls": calls, "expected": expected, "codes": codes,
               "elapsed_s": elapsed, "calls_per_s": expected / elapsed,
               **stress.tally(db, expected)}
    shutil.rmtree(tmp, ignore_errors=True)
    return figures


def sheet_page(size: int, runs: int, today: date) -> dict[str, Any]:
    """The day page, the whole sheet and /api/sheet on the worked ledger of `size` visits,
    against `due --today --format json` processes, in rounds (see the docstring)."""
    import run as bench

    _, worked = bench.prepare(size, today)
    work = bench.DATA / f"web-{size}.db"
    shutil.copyfile(worked, work)
    with open(work, "rb+") as f:   # else the first commits pay for flushing the whole copy
        os.fsync(f.fileno())
    db = str(work)
    try:
        sup, agent = add_user(db, "bench-sup", "supervisor"), add_user(db, "bench-agent")
        due = bench.followup("--db", db, "due", "--today", "--format", "json")
        sheet = json.loads(subprocess.run(due, capture_output=True, check=True,
                                          env=env()).stdout)   # plans the day's birthdays
        patients = len({r["patient_id"] for r in sheet})
        times: dict[str, list[float]] = {k: [] for k in ("due", "day", "whole", "api")}
        with serving(db, bench.DATA / "web-serve.log") as (port, _):
            as_agent = Session(port, "bench-agent", agent)
            as_sup = Session(port, "bench-sup", sup)
            pages = {"day": (as_agent, "/"), "whole": (as_sup, "/?sheet=1"),
                     "api": (as_sup, f"/api/sheet?date={today.isoformat()}")}
            for round_ in range(runs + 1):   # the first round warms up: not counted
                measured = {"due": bench.timed(due, env())}
                for key, (session, path) in pages.items():
                    ms, status, _ = session.timed_get(path)
                    if status != 200:
                        raise SystemExit(f"GET {path} answered {status}")
                    measured[key] = ms
                if round_:
                    for key, ms in measured.items():
                        times[key].append(ms)
            status, body, _ = as_sup.request("GET", f"/api/sheet?date={today.isoformat()}")
            same = (sorted(r["task_id"] for r in json.loads(body))
                    == sorted(r["task_id"] for r in sheet))
    finally:
        for extra in ("", "-wal", "-shm"):
            Path(f"{work}{extra}").unlink(missing_ok=True)
    figures: dict[str, Any] = {"size": size, "tasks": len(sheet), "patients": patients,
                               "api_same_as_due": same, "runs": runs}
    for key, values in times.items():
        figures[f"{key}_ms"] = statistics.median(values)
        if key != "due":
            figures[f"{key}_x"] = statistics.median(
                v / d for v, d in zip(values, times["due"], strict=True))
    return figures


def describe_sheet(f: dict[str, Any]) -> list[str]:
    return [
        f"sheet on the worked ledger of {f['size']:,} visits (today's sheet: {f['tasks']} "
        f"tasks, {f['patients']} patients), medians of {f['runs']} rounds:",
        f"      `due --today --format json` process {f['due_ms']:.0f} ms",
        f"      agent's day page GET /            {f['day_ms']:.0f} ms = {f['day_x']:.2f}x due",
        f"      whole sheet GET /?sheet=1         {f['whole_ms']:.0f} ms = "
        f"{f['whole_x']:.2f}x due",
        f"      GET /api/sheet?date=              {f['api_ms']:.0f} ms = {f['api_x']:.2f}x due"
        f" (the same {f['tasks']} records: {'yes' if f['api_same_as_due'] else 'NO'})"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=8, help="agents over HTTP")
    parser.add_argument("--calls", type=int, default=500, help="calls per agent (even)")
    parser.add_argument("--cli-workers", type=int, default=None,
                        help="CLI processes (default: as many as --agents; 0: none)")
    parser.add_argument("--cli-processes", type=int, default=20,
                        help="`followup log` processes per shell for the CLI as typed "
                        "(even; 0: none)")
    parser.add_argument("--client", choices=("processes", "threads"), default="processes",
                        help="the HTTP agents: a process each (default) or threads of one")
    parser.add_argument("--ledger-size", type=int, default=1_000_000,
                        help="visits of the sheet's worked ledger (0: no sheet figures)")
    parser.add_argument("--runs", type=int, default=7, help="rounds per sheet median")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),
                        help="the worked ledger's today (bench/run.py's cache is per day)")
    args = parser.parse_args()
    if args.calls < 2 or args.calls % 2:
        parser.error("--calls: an even number, at least 2")
    import sqlite3 as sq

    print(f"followup web load: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite {sq.sqlite_version}; {time.strftime('%F %H:%M')}",
          flush=True)
    web = http_load(args.agents, args.calls, client=args.client)
    print("\n".join(describe_http(web)), flush=True)
    workers = args.agents if args.cli_workers is None else args.cli_workers
    ok = web["ok"]
    if workers:
        cli = stress.stress(workers, args.calls, side=False)
        print("CLI:  " + "\n      ".join(stress.describe(cli)))
        print(f"HTTP / CLI: {web['calls_per_s'] / cli['calls_per_s']:.1f}x the calls per "
              "second", flush=True)
        ok = ok and cli["ok"]
    if args.cli_processes:
        typed = cli_processes(workers or args.agents, args.cli_processes)
        print(f"CLI as typed: {typed['workers']} shells x {typed['calls']} `followup log` "
              f"processes = {typed['expected']} calls in {typed['elapsed_s']:.1f} s: "
              f"{typed['calls_per_s']:.1f} calls/s; exit codes {typed['codes']}; lost "
              f"{typed['lost']}; duplicated {typed['duplicates']}; doctor exit {typed['doctor']}")
        print(f"HTTP / CLI as typed: {web['calls_per_s'] / typed['calls_per_s']:.0f}x the calls "
              "per second", flush=True)
        ok = ok and typed["lost"] == 0 and typed["duplicates"] == 0 and typed["doctor"] == 0
    if args.ledger_size:
        print("\n".join(describe_sheet(sheet_page(args.ledger_size, args.runs, args.today))))
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
