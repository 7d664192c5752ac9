"""Findings of a new user's second trial of `followup serve`: the board's move menu, an
alert's answer said on the card, codes shown as words, flashes that name the patient.

The ledger and the clock are test_web's: visits imported on 3 Nov 2026, now 4 Nov 10:00."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web import ledger, signed_in  # noqa: F401
from test_web_browser import server  # noqa: F401 - the browser tests' server

pytest.importorskip("starlette")


def move_menu(page: str) -> list[str]:
    form = page.split('action="/board/move"')[1].split("</form>")[0]
    return re.findall(r"<option>([^<]+)</option>", form)


def test_the_move_menu_leaves_out_a_name_that_cannot_sign_in(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert boss.post("/board/share", data={"csrf": csrf, "agents": "王芳,李娜"},
                     follow_redirects=False).status_code == 303
    assert move_menu(boss.get("/board").text) == ["李娜", "王芳"]
    assert cli("user", "disable", "王芳").code == 0
    page = boss.get("/board").text
    assert "无法登录：请移交这些患者" in page   # her row says move her patients
    assert move_menu(page) == ["李娜"]          # and the menu offers only whom they can go to


def test_an_alert_closed_on_the_card_says_so_and_the_patient_page_shows_who_and_the_note(  # noqa: D103
        cli, ledger: Path) -> None:  # noqa: ANN001, F811
    from test_web import NOTE

    c, csrf = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    assert cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE,
               "--when", "2026-11-04 09:50", "--sign", "bleeding").code == 0
    back = f"/call/{task['task_id']}"
    r = c.post("/alert/1", data={"csrf": csrf, "action": "ack", "by": "吴医生",
                                 "note": "已电话指导压迫止血", "back": back})
    assert "已登记医生回应警示 #1" in r.text
    r = c.post("/alert/1", data={"csrf": csrf, "action": "close", "by": "",
                                 "done": "recheck_booked", "note": "已约明早复诊", "back": back})
    assert r.status_code == 200, r.text
    assert "警示 #1 已结束" in r.text
    # the patient page lists who answered and who closed it, with what they said
    page = c.get("/patient/C1").text
    assert "已电话指导压迫止血" in page and "已约明早复诊" in page
    rows = page.split("临床警示与复查预约")[1].split("</table>")[0]
    assert "王芳" in rows and "吴医生" in rows   # she closed it; the doctor answered


def section(page: str, heading: str) -> str:
    from test_web_words import page_text

    return page_text(page.split(heading, 1)[1].split("</section>")[0])


def test_the_board_says_codes_as_words_in_both_languages(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    from test_chinese_output import found_codes
    from test_web import NOTE

    c, _ = signed_in(ledger)
    sheet = c.get("/api/sheet").json()
    c1, c2 = (next(r for r in sheet if r["patient_id"] == p) for p in ("C1", "C2"))
    assert cli("log", str(c1["task_id"]), "-o", "reached", "--note", NOTE,
               "--when", "2026-11-04 09:50", "--sign", "fever").code == 0
    assert cli("log", str(c2["task_id"]), "-o", "complaint", "--note", NOTE,
               "--complaint-category", "result", "--when", "2026-11-04 09:55").code == 0
    codes = {"resolve", "close", "acknowledge", "ack", "result", "low", "medium", "high", "open",
             "acknowledged", "resolved", "closed", "urgent", "today", "routine"}
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    boss.post("/lang", data={"csrf": csrf, "lang": "en"})
    page = boss.get("/board").text
    alerts, cases = section(page, "Clinical alerts"), section(page, "Open complaint cases")
    assert found_codes(alerts + cases, codes) == [], alerts + cases
    assert "Same day" in alerts and "Open" in alerts and "Record the answer" in alerts
    assert "Treatment outcome" in cases and "Medium" in cases
    assert "Record the solution" in cases and "Close the case" in cases
    # the same words in Chinese; the alert table's patient column as every table says it
    boss.post("/lang", data={"csrf": csrf, "lang": "zh"})
    page = boss.get("/board").text
    alerts, cases = section(page, "临床警示"), section(page, "未结投诉单")
    assert "当日" in alerts and "待回应" in alerts and "确认" in alerts
    assert "效果" in cases and "较重" in cases and "给出方案" in cases and "结案" in cases
    card = c.get(f"/call/{c1['task_id']}").text
    assert "<th>患者</th>" in card and "客户" not in card


def test_the_saved_calls_flash_names_the_patient(ledger: Path) -> None:  # noqa: F811
    from test_web import NOTE

    c, csrf = signed_in(ledger)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C2")
    r = c.post(f"/call/{task['task_id']}", data={"csrf": csrf, "outcome": "reached",
                                                 "note": NOTE})
    assert "已登记与 C2 冯雪 的通话 #1：已接通" in r.text


def test_a_move_says_which_patient_went_to_whom(ledger: Path) -> None:  # noqa: F811
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert boss.post("/board/share", data={"csrf": csrf, "agents": "王芳,李娜"},
                     follow_redirects=False).status_code == 303
    r = boss.post("/board/move", data={"csrf": csrf, "patient_id": "c1", "agent": "李娜"})
    assert r.status_code == 200 and "已将患者 C1 周晓雯 移交给 李娜" in r.text


@pytest.mark.slow
def test_shift_n_goes_to_the_next_patient_as_n_does(server, tmp_path: Path) -> None:  # noqa: ANN001, F811
    """In a real browser (test_web_browser's Chromium and server): the card's "(N)" is N or n."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_web_browser import _driver, sign_in

    base, passwords, _db = server
    agent = _driver(tmp_path, "zh-CN")
    try:
        sign_in(agent, base, "王芳", passwords["王芳"])
        agent.find_element(By.CSS_SELECTOR, "a.button").click()
        first = agent.current_url
        agent.find_element(By.TAG_NAME, "body").send_keys(Keys.SHIFT + "n")
        for _ in range(50):
            if agent.current_url != first:
                break
            time.sleep(0.1)
        assert agent.current_url != first and "saved=" not in agent.current_url
    finally:
        agent.quit()


def test_patient_search_takes_a_phone_as_people_write_it_and_says_a_short_one_is_short(
        ledger: Path) -> None:  # noqa: F811
    c, _ = signed_in(ledger)
    for q in ("13812345678", "138 1234 5678", "138-1234-5678", " 5678"):
        r = c.get("/patients", params={"q": q})
        assert r.status_code == 200 and 'href="/patient/C1"' in r.text, q
    r = c.get("/patients", params={"q": "12"})
    assert r.status_code == 400 and "没有找到" not in r.text
    assert "「12」：按手机号查询需要输入号码末尾至少 4 位数字" in r.text
    r = c.get("/patients", params={"q": "C1"})   # an id or a name: as before
    assert 'href="/patient/C1"' in r.text
    assert "没有找到" in c.get("/patients", params={"q": "nobody"}).text


def test_the_audit_page_shows_times_to_the_minute(ledger: Path) -> None:  # noqa: F811
    import re

    c, csrf = signed_in(ledger)
    task = c.get("/api/sheet").json()[0]["task_id"]
    c.post(f"/call/{task}/reveal", data={"csrf": csrf})
    boss, _ = signed_in(ledger, "boss", "boss-pass-12")
    page = boss.get("/audit").text
    assert "<td>2026-11-04 10:00</td>" in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page)


@pytest.mark.parametrize(("lang", "says", "twice"), [
    ("zh", "改约需要「改约回电时间」（如 2026-11-23T15:00）", "回电时间」回电时间"),
    ("en", "callback_requested needs “Call back at” (e.g. 2026-11-23T15:00)", "the time to call back")])
def test_a_fields_words_are_said_once_in_a_message(ledger: Path, lang: str, says: str,  # noqa: F811
                                                  twice: str) -> None:
    c, csrf = signed_in(ledger)
    c.post("/lang", data={"csrf": csrf, "lang": lang})
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C2")
    r = c.post(f"/call/{task['task_id']}", data={"csrf": csrf, "outcome": "callback_requested"})
    assert r.status_code == 400 and says in r.text and twice not in r.text


@pytest.mark.parametrize(("lang", "says"), [
    ("zh", "请给出「医生的答复或处理」"), ("en", "Give “What the doctor said or did”")])
def test_an_alerts_answer_without_a_note_names_the_field_once(cli, ledger: Path,  # noqa: ANN001, F811
                                                               lang: str, says: str) -> None:
    from test_web import NOTE
    from test_web_words import message_of

    c, csrf = signed_in(ledger)
    c.post("/lang", data={"csrf": csrf, "lang": lang})
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    assert cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE,
               "--when", "2026-11-04 09:50", "--sign", "bleeding").code == 0
    r = c.post("/alert/1", data={"csrf": csrf, "action": "ack", "by": "吴医生", "back": "/"})
    assert r.status_code == 400 and message_of(r.text) == says
