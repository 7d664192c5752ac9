"""Many at once (issue 21 item 6): eight agents logging calls over HTTP to one `followup
serve` while the CLI logs calls into the same ledger; no call is lost. Bounded in count
and time; prints the throughput and the p95 latency."""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

AGENTS = 8
CALLS_EACH = 25
CLI_CALLS = 10
NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时复查并注意防晒。"


def test_eight_agents_and_the_cli_at_once_lose_no_call(tmp_path: Path) -> None:
    pytest.importorskip("starlette")
    from followup_cli import clock

    db = tmp_path / "load.db"
    followup = [sys.executable, "-m", "followup_cli", "--db", str(db)]
    day = (clock.today() - timedelta(days=3)).isoformat()
    patients = AGENTS * CALLS_EACH + CLI_CALLS
    rows = [f"K{i:05d},Q{i:05d},患者{i},139{i:08d},{day},双眼皮,成交" for i in range(patients)]
    export = tmp_path / "visits.csv"
    export.write_text("\n".join(["单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态", *rows])
                      + "\n", encoding="utf-8")
    subprocess.run([*followup, "import", "visits", str(export), "--date", day], check=True,
                   capture_output=True)
    for n in range(AGENTS):
        subprocess.run([*followup, "user", "add", f"agent{n}", "--password-stdin"],
                       input=f"password-{n}\n", text=True, check=True, capture_output=True)
    conn = sqlite3.connect(db)
    # one open task per patient, the last one planned: no two calls settle the same task
    tasks = [r[0] for r in conn.execute(
        "SELECT max(task_id) FROM tasks WHERE status = 'open' GROUP BY patient_id "
        "ORDER BY patient_id")]
    before = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
    conn.close()
    assert len(tasks) == patients

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*followup, "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz").close()
                break
            except urllib.error.URLError:
                time.sleep(0.05)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()

        def agent(n: int) -> None:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            opener.open(base + "/login", f"username=agent{n}&password=password-{n}".encode())
            csrf = json.load(opener.open(base + "/api/session"))["csrf"]
            for task in tasks[n * CALLS_EACH:(n + 1) * CALLS_EACH]:
                body = json.dumps({"task_id": task, "outcome": "reached", "note": NOTE,
                                   "satisfaction": 5, "nps": 9}).encode()
                request = urllib.request.Request(
                    base + "/api/calls", body, method="POST",
                    headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
                started = time.perf_counter()
                try:
                    with opener.open(request) as r:
                        ok = r.status == 201
                except urllib.error.HTTPError as e:
                    ok = False
                    with lock:
                        failures.append(e.read().decode())
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if not ok and not failures:
                        failures.append(str(task))

        def cli() -> None:
            for task in tasks[AGENTS * CALLS_EACH:]:
                subprocess.run([*followup, "log", str(task), "--outcome", "reached", "--note",
                                NOTE], check=True, capture_output=True,
                               env={**os.environ, "FOLLOWUP_AGENT": "cli"})

        threads = [threading.Thread(target=agent, args=(n,)) for n in range(AGENTS)]
        threads.append(threading.Thread(target=cli))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert not failures, failures[:3]
    conn = sqlite3.connect(db)
    after = conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
    by_agent = dict(conn.execute("SELECT agent, count(*) FROM attempts GROUP BY agent"))
    conn.close()
    assert after - before == patients
    assert all(by_agent.get(f"agent{n}") == CALLS_EACH for n in range(AGENTS))
    assert by_agent.get("cli") == CLI_CALLS
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(f"\n{AGENTS} agents x {CALLS_EACH} calls over HTTP + {CLI_CALLS} CLI calls: "
          f"{len(latencies) / elapsed:.1f} calls/s over HTTP, p95 {p95 * 1000:.0f} ms, "
          f"0 lost")
