"""What the workspace's pages say, as a new user reads them: text from the ledger shown as
it is (no control character or direction override acting on the page), in the user's
language, without the command line's options or codes. Real temporary ledgers, over
HTTP in-process (the fixtures of test_web)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

pytest.importorskip("starlette")
import test_web  # noqa: E402
from test_web import client, signed_in  # noqa: E402, F401

ledger = test_web.ledger   # the fixture: the ledger of test_web, with its users

RLO, PDF, ESC = "\u202e", "\u202c", "\x1b"


def test_direction_overrides_and_controls_are_shown_as_stand_ins(  # noqa: ANN001
        cli, ledger: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "odd.csv", [
        f"A9,X004,{RLO}王五\u202d,13600004444,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
    c, csrf = signed_in(ledger)
    note = f"患者说{RLO}恢复很好{PDF}，已提醒{ESC}[2J换药并清淡饮食注意休息。"
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
               json={"patient_id": "X004", "outcome": "reached", "note": note})
    assert r.status_code == 201, r.text
    task = sqlite3.connect(ledger).execute(
        "SELECT task_id FROM tasks WHERE patient_id = 'X004'").fetchone()[0]
    for page in (c.get(f"/call/{task}"), c.get("/patient/X004"),
                 c.get("/patients", params={"q": "X004"})):
        assert page.status_code == 200
        assert "王五" in page.text
        assert not {RLO, PDF, "\u202d", ESC} & set(page.text), page.url
    # the terminal: the same stand-ins
    shown = cli("patient", "show", "X004")
    assert shown.code == 0 and "王五" in shown.out
    assert not {RLO, PDF, "\u202d", ESC} & set(shown.out)
    # what was recorded stays whole
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT name FROM patients WHERE patient_id = 'X004'").fetchone()[0] \
        == f"{RLO}王五\u202d"
    assert conn.execute("SELECT note FROM attempts WHERE patient_id = 'X004'").fetchone()[0] \
        == note


def test_the_page_language_is_the_users_choice_never_the_browsers(ledger: Path) -> None:
    english = {"Accept-Language": "en-US,en;q=0.9"}
    # nothing chosen: Chinese, whatever the browser says
    zh = '<html lang="zh-CN">'
    assert zh in client(ledger, **english).get("/login").text
    c, csrf = signed_in(ledger, "boss", "boss-pass-12", **english)
    assert zh in c.get("/board").text and c.get("/api/session").json()["lang"] == "zh"
    # 王芳 chose Chinese: her pages and a refusal before her request is read are Chinese
    c, csrf = signed_in(ledger, **english)
    c.post("/lang", data={"csrf": csrf, "lang": "zh"})
    assert c.get("/api/session").json()["lang"] == "zh"
    assert "我的回访" in c.get("/").text
    cross = c.post("/lang", data={"csrf": csrf, "lang": "en"},
                   headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403 and "refused" not in cross.text, cross.text
    # a choice made on the sign-in page is kept on the browser and saved at sign-in
    c, csrf = signed_in(ledger, "李娜", "agent-pass-2", lang="en")
    assert "My calls" in c.get("/").text
    again = client(ledger)
    again.post("/login", data={"username": "李娜", "password": "agent-pass-2"})
    assert "My calls" in again.get("/").text and again.get("/api/session").json()["lang"] == "en"
    # 王芳, who chose Chinese, picks English on the sign-in page: what she just chose wins
    import re

    c = client(ledger)
    form = c.get("/login", params={"lang": "en"}).text
    assert re.search(r'<input type="hidden" name="lang" value="en">', form)
    c.post("/login", data={"username": "王芳", "password": "agent-pass-1", "lang": "en"})
    assert "My calls" in c.get("/").text and c.get("/api/session").json()["lang"] == "en"
    # a sign-in page opened without a pick carries none: her saved choice stands
    assert 'name="lang"' not in client(ledger).get("/login").text


def test_the_sms_text_is_the_patients_language_whatever_the_page_speaks(  # noqa: ANN001
        cli, ledger: Path) -> None:
    import re

    from test_web import unreachable_c2

    unreachable_c2(cli)
    planned = cli("--lang", "en", "sms", "plan", "--date", "2026-11-04", "--format", "json")
    assert planned.code == 0, planned.err
    text = {m["patient_id"]: m["text"] for m in planned.json()["messages"]}["C2"]
    assert text.startswith("【诊所】")   # no signature set: the patients' (zh) word for it
    assert cli("--lang", "zh", "sms", "plan", "--date", "2026-11-04", "--format",
               "json").json()["messages"][0]["text"] == text
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    for lang in ("zh", "en"):
        boss.post("/lang", data={"csrf": csrf, "lang": lang})
        page = boss.get("/sms").text
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page
        assert re.findall("【[^】]*】", page) == ["【诊所】"], lang
        assert text in page.replace("&#39;", "'"), lang


def test_a_supervisors_correction_shows_who_corrected_and_why(cli, ledger: Path) -> None:  # noqa: ANN001
    import re

    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]
    logged = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                    json={"task_id": task["task_id"], "outcome": "busy"}).json()["attempt_id"]
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    r = boss.post(f"/call/{task['task_id']}/correct/{logged}", follow_redirects=False,
                  data={"csrf": boss_csrf, "action": "amend", "outcome": "no_answer",
                        "reason": "录音核实为无人接听"})
    assert r.status_code == 303, r.text
    page = c.get(f"/patient/{task['patient_id']}").text
    # the amendment's row: what it is, by the supervisor, the reason, in words
    row = next(x for x in re.findall(r"<tr>.*?</tr>", page, re.S) if "→" in x)
    assert "更正 #" in row and f"→ #{logged}" in row and "boss" in row and "王芳" not in row
    assert "原因：录音核实为无人接听" in row and "amend" not in row
    # the card's last calls: the call as it stands, amended by whom and why
    card = c.get(f"/call/{task['task_id']}").text
    assert "boss 更正：录音核实为无人接听" in card
    # the same words as `patient show`
    shown = cli("patient", "show", task["patient_id"], "--date", "2026-11-04").out
    assert f"→ #{logged}" in shown and "boss" in shown and "录音核实为无人接听" in shown


def test_a_birthday_calls_card_says_the_birthday_not_an_empty_visit(  # noqa: ANN001
        cli, ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 5, 10, 0))   # her birthday
    c, _ = signed_in(ledger)
    birthday = [r for r in c.get("/api/sheet").json() if not r["visit_id"]]
    assert birthday, "the fixture's member (born 5 November) has a birthday call"
    card = c.get(f"/call/{birthday[0]['task_id']}").text
    assert "就诊：-" not in card and "-（- 天前）" not in card
    assert "生日：2026-11-05" in card
    visit = [r for r in c.get("/api/sheet").json() if r["visit_id"]][0]
    assert "就诊：" in c.get(f"/call/{visit['task_id']}").text


# --- no command line and no English code on a page ------------------------------------

def page_text(html_page: str) -> str:
    """What a reader sees of a page: its text, not its tags, attributes or scripts."""
    import html
    import re

    html_page = re.sub(r"(?is)<(style|script|select)\b.*?</\1>", " ", html_page)
    return html.unescape(re.sub(r"<[^>]+>", " ", html_page))


def message_of(html_page: str) -> str:
    import html
    import re

    found = re.search(r'<p class="message" role="alert">(.*?)</p>', html_page, re.S)
    assert found, html_page[-800:]
    return html.unescape(found.group(1))


def web_codes() -> set[str]:
    from test_chinese_output import english_codes

    return english_codes() | {
        "amend", "void", "general", "phone", "visit_date", "project", "patient_id", "serve",
        "reveal", "satisfaction", "action", "date", "at", "agents", "severity", "Not", "Found",
        "Method", "Allowed", "complaint_category"}


def refusals(cli, ledger: Path, tmp_path: Path, lang: str) -> dict[str, str]:  # noqa: ANN001
    """The messages of what a new user can get wrong on the pages, in `lang`."""
    from conftest import HEADER  # noqa: F401

    agent, csrf = signed_in(ledger, lang=lang)
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12", lang=lang)
    task = agent.get("/api/sheet").json()[0]["task_id"]
    card = f"/call/{task}"
    said: dict[str, str] = {}
    for name, form in {"outcome": {"outcome": "xyz"},
                       "satisfaction": {"outcome": "reached", "satisfaction": "abc"},
                       "at": {"outcome": "callback_requested", "at": "abc"},
                       "category": {"outcome": "complaint", "note": "患者对术后效果不满意，要求主管回电说明情况。",
                                    "complaint_category": "zzz_never"},
                       "severity": {"outcome": "complaint", "note": "患者对术后效果不满意，要求主管回电说明情况。",
                                    "severity": "zzz_never"}}.items():
        r = agent.post(card, data={"csrf": csrf, **form})
        assert r.status_code == 400, (name, r.status_code)
        said[name] = message_of(r.text)
    r = boss.post("/board/share", data={"csrf": boss_csrf, "agents": " , "})
    said["share"] = message_of(r.text)
    r = boss.post("/board/share", data={"csrf": boss_csrf, "agents": ",".join(
        f"专员{i}" for i in range(201))})
    said["share too many"] = message_of(r.text)
    boss.post("/board/share", data={"csrf": boss_csrf, "agents": "王芳,李娜"})
    r = boss.post("/board/move", data={"csrf": boss_csrf, "patient_id": "C1",
                                       "agent": "不存在的人"})
    said["move"] = message_of(r.text)
    r = boss.post("/board/move", data={"csrf": boss_csrf, "patient_id": "C1", "agent": " "})
    said["move to no one"] = message_of(r.text)
    said["sms date"] = message_of(boss.get("/sms", params={"date": "abc"}).text)
    r = boss.post("/board/complaint/1", data={"csrf": boss_csrf, "action": "bogus"})
    said["action"] = message_of(r.text)
    export = write_export(tmp_path / f"no-columns-{lang}.csv", ["C9,张三,2026-11-01"],
                          header="客户编号,客户姓名,预约到院时间")
    r = boss.post("/import", data={"csrf": boss_csrf},
                  files={"file": ("11月.csv", export.read_bytes(), "text/csv")})
    said["import"] = message_of(r.text)
    future = write_export(tmp_path / f"future-{lang}.csv", [
        "A9,C9,张三,13800001111,2026-12-01,双眼皮,成交,整形外科,吴医生,林咨询,,,,"])
    r = boss.post("/import", data={"csrf": boss_csrf},
                  files={"file": ("12月.csv", future.read_bytes(), "text/csv")})
    said["import bad rows"] = message_of(r.text)
    # the command line is told what its options can do
    typed = cli("--lang", lang, "import", "visits", str(future))
    assert typed.code == 2 and "--skip-bad" in typed.err and "--date" in typed.err
    for path in ("/call/abc", "/nope"):
        said[path] = message_of(agent.get(path).text)
    said["405"] = message_of(agent.post("/patients", data={"csrf": csrf}).text)
    return said


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_message_on_a_page_names_a_command_line_option(  # noqa: ANN001
        cli, ledger: Path, tmp_path: Path, lang: str) -> None:
    said = refusals(cli, ledger, tmp_path, lang)
    for name, message in said.items():
        assert message.strip() and "--" not in message, (name, message)
    if lang == "zh":
        from test_chinese_output import found_codes

        for name, message in said.items():
            assert found_codes(message.replace("11月.csv", ""), web_codes()) == [], (name, message)
        assert "手机号" in said["import"] and "预约到院时间" in said["import"]
        assert "已接通" in said["outcome"]


def test_the_api_names_its_json_keys(ledger: Path) -> None:
    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    for body, key in (({"outcome": "busy"}, "patient_id"),
                      ({"task_id": task, "outcome": "reached", "satisfaction": "abc"},
                       "satisfaction"),
                      ({"task_id": task, "outcome": "complaint", "note": "x" * 30,
                        "severity": "zzz"}, "severity")):
        r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json=body)
        assert r.status_code == 400 and key in r.json()["error"], r.json()
        assert "--" not in r.json()["error"]
    r = c.get("/api/nope")
    assert r.status_code == 404 and r.json()["error"]


def test_chinese_pages_show_no_english_code(cli, ledger: Path) -> None:  # noqa: ANN001
    from test_chinese_output import found_codes

    agent, csrf = signed_in(ledger)
    sheet = agent.get("/api/sheet").json()
    task = sheet[0]["task_id"]
    logged = agent.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": task, "outcome": "busy"}).json()["attempt_id"]
    boss, boss_csrf = signed_in(ledger, "boss", "boss-pass-12")
    boss.post(f"/call/{task}/correct/{logged}", data={
        "csrf": boss_csrf, "action": "amend", "outcome": "no_answer", "reason": "核实为无人接听"})
    boss.post(f"/call/{sheet[1]['task_id']}/reveal", data={"csrf": boss_csrf})
    pages = {path: agent.get(path) for path in (
        "/", f"/call/{sheet[1]['task_id']}", f"/patient/{sheet[0]['patient_id']}",
        "/patients?q=C", "/call/abc", "/nope")}
    pages.update({path: boss.get(path) for path in (
        "/board", "/?sheet=1", "/report", "/sms", "/import", "/audit")})
    for path, r in pages.items():
        assert '<html lang="zh-CN">' in r.text, path
        assert found_codes(page_text(r.text), web_codes()) == [], path
    assert "工作台：任务" in page_text(pages["/audit"].text)
    assert pages["/nope"].status_code == 404 and 'href="/"' in pages["/nope"].text
