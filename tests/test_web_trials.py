"""Findings of the new-user trials of `followup serve` that the CLI shares: a note's rule
names the outcome, a callback's horizon, time left in words, the patient page, flashes.

The ledger and the clock are test_web's: visits imported on 3 Nov 2026, now 4 Nov 10:00."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_web import NOTE, attempts, ledger, signed_in  # noqa: F401

pytest.importorskip("starlette")

EN, ZH = "en", "zh"


def signed(ledger: Path, lang: str, name: str = "王芳",  # noqa: F811
           password: str = "agent-pass-1") -> tuple[Any, str]:
    """Signed in, the pages in `lang` as the user chose it (the language switch)."""
    c, csrf = signed_in(ledger, name, password)
    assert c.post("/lang", data={"csrf": csrf, "lang": lang}).status_code in (200, 303)
    return c, csrf


@pytest.mark.parametrize(("headers", "says"), [
    (EN, "a call logged as complaint needs a note of at least 20 characters"),
    (ZH, "登记为「投诉」的通话需要至少 20 个字的回访记录")])
def test_a_complaint_without_a_note_is_told_about_a_complaint_on_the_web(
        ledger: Path, headers: str, says: str) -> None:  # noqa: F811
    """`log -o 投诉` without a note said "接通后需要至少 20 个字": the rule of a reached call."""
    c, csrf = signed(ledger, headers)
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
               json={"task_id": task, "outcome": "complaint"})
    assert r.status_code == 400 and says in r.json()["error"], r.text
    card = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "complaint", "note": "太短"})
    assert card.status_code == 400 and says[1:] in card.text   # capitalised in English
    assert attempts(ledger) == 0


def test_a_callback_years_ahead_is_refused_over_http(ledger: Path) -> None:  # noqa: F811
    """`POST /api/calls {"outcome": "callback_requested", "at": "2030-01-01 10:00"}` → 201."""
    c, csrf = signed(ledger, EN)
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post("/api/calls", headers={"X-CSRF-Token": csrf}, json={
        "task_id": task, "outcome": "callback_requested", "at": "2030-01-01 10:00"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == ("at 2030-01-01 10:00 is more than a year after the call "
                                 "(2026-11-04): check the year")
    assert attempts(ledger) == 0


@pytest.mark.parametrize(("headers", "left", "past"), [
    (EN, "2 h 59 min", "29 min past"), (ZH, "2小时59分", "已超时 29分钟")])
def test_time_left_on_the_web_is_in_the_pages_language(
        cli, ledger: Path, headers: str, left: str,  # noqa: F811
        past: str) -> None:  # noqa: ANN001
    """The day page said "0h29m" and "已过 0h25m" on a Chinese page."""
    c, _ = signed(ledger, headers)
    sheet = {r["patient_id"]: r["task_id"] for r in c.get("/api/sheet").json()}
    for patient, sign, when in (("C1", "bleeding", "2026-11-04 09:01"),   # due 09:31
                                ("C2", "fever", "2026-11-04 08:59")):     # due 12:59
        logged = cli("log", str(sheet[patient]), "-o", "reached", "--note", NOTE,
                     "--when", when, "--sign", sign)
        assert logged.code == 0, logged.err
    day = c.get("/").text
    assert f"<td>{left}</td>" in day and past in day and "h59m" not in day and "0h" not in day


def test_an_upload_with_bad_bytes_names_their_line(ledger: Path) -> None:  # noqa: F811
    """The import page said "broken.csv 第 1 行：无法识别的文字编码" of bad bytes on line 3."""
    from conftest import HEADER

    export = ("\r\n".join([HEADER, "A9,C9,韩梅,13600001111,2026-11-03,水光针,成交,皮肤科,孙医生,"
                           "马咨询,,,,"]) + "\r\n").encode("utf-8") + b"A10,C10,\xff\xfe,1\r\n"
    boss, csrf = signed(ledger, ZH, "boss", "boss-pass-12")
    r = boss.post("/import", data={"csrf": csrf},
                  files={"file": ("broken.csv", export, "text/csv")})
    assert r.status_code == 400, r.text
    assert "第 3 行第 9 个字符处：无法识别的文字编码" in r.text and "第 1 行" not in r.text


def test_an_exported_batch_is_said_exported_and_named_by_its_day(cli, ledger: Path) -> None:  # noqa: F811, ANN001
    """After an export the page said "2026-11-30 已经发送过 9 条" of a batch only queued; the
    download was named sms-2026-11-30-csv.csv; a batch for 2030-01-01 was exported."""
    from test_web import unreachable_c2

    unreachable_c2(cli)
    boss, token = signed(ledger, ZH, "boss", "boss-pass-12")
    from datetime import date

    from followup_cli.output.sms_files import batch_name

    names = {}
    for fmt in ("csv", "xlsx"):   # the platforms' JSON needs a signature set up
        r = boss.post("/sms/export", data={"csrf": token, "format": fmt})
        assert r.status_code == 200, r.text
        names[fmt] = r.headers["content-disposition"]
    assert names == {"csv": 'attachment; filename="sms-2026-11-04.csv"',
                     "xlsx": 'attachment; filename="sms-2026-11-04.xlsx"'}
    assert [batch_name(date(2026, 11, 4), fmt) for fmt in ("aliyun", "tencent")] == [
        "sms-2026-11-04-aliyun.json", "sms-2026-11-04-tencent.json"]
    page = boss.get("/sms").text
    assert "2026-11-04 已经导出过 1 条" in page and "发送过" not in page
    far = boss.post("/sms/export", data={"csrf": token, "format": "csv", "date": "2030-01-01"})
    assert far.status_code == 400
    assert "2030-01-01 距今超过 30 天：短信最早提前 30 天安排和导出" in far.text


def test_the_patient_page_shows_alerts_re_checks_and_backfill_as_patient_show(
        cli, ledger: Path) -> None:  # noqa: F811, ANN001
    """`patient show` said "临床警示 #1 … 已结束" and "复查预约 2026-11-20" (and the backfill
    count); /patient/C1 said none of them."""
    c, _ = signed(ledger, ZH)
    task = next(r for r in c.get("/api/sheet").json() if r["patient_id"] == "C1")
    logged = cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE, "--when",
                 "2026-11-04 09:00", "--sign", "bleeding", "--booked", "2026-11-20")
    assert logged.code == 0, logged.err
    closed = cli("alert", "close", "1", "--by", "吴医生", "--action", "called", "--note",
                 "已电话指导压迫止血，患者出血已止住", "--when", "2026-11-04 09:20")
    assert closed.code == 0, closed.err
    shown = cli("--lang", "zh", "patient", "C1", "--date", "2026-11-04").out
    assert "临床警示 #1" in shown and "已结束" in shown and "复查预约 2026-11-20" in shown
    assert "补录" in shown
    page = c.get("/patient/C1").text
    assert "临床警示与复查预约" in page
    assert "<td>临床警示 #1</td>" in page and "已结束" in page and "出血不止" in page
    assert "<td>复查预约 2026-11-20</td>" in page
    assert "导入前已过期的回访 1 个" in page


@pytest.mark.parametrize(("headers", "action", "leads"), [
    (ZH, "void", "已作废与 "), (EN, "void", "Call #{logged} with "),
    (ZH, "amend", "已更正与 ")])
def test_a_corrections_flash_leads_with_the_correction(
        ledger: Path, headers: str, action: str,  # noqa: F811
        leads: str) -> None:
    """After voiding a call on the card the first banner said "已登记通话 #13351：占线", read as
    a new call, and only then "已作废与 … 的通话 #13349"."""
    c, csrf = signed(ledger, headers)
    task = c.get("/api/sheet").json()[0]
    logged = c.post("/api/calls", headers={"X-CSRF-Token": csrf},
                    json={"task_id": task["task_id"], "outcome": "busy"}).json()["attempt_id"]
    r = c.post(f"/call/{task['task_id']}/correct/{logged}",
               data={"csrf": csrf, "action": action, "outcome": "no_answer",
                     "reason": "误点了占线"})
    assert r.status_code == 200, r.text
    banners = r.text.split('<p class="saved"')[1:]
    assert banners, r.text
    first = banners[0].split(">", 1)[1]
    assert first.startswith(leads.format(logged=logged)), first[:80]
    assert "已登记通话" not in r.text and "logged: busy" not in r.text


@pytest.mark.parametrize(("headers", "says"), [
    (EN, "Today this patient is on 李娜&#39;s list"), (ZH, "今天这位患者在 李娜 的名单上")])
def test_a_colleagues_patient_says_whose_list_it_is_on(
        ledger: Path, headers: str, says: str) -> None:  # noqa: F811
    """王芳 opening a patient on 李娜's list today got no hint: it is allowed (a team
    covers), and the card says whose list the patient is on."""
    boss, token = signed_in(ledger, "boss", "boss-pass-12")
    r = boss.post("/api/assign", headers={"X-CSRF-Token": token},
                  json={"patient_id": "C1", "agent": "李娜", "date": "2026-11-04"})
    assert r.status_code == 200, r.text
    lina, _ = signed(ledger, headers, "李娜", "agent-pass-2")
    task = next(r for r in lina.get("/api/sheet").json() if r["patient_id"] == "C1")
    c, _ = signed(ledger, headers)
    card = c.get(f"/call/{task['task_id']}")
    assert card.status_code == 200 and says in card.text
    assert says not in lina.get(f"/call/{task['task_id']}").text   # her own: no hint


def test_english_headings_and_flashes_start_with_a_capital(cli, ledger: Path) -> None:  # noqa: F811, ANN001
    """English pages said "any calling window", "call #13359 logged: reached" and "only a
    supervisor can do this"; the card's last calls said "reached：患者说…"."""
    c, csrf = signed(ledger, EN)
    day = c.get("/").text
    assert "<h2>Any calling window</h2>" in day, day
    assert "<h2>any" not in day and "<h1>my" not in day
    task = c.get("/api/sheet").json()[0]["task_id"]
    r = c.post(f"/call/{task}", data={"csrf": csrf, "outcome": "reached", "note": NOTE})
    assert r.status_code == 200 and '<p class="saved" role="status">Call #' in r.text
    card = c.get(f"/call/{task}").text
    assert f"reached: {NOTE}" in card and "reached：" not in card
    refused = c.get("/board")
    assert refused.status_code == 403 and '<p class="message" role="alert">Only ' in refused.text
    zh, _ = signed(ledger, ZH, "李娜", "agent-pass-2")
    assert f"已接通：{NOTE}" in zh.get(f"/call/{task}").text


def test_capfirst_raises_an_english_word_never_what_the_user_gave() -> None:
    from followup_cli.i18n import set_lang
    from followup_cli.text import capfirst

    set_lang("en")
    try:
        assert capfirst("call #3 logged: reached") == "Call #3 logged: reached"
        assert capfirst("re-check booked for 2026-11-20") == "Re-check booked for 2026-11-20"
        for given in ("empty.csv: the file is empty", "p1001: no such patient",
                      "no_answer needs no note", "王芳 is not an account"):
            assert capfirst(given) == given
    finally:
        set_lang(None)
    set_lang("zh")
    try:
        assert capfirst("empty.csv：文件是空的") == "empty.csv：文件是空的"
    finally:
        set_lang(None)
