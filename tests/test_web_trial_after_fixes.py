"""Findings of a new user's second trial of `followup serve`: looking never writes, the next
patient is one callable now, a callback time is never dropped, a JSON sign-in is answered in
JSON, no command-line instructions on the web, messages in the page's language.

The ledger and the clock are test_web's: visits imported on 3 Nov 2026, now 4 Nov 10:00."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_web import ledger, signed_in  # noqa: F401

pytest.importorskip("starlette")


def ledger_rows(ledger: Path, sql: str) -> list[tuple]:  # noqa: F811
    conn = sqlite3.connect(ledger)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def birthdays(ledger: Path) -> list[tuple]:  # noqa: F811
    return ledger_rows(ledger, "SELECT plan_key FROM tasks WHERE category = 'birthday' "
                               "ORDER BY plan_key")


@pytest.mark.parametrize("day", ["2031-01-01", "2034-12-01", "2099-01-01"])
def test_the_sms_page_of_a_far_day_is_refused_and_writes_nothing(cli, ledger: Path,  # noqa: F811, ANN001
                                                                 day: str) -> None:
    """GET /sms?date=2099-01-01 planned VIP birthdays up to 2100."""
    before = birthdays(ledger)
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    r = boss.get(f"/sms?date={day}")
    assert r.status_code == 400
    assert f"{day} 距今超过 30 天：短信最早提前 30 天安排和导出" in r.text
    assert "没有要发的短信" not in r.text
    plan = cli("sms", "plan", "--date", day)
    assert plan.code == 2
    assert plan.err == (f"followup: {day} is more than 30 days ahead: a day's SMS are planned "
                        "and exported at most 30 days before it\n")
    assert birthdays(ledger) == before


def test_a_sheet_more_than_a_year_ahead_is_refused_and_writes_nothing(cli, ledger: Path) -> None:  # noqa: F811, ANN001
    """`due --date 2099-01-01` (and /api/sheet?date=) planned VIP birthdays up to 2100."""
    before = birthdays(ledger)
    due = cli("due", "--date", "2099-01-01")
    assert due.code == 2
    assert due.err == ("followup: 2099-01-01 is more than 366 days ahead: a day's call sheet "
                       "is drawn at most 366 days (a year) before it\n")
    agent, _ = signed_in(ledger)
    r = agent.get("/api/sheet?date=2099-01-01")
    assert r.status_code == 400 and "距今超过 366 天" in r.json()["error"]
    assert birthdays(ledger) == before
    assert cli("due", "--date", "2027-11-05").code == 0   # a year ahead is still drawn


def test_next_patient_is_one_callable_now(ledger: Path) -> None:  # noqa: F811
    """"Next patient" after a save brought back a patient just logged no-answer, before
    their retry time."""
    c, csrf = signed_in(ledger, lang="en")
    sheet = c.get("/api/sheet").json()
    task_of = {r["patient_id"]: r["task_id"] for r in sheet}
    assert len(task_of) >= 2
    waiting: set[str] = set()
    task = sheet[0]["task_id"]
    while True:
        patient = next(p for p, k in task_of.items() if k == task)
        r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "no_answer"},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        waiting.add(patient)
        target = r.headers["location"]
        if not target.startswith("/call/"):
            break
        task = int(target.split("?")[0].rsplit("/", 1)[1])
        assert task in task_of.values() and task_of[patient] != task
        assert next(p for p, k in task_of.items() if k == task) not in waiting
    assert waiting == set(task_of)   # every one was offered once, then no one
    assert target.startswith("/?next=none&saved=")
    page = c.get(target).text
    assert "No other patient can be called now" in page
    # "Next patient" without a save says the same
    r = c.post(f"/call/{task}", data={"csrf": csrf, "next": "1"}, follow_redirects=False)
    assert r.headers["location"] == "/?next=none"


def test_a_callback_time_on_an_outcome_without_one_is_refused(cli, ledger: Path) -> None:  # noqa: F811, ANN001
    """The card posted outcome=reached with at=2030-01-01T10:00: saved, the time dropped."""
    from test_web import NOTE, attempts

    c, csrf = signed_in(ledger, lang="en")
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": NOTE,
                                      "at": "2030-01-01T10:00"})
    assert r.status_code == 400
    assert ("“Call back at” is only for a call logged as "
            "callback requested") in r.text.replace("&#34;", '"').replace("&#39;", "'")
    api = c.post("/api/calls", headers={"x-csrf-token": csrf}, json={
        "task_id": task, "outcome": "no_answer", "at": "2026-11-05 10:00"})
    assert api.status_code == 400 and api.json()["error"].startswith("at, the time to call back")
    line = cli("log", str(task), "-o", "no_answer", "--at", "2026-11-05T10:00")
    assert line.code == 2 and "--at, the time to call back, is only for" in line.err
    assert attempts(ledger) == 0


def test_a_json_sign_in_is_answered_in_json(ledger: Path) -> None:  # noqa: F811
    """`POST /login` with a JSON body answered 303 to `/`; the README says JSON."""
    from test_web import client

    c = client(ledger)
    r = c.post("/login", json={"username": "王芳", "password": "agent-pass-1"},
               follow_redirects=False)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["user"], body["role"]) == ("王芳", "agent")
    assert any(h.startswith("followup_session=") and "HttpOnly" in h
               for h in r.headers.get_list("set-cookie"))
    # the token answered is the session's: a write sent with it is taken
    session = c.get("/api/session").json()
    assert session["username"] == "王芳" and session["csrf"] == body["csrf"]
    # a browser's form is still sent on to its day
    form = client(ledger).post("/login", data={"username": "王芳", "password": "agent-pass-1"},
                               follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/"


CLI_WORDS = __import__("re").compile(r"followup [a-z]|(?<![\w-])--[a-z]")


def said_on(html: str) -> list[str]:
    """The messages and flashes of a page: what it says about what was just done."""
    import re

    return re.findall(r'<p class="(?:message|saved)"[^>]*>(.*?)</p>', html, re.S)


def test_no_command_line_instructions_in_the_webs_messages(ledger: Path) -> None:  # noqa: F811
    """A complaint logged on the card ended "…并结案：followup complaint show 57"; sharing to a
    mistyped name ended "（followup user list 列出团队成员）" (also /api/assign)."""
    from test_web import NOTE

    said: list[str] = []
    agent, csrf = signed_in(ledger)
    task = agent.get("/api/sheet").json()[0]["task_id"]
    r = agent.post(f"/call/{task}", data={"csrf": csrf, "outcome": "complaint", "note": NOTE,
                                          "complaint_category": "service", "severity": "medium"})
    assert r.status_code == 200 and "#1" in r.text
    said += said_on(r.text)
    task = agent.get("/api/sheet").json()[0]["task_id"]
    api = agent.post("/api/calls", headers={"x-csrf-token": csrf}, json={
        "task_id": task, "outcome": "complaint", "note": NOTE})
    assert api.status_code == 201, api.text
    said += api.json()["said"]
    boss, token = signed_in(ledger, "boss", "boss-pass-12")
    for path, data in (("/board/share", {"agents": "王芳,王芳芳"}),
                       ("/board/move", {"patient_id": "C3", "agent": "王芳芳"})):
        r = boss.post(path, data={"csrf": token, **data})
        assert r.status_code == 400 and "王芳芳" in r.text
        said += said_on(r.text)
    r = boss.post("/api/assign", headers={"x-csrf-token": token},
                  json={"patient_id": "C3", "agent": "王芳芳"})
    assert r.status_code == 400
    said.append(r.json()["error"])
    for lang in ("en", "zh"):
        boss.post("/lang", data={"csrf": token, "lang": lang})
        said += said_on(boss.post("/board/share", data={"csrf": token,
                                                         "agents": "王芳芳"}).text)
    assert [s for s in said if CLI_WORDS.search(s)] == []
    assert any("投诉单在看板上" in s for s in said)


def test_refusals_are_said_in_the_pages_language(ledger: Path) -> None:  # noqa: F811
    """An English card listed "skin_pale (注射部位…)"; an English board "called(已回电)/…";
    the English import page said "s.py：只能导入 .csv 或 .xlsx 文件" and, for a damaged
    workbook, "无法读取 Excel 文件（ZipError）"."""
    import re

    from test_web import NOTE

    def chinese(text: str) -> list[str]:
        return [m for s in said_on(text) for m in re.findall(r"[\u4e00-\u9fff]+", s)
                if m not in ("周晓雯", "冯雪", "朱婷")]

    agent, csrf = signed_in(ledger, lang="en")
    task = next(r["task_id"] for r in agent.get("/api/sheet").json() if r["patient_id"] == "C1")
    r = agent.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": NOTE,
                                          "sign": ["bleeding", "nope"]})
    assert r.status_code == 400 and "not a known warning sign" in r.text
    assert chinese(r.text) == []
    r = agent.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": NOTE,
                                          "sign": "bleeding"}, follow_redirects=False)
    assert r.status_code == 303
    boss, token = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    r = boss.post("/alert/1", data={"csrf": token, "action": "close", "by": "吴医生",
                                    "note": "已回电", "done": "prayed", "back": "/board"})
    assert r.status_code == 400 and "called/" in r.text
    assert chinese(r.text) == []
    from followup_cli.i18n import set_lang

    set_lang("zh")   # the server started in a Chinese environment; this user reads English
    try:
        for name, content, says in (
                ("s.py", b"print(1)", "s.py: only .csv or .xlsx files can be imported"),
                ("garbage.xlsx", b"not a zip", "garbage.xlsx: not a readable Excel workbook")):
            r = boss.post("/import", data={"csrf": token}, files={"file": (name, content, "x")})
            assert r.status_code == 400 and says in r.text, said_on(r.text)
            assert "ZipError" not in r.text and chinese(r.text) == []
    finally:
        set_lang(None)


def test_a_share_of_a_past_day_is_refused(ledger: Path) -> None:  # noqa: F811
    """`POST /api/assign` with date 2020-01-01 was accepted."""
    boss, token = signed_in(ledger, "boss", "boss-pass-12", lang="en")
    before = ledger_rows(ledger, "SELECT count(*) FROM assignments")
    for day in ("2020-01-01", "2026-11-03"):
        r = boss.post("/api/assign", headers={"x-csrf-token": token},
                      json={"patient_id": "C3", "agent": "李娜", "date": day})
        assert r.status_code == 400
        assert r.json()["error"] == (f"date {day} is before today (2026-11-04): only today's "
                                     "sheet or a later one is shared")
    assert ledger_rows(ledger, "SELECT count(*) FROM assignments") == before
    r = boss.post("/api/assign", headers={"x-csrf-token": token},
                  json={"patient_id": "C3", "agent": "李娜", "date": "2026-11-04"})
    assert r.status_code == 200, r.text
