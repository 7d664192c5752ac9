"""`followup user` and `followup serve`: accounts, sessions, CSRF, the JSON API and the
pages, over HTTP (Starlette's TestClient) on real temporary ledgers that the CLI reads too.

The clock is set to 4 Nov 2026 10:00, the day the imported visits' calls are due."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_export

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from followup_cli import clock  # noqa: E402
from followup_cli.commands.serve import clinic_of  # noqa: E402
from followup_cli.options import State  # noqa: E402
from followup_cli.web.app import create_app  # noqa: E402

ROWS = [
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,1994/11/05,金卡,",
    "A2,C2,冯雪,13734567890,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,",
    "A3,C3,朱婷,13190123456,2026-11-03,吸脂,未到诊,整形外科,吴医生,林咨询,,,,",
]
NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"
NOW = datetime(2026, 11, 4, 10, 0)
BASE = "http://127.0.0.1:8765"


def add_user(cli, name: str, role: str, password: str, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    result = cli("user", "add", name, "--role", role, "--password-stdin")
    assert result.code == 0, result.err


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once,
           monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "visits.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
        add_user(cli, "王芳", "agent", "agent-pass-1", monkeypatch)
        add_user(cli, "李娜", "agent", "agent-pass-2", monkeypatch)
        add_user(cli, "boss", "supervisor", "boss-pass-12", monkeypatch)

    built_once(__name__, build)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return tmp_path / "ledger.db"


def client(ledger: Path, **headers: str) -> TestClient:
    return TestClient(create_app(clinic_of(State((ledger,)))), base_url=BASE, headers=headers)


def signed_in(ledger: Path, name: str = "王芳", password: str = "agent-pass-1",
              lang: str | None = None, **headers: str) -> tuple[TestClient, str]:
    """A session of `name`; with `lang`, that language picked on the sign-in page."""
    c = client(ledger, **headers)
    if lang:
        c.get("/login", params={"lang": lang})
    r = c.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c, c.get("/api/session").json()["csrf"]


def attempts(ledger: Path) -> int:
    conn = sqlite3.connect(ledger)
    try:
        return conn.execute("SELECT count(*) FROM attempts").fetchone()[0]
    finally:
        conn.close()


# --- accounts -------------------------------------------------------------------------

def test_user_add_list_passwd_disable(cli, ledger: Path, monkeypatch) -> None:  # noqa: ANN001
    users = {u["username"]: u for u in cli("user", "list", "--format", "json").json()}
    assert {n: (u["role"], u["disabled"]) for n, u in users.items()} == {
        "王芳": ("agent", False), "李娜": ("agent", False), "boss": ("supervisor", False)}
    conn = sqlite3.connect(ledger)
    stored = conn.execute("SELECT password_hash FROM users WHERE username = '王芳'").fetchone()[0]
    conn.close()
    assert stored.startswith("$argon2id$") and "agent-pass-1" not in stored
    monkeypatch.setattr(sys, "stdin", io.StringIO("new-pass-123\n"))
    assert cli("user", "passwd", "王芳", "--password-stdin").code == 0
    c = client(ledger)
    assert c.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                  follow_redirects=False).status_code == 401
    assert c.post("/login", data={"username": "王芳", "password": "new-pass-123"},
                  follow_redirects=False).status_code == 303
    assert c.get("/api/session").status_code == 200
    assert cli("user", "disable", "王芳").code == 0
    assert c.get("/api/session").status_code == 401   # signed out everywhere
    assert c.post("/login", data={"username": "王芳", "password": "new-pass-123"},
                  follow_redirects=False).status_code == 401


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (("add", "王芳", "--role", "agent"), "long-enough-1\n", "exists already"),
    (("add", "x y", "--role", "agent"), "long-enough-1\n", "no spaces"),
    (("add", "新人", "--role", "admin"), "long-enough-1\n", "--role admin"),
    (("add", "新人", "--role", "agent"), "short\n", "8 to 1024"),
    (("add", "新人", "--role", "agent"), "", "8 to 1024"),
    (("passwd", "nobody"), "long-enough-1\n", "no user nobody"),
    (("disable", "nobody"), "", "no user nobody"),
])
def test_user_commands_refuse_bad_input(cli, ledger: Path, monkeypatch, args, stdin,  # noqa: ANN001
                                        says) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    result = cli("user", *args, *(("--password-stdin",) if args[0] != "disable" else ()))
    assert result.code == 2 and says in result.err, result.err
    assert "Traceback" not in result.err


def test_user_add_without_a_terminal_asks_for_password_stdin(cli, ledger: Path,  # noqa: ANN001
                                                             monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    result = cli("user", "add", "新人", "--role", "agent")
    assert result.code == 2 and "--password-stdin" in result.err


# --- sessions and defences ------------------------------------------------------------

def test_healthz_and_security_headers_on_every_response(ledger: Path) -> None:
    c = client(ledger)
    r = c.get("/healthz")
    assert (r.status_code, r.text) == (200, "ok")
    for response in (r, c.get("/login"), c.get("/nowhere"), c.get("/static/app.css")):
        h = response.headers
        assert "default-src 'self'" in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"


def test_every_page_but_sign_in_needs_a_session(ledger: Path) -> None:
    c = client(ledger)
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    assert c.get("/call/1", follow_redirects=False).status_code == 303
    for path in ("/api/session", "/api/sheet", "/api/report"):
        assert c.get(path).status_code == 401
    assert c.post("/api/calls", json={"task_id": 1, "outcome": "busy"}).status_code == 401
    assert c.get("/board", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_strict_httponly_session_cookie(ledger: Path) -> None:
    c = client(ledger)
    r = c.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    token = r.cookies["followup_session"]
    conn = sqlite3.connect(ledger)
    stored = [row[0] for row in conn.execute("SELECT token_hash FROM sessions")]
    conn.close()
    assert token not in stored and len(stored) == 1   # only its hash is kept
    session = c.get("/api/session").json()
    assert (session["username"], session["role"]) == ("王芳", "agent") and session["csrf"]
    c.post("/logout", data={"csrf": session["csrf"]})
    assert c.get("/api/session").status_code == 401


def test_failed_sign_ins_are_throttled(ledger: Path) -> None:
    c = client(ledger)
    for _ in range(5):
        r = c.post("/login", data={"username": "王芳", "password": "wrong-password"})
        assert r.status_code == 401 and "followup_session" not in r.cookies
    r = c.post("/login", data={"username": "王芳", "password": "agent-pass-1"})
    assert r.status_code == 429    # even the right password waits
    assert c.post("/login", data={"username": "nobody", "password": "x"}).status_code == 401


def test_a_session_idle_for_a_working_day_ends(ledger: Path) -> None:
    c, _ = signed_in(ledger)
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE sessions SET seen_at = '2026-11-03T23:00:00'")
    conn.commit()
    conn.close()
    assert c.get("/api/session").status_code == 401


def test_a_write_without_the_csrf_token_is_refused(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    before = attempts(ledger)
    assert c.post("/api/calls", json={"task_id": task, "outcome": "busy"}).status_code == 403
    assert c.post("/api/calls", json={"task_id": task, "outcome": "busy"},
                  headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.post(f"/call/{task}", data={"outcome": "busy"}).status_code == 403
    assert c.post(f"/call/{task}/reveal", data={}).status_code == 403
    assert attempts(ledger) == before


def test_a_cross_site_post_is_refused_even_with_the_token(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}):
        r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "busy"}, headers=headers)
        assert r.status_code == 403
        assert c.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                      headers=headers).status_code == 403
    assert attempts(ledger) == 0
    # what Chrome sends from our own page under Referrer-Policy: no-referrer
    ours = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "busy"}, headers=ours,
               follow_redirects=False)
    assert r.status_code == 303 and attempts(ledger) == 1


# --- the JSON API ---------------------------------------------------------------------

def test_the_sheet_is_the_records_of_due_json(cli, ledger: Path) -> None:
    c, _ = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    due = cli("due", "--date", "2026-11-04", "--format", "json").json()
    assert c.get("/api/sheet?date=2026-11-04").json() == due
    assert c.get("/api/sheet").json() == due    # today is the 4th
    r = c.get("/api/sheet?date=2026-13-01")
    assert r.status_code == 400 and "2026-13-01" in r.json()["error"]


def test_a_call_logged_over_http_is_in_the_ledger_the_cli_reads(cli, ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": task["task_id"], "outcome": "reached", "note": NOTE, "satisfaction": 5,
        "nps": 9})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["effect"] == "done" and task["task_id"] in body["task_ids"]
    history = cli("patient", "show", task["patient_id"], "--format", "json",
                  "--date", "2026-11-04").json()
    call = history["calls"][-1]
    assert (call["attempt_id"], call["agent"], call["outcome"], call["note"], call["nps"]) == (
        body["attempt_id"], "王芳", "reached", NOTE, 9)   # the signed-in user is the agent
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    report = boss.get("/api/report?month=2026-11").json()
    assert report == cli("report", "--month", "2026-11", "--format", "json",
                         "--date", "2026-11-04").json() | {"as_of": report["as_of"]}


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"outcome": "reached", "note": "短"}, 400, "20"),
    ({"outcome": "teleported"}, 400, "teleported"),
    ({"outcome": "busy", "agent": "someone else"}, 400, "agent"),
    ({"outcome": "busy", "nps": "nine"}, 400, "nps"),
    ({"outcome": "busy", "nps": 1.5}, 400, "nps"),
    ({"outcome": "busy", "note": ["x"]}, 400, "note"),
    ({"outcome": "callback_requested", "at": "tomorrow"}, 400, "tomorrow"),
    ({}, 400, "需要 outcome"),
])
def test_a_bad_call_is_refused_with_what_and_where(ledger: Path, body, status,
                                                   says) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={"task_id": task, **body})
    assert r.status_code == status and says in r.json()["error"], r.text
    assert attempts(ledger) == 0


def test_an_agent_cannot_do_a_supervisors_writes(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    r = c.post("/api/assign", headers={"X-CSRF-Token": csrf},
               json={"patient_id": "C1", "agent": "王芳"})
    assert r.status_code == 403
    assert c.get("/board").status_code == 403
    assert c.get("/api/board").status_code == 403
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    r = boss.post("/api/assign", headers={"X-CSRF-Token": boss_csrf},
                  json={"patient_id": "C1", "agent": "李娜", "date": "2026-11-04"})
    assert r.status_code == 200, r.text
    # 李娜's share holds C1 now; 王芳's does not
    assert "C1" not in {r["patient_id"] for r in c.get("/api/sheet").json()}


# --- the pages ------------------------------------------------------------------------

def test_an_agents_day_and_a_call_card_then_the_next_patient(cli, ledger: Path) -> None:
    c, csrf = signed_in(ledger, lang="en")
    day = c.get("/")
    assert day.status_code == 200 and "My calls on 2026-11-04" in day.text
    assert "周晓雯" in day.text and "13812345678" not in day.text   # masked
    sheet = c.get("/api/sheet").json()
    first = sheet[0]
    card = c.get(f"/call/{first['task_id']}")
    assert card.status_code == 200 and first["name"] in card.text
    assert "王芳" in card.text   # the script is signed with the agent's own name
    assert 'data-key="1"' in card.text and f'value="{csrf}"' in card.text
    r = c.post(f"/call/{first['task_id']}", data={"csrf": csrf, "outcome": "reached",
                                                   "note": NOTE, "satisfaction": "5",
                                                   "nps": "10"}, follow_redirects=False)
    assert r.status_code == 303
    target, saved = r.headers["location"].split("?saved=")
    assert target.startswith("/call/") and target != f"/call/{first['task_id']}"
    assert "logged: reached" in c.get(r.headers["location"]).text
    history = cli("patient", "show", first["patient_id"], "--format", "json",
                  "--date", "2026-11-04").json()
    assert history["calls"][-1]["attempt_id"] == int(saved)


def test_a_refused_save_keeps_what_was_typed(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": "太短的记录"})
    assert r.status_code == 400 and "太短的记录" in r.text and 'class="message"' in r.text
    assert attempts(ledger) == 0


def test_a_reveal_from_the_card_is_audited_with_the_user(cli, ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    first = c.get("/api/sheet").json()[0]
    r = c.post(f"/call/{first['task_id']}/reveal", data={"csrf": csrf})
    assert r.status_code == 200
    audit = cli("audit", "--format", "json").json()
    assert audit[-1]["agent"] == "王芳" and first["patient_id"] in audit[-1]["what"]


def test_the_supervisors_board(ledger: Path) -> None:
    c, csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert c.get("/", follow_redirects=False).headers["location"] == "/board"
    figures = c.get("/api/board").json()
    assert figures["patients"] == 3 and figures["unassigned"] == 3
    assert {a["agent"] for a in figures["agents"]} == {"王芳", "李娜"}
    assert c.get("/board").status_code == 200


def test_the_language_is_the_users_choice(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    assert "我的回访" in c.get("/").text
    c.post("/lang", data={"csrf": csrf, "lang": "en"})
    assert "My calls" in c.get("/").text
    assert "Sign in" in client(ledger).get("/login?lang=en").text


def test_an_internal_error_shows_and_logs_no_personal_data(ledger: Path, monkeypatch,  # noqa: ANN001
                                                           caplog) -> None:
    from followup_cli.web import pages

    def broken(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("周晓雯 13812345678")

    c, _ = signed_in(ledger)
    monkeypatch.setattr(pages, "patient_rows", broken)
    r = c.get("/")
    assert r.status_code == 500
    assert "13812345678" not in r.text and "周晓雯" not in r.text
    assert "13812345678" not in caplog.text and "RuntimeError" in caplog.text
    assert "x-frame-options" in r.headers


def test_oversized_and_malformed_bodies_are_refused(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    h = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    assert c.post("/api/calls", headers=h, content=b"[1, 2]").status_code == 400
    assert c.post("/api/calls", headers=h, content=b"{not json").status_code == 400
    r = c.post("/api/calls", headers=h, content=b"{" + b" " * 70_000 + b"}")
    assert r.status_code == 413 and r.json() == {"error": "请求内容过大：最多 64 KB"}
    assert c.post("/api/calls", headers=h, content=b'{"task_id": "\xff"}').status_code == 400
    assert attempts(ledger) == 0


def test_due_and_log_never_import_the_web_stack(tmp_path: Path) -> None:
    probe = ("import sys\nfrom followup_cli.cli import run\n"
             f"run(['--db', {str(tmp_path / 'x.db')!r}, 'init'])\n"
             f"run(['--db', {str(tmp_path / 'x.db')!r}, 'due', '--today'])\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
             "('starlette', 'uvicorn', 'jinja2', 'argon2', 'followup_cli.web')))))")
    out = subprocess.run([sys.executable, "-c", "import json\n" + probe], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


# --- followup serve itself ------------------------------------------------------------

def test_serve_demo_is_refused_on_a_real_ledger(cli, ledger: Path) -> None:  # noqa: ANN001
    result = cli("serve", "--demo")
    assert result.code == 2 and "demo ledger only" in result.err


def test_serve_cert_without_key_is_refused(cli, ledger: Path,
                                           tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("serve", "--cert", str(tmp_path / "c.pem"))
    assert result.code == 2 and "--cert and --key" in result.err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])



def answers_at_once(conn) -> None:  # noqa: ANN001
    """Answers are not held back by Nagle waiting for the client's delayed ACK (40 ms each on
    Linux, 200 ms on Windows): the accepted sockets are TCP_NODELAY."""
    import time

    started = time.perf_counter()
    for _ in range(20):
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b"ok"
    conn.close()
    assert time.perf_counter() - started < 0.4   # 0.8 s when held back


def test_serve_demo_prints_the_team_and_serves_the_ledger(tmp_path: Path) -> None:
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    db = tmp_path / "demo.db"
    followup = [sys.executable, "-m", "followup_cli", "--db", str(db)]
    subprocess.run([*followup, "init", "--demo", "--patients", "20"], check=True,
                   capture_output=True)
    port = free_port()
    server = subprocess.Popen([*followup, "serve", "--demo", "--host", "0.0.0.0", "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        lines = []
        while not lines or "http://" not in lines[-1]:
            line = server.stdout.readline() if server.stdout else ""
            assert line, server.stderr.read() if server.stderr else ""
            lines.append(line.strip())
        assert lines[-1].endswith(f"http://0.0.0.0:{port}/ (Ctrl+C stops it)")
        passwords = dict(line.removeprefix("demo sign-in ").split(", password ")
                         for line in lines[:-1])
        assert set(passwords) == {"主管", "王芳", "李娜", "张伟", "刘洋"}
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/healthz") as r:
                    assert r.read() == b"ok"
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        import http.client

        answers_at_once(http.client.HTTPConnection("127.0.0.1", port, timeout=10))

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kw):  # noqa: ANN002, ANN003, ANN202
                return None

        form = urllib.parse.urlencode({"username": "主管", "password": passwords["主管"]})
        try:
            urllib.request.build_opener(NoRedirect).open(base + "/login", form.encode())
            raise AssertionError("no redirect after signing in")
        except urllib.error.HTTPError as e:
            assert e.code == 303 and "HttpOnly" in e.headers["set-cookie"]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=20)
    assert "open to the clinic's network" in err
    assert "主管" not in err and "POST /login" in err   # the log names no one


# --- corrections and the supervisor's actions -----------------------------------------

def test_an_agent_corrects_their_own_call_only(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]
    logged = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                    json={"task_id": task["task_id"], "outcome": "busy"}).json()["attempt_id"]
    other, other_csrf = signed_in(ledger, "李娜", "agent-pass-2")
    url = f"/call/{task['task_id']}/correct/{logged}"
    assert other.post(url, data={"csrf": other_csrf, "action": "void",
                                 "reason": "not mine"}).status_code == 403
    r = c.post(url, data={"csrf": csrf, "action": "void", "reason": ""})
    assert r.status_code == 400 and 'class="message"' in r.text
    r = c.post(url, data={"csrf": csrf, "action": "amend", "outcome": "no_answer",
                          "reason": "误点了占线"}, follow_redirects=False)
    assert r.status_code == 303
    calls = cli("patient", "show", task["patient_id"], "--format", "json",
                "--date", "2026-11-04").json()["calls"]
    assert [(x["correction"], x["outcome"], x["logged_by"]) for x in calls
            if x["corrects"] == logged] == [("amend", "no_answer", "王芳")]


def test_the_supervisor_shares_moves_and_works_a_complaint(cli,
                                                           ledger: Path) -> None:  # noqa: ANN001
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    r = boss.post("/board/share", data={"csrf": csrf, "agents": "王芳，李娜"},
                  follow_redirects=False)
    assert r.status_code == 303, r.text
    assert boss.get("/api/board").json()["unassigned"] == 0
    r = boss.post("/board/move", data={"csrf": csrf, "patient_id": "C1", "agent": "张三"})
    assert r.status_code == 400 and "张三" in r.text   # not on today's shift
    assert boss.post("/board/move", data={"csrf": csrf, "patient_id": "C1", "agent": "李娜"},
                     follow_redirects=False).status_code == 303
    agent, agent_csrf = signed_in(ledger)
    mine = agent.get("/api/sheet").json()
    assert mine and "C1" not in {x["patient_id"] for x in mine}
    case = agent.post("/api/calls", headers={"X-CSRF-Token": agent_csrf}, json={
        "task_id": mine[0]["task_id"], "outcome": "complaint", "note": NOTE,
        "complaint_category": "result", "severity": "high"}).json()["complaint_id"]
    assert f'action="/board/complaint/{case}"' in boss.get("/board").text
    assert boss.post(f"/board/complaint/{case}", data={"csrf": csrf, "action": "ack",
                                                       "note": ""}).status_code == 400
    assert boss.post(f"/board/complaint/{case}", data={"csrf": csrf, "action": "ack",
                                                       "note": "已致歉并约医生回电"},
                     follow_redirects=False).status_code == 303
    assert cli("complaint", "show", str(case), "--format", "json").json()["status"] == \
        "acknowledged"


def test_a_ledger_gone_while_serving_is_an_error_not_a_new_ledger(ledger: Path) -> None:
    c, _ = signed_in(ledger)
    assert c.get("/api/session").status_code == 200
    moved = ledger.with_name("elsewhere.db")
    ledger.rename(moved)
    r = c.get("/api/sheet")
    assert r.status_code == 503 and str(ledger) in r.json()["error"]
    assert not ledger.exists()
    moved.rename(ledger)
    assert c.get("/api/session").status_code == 200


def test_patient_search_and_timeline_keep_names_out_of_the_log(ledger: Path,
                                                               caplog) -> None:  # noqa: ANN001
    import logging

    caplog.set_level(logging.INFO, logger="followup.web")
    c, csrf = signed_in(ledger)
    for query in ("晓雯", "5678", "C1"):
        page = c.get("/patients", params={"q": query}).text
        assert 'href="/patient/C1"' in page and "138****5678" in page
    assert 'href="/patient/' not in c.get("/patients", params={"q": "567"}).text
    assert "晓雯" not in caplog.text and "5678" not in caplog.text
    assert "GET /patients 200" in caplog.text
    timeline = c.get("/patient/C1")
    assert timeline.status_code == 200 and "双眼皮" in timeline.text
    assert c.get("/patient/NOBODY").status_code == 404   # no such patient: not found


def test_the_audit_log_is_for_supervisors(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    c.post(f"/call/{task}/reveal", data={"csrf": csrf})
    assert c.get("/audit").status_code == 403
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    page = boss.get("/audit")
    assert page.status_code == 200 and f"工作台：任务 {task} 查看号码" in page.text and "王芳" in page.text


def test_the_month_report_page_has_the_cli_figures(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    c.post("/api/calls", headers={"X-CSRF-Token": csrf},
           json={"task_id": task, "outcome": "reached", "note": NOTE, "satisfaction": 4})
    assert c.get("/report").status_code == 403
    boss, _ = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    page = boss.get("/report?month=2026-11").text
    report = cli("report", "--month", "2026-11", "--format", "json", "--date",
                 "2026-11-04").json()
    assert f"<td>Reach rate</td><td>{report['reach_rate'] * 100:.1f}%</td>" in page
    assert f"<td>Due</td><td>{report['due']}</td>" in page
    assert '<meter min="0" max="1" value="1">' in page
    assert boss.get("/report?month=2026-13").status_code == 400


@pytest.mark.slow
def test_serve_over_tls_marks_the_cookie_secure(tmp_path: Path) -> None:
    import shutil
    import ssl
    import time
    import urllib.error
    import urllib.request

    if not shutil.which("openssl"):
        pytest.skip("no openssl to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    db = tmp_path / "demo.db"
    followup = [sys.executable, "-m", "followup_cli", "--db", str(db)]
    subprocess.run([*followup, "init", "--demo", "--patients", "20"], check=True,
                   capture_output=True)
    port = free_port()
    server = subprocess.Popen([*followup, "serve", "--demo", "--port", str(port), "--cert",
                               str(cert), "--key", str(key)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        while not lines or "://" not in lines[-1]:
            line = server.stdout.readline() if server.stdout else ""
            assert line
            lines.append(line.strip())
        assert f"https://127.0.0.1:{port}/" in lines[-1]
        password = dict(x.removeprefix("demo sign-in ").split(", password ")
                        for x in lines[:-1])["王芳"]
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        base = f"https://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", context=context).close()
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        import http.client

        answers_at_once(http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                                    context=context))

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kw):  # noqa: ANN002, ANN003, ANN202
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                             NoRedirect)
        form = f"username=%E7%8E%8B%E8%8A%B3&password={password}".encode()
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(base + "/login", form)
        assert redirect.value.code == 303
        assert "secure" in redirect.value.headers["set-cookie"].lower()
        redirect.value.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_an_import_by_upload_is_previewed_then_imported(cli, ledger: Path,  # noqa: ANN001
                                                        tmp_path: Path) -> None:
    from conftest import HEADER

    export = ("\r\n".join([HEADER, "A9,C9,韩梅,13600001111,2026-11-03,水光针,成交,皮肤科,孙医生,"
                           "马咨询,,,,"]) + "\r\n").encode("gb18030")
    agent, agent_csrf = signed_in(ledger)
    files = {"file": ("11月就诊.csv", export, "text/csv")}
    assert agent.post("/import", data={"csrf": agent_csrf}, files=files).status_code == 403
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    assert boss.post("/import", data={}, files=files).status_code == 403    # no token
    assert boss.post("/import", data={"csrf": csrf}, files=files,
                     headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    r = boss.post("/import", data={"csrf": csrf}, files={"file": ("x.exe", b"MZ", "x")})
    assert r.status_code == 400 and "only .csv or .xlsx" in r.text
    r = boss.post("/import", data={"csrf": csrf}, files=files)
    assert r.status_code == 200 and "11月就诊.csv: visits added 1" in r.text
    assert cli("patient", "show", "C9").code == 2   # a dry run: nothing written yet
    key = r.text.split('name="key" value="')[1].split('"')[0]
    r = boss.post("/import/confirm", data={"csrf": csrf, "key": key})
    assert r.status_code == 200 and "visits added 1" in r.text
    assert cli("patient", "show", "C9", "--format", "json").json()["patient"]["name"] == "韩梅"
    again = boss.post("/import/confirm", data={"csrf": csrf, "key": key})
    assert again.status_code == 400 and "expired or was imported" in again.text


def test_signing_in_again_ends_the_session_the_browser_had(ledger: Path) -> None:
    c, _ = signed_in(ledger)
    old = c.cookies.get("followup_session")
    c.post("/login", data={"username": "李娜", "password": "agent-pass-2"})
    assert c.get("/api/session").json()["username"] == "李娜"
    stale = client(ledger)
    stale.cookies.set("followup_session", old)
    assert stale.get("/api/session").status_code == 401
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    assert "2026-11-04" in boss.get("/?sheet=1").text and "我的回访" not in boss.get("/?sheet=1").text


# --- the templates ----------------------------------------------------------------------

TEMPLATES = Path(__file__).parent.parent / "followup_cli" / "web" / "templates"


def test_every_text_in_the_templates_is_a_literal_message() -> None:
    """The templates say their words through t("…") with a literal message, which the
    catalogue test (test_i18n.py, Babel's Jinja extractor) finds and checks for Chinese."""
    import re

    said = [m for page in TEMPLATES.glob("*.html")
            for m in re.findall(r"""\bt\(\s*["']([^"']+)["']""", page.read_text("utf-8"))]
    assert len(said) > 50
    for page in TEMPLATES.glob("*.html"):
        assert not re.search(r"\bt\(\s*[^\"'\s]", page.read_text("utf-8")), page.name


def test_the_templates_need_nothing_the_content_security_policy_forbids() -> None:
    import re

    for page in TEMPLATES.glob("*.html"):
        text = page.read_text("utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), page.name   # inline script
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), page.name
        assert not re.search(r"(src|href)=\"(https?:)?//", text), page.name    # no CDN


def test_serve_on_a_port_in_use_says_so(cli, ledger: Path) -> None:  # noqa: ANN001
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.err
    assert "listening" not in result.out and "running" not in result.out
    result = cli("serve", "--host", "999.1.1.1")
    assert result.code == 2 and "--host 999.1.1.1 is not a valid address" in result.err


# --- fixes from a new user's run ------------------------------------------------------

def test_a_correction_must_name_a_call_of_the_cards_patient(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    sheet = c.get("/api/sheet").json()
    first = sheet[0]
    other = next(r for r in sheet if r["patient_id"] != first["patient_id"])
    logged = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                    json={"task_id": first["task_id"], "outcome": "busy"}).json()["attempt_id"]
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    for who, token in ((c, csrf), (boss, boss_csrf)):
        for action in ("void", "amend"):
            r = who.post(f"/call/{other['task_id']}/correct/{logged}",
                         data={"csrf": token, "action": action, "outcome": "no_answer",
                               "reason": "点错了"})
            assert r.status_code == 404, r.text
        assert who.post(f"/call/999999/correct/{logged}",
                        data={"csrf": token, "action": "void",
                              "reason": "点错了"}).status_code == 404
    calls = cli("patient", "show", first["patient_id"], "--format", "json",
                "--date", "2026-11-04").json()["calls"]
    assert [x["outcome"] for x in calls] == ["busy"]
    assert not [x for x in calls if x.get("corrects")]


def test_user_passwd_lifts_the_sign_in_lockout_of_a_name_locked_from_every_address(
        cli, ledger: Path, monkeypatch) -> None:  # noqa: ANN001
    app = create_app(clinic_of(State((ledger,))))
    attacker = TestClient(app, base_url=BASE, client=("10.0.0.66", 5000))
    colleague = TestClient(app, base_url=BASE, client=("10.0.0.7", 5000))
    for _ in range(5):
        assert attacker.post("/login", data={"username": "王芳",
                                             "password": "wrong-password"}).status_code == 401
    assert attacker.post("/login", data={"username": "王芳",
                                         "password": "agent-pass-1"}).status_code == 429
    # the name is locked from every address (guesses from many addresses are slowed too)
    assert colleague.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                          follow_redirects=False).status_code == 429
    # a new password lifts the lockout of the name everywhere
    monkeypatch.setattr(sys, "stdin", io.StringIO("fresh-pass-99\n"))
    assert cli("user", "passwd", "王芳", "--password-stdin").code == 0
    assert attacker.post("/login", data={"username": "王芳", "password": "fresh-pass-99"},
                         follow_redirects=False).status_code == 303


def test_the_month_report_api_is_for_supervisors_as_the_page(ledger: Path) -> None:
    c, _ = signed_in(ledger)
    assert c.get("/report").status_code == 403
    assert c.get("/api/report?month=2026-11").status_code == 403
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    assert boss.get("/api/report?month=2026-11").status_code == 200


def test_open_clinical_alerts_lead_the_agents_day_and_the_board(cli, ledger: Path) -> None:  # noqa: ANN001
    c, _ = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    logged = cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE,
                 "--when", "2026-11-04 09:00", "--sign", "bleeding")
    assert logged.code == 0, logged.err   # urgent: due 09:30, breached at 10:00
    day = c.get("/").text
    assert "临床警示" in day and "出血不止" in day and "吴医生" in day and "超时" in day
    assert day.index("出血不止") < day.index("冯雪")   # above the sheet
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    boss.post("/lang", data={"csrf": csrf, "lang": "en"})
    board = boss.get("/board").text
    assert "Clinical alerts: 1" in board and "Bleeding that will not stop" in board
    assert "吴医生" in board and "BREACHED" in board


def test_signs_and_a_booked_re_check_are_taken_over_http(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    sheet = {r["patient_id"]: r for r in c.get("/api/sheet").json()}
    card = c.get(f"/call/{sheet['C1']['task_id']}").text
    assert 'name="sign" value="bleeding"' in card and 'name="booked"' in card
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": sheet["C1"]["task_id"], "outcome": "reached", "note": NOTE,
        "signs": ["出血不止"], "booked": "2026-11-20"})
    assert r.status_code == 201, r.text
    alerts = cli("alert", "list", "--format", "json").json()
    assert [(a["patient_id"], a["urgency"]) for a in alerts] == [("C1", "urgent")]
    conn = sqlite3.connect(ledger)
    booked = conn.execute("SELECT booked_for FROM rechecks").fetchall()
    conn.close()
    assert [b[0][:10] for b in booked] == ["2026-11-20"]
    # the card's checkboxes, posted as a form: two signs of one name
    r = c.post(f"/call/{sheet['C2']['task_id']}",
               data={"csrf": csrf, "outcome": "reached", "note": NOTE,
                     "sign": ["fever", "unwell_other"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert {a["patient_id"] for a in cli("alert", "list", "--format", "json").json()} == {
        "C1", "C2"}
    # an unknown sign is refused, nothing logged
    before = attempts(ledger)
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": sheet["C3"]["task_id"], "outcome": "reached", "note": NOTE,
        "sign": "teleported"})
    assert r.status_code == 400 and "teleported" in r.json()["error"]
    assert attempts(ledger) == before



def test_web_messages_name_the_pages_fields_not_the_clis_options(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    said = {
        "callback": c.post(f"/call/{task}", data={"csrf": csrf,
                                                  "outcome": "callback_requested"}).text,
        "outcome": c.post(f"/call/{task}", data={"csrf": csrf, "note": NOTE}).text,
    }
    assert "「改约回电时间」" in said["callback"] and "「结果」" in said["outcome"]
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    said["month"] = boss.get("/report?month=2026-13").text
    assert "「月份」2026-13" in said["month"]
    case = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": task, "outcome": "complaint", "note": NOTE}).json()["complaint_id"]
    said["ack"] = boss.post(f"/board/complaint/{case}",
                            data={"csrf": boss_csrf, "action": "ack", "note": ""}).text
    assert "「处理说明」" in said["ack"]
    for text in said.values():
        assert not any(o in text for o in ("--at", "--outcome", "--month", "--note", "-o）"))
    boss.post("/lang", data={"csrf": boss_csrf, "lang": "en"})
    assert "“Month” 2026-13" in boss.get("/report?month=2026-13").text
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
               json={"task_id": task, "outcome": "callback_requested"})
    assert r.status_code == 400 and "--at" not in r.json()["error"] and "at" in r.json()["error"]


def test_the_boards_move_offers_the_agents_on_shift_only(ledger: Path) -> None:
    import re

    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")

    def offered() -> list[str]:
        form = boss.get("/board").text.split('action="/board/move"')[1].split("</form>")[0]
        return re.findall(r"<option>([^<]+)</option>", form)

    assert offered() == ["李娜", "王芳"]   # not shared yet: any agent
    assert boss.post("/board/share", data={"csrf": csrf, "agents": "李娜"},
                     follow_redirects=False).status_code == 303
    assert offered() == ["李娜"]


# --- the supervisor's SMS page and the report's charts ----------------------------------

def unreachable_c2(cli) -> None:  # noqa: ANN001
    c2 = [r for r in cli("due", "--date", "2026-11-04", "--format", "json").json()
          if r["patient_id"] == "C2"][0]
    for when in ("2026-11-04 09:10", "2026-11-04 09:30", "2026-11-04 09:50"):
        result = cli("log", str(c2["task_id"]), "--outcome", "no_answer", "--when", when)
        assert result.code == 0, result.err


def test_sms_plan_and_export_for_supervisors(cli, ledger: Path) -> None:  # noqa: ANN001
    unreachable_c2(cli)
    agent, csrf = signed_in(ledger)
    assert agent.get("/sms").status_code == 403
    assert agent.post("/sms/export", data={"csrf": csrf, "format": "csv"}).status_code == 403
    boss, token = signed_in(ledger, "boss", "boss-pass-12")
    assert 'href="/sms"' in boss.get("/board").text
    page = boss.get("/sms").text
    assert "C2" in page and "137****7890" in page and "13734567890" not in page
    assert "三次未接通" in page   # the reason, in the supervisor's language (Chinese by default)
    # no CSRF token: nothing exported, nothing recorded
    assert boss.post("/sms/export", data={"format": "csv"}).status_code == 403
    assert boss.post("/sms/export", data={"csrf": token, "format": "pdf"}).status_code == 400
    r = boss.post("/sms/export", data={"csrf": token, "format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert "13734567890" in r.content.decode("utf-8-sig")
    conn = sqlite3.connect(ledger)
    try:
        audit = conn.execute("SELECT agent, action, what FROM audit").fetchall()
        queued = conn.execute("SELECT patient_id, status, agent FROM sms").fetchall()
    finally:
        conn.close()
    assert audit == [("boss", "sms export --date 2026-11-04 --format csv", "1: C2")]
    assert queued == [("C2", "queued", "boss")]
    # the day again in another format: the same batch, queued once
    again = boss.post("/sms/export", data={"csrf": token, "format": "xlsx"})
    assert again.status_code == 200 and again.content[:2] == b"PK"
    conn = sqlite3.connect(ledger)
    try:
        assert conn.execute("SELECT count(*) FROM sms").fetchone() == (1,)
        assert conn.execute("SELECT action FROM audit ORDER BY rowid").fetchall()[-1] == (
            "sms export --date 2026-11-04 --format xlsx",)
    finally:
        conn.close()
    assert "13734567890" not in boss.get("/sms").text


def test_report_charts_are_images_of_this_origin(cli, ledger: Path) -> None:  # noqa: ANN001
    agent, _ = signed_in(ledger)
    agent.post("/api/calls", json={"patient_id": "C1", "outcome": "reached", "note": NOTE,
                                   "satisfaction": 5},
               headers={"X-CSRF-Token": agent.get("/api/session").json()["csrf"]})
    assert agent.get("/report/chart/agents.png?month=2026-11").status_code == 403
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    page = boss.get("/report?month=2026-11").text
    assert '<img src="/report/chart/agents.png?month=2026-11"' in page
    r = boss.get("/report/chart/agents.png?month=2026-11")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert boss.get("/report/chart/nothing.png?month=2026-11").status_code == 404


# --- the call card: do-not-call asks once more; the next patient keeps what was typed ----

def test_do_not_call_on_the_card_needs_a_second_press(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    before = attempts(ledger)
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "do_not_call", "note": NOTE},
               follow_redirects=False)
    assert r.status_code == 409 and attempts(ledger) == before   # nothing saved yet
    assert 'name="confirm" value="do_not_call"' in r.text and NOTE in r.text
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "do_not_call", "note": NOTE,
                                      "confirm": "do_not_call"}, follow_redirects=False)
    assert r.status_code == 303 and attempts(ledger) == before + 1


def test_next_patient_keeps_a_typed_note(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    sheet = c.get("/api/sheet").json()
    task = sheet[0]["task_id"]
    card = c.get(f"/call/{task}").text
    assert 'name="next"' in card and 'data-key="n"' in card
    r = c.post(f"/call/{task}", data={"csrf": csrf, "next": "1", "note": NOTE,
                                      "complaint_category": "other", "severity": "medium"},
               follow_redirects=False)
    assert r.status_code == 409 and NOTE in r.text and attempts(ledger) == 0
    r = c.post(f"/call/{task}", data={"csrf": csrf, "next": "1", "note": "  ",
                                      "complaint_category": "other", "severity": "medium"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/call/")
    assert r.headers["location"] != f"/call/{task}" and attempts(ledger) == 0


def test_alerts_are_acknowledged_and_closed_on_the_web_as_the_cli_does(  # noqa: ANN001
        cli, ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    assert cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE,
               "--when", "2026-11-04 09:50", "--sign", "bleeding").code == 0
    card = c.get(f"/call/{task['task_id']}").text   # the patient's alert, with its actions
    assert 'action="/alert/1"' in card and 'value="ack"' in card and 'value="吴医生"' in card
    assert 'action="/alert/1"' in c.get("/patient/C1").text
    # without the CSRF token: refused, nothing recorded
    assert c.post("/alert/1", data={"action": "ack", "by": "吴医生", "note": "已回电"},
                  follow_redirects=False).status_code == 403
    # the CLI's rules: a note is required; said with the page's field, nothing recorded
    r = c.post("/alert/1", data={"csrf": csrf, "action": "ack", "by": "吴医生",
                                 "back": f"/call/{task['task_id']}"})
    assert r.status_code == 400 and "「医生的答复或处理」" in r.text
    assert cli("alert", "show", "1", "--format", "json").json()["status"] == "open"
    # an agent may acknowledge (the CLI lets anyone): back to the card, saying what was done
    r = c.post("/alert/1", data={"csrf": csrf, "action": "ack", "by": "吴医生",
                                 "note": "已电话指导压迫止血", "back": f"/call/{task['task_id']}"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == (
        f"/call/{task['task_id']}?alert=1&step=ack")
    assert "已登记医生回应警示 #1（开立后 10 分钟）" in c.get(r.headers["location"]).text
    alert = cli("alert", "show", "1", "--format", "json").json()
    assert (alert["status"], alert["acknowledged_by"], alert["response_minutes"]) == (
        "acknowledged", "吴医生", 10)
    # a step that does not apply is refused as the CLI refuses it
    r = c.post("/alert/1", data={"csrf": csrf, "action": "ack", "by": "吴医生", "note": "再次"})
    assert r.status_code == 400 and "#1" in r.text
    # the supervisor closes it from the board: after the answer, the signed-in user closes
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert 'action="/alert/1"' in boss.get("/board").text
    r = boss.post("/alert/1", data={"csrf": boss_csrf, "action": "close", "by": "",
                                    "done": "recheck_booked", "note": "已约明早复诊",
                                    "back": "/board"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/board?alert=1&step=close"
    assert "警示 #1 已结束（医生回应用时 10 分钟）" in boss.get(r.headers["location"]).text
    alert = cli("alert", "show", "1", "--format", "json").json()
    assert (alert["status"], alert["closed_by"], alert["action"]) == (
        "closed", "boss", "recheck_booked")
    assert 'action="/alert/1"' not in boss.get("/board").text
    # an unknown action, an unknown alert, a foreign back page
    assert c.post("/alert/1", data={"csrf": csrf, "action": "reopen"}).status_code == 400
    assert c.post("/alert/99", data={"csrf": csrf, "action": "ack", "by": "吴医生",
                                     "note": "x"}).status_code == 400
    r = c.post("/alert/99", data={"csrf": csrf, "action": "ack", "back": "//evil.example"})
    assert 'href="/"' in r.text and "evil" not in r.text


def test_an_alert_closed_without_an_answer_needs_the_doctor(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    assert cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE,
               "--sign", "bleeding").code == 0
    r = c.post("/alert/1", data={"csrf": csrf, "action": "close", "by": "", "done": "called",
                                 "note": "已回电", "back": "/"})
    assert r.status_code == 400 and "「回应的医生」" in r.text
    r = c.post("/alert/1", data={"csrf": csrf, "action": "close", "by": "吴医生",
                                 "done": "called", "note": "已回电", "back": "/"},
               follow_redirects=False)
    assert r.status_code == 303
    alert = cli("alert", "show", "1", "--format", "json").json()
    assert (alert["status"], alert["acknowledged_by"], alert["closed_by"]) == (
        "closed", "吴医生", "吴医生")


def test_a_saved_call_says_what_followup_log_prints_about_it(cli, ledger: Path) -> None:  # noqa: ANN001
    c, csrf = signed_in(ledger)
    c.post("/lang", data={"csrf": csrf, "lang": "en"})
    sheet = {r["patient_id"]: r for r in c.get("/api/sheet").json()}
    # a sign heard and a re-check booked: the alert, its doctor and deadline; the re-check
    r = c.post(f"/call/{sheet['C1']['task_id']}",
               data={"csrf": csrf, "outcome": "reached", "note": NOTE, "sign": "bleeding",
                     "booked": "2026-11-20"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "Call #1 with C1 周晓雯 logged: reached" in page and "Task done" in page
    assert ("Clinical alert #1 opened (urgent) for 吴医生: a doctor must answer by "
            "2026-11-04 10:30") in page
    assert "Re-check booked for 2026-11-20" in page
    assert "Clinical alert #1" not in c.get(r.headers["location"]).text   # said once
    # a complaint: its case and deadlines
    r = c.post(f"/call/{sheet['C2']['task_id']}",
               data={"csrf": csrf, "outcome": "complaint", "note": NOTE,
                     "complaint_category": "service", "severity": "high"})
    assert "Complaint case #1 opened and the task done. Acknowledge within 24 h" in r.text
    # do-not-call: how many pending tasks were cancelled, as log says it
    r = c.post(f"/call/{sheet['C3']['task_id']}",
               data={"csrf": csrf, "outcome": "do_not_call", "confirm": "do_not_call"})
    assert "Patient marked do-not-call:" in r.text and "none will be planned again" in r.text


def test_a_saved_call_says_an_alert_nobody_is_given(cli, ledger: Path,  # noqa: ANN001
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE visits SET doctor = '' WHERE patient_id = 'C2'")
    conn.commit()
    conn.close()
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 21, 30))   # after hours
    c, csrf = signed_in(ledger)
    c.post("/lang", data={"csrf": csrf, "lang": "en"})
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C2")
    page = c.post(f"/call/{task['task_id']}",
                  data={"csrf": csrf, "outcome": "reached", "note": NOTE,
                        "sign": "fever"}).text
    assert "for no doctor: a doctor must answer by" in page
    assert ("Note: the visit has no doctor and no doctor on duty is set (followup.toml [alerts] "
            "doctor_on_duty): hand the alert to a doctor now") in page
    assert "is outside every calling window" in page


def test_the_report_page_has_every_table_of_the_clis_report(cli, ledger: Path,  # noqa: ANN001
                                                           tmp_path: Path) -> None:
    import re

    unreachable_c2(cli)   # three unanswered calls: an SMS
    c, csrf = signed_in(ledger)
    sheet = {r["patient_id"]: r for r in c.get("/api/sheet").json()}
    for body in ({"task_id": sheet["C1"]["task_id"], "outcome": "reached", "note": NOTE,
                  "satisfaction": 4, "nps": 9, "signs": ["bleeding"]},
                 {"task_id": sheet["C3"]["task_id"], "outcome": "complaint", "note": NOTE}):
        assert c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json=body).status_code == 201
    boss, token = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    assert boss.post("/sms/export", data={"csrf": token, "format": "csv"}).status_code == 200
    page = boss.get("/report?month=2026-11").text
    report = cli("--lang", "en", "report", "--month", "2026-11", "--format", "json").json()
    table = cli("--lang", "en", "report", "--month", "2026-11").out
    out = tmp_path / "report.html"
    assert cli("--lang", "en", "report", "--month", "2026-11", "--format", "html",
               "-O", str(out)).code == 0
    printed = out.read_text("utf-8")
    # every breakdown the CLI prints is on the page, under the same heading
    scopes = [k[3:] for k in report if k.startswith("by_") and report[k]]
    assert {"agent", "category", "project", "doctor", "consultant"} <= set(scopes)
    headings = ["Clinical alerts by urgency", "SMS", "By agent", "By category", "By project",
                "By doctor", "By consultant"]
    for heading in headings:
        assert heading in table, heading   # the terminal's sections …
        assert f"<h2>{heading}</h2>" in page, heading   # … each on the page
    # and every row of the CLI's HTML report's tables, figure for figure
    rows = re.findall(r"<tr><td>.*?</tr>", printed)
    assert len(rows) > 20
    for row in rows:
        assert row in page, row
    for scope in scopes:
        for figures in report[f"by_{scope}"].values():
            shown = re.search(rf'id="report-{scope}".*?</section>', page, re.S)
            assert shown is not None and f"<td>{figures['due']}</td>" in shown.group(0)
    assert report["sms_sent"] == 1 and "<td>Total</td><td>1</td><td>1</td>" in page
    assert "<td>urgent</td><td>1</td>" in page


def test_a_notes_size_cap_is_one_rule_for_the_card_the_api_and_the_cli(  # noqa: ANN001
        cli, ledger: Path) -> None:
    from followup_cli.calls import MAX_NOTE_CHARS

    long = "恢" * (MAX_NOTE_CHARS + 1)
    c, csrf = signed_in(ledger)
    sheet = {r["patient_id"]: r for r in c.get("/api/sheet").json()}
    card = c.get(f"/call/{sheet['C1']['task_id']}").text
    assert f'maxlength="{MAX_NOTE_CHARS}"' in card
    before = attempts(ledger)
    # the card's form (a browser that ignores maxlength, or a script)
    r = c.post(f"/call/{sheet['C1']['task_id']}",
               data={"csrf": csrf, "outcome": "reached", "note": long})
    assert r.status_code == 400
    assert f"「通话记录」太长：最多 {MAX_NOTE_CHARS} 个字符（现有 {MAX_NOTE_CHARS + 1} 个）" in r.text
    # the API, in the user's language, naming its key
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
               json={"task_id": sheet["C1"]["task_id"], "outcome": "reached", "note": long})
    assert r.status_code == 400 and r.json()["error"].startswith("note 太长：最多 4000 个字符")
    # the CLI
    result = cli("--lang", "en", "log", str(sheet["C1"]["task_id"]), "-o", "reached",
                 "--note", long)
    assert (result.code, result.err.strip()) == (
        2, "followup: --note is too long: at most 4000 characters (got 4001)"), result.err
    assert attempts(ledger) == before   # nothing logged by any of them
    # a correction cannot make it longer either; the cap itself is allowed
    logged = cli("log", str(sheet["C1"]["task_id"]), "-o", "reached", "--note",
                 long[:MAX_NOTE_CHARS])
    assert logged.code == 0, logged.err
    result = cli("log", "--amend", "1", "--note", long, "--reason", "补充")
    assert result.code == 2 and "4000" in result.err


@pytest.mark.parametrize(("lang", "agent", "supervisor", "disabled"), [
    ("zh", "专员", "主管", "已停用"), ("en", "agent", "supervisor", "disabled")])
def test_user_list_says_roles_as_words_in_the_users_language(  # noqa: ANN001
        cli, ledger: Path, monkeypatch, lang, agent, supervisor, disabled) -> None:
    assert cli("user", "disable", "李娜").code == 0
    result = cli("--lang", lang, "user", "list")
    assert result.code == 0, result.err
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.out.splitlines() if line.startswith("│")}
    assert rows == {"boss": [supervisor, "", ""], "王芳": [agent, "", ""],
                    "李娜": [agent, disabled, ""]}, result.out
    # the data formats keep the codes a script reads
    assert {u["role"] for u in cli("--lang", lang, "user", "list", "--format",
                                   "json").json()} == {"agent", "supervisor"}
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-1\n"))
    added = cli("--lang", lang, "user", "add", "新人", "--role", "supervisor",
                "--password-stdin")
    assert added.code == 0 and f"({supervisor})" in added.out.replace("（", "(").replace(
        "）", ")"), added.out


# --- a double submit is one call ----------------------------------------------------------

def test_the_same_call_logged_twice_at_once_is_refused_by_the_cli(cli, ledger: Path) -> None:  # noqa: ANN001
    sheet = {r["patient_id"]: r for r in cli("due", "--date", "2026-11-04", "--format", "json").json()}
    c1, c2 = str(sheet["C1"]["task_id"]), str(sheet["C2"]["task_id"])
    assert cli("log", c1, "-o", "no_answer", "--agent", "王芳").code == 0
    again = cli("--lang", "en", "log", c1, "-o", "no_answer", "--agent", "王芳")
    assert (again.code, again.err) == (2, (
        "followup: this call is already logged: call #1 at 10:00, the same outcome on the same "
        "task by the same agent; nothing was recorded again. If a second call truly happened, "
        'log it with its time: --when "2026-11-04 10:00"\n')), again.err
    assert attempts(ledger) == 1
    # by patient: the same task, the same refusal (the fast path and typer alike)
    assert cli("log", "--patient", "C1", "-o", "no_answer", "--agent", "王芳").code == 2
    # another task, another outcome or another agent: another call
    assert cli("log", c2, "-o", "no_answer", "--agent", "王芳").code == 0
    assert cli("log", c2, "-o", "no_answer", "--agent", "李娜").code == 0
    assert cli("log", c1, "-o", "busy", "--agent", "王芳").code == 0
    # a second call that truly happened: its time given
    timed = cli("log", c1, "-o", "no_answer", "--agent", "王芳", "--when", "2026-11-04 10:00")
    assert timed.code == 0, timed.err
    assert attempts(ledger) == 5
    # a voided call is no longer there to repeat
    assert cli("log", "--void", "2", "--reason", "记错了任务").code == 0
    assert cli("log", c2, "-o", "no_answer", "--agent", "王芳").code == 0


def test_a_double_pressed_save_on_the_card_logs_one_call(ledger: Path) -> None:
    import re
    from concurrent.futures import ThreadPoolExecutor

    c, csrf = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")["task_id"]
    once = re.search(r'name="once" value="([^"]+)"', c.get(f"/call/{task}").text)
    assert once is not None
    form = {"csrf": csrf, "once": once.group(1), "outcome": "no_answer"}
    first = c.post(f"/call/{task}", data=form, follow_redirects=False)
    again = c.post(f"/call/{task}", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]   # the first result
    assert attempts(ledger) == 1
    assert "#1" in c.get(again.headers["location"]).text
    # the same call again on a fresh card (a new token) within the minute: refused, said
    # without the command line's --when (the card has no such field)
    fresh = re.search(r'name="once" value="([^"]+)"', c.get(f"/call/{task}").text)
    assert fresh is not None
    refused = c.post(f"/call/{task}", data={**form, "once": fresh.group(1)},
                     follow_redirects=False)
    assert refused.status_code == 400 and "已经登记过" in refused.text
    assert "--when" not in refused.text
    assert attempts(ledger) == 1
    # two presses at the same moment (another tab of the same agent): still one call
    task2 = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C2")["task_id"]
    token = re.search(r'name="once" value="([^"]+)"', c.get(f"/call/{task2}").text)
    assert token is not None and token.group(1) != once.group(1)   # a token a card
    other = TestClient(c.app, base_url=BASE)   # the same server
    assert other.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                      follow_redirects=False).status_code == 303
    posts = [(c, csrf), (other, other.get("/api/session").json()["csrf"])]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda p: p[0].post(
            f"/call/{task2}", data={"csrf": p[1], "once": token.group(1), "outcome": "busy"},
            follow_redirects=False), posts))
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert attempts(ledger) == 2


def test_an_api_call_with_an_idempotency_key_is_logged_once(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    sheet = {r["patient_id"]: r for r in c.get("/api/sheet").json()}
    body = {"task_id": sheet["C1"]["task_id"], "outcome": "no_answer"}
    h = {"X-CSRF-Token": csrf, "Idempotency-Key": "tablet-7-0001"}
    first = c.post("/api/calls", headers=h, json=body)
    again = c.post("/api/calls", headers=h, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and first.json()["attempt_id"] == 1
    assert attempts(ledger) == 1
    # the key of another call: refused, nothing recorded
    r = c.post("/api/calls", headers=h, json={**body, "outcome": "busy"})
    assert r.status_code == 422 and "#1" in r.json()["error"]
    assert c.post("/api/calls", headers={**h, "Idempotency-Key": "x" * 201},
                  json=body).status_code == 400
    # without a key, the same call again within the minute: refused by the library's rule
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json=body)
    assert r.status_code == 400 and "#1" in r.json()["error"]
    assert attempts(ledger) == 1
    # another key for another task: a call of its own
    r = c.post("/api/calls", headers={**h, "Idempotency-Key": "tablet-7-0002"},
               json={**body, "task_id": sheet["C2"]["task_id"]})
    assert r.status_code == 201 and r.json()["attempt_id"] == 2


# --- patient ids: the exact id, else the one that differs only in case ------------------

def test_a_patient_id_in_another_case_finds_the_one_patient_on_every_face(  # noqa: ANN001
        cli, ledger: Path) -> None:
    shown = cli("patient", "show", "c1", "--format", "json")
    assert shown.code == 0 and shown.json()["patient"]["patient_id"] == "C1", shown.err
    # log --patient, through the fast path (a plain line) and typer (-O-less, --lang first)
    fast = cli("log", "--patient", "c1", "-o", "no_answer", "--agent", "王芳")
    assert fast.code == 0, fast.err
    typed = cli("--lang", "en", "log", "--patient", "c2", "-o", "no_answer", "--agent", "王芳",
                "--format", "json")
    assert typed.code == 0 and typed.json()["patient_id"] == "C2", typed.err
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT patient_id FROM attempts ORDER BY attempt_id").fetchall() == [
        ("C1",), ("C2",)]
    conn.close()
    c, csrf = signed_in(ledger)
    page = c.get("/patient/c1")
    assert page.status_code == 200 and "周晓雯" in page.text
    found = c.get("/patients", params={"q": "c3"}).text
    assert "/patient/C3" in found and "朱婷" in found
    api = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                 json={"patient_id": "c3", "outcome": "busy"})
    assert api.status_code == 201 and api.json()["patient_id"] == "C3"


def test_an_id_two_patients_share_ignoring_case_is_refused_naming_no_one(  # noqa: ANN001
        cli, ledger: Path, tmp_path: Path) -> None:
    twins = write_export(tmp_path / "twins.csv", [
        "A7,P7,林小满,13600001111,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,",
        "A8,p7,林大满,13600002222,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,"])
    assert cli("import", "visits", str(twins), "--date", "2026-11-03").code == 0
    # the exact id is found first, each of them
    assert cli("patient", "show", "p7", "--format", "json").json()["patient"]["name"] == "林大满"
    assert cli("patient", "show", "P7", "--format", "json").json()["patient"]["name"] == "林小满"
    # neither exactly: both match ignoring case — said, nobody named, nothing logged
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE patients SET patient_id = 'Pp7' WHERE patient_id = 'P7'")
    conn.execute("UPDATE patients SET patient_id = 'pP7' WHERE patient_id = 'p7'")
    conn.commit()
    conn.close()
    before = attempts(ledger)
    said = ("followup: patient id pp7 is not exact and matches 2 patients when case is ignored: "
            "type it exactly as the clinic's system writes it\n")
    for args in (("patient", "show", "pp7"),
                 ("log", "--patient", "pp7", "-o", "busy", "--agent", "王芳"),
                 ("patient", "set-phone", "pp7", "13600003333", "--agent", "王芳")):
        result = cli("--lang", "en", *args)
        assert (result.code, result.err) == (2, said), (args, result.err)
        assert "林" not in result.out + result.err and "1360000" not in result.err
    assert attempts(ledger) == before
    c, csrf = signed_in(ledger)
    for r in (c.get("/patient/pp7"), c.get("/patients", params={"q": "pp7"}),
              c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                     json={"patient_id": "pp7", "outcome": "busy"})):
        assert r.status_code == 400 and "2" in r.text and "林" not in r.text, r.text
    assert attempts(ledger) == before
    assert "林小满" in c.get("/patient/Pp7").text   # typed exactly: found
