# ruff: noqa: F811 - the `ledger` fixture, imported from test_web, is every test's argument
"""`followup serve` under a new user's safety trial: whom a day is shared to, corrections,
huge ids, uploads kept, sign-in throttling, the API's types, long notes, start-up errors,
the Host header. HTTP in-process on real temporary ledgers (test_web's fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("starlette")
from test_web import attempts, ledger, signed_in  # noqa: E402, F401


def test_disabling_a_disabled_user_says_so(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    first = cli("user", "disable", "李娜")
    assert first.code == 0 and "signed out" in first.out
    again = cli("user", "disable", "李娜")
    assert again.code == 0
    assert again.out.strip() == ("user 李娜 is already disabled (followup user passwd enables "
                                 "them again)")


HUGE = "9" * 23


@pytest.mark.parametrize("path", [
    f"/call/{HUGE}", f"/call/{'9' * 20_000}", "/call/9223372036854775808", "/alert/" + HUGE,
])
def test_a_huge_id_in_an_address_is_not_found(ledger: Path, path: str,  # noqa: F811
                                              caplog: pytest.LogCaptureFixture) -> None:
    c, csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert c.get(path).status_code in (404, 405)
    assert c.post(path, data={"csrf": csrf, "action": "ack"}).status_code == 404
    task = c.get("/api/sheet").json()[0]["task_id"]
    for post in (f"/call/{HUGE}/reveal", f"/call/{task}/correct/{HUGE}",
                 f"/board/complaint/{HUGE}"):
        assert c.post(post, data={"csrf": csrf, "reason": "原因"}).status_code == 404
    assert all(len(r.getMessage()) < 400 for r in caplog.records)   # the log shows 200 chars


def test_a_task_that_does_not_exist_is_not_found(ledger: Path) -> None:  # noqa: F811
    c, _ = signed_in(ledger)
    r = c.get("/call/999999")
    assert r.status_code == 404 and "没有编号为 999999 的任务" in r.text


def test_query_ids_and_numbers_in_other_digits_are_not_an_error(ledger: Path) -> None:  # noqa: F811
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    assert c.get(f"/call/{task}?saved=²").status_code == 200
    assert c.get(f"/?saved={HUGE}&alert={HUGE}&step=ack").status_code == 200
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "satisfaction": "²",
                                      "note": "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"})
    assert r.status_code == 400 and "satisfaction" in r.text


def test_a_correction_needs_a_known_action_a_change_and_a_short_reason(  # noqa: F811
        cli, ledger: Path) -> None:  # noqa: ANN001, F811
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    logged = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                    json={"task_id": task, "outcome": "busy"}).json()["attempt_id"]
    before = attempts(ledger)
    url = f"/call/{task}/correct/{logged}"
    r = c.post(url, data={"csrf": csrf, "action": "bogus", "reason": "原因"})
    assert r.status_code == 400 and "更正 bogus：可选 改为以上结果/记录 / 作废这通电话" in r.text
    r = c.post(url, data={"csrf": csrf, "action": "amend", "outcome": "busy", "reason": "原因"})
    assert r.status_code == 400 and "没有改变任何内容" in r.text
    r = c.post(url, data={"csrf": csrf, "action": "void", "reason": "原" * 501})
    assert r.status_code == 400 and "501" in r.text and "500" in r.text
    assert attempts(ledger) == before
    said = cli("log", "--amend", str(logged), "--reason", "原因")
    assert (said.code, said.err) == (2, f"followup: call #{logged}: this amendment changes "
                                        "nothing (give a new --outcome, --note, --when, --at, "
                                        "--satisfaction or --nps)\n")
    said = cli("log", "--void", str(logged), "--reason", "x" * 501)
    assert (said.code, said.err) == (2, "followup: --reason is 501 characters long: at most "
                                        "500\n")
    assert attempts(ledger) == before
    assert c.post(url, data={"csrf": csrf, "action": "void", "reason": "原" * 500},
                  follow_redirects=False).status_code == 303


def test_the_day_is_shared_to_enabled_accounts_only(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    for agents in ("不存在,王芳", "主管", "王芳，nobody"):
        r = boss.post("/board/share", data={"csrf": csrf, "agents": agents})
        assert r.status_code == 400 and "no enabled account" not in r.text   # said in Chinese
        assert "没有这个名字的可用账号" in r.text
        assert boss.get("/api/board").json()["unassigned"] == 3   # nothing shared
    r = boss.post("/board/move", data={"csrf": csrf, "patient_id": "C1", "agent": "张三"})
    assert r.status_code == 400 and "张三" in r.text
    r = boss.post("/api/assign", headers={"X-CSRF-Token": csrf},
                  json={"patient_id": "C1", "agent": "张三"})
    assert r.status_code == 400 and "张三" in r.json()["error"]
    # a supervisor can call too: given patients when they have an account
    assert boss.post("/board/share", data={"csrf": csrf, "agents": "王芳,boss"},
                     follow_redirects=False).status_code == 303
    assert boss.get("/api/board").json()["unassigned"] == 0
    assert "无法登录" not in boss.get("/board").text
    assert cli("user", "disable", "王芳").code == 0
    # her patients of today are held by a name that cannot sign in: the board says so
    board = boss.get("/board").text
    row = board[board.index('<tr data-agent="王芳">'):]
    assert "无法登录：请移交这些患者" in row[:row.index("</tr>")]
    assert [a["stranded"] for a in boss.get("/api/board").json()["agents"]
            if a["agent"] == "王芳"] == [True]
    r = boss.post("/board/share", data={"csrf": csrf, "agents": "王芳,boss"})
    assert r.status_code == 400 and "王芳" in r.text


def test_the_cli_shares_to_anyone_but_warns_of_a_name_without_an_account(  # noqa: F811
        cli, ledger: Path) -> None:  # noqa: ANN001, F811
    r = cli("assign", "--agents", "王芳,不存在", "--date", "2026-11-04")
    assert r.code == 0
    assert r.err == ("warning: 不存在 has no enabled account, so cannot sign in to the workspace "
                     "to see their share (followup user list shows the team)\n")


def test_a_clinic_without_accounts_shares_without_a_warning(cli, tmp_path: Path) -> None:  # noqa: ANN001
    from conftest import write_export
    from test_web import ROWS

    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
    r = cli("assign", "--agents", "王芳,李娜", "--date", "2026-11-04")
    assert (r.code, r.err) == (0, "")


def test_the_api_takes_json_of_the_right_types_and_known_fields_only(ledger: Path) -> None:  # noqa: F811
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    body = json.dumps({"task_id": task, "outcome": "busy", "secret": "周晓雯 13812345678"})
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf, "Content-Type": "text/plain"},
               content=body.encode())
    assert r.status_code == 415 and r.json() == {
        "error": "请发送 JSON（Content-Type: application/json）"}
    assert "周晓雯" not in r.text
    for sent, field in (({"task_id": str(task)}, "task_id"), ({"task_id": True}, "task_id"),
                        ({"task_id": task, "nps": "7"}, "nps"),
                        ({"task_id": task, "note": 5}, "note"),
                        ({"task_id": task, "signs": [1]}, "signs")):
        r = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                   json={**sent, "outcome": "busy"})
        assert r.status_code == 400 and field in r.json()["error"], (sent, r.text)
    assert attempts(ledger) == 0
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    h = {"X-CSRF-Token": boss_csrf}
    for sent in ({"x": 1}, {"date": 20261104}, {"when": "2026-11-05"}):
        r = boss.post("/api/assign", headers=h, json={"patient_id": "C1", "agent": "李娜", **sent})
        assert r.status_code == 400, (sent, r.text)
    assert "C1" in {x["patient_id"] for x in c.get("/api/sheet").json()}   # nothing moved
    r = boss.post("/api/assign", headers=h, json={"patient_id": "C1", "agent": "李娜",
                                                  "date": "2026-11-05"})
    assert r.status_code == 200   # the date is honoured: the 5th's share, not today's
    assert "C1" in {x["patient_id"] for x in c.get("/api/sheet").json()}


@pytest.mark.parametrize("length", [4000, 8700, 60_000])
def test_a_long_note_on_the_card_is_never_lost(ledger: Path, length: int) -> None:  # noqa: F811
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    note = ("患者反馈恢复顺利肿胀明显消退" * 5000)[:length]
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": note},
               follow_redirects=False)
    if length <= 4000:   # a full note, url-encoded 36 KB, is logged
        assert r.status_code == 303 and attempts(ledger) == 1
        return
    assert r.status_code == 400 and attempts(ledger) == 0
    assert "最多 4000 个字符" in r.text or "4000" in r.text
    assert f">{note}</textarea>" in r.text   # the card again, the note kept


def test_sign_ins_are_throttled_per_name_and_per_address(cli, ledger: Path,  # noqa: ANN001, F811
                                                         monkeypatch) -> None:  # noqa: ANN001
    from starlette.testclient import TestClient
    from test_web import BASE

    from followup_cli.commands.serve import clinic_of
    from followup_cli.options import State
    from followup_cli.web.app import create_app

    app = create_app(clinic_of(State((ledger,))))

    def at(address: str) -> TestClient:
        return TestClient(app, base_url=BASE, client=(address, 50000))

    one, two, three = at("10.0.0.1"), at("10.0.0.2"), at("10.0.0.3")
    for _ in range(5):   # 李娜's password guessed from one address …
        assert one.post("/login", data={"username": "李娜", "password": "wrong-pass"}
                        ).status_code == 401
    r = two.post("/login", data={"username": "李娜", "password": "agent-pass-2"})
    assert r.status_code == 429   # … locks the name from every address
    assert 800 < int(r.headers["retry-after"]) <= 901
    r = two.post("/login", json={"username": "李娜", "password": "agent-pass-2"})
    assert r.status_code == 429 and r.json() == {"error": "登录失败次数过多：请 15 分钟后再试"}
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("brand-new-pass\n"))
    assert cli("user", "passwd", "李娜", "--password-stdin").code == 0
    assert two.post("/login", data={"username": "李娜", "password": "brand-new-pass"},
                    follow_redirects=False).status_code == 303   # a new password lifts it
    # one address trying many names (password spraying) is slowed whatever the names
    for n in range(10):
        r = three.post("/login", data={"username": f"user{n}", "password": "Spring2026!"})
        assert r.status_code == 401
    r = three.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 429 and "retry-after" in r.headers and "error" in r.json()
    assert one.post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                    follow_redirects=False).status_code == 303   # another address is not
    r = one.post("/login", json={"username": "王芳", "password": "nope"})
    assert r.status_code == 401 and r.json() == {"error": "用户名或密码不正确"}


def test_uploads_are_kept_beside_the_ledger_only_as_long_as_needed(  # noqa: F811
        ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stat

    from conftest import HEADER
    from starlette.testclient import TestClient
    from test_web import BASE

    from followup_cli.commands.serve import clinic_of
    from followup_cli.options import State
    from followup_cli.web import app as web_app

    folder = ledger.parent / "ledger.db.uploads"
    stale = folder / "followup-upload-left"   # a server stopped without cleaning up
    stale.mkdir(parents=True)
    (stale / "old.csv").write_text("x")

    def kept() -> list[str]:
        return sorted(p.name for p in folder.glob("followup-upload-*/*"))

    export = ("\r\n".join([HEADER, "A9,C9,韩梅,13600001111,2026-11-03,水光针,成交,皮肤科,"
                           "孙医生,马咨询,,,,"]) + "\r\n").encode("gb18030")
    with TestClient(web_app.create_app(clinic_of(State((ledger,)))), base_url=BASE) as boss:
        assert kept() == []   # cleared at start
        boss.post("/login", data={"username": "boss", "password": "boss-pass-12"})
        csrf = boss.get("/api/session").json()["csrf"]

        def upload(name: str, content: bytes) -> str:
            r = boss.post("/import", data={"csrf": csrf}, files={"file": (name, content, "x")})
            return r.text

        said = upload("empty.csv", b"")
        assert "empty.csv" in said and str(folder) not in said and "/tmp" not in said
        assert kept() == []   # a failed check keeps nothing
        upload("first.csv", export)
        assert kept() == ["first.csv"]
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        page = upload("second.csv", export)
        assert kept() == ["second.csv"]   # a newer upload replaces the user's last
        key = page.split('name="key" value="')[1].split('"')[0]
        assert boss.post("/import/confirm", data={"csrf": csrf, "key": key}).status_code == 200
        assert kept() == []   # imported: gone
        upload("third.csv", export)
        monkeypatch.setattr(web_app, "UPLOAD_KEPT", 0.0)
        inner = boss.app
        while not hasattr(inner, "state"):   # under the middleware: the Starlette app
            inner = inner.app
        inner.state.web.uploads.expire()   # what the minute's sweep does
        assert kept() == []   # expired: gone
        monkeypatch.setattr(web_app, "UPLOAD_KEPT", 3600.0)
        upload("fourth.csv", export)
        assert kept() == ["fourth.csv"]
    assert kept() == []   # and all at a clean stop


def test_serve_checks_its_certificate_and_host_before_saying_it_started(  # noqa: F811
        cli, ledger: Path, tmp_path: Path) -> None:  # noqa: ANN001
    import shutil
    import socket
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("no openssl to make a certificate")
    pairs = []
    for n in (1, 2):
        cert, key = tmp_path / f"cert{n}.pem", tmp_path / f"key{n}.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        pairs.append((str(cert), str(key)))
    (cert, key), (_, other_key) = pairs
    missing = str(tmp_path / "nonexist.pem")
    for args, says in (
            (("--cert", missing, "--key", key), f"--cert {missing}: No such file or directory"),
            (("--cert", cert, "--key", missing), f"--key {missing}: No such file or directory"),
            (("--cert", key, "--key", cert), f"--cert {key} is not a certificate in PEM (are "
                                             "--cert and --key swapped?)"),
            (("--cert", cert, "--key", other_key), f"--cert {cert} and --key {other_key} are "
                                                   "not one pair"),
            (("--host", "999.1.1.1"), "--host 999.1.1.1 is not a valid address: give an IP "
                                      "address of this machine, localhost, or 0.0.0.0")):
        with socket.socket() as taken:   # were a check missed, serving fails, never hangs
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            result = cli("serve", "--port", str(taken.getsockname()[1]), *args)
        assert result.code == 2 and says in result.err, result.err
        assert "running" not in result.out and "--port" not in result.err


def test_a_request_sent_to_another_name_is_refused(ledger: Path) -> None:
    from starlette.testclient import TestClient
    from test_web import BASE

    from followup_cli.commands.serve import clinic_of
    from followup_cli.options import State
    from followup_cli.web.app import create_app

    clinic = clinic_of(State((ledger,)))

    def status(app, host: str) -> int:  # noqa: ANN001
        r = TestClient(app, base_url=BASE).post(
            "/login", data={"username": "王芳", "password": "agent-pass-1"},
            headers={"Host": host}, follow_redirects=False)
        assert (r.status_code == 303) == ("followup_session" in r.cookies)
        return r.status_code

    local = create_app(clinic)   # serve's default: 127.0.0.1
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "127.0.0.1", "LOCALHOST."):
        assert status(local, host) == 303, host
    for host in ("evil.example:18750", "evil.example", "192.168.1.5:8765", "", "[zz]:1",
                 "127.0.0.1.evil.example"):
        assert status(local, host) == 400, host
    r = TestClient(local, base_url=BASE).get("/api/session", headers={"Host": "evil.example"})
    assert r.status_code == 400 and "--allow-host" in r.json()["error"]
    everywhere = create_app(clinic, host="0.0.0.0")
    assert status(everywhere, "192.168.1.5:8765") == 303   # any address: no rebinding
    assert status(everywhere, "evil.example:8765") == 400
    named = create_app(clinic, host="0.0.0.0", allow_hosts=("followup.clinic.lan",))
    assert status(named, "followup.clinic.lan:8765") == 303
    one = create_app(clinic, host="192.168.1.5")
    assert status(one, "192.168.1.5:8765") == 303
    assert status(one, "localhost:8765") == 400 and status(one, "192.168.1.6") == 400
