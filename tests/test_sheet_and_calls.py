"""The call sheet and call logging, on real ledgers built by importing an export."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

ROWS = [
    # surgery on Monday 2 Nov 2026: 0d 11-02 evening, 1d 11-03, 2d 11-04, 3d 11-05, 6d 11-08
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,1994/11/05,金卡,",
    # medium on 3 Nov: 0d 11-03 evening, 1d 11-04, 3d 11-06, 7d 11-10
    "A2,C2,冯雪,13734567890,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,",
    # no-show on 3 Nov: 1d 11-04
    "A3,C3,朱婷,13190123456,2026-11-03,吸脂,未到诊,整形外科,吴医生,林咨询,,,,",
]
NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        # the clinic exports every evening: 2 Nov's visits, then 2 and 3 Nov's again
        first = write_export(tmp_path / "2nov.csv", ROWS[:1])
        assert cli("import", "visits", str(first), "--date", "2026-11-02").code == 0
        export = write_export(tmp_path / "visits.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def tasks(db: Path) -> dict[int, dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {r["task_id"]: dict(r) for r in conn.execute("SELECT * FROM tasks")}
    finally:
        conn.close()


def sheet(cli, day: str, *extra: str) -> list[dict]:
    result = cli("due", "--date", day, "--format", "json", *extra)
    assert result.code == 0, result.err
    return result.json()


def test_sheet_json_has_the_contract_fields(cli, ledger: Path) -> None:
    rows = sheet(cli, "2026-11-04")
    # C1's day-1 call (3 Nov) and C2's same-evening call (3 Nov) are missed on the 4th:
    # the next touchpoint of each visit is due that day
    assert [(r["patient_id"], r["category"], r["touchpoint"], r["due_date"], r["window"],
             r["overdue_days"]) for r in rows] == [
        ("C1", "surgery", "2d", "2026-11-04", "any", 0),
        ("C2", "medium", "1d", "2026-11-04", "any", 0),
        ("C3", "no_show", "1d", "2026-11-04", "any", 0),
    ]
    first = rows[0]
    assert first == {
        "task_id": first["task_id"], "patient_id": "C1", "visit_id": "A1",
        "category": "surgery", "touchpoint": "2d",
        "purpose": "Day 2: dressing-change reminder and satisfaction",
        "due_date": "2026-11-04", "window": "any", "overdue_days": 0, "attempts": 0,
        "provisional": False, "next_try_at": None, "name": "周晓雯", "phone": "138****5678",
        "vip_tier": "金卡", "project": "双眼皮", "visit_date": "2026-11-02",
        "days_since_visit": 2, "doctor": "吴医生", "consultant": "林咨询", "agent": None,
        "alerts": [],   # its patient's open clinical alerts (issue 19)
    }


def test_overdue_until_the_next_touchpoint(cli, ledger: Path) -> None:
    on_3rd = {(r["patient_id"], r["touchpoint"], r["overdue_days"])
              for r in sheet(cli, "2026-11-03")}
    assert on_3rd == {("C1", "1d", 0), ("C2", "0d", 0)}
    on_5th = {(r["patient_id"], r["touchpoint"], r["overdue_days"])
              for r in sheet(cli, "2026-11-05")}
    assert on_5th == {("C1", "3d", 0), ("C1", "0d", 0), ("C2", "1d", 1), ("C3", "1d", 1)}
    # the no-show call (due 4 Nov, nothing after it) stays overdue 7 days, then is missed
    assert ("C3", "1d") in {(r["patient_id"], r["touchpoint"]) for r in sheet(cli, "2026-11-11")}
    assert ("C3", "1d") not in {(r["patient_id"], r["touchpoint"])
                                for r in sheet(cli, "2026-11-12")}


def test_csv_and_filters(cli, ledger: Path) -> None:
    result = cli("due", "--date", "2026-11-04", "--format", "csv", "--category", "no_show")
    assert result.code == 0
    [row] = result.csv()
    assert (row["patient_id"], row["touchpoint"], row["provisional"]) == ("C3", "1d", "0")
    bad = cli("due", "--date", "2026-11-04", "--category", "nose")
    assert bad.code == 2 and "unknown category nose" in bad.err
    # the category's label, as the sheet shows it, names it too
    for named in ("预约未到诊", "No-show", "no-show"):
        by_label = cli("due", "--date", "2026-11-04", "--format", "csv", "--category", named)
        assert by_label.out == result.out, named


def test_table_one_row_per_patient(cli, ledger: Path) -> None:
    result = cli("due", "--date", "2026-11-04")
    assert result.code == 0
    assert result.out.startswith("Call sheet 2026-11-04: 3 patients, 3 tasks\n")
    assert result.out.count("周晓雯") == 1
    assert "138****5678" in result.out and "13812345678" not in result.out


def test_reached_settles_every_task_of_the_day(cli, ledger: Path) -> None:
    # C1 on 5 Nov: post-op day 3 and the VIP birthday, one call for both
    day = [r for r in sheet(cli, "2026-11-05") if r["patient_id"] == "C1"]
    assert {(r["category"], r["touchpoint"]) for r in day} == {("surgery", "3d"),
                                                               ("birthday", "0d")}
    result = cli("log", str(day[0]["task_id"]), "--outcome", "已接通", "--note", NOTE,
                 "--satisfaction", "5", "--nps", "9", "--when", "2026-11-05T15:00",
                 "--format", "json")
    assert result.code == 0, result.err
    assert result.json() == {"attempt_id": 1, "patient_id": "C1", "outcome": "reached",
                             "task_ids": sorted(r["task_id"] for r in day), "effect": "done"}
    state = tasks(ledger)
    assert all(state[r["task_id"]]["status"] == "done" for r in day)
    assert all(state[r["task_id"]]["done_at"] == "2026-11-05T15:00:00" for r in day)
    assert not [r for r in sheet(cli, "2026-11-05") if r["patient_id"] == "C1"]
    again = cli("log", str(day[0]["task_id"]), "-o", "reached", "--note", NOTE)
    assert again.code == 2
    assert again.err.startswith(f"followup: task {day[0]['task_id']} is already done "
                                "(by tester at 2026-11-05 15:00)")


def test_no_answer_retries_then_unreachable(cli, ledger: Path) -> None:
    [task] = [r for r in sheet(cli, "2026-11-04") if r["patient_id"] == "C3"]
    tid = str(task["task_id"])
    first = cli("log", tid, "-o", "未接", "--when", "2026-11-04T14:10")
    assert first.code == 0
    assert first.out.splitlines()[1] == "will retry at 2026-11-04 19:00 (failed attempt 1 of 3)"
    # until the evening window it is still on today's sheet, then in the evening group
    [row] = [r for r in sheet(cli, "2026-11-04") if r["patient_id"] == "C3"]
    assert (row["window"], row["attempts"], row["next_try_at"]) == (
        "evening", 1, "2026-11-04T19:00:00")
    second = cli("log", tid, "-o", "busy", "--when", "2026-11-04T19:20")
    assert second.out.splitlines()[1] == "will retry at 2026-11-05 14:00 (failed attempt 2 of 3)"
    [row] = [r for r in sheet(cli, "2026-11-05") if r["patient_id"] == "C3"]
    assert (row["window"], row["attempts"], row["overdue_days"]) == ("afternoon", 2, 1)
    third = cli("log", tid, "-o", "switched_off", "--when", "2026-11-05T14:30")
    assert third.out.splitlines()[1] == ("3 failed attempts: task unreachable; send an SMS "
                                         "instead")
    assert tasks(ledger)[task["task_id"]]["status"] == "unreachable"
    assert "C3" not in {r["patient_id"] for r in sheet(cli, "2026-11-06")}


def test_callback_requested_comes_back_at_the_time(cli, ledger: Path) -> None:
    [task] = [r for r in sheet(cli, "2026-11-04") if r["patient_id"] == "C3"]
    result = cli("log", "--patient", "C3", "-o", "改约", "--at", "2026-11-20 15:30",
                 "--when", "2026-11-04T15:00")
    assert result.code == 0, result.err
    assert "C3" not in {r["patient_id"] for r in sheet(cli, "2026-11-05")}
    [back] = [r for r in sheet(cli, "2026-11-20") if r["patient_id"] == "C3"]
    assert (back["task_id"], back["next_try_at"], back["overdue_days"]) == (
        task["task_id"], "2026-11-20T15:30:00", 16)


def test_declined_and_do_not_call(cli, ledger: Path) -> None:
    declined = cli("log", "--patient", "C3", "-o", "拒访", "--when", "2026-11-04T15:00")
    assert declined.code == 0
    assert "C3" not in {r["patient_id"] for r in sheet(cli, "2026-11-04")}
    dnc = cli("log", "--patient", "C2", "-o", "勿扰", "--when", "2026-11-04T15:00")
    assert dnc.code == 0 and "pending tasks cancelled" in dnc.out
    state = tasks(ledger)
    assert {t["status"] for t in state.values() if t["patient_id"] == "C2"} == {"cancelled"}
    assert "C2" not in {r["patient_id"] for r in sheet(cli, "2026-11-06")}
    refused = cli("log", "--patient", "C2", "-o", "reached", "--note", NOTE)
    assert refused.code == 2 and "do-not-call" in refused.err


def test_do_not_call_survives_a_new_visit(cli, ledger: Path, tmp_path: Path) -> None:
    cli("log", "--patient", "C2", "-o", "do_not_call", "--when", "2026-11-04T15:00")
    export = write_export(tmp_path / "more.csv",
                          ["A9,C2,冯雪,13734567890,2026-11-10,热玛吉,成交,皮肤科,孙医生,,,,,"])
    result = cli("import", "visits", str(export), "--date", "2026-11-10", "--format", "json")
    assert result.json()["visits_added"] == 1 and result.json()["tasks_planned"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "reached", "--note", "太短了"], "a call logged as reached needs a note of at least 20 "
     "characters (got 3; punctuation and spaces do not count)"),
    (["-o", "reached", "--note", NOTE, "--satisfaction", "6"], "satisfaction must be a whole "
     "number 1–5"),
    (["-o", "reached", "--note", NOTE, "--nps", "11"], "NPS must be a whole number 0–10"),
    (["-o", "no_answer", "--satisfaction", "3"], "satisfaction and NPS apply only to a call "
     "that reached the patient"),
    (["-o", "declined", "--satisfaction", "3"], "satisfaction and NPS apply only to a call "
     "that reached the patient"),
    (["-o", "callback_requested"], "callback_requested needs --at, the time to call back "
     "(e.g. 2026-11-23T15:00)"),
    (["-o", "callback_requested", "--at", "2026-11-04T10:00", "--when", "2026-11-04T15:00"],
     "--at 2026-11-04 10:00 is before the call itself (2026-11-04 15:00)"),
    (["-o", "callback_requested", "--at", "2026-10-02T15:00", "--when", "2026-09-30T15:00"],
     "--at 2026-10-02 15:00 is not a calling day (holiday or closure); the next calling day "
     "is 2026-10-08"),
    (["-o", "hung_up"], "unknown outcome hung_up"),
    (["-o", "reached", "--note", NOTE, "--when", "yesterday"], "--when yesterday: expected a "
     "time like 2026-11-23T15:00 or 2026-11-23 15:00"),
])
def test_bad_logs_are_refused_and_write_nothing(cli, ledger: Path, args: list[str],
                                                message: str) -> None:
    before = tasks(ledger)
    result = cli("log", "--patient", "C3", *args)
    assert result.code == 2
    assert result.err.startswith(f"followup: {message}")
    assert "Traceback" not in result.err
    assert tasks(ledger) == before
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0


def test_log_unknown_task_and_patient(cli, ledger: Path) -> None:
    assert cli("log", "9999", "-o", "no_answer").err == "followup: there is no task 9999\n"
    none = cli("log", "--patient", "C404", "-o", "no_answer")
    assert (none.code, none.err) == (2, "followup: there is no patient C404\n")
    idle = cli("log", "--patient", "C3", "-o", "no_answer", "--when", "2026-11-20T15:00")
    assert idle.code == 2
    assert idle.err == "followup: patient C3 has no task on the sheet of 2026-11-20\n"
    both = cli("log", "1", "--patient", "C3", "-o", "no_answer")
    assert both.code == 2 and "one of them" in both.err


def test_attempts_are_append_only(cli, ledger: Path) -> None:
    cli("log", "--patient", "C3", "-o", "no_answer", "--when", "2026-11-04T14:10")
    conn = sqlite3.connect(ledger)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE attempts SET outcome = 'reached'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM attempts")


def test_logging_outside_the_windows_is_allowed_but_warned(cli, ledger: Path) -> None:
    result = cli("log", "--patient", "C3", "-o", "no_answer", "--when", "2026-11-04T11:00")
    assert result.code == 0
    assert result.err == "note: 2026-11-04 11:00 is outside every calling window\n"
    # the retry goes to the next window that opens: this afternoon
    assert result.out.splitlines()[1] == "will retry at 2026-11-04 14:00 (failed attempt 1 of 3)"


# --- what the sheets say about a call: its promised time, its visit, who waits (sheet) ---

@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")   # the table's lines unwrapped


def sheet_files(cli, tmp_path: Path, day: str, *extra: str) -> tuple[str, list[list]]:
    """The terminal table, and the rows of the XLSX sheet; the printed sheet is read by
    the caller from tmp_path / 'sheet.html'."""
    from python_calamine import CalamineWorkbook

    table = cli(*extra, "due", "--date", day)
    assert table.code == 0, table.err
    html, xlsx = tmp_path / "sheet.html", tmp_path / "sheet.xlsx"
    for fmt, out in (("html", html), ("xlsx", xlsx)):
        assert cli(*extra, "due", "--date", day, "--format", fmt, "-O", str(out)).code == 0
    return table.out, CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()


def test_a_promised_callback_time_is_on_every_sheet(cli, ledger: Path, tmp_path: Path,
                                                    wide: None) -> None:
    assert cli("log", "--patient", "C3", "-o", "改约", "--at", "2026-11-20 19:30",
               "--when", "2026-11-04T15:00").code == 0
    table, rows = sheet_files(cli, tmp_path, "2026-11-20")
    assert "promised callback at 19:30" in table
    page = (tmp_path / "sheet.html").read_text()
    assert "promised callback at 19:30" in page and "16 d overdue" in page
    assert "Evening window (19:00–20:00)" in page   # the window it is called in, its hours
    header = rows[0]
    [row] = [r for r in rows[1:] if r[1] == "C3"]
    assert row[header.index("Call at")] == "promised callback at 19:30"
    assert row[header.index("Window")] == "evening window"
    # in Chinese: no category, window or outcome ids anywhere on the three sheets
    table, rows = sheet_files(cli, tmp_path, "2026-11-20", "--lang", "zh")
    page = (tmp_path / "sheet.html").read_text()
    assert "约定 19:30 回电" in table and "约定 19:30 回电" in page and "逾期 16 天" in page
    assert "晚间时段（19:00–20:00）" in page
    [row] = [r for r in rows[1:] if r[1] == "C3"]
    assert row[rows[0].index("回电时间")] == "约定 19:30 回电"
    for text in (table, page, repr(rows)):
        for code in ("no_show", "evening", "afternoon", "callback_requested", "no_answer"):
            assert code not in text


def test_a_retry_shows_its_time_on_its_day(cli, ledger: Path, tmp_path: Path,
                                           wide: None) -> None:
    assert cli("log", "--patient", "C3", "-o", "未接", "--when", "2026-11-04T14:10").code == 0
    table, rows = sheet_files(cli, tmp_path, "2026-11-04")
    assert "retry from 19:00" in table and "retry from 19:00" in (
        tmp_path / "sheet.html").read_text()
    # the next day its retry time has passed: nothing to say about it
    table, _ = sheet_files(cli, tmp_path, "2026-11-05")
    assert "retry from" not in table


def test_each_task_names_its_visit_when_a_patient_has_several(cli, ledger: Path,
                                                              tmp_path: Path,
                                                              wide: None) -> None:
    # C1 had eyelid surgery on 2 Nov and a light treatment on 3 Nov: on 4 Nov the day-2
    # call of one and the day-1 call of the other are one phone call
    export = write_export(tmp_path / "more.csv", [
        "A4,C1,周晓雯,13812345678,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,1994/11/05,金卡,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
    day = [r for r in sheet(cli, "2026-11-04") if r["patient_id"] == "C1"]
    assert {r["visit_id"] for r in day} == {"A1", "A4"}
    table, _ = sheet_files(cli, tmp_path, "2026-11-04")
    assert "[双眼皮 · day 2]" in table and "[光子嫩肤 · day 1]" in table
    page = (tmp_path / "sheet.html").read_text()
    assert "[双眼皮 · day 2]" in page and "[光子嫩肤 · day 1]" in page
    table, _ = sheet_files(cli, tmp_path, "2026-11-04", "--lang", "zh")
    assert "〔双眼皮 · 第 2 天〕" in table and "〔光子嫩肤 · 第 1 天〕" in table
    # a patient with one visit: the row says it once, in the visit column
    assert "〔" not in table.split("冯雪")[1].split("朱婷")[0]


def test_one_greeting_per_patient_each_task_its_questions(cli, ledger: Path,
                                                          tmp_path: Path) -> None:
    # C1 on 5 Nov: post-op day 3 and the VIP birthday, one call for both
    html = tmp_path / "sheet.html"
    assert cli("due", "--date", "2026-11-05", "--format", "html", "-O", str(html)).code == 0
    page = html.read_text()
    block = page.split("data-patient='C1'")[1].split("data-patient=")[0]
    assert block.count("Hello, am I speaking with 周晓雯?") == 1
    assert block.count("Thank you! If anything worries you") == 1
    assert "Are the bruising and swelling starting to go down?" in block   # day 3
    assert "It is your birthday" in block                                  # birthday


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "nobody to call right now; still to call on the sheet of 2026-11-04: 3 patients "
           "(3 tasks); the next, afternoon window, opens at 2026-11-04 14:00"),
    ("zh", "现在没有可拨打的患者：2026-11-04 的清单上还有 3 位患者（3 个任务）待拨打，下一个时段 "
           "下午时段 2026-11-04 14:00 开始"),
])
def test_outside_the_windows_the_sheet_says_who_waits_and_when(
        cli, ledger: Path, monkeypatch: pytest.MonkeyPatch, wide: None, lang: str,
        said: str) -> None:
    from datetime import datetime

    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 11, 0))
    result = cli("--lang", lang, "due", "--now")
    assert result.code == 0, result.err
    assert said in result.out
    assert "nobody to call on" not in result.out and "没有需要回访的患者" not in result.out
    # a script reading JSON is told the same on stderr
    quiet = cli("due", "--date", "2026-11-04", "--time", "11:00", "--format", "json")
    assert quiet.json() == []
    assert quiet.err == ("outside every calling window now; the next, afternoon window, opens "
                         "at 2026-11-04 14:00; still to call on the sheet of 2026-11-04: "
                         "3 patients (3 tasks)\n")
    # a day with nothing on it still says so
    assert "nobody to call on 2026-11-30" in cli("due", "--date", "2026-11-30", "--time",
                                                  "11:00").out


def test_a_backdated_call_that_settles_a_task_is_credited_to_its_agent(cli,
                                                                        ledger: Path) -> None:
    # 刘洋 tried C3 on 11-05 (busy); 王芳 logs afterwards that she reached C3 on 11-04
    [task] = [r for r in sheet(cli, "2026-11-04") if r["patient_id"] == "C3"]
    tid = str(task["task_id"])
    assert cli("log", tid, "-o", "busy", "--agent", "刘洋", "--when",
               "2026-11-05T15:00").code == 0
    assert cli("log", tid, "-o", "reached", "--agent", "王芳", "--note", NOTE, "--when",
               "2026-11-04T15:00").code == 0
    state = tasks(ledger)[task["task_id"]]
    assert (state["status"], state["done_at"], state["agent"]) == (
        "done", "2026-11-04T15:00:00", "王芳")
    again = cli("log", tid, "-o", "reached", "--agent", "刘洋", "--note", NOTE)
    assert again.code == 2
    assert "(by 王芳 at 2026-11-04 15:00)" in again.err
