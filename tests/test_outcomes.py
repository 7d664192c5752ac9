"""Every outcome's effect on the ledger and the next sheet; complaint cases and their
deadlines; corrections that keep the original; the patient's timeline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"
COMPLAINT = "患者对术后肿胀时间过长不满意，要求主治医生当面解释原因。"
ROWS = [
    # surgery on 2 Nov: 1d 11-03, 2d 11-04, 3d 11-05, 6d 11-08, 7d 11-09
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
    # no-show on 2 Nov: 1d 11-03, on the sheet until 11-10
    "A2,C2,朱婷,13190123456,2026-11-02,吸脂,未到诊,整形外科,吴医生,林咨询,,,,",
]


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "visits.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def on_sheet(cli, day: str) -> set[tuple[str, str]]:
    result = cli("due", "--date", day, "--format", "json")
    assert result.code == 0, result.err
    return {(r["patient_id"], r["touchpoint"]) for r in result.json()}


def query(db: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_wrong_number_holds_calls_until_a_new_number(cli, ledger: Path, tmp_path: Path) -> None:
    assert cli("log", "--patient", "C2", "-o", "空号", "--when", "2026-11-03T15:00").code == 0
    assert ("C2", "1d") not in on_sheet(cli, "2026-11-04")
    listed = cli("patient", "bad-phones", "--format", "json").json()
    assert [(r["patient_id"], r["phone"], r["waiting"]) for r in listed] == [
        ("C2", "131****3456", 1)]
    assert "1 patient waits for a correct number" in cli("due", "--date", "2026-11-04").err
    assert cli("patient", "set-phone", "C2", "139 0000 1111").code == 0
    assert ("C2", "1d") in on_sheet(cli, "2026-11-04")
    assert cli("patient", "bad-phones", "--format", "json").json() == []
    # a later wrong number, then a new phone from the clinic's own export
    cli("log", "--patient", "C2", "-o", "wrong_number", "--when", "2026-11-04T15:00")
    assert ("C2", "1d") not in on_sheet(cli, "2026-11-05")
    export = write_export(tmp_path / "fixed.csv",
                          [ROWS[1].replace("13190123456", "13700002222")])
    assert cli("import", "visits", str(export), "--date", "2026-11-05").code == 0
    assert ("C2", "1d") in on_sheet(cli, "2026-11-05")


def test_do_not_call_is_undone_only_with_who_and_why(cli, ledger: Path) -> None:
    cli("log", "--patient", "C1", "-o", "勿扰", "--when", "2026-11-03T15:00")
    assert not {p for p, _ in on_sheet(cli, "2026-11-04")} & {"C1"}
    refused = cli("patient", "allow-calls", "C1")
    assert (refused.code, refused.err) == (2, "followup: give the reason with --reason\n")
    allowed = cli("patient", "allow-calls", "C1", "--reason", "患者来电要求恢复回访",
                  "--agent", "主管")
    assert allowed.code == 0
    # 1d was settled by the call itself; the calls not yet due come back
    assert ("C1", "2d") in on_sheet(cli, "2026-11-04")
    events = query(ledger, "SELECT agent, action, reason FROM patient_events")
    assert events == [("tester", "do_not_call", ""),
                      ("主管", "allow_calls", "患者来电要求恢复回访")]
    again = cli("patient", "allow-calls", "C1", "--reason", "x")
    assert again.code == 2 and "not marked do-not-call" in again.err


def complaint_at(cli, when: str) -> int:
    result = cli("log", "--patient", "C1", "-o", "投诉", "--note", COMPLAINT, "--when", when,
                 "--complaint-category", "效果", "--severity", "严重", "--format", "json")
    assert result.code == 0, result.err
    return result.json()["complaint_id"]


@pytest.mark.parametrize(("ack_at", "state"), [
    ("2026-11-04T14:59", "met"),       # 23:59 after the opening
    ("2026-11-04T15:00", "met"),       # exactly 24 h
    ("2026-11-04T15:01", "broken"),    # 24:01
])
def test_complaint_acknowledgement_deadline_edges(cli, ledger: Path, ack_at: str,
                                                  state: str) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    assert cli("complaint", "ack", str(case), "--note", "已致电致歉", "--when", ack_at).code == 0
    shown = cli("complaint", "show", str(case), "--format", "json").json()
    assert shown["deadlines"]["acknowledge"] == {"due_at": "2026-11-04T15:00:00",
                                                 "state": state}
    assert (shown["category"], shown["severity"], shown["status"]) == (
        "result", "high", "acknowledged")


def test_complaint_case_lifecycle(cli, ledger: Path) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    # the complaint call reached the patient and settled the day's task
    assert query(ledger, "SELECT status FROM tasks WHERE patient_id = 'C1' AND touchpoint = "
                         "'1d'") == [("done",)]
    listed = cli("complaint", "list", "--format", "json").json()
    assert [(c["complaint_id"], c["next_step"], c["next_due_at"]) for c in listed] == [
        (case, "acknowledge", "2026-11-04T15:00:00")]
    table = cli("due", "--date", "2026-11-04")
    assert table.out.startswith("Open complaints: 1 (first)")
    skip = cli("complaint", "reopen", str(case), "--note", "x")
    assert skip.code == 2 and "cannot reopen it" in skip.err
    assert cli("complaint", "ack", str(case), "--note", "已致电致歉",
               "--when", "2026-11-04T09:00").code == 0
    assert cli("complaint", "resolve", str(case), "--note", "复诊后免费修复",
               "--when", "2026-11-05T10:00").code == 0
    closed = cli("complaint", "close", str(case), "--note", "患者认可，结案",
                 "--when", "2026-11-06T14:00")
    assert closed.code == 0
    shown = cli("complaint", "show", str(case), "--format", "json").json()
    assert {k: v["state"] for k, v in shown["deadlines"].items()} == {
        "acknowledge": "met", "resolve": "met", "close": "met"}
    assert [e["action"] for e in shown["events"]] == ["open", "ack", "resolve", "close"]
    follow_ups = query(ledger, "SELECT category, touchpoint, due_date, status FROM tasks "
                               "WHERE complaint_id = ? ORDER BY due_date", case)
    assert follow_ups == [("complaint", "2d", "2026-11-08", "open"),
                          ("complaint", "1m", "2026-12-06", "open")]
    assert ("C1", "2d") in on_sheet(cli, "2026-11-08")
    assert cli("complaint", "list", "--format", "json").json() == []
    # reopened: the follow-ups wait for the next close
    assert cli("complaint", "reopen", str(case), "--note", "患者再次来电不满").code == 0
    assert query(ledger, "SELECT status, status_reason FROM tasks WHERE complaint_id = ?",
                 case) == [("cancelled", "reopened")] * 2
    report = cli("report", "--month", "2026-11", "--date", "2026-11-30", "--format",
                 "json").json()
    assert (report["complaints_opened"], report["complaints_closed"],
            report["complaints_open_at_month_end"]) == (1, 1, 1)


def test_a_resolve_without_an_ack_acknowledges_late(cli, ledger: Path) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    cli("complaint", "resolve", str(case), "--note", "方案", "--when", "2026-11-05T10:00")
    shown = cli("complaint", "show", str(case), "--format", "json").json()
    assert shown["acknowledged_at"] == "2026-11-05T10:00:00"
    assert shown["deadlines"]["acknowledge"]["state"] == "broken"


@pytest.mark.parametrize(("step", "at", "state"), [
    ("resolve", "2026-11-04T10:00", "met"), ("resolve", "2026-11-04T16:00", "broken"),
    ("close", "2026-11-04T16:00", "broken")])
def test_a_skipped_ack_is_taken_with_the_later_step_and_shown(cli, ledger: Path, step: str,
                                                              at: str, state: str) -> None:
    """`complaint resolve` on a case never acknowledged: the report counted an ack the case's
    timeline never showed. The step acknowledges the case at its own moment, by its agent,
    judged against the 24 h deadline; the timeline shows the ack and the agent is told."""
    case = complaint_at(cli, "2026-11-03T15:00")
    done = cli("complaint", step, str(case), "--note", "当面解释并给出方案", "--when", at,
               "--agent", "李娜")
    assert done.code == 0, done.err
    assert done.err.startswith(
        "note: the case had not been acknowledged: it is acknowledged now, at "
        f"{at.replace('T', ' ')}, and the 24 h deadline is judged at that time\n")
    steps = query(ledger, "SELECT action, at, agent FROM complaint_events WHERE complaint_id = ? "
                  "ORDER BY event_id", case)
    implied = ["ack", "resolve"] if step == "close" else ["ack"]
    assert steps[1:] == [(a, f"{at}:00", "李娜") for a in [*implied, step]]
    report = cli("report", "--month", "2026-11", "--date", "2026-11-29", "--format",
                 "json").json()
    assert report["complaint_deadlines"]["acknowledge"][state] == 1
    acked = cli("complaint", "ack", str(case), "--note", "x")
    assert acked.code == 2   # acknowledged once; no second ack
    again = cli("complaint", "reopen", str(case), "--note", "患者再次来电")
    assert again.code == 0 and "acknowledged now" not in again.err


def test_complaint_deadline_broken_in_the_report(cli, ledger: Path) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    cli("complaint", "ack", str(case), "--note", "已致电致歉", "--when", "2026-11-04T10:00")
    cli("complaint", "resolve", str(case), "--note", "方案", "--when", "2026-11-05T15:30")
    report = cli("report", "--month", "2026-11", "--date", "2026-11-30", "--format",
                 "json").json()
    assert report["complaint_deadlines"] == {
        "acknowledge": {"met": 1, "broken": 0, "pending": 0, "overdue": 0},
        "resolve": {"met": 0, "broken": 1, "pending": 0, "overdue": 0},
        "close": {"met": 0, "broken": 0, "pending": 0, "overdue": 1},
    }


def test_amend_keeps_the_original_and_recomputes(cli, ledger: Path) -> None:
    logged = cli("log", "--patient", "C2", "-o", "reached", "--note", NOTE, "--satisfaction",
                 "5", "--when", "2026-11-03T15:00", "--format", "json").json()
    attempt = logged["attempt_id"]
    assert ("C2", "1d") not in on_sheet(cli, "2026-11-04")
    amended = cli("log", "--amend", str(attempt), "-o", "no_answer", "--reason",
                  "误点了接通，实际未接")
    assert amended.code == 0, amended.err
    assert amended.out == f"call #{attempt} with C2 朱婷 amended (correction #{attempt + 1}; " \
                          "the original stays)\n"
    # the original row is untouched; the task is retried as a no-answer would be
    assert query(ledger, "SELECT outcome, satisfaction FROM attempts WHERE attempt_id = ?",
                 attempt) == [("reached", 5)]
    assert query(ledger, "SELECT outcome, satisfaction FROM calls") == [("no_answer", None)]
    assert query(ledger, "SELECT status, attempts, next_try_at FROM tasks WHERE patient_id = "
                         "'C2'") == [("open", 1, "2026-11-03T19:00:00")]
    assert ("C2", "1d") in on_sheet(cli, "2026-11-04")
    report = cli("report", "--month", "2026-11", "--date", "2026-11-04", "--format",
                 "json").json()
    assert (report["attempts"], report["reached"], report["satisfaction_mean"]) == (1, 0, None)


def test_void_keeps_the_original(cli, ledger: Path) -> None:
    attempt = cli("log", "--patient", "C2", "-o", "reached", "--note", NOTE, "--when",
                  "2026-11-03T15:00", "--format", "json").json()["attempt_id"]
    assert cli("log", "--void", str(attempt)).code == 2       # a reason is required
    voided = cli("log", "--void", str(attempt), "--reason", "记错了患者")
    assert voided.code == 0
    assert query(ledger, "SELECT attempt_id, correction, corrects, reason, logged_by FROM "
                         "attempts ORDER BY attempt_id") == [
        (attempt, None, None, None, "tester"), (attempt + 1, "void", attempt, "记错了患者",
                                                "tester")]
    assert query(ledger, "SELECT count(*) FROM calls") == [(0,)]
    assert query(ledger, "SELECT status, attempts FROM tasks WHERE patient_id = 'C2'") == [
        ("open", 0)]
    again = cli("log", "--void", str(attempt), "--reason", "again")
    assert (again.code, again.err) == (2, f"followup: call #{attempt} is already voided\n")
    nested = cli("log", "--amend", str(attempt + 1), "-o", "busy", "--reason", "x")
    assert nested.code == 2 and "cannot itself be corrected" in nested.err


def test_voiding_a_do_not_call_brings_the_calls_back(cli, ledger: Path) -> None:
    attempt = cli("log", "--patient", "C1", "-o", "do_not_call", "--when", "2026-11-03T15:00",
                  "--format", "json").json()["attempt_id"]
    assert query(ledger, "SELECT do_not_call FROM patients WHERE patient_id = 'C1'") == [(1,)]
    assert cli("log", "--void", str(attempt), "--reason", "打错了电话").code == 0
    assert query(ledger, "SELECT do_not_call FROM patients WHERE patient_id = 'C1'") == [(0,)]
    assert ("C1", "1d") in on_sheet(cli, "2026-11-03")
    assert ("C1", "2d") in on_sheet(cli, "2026-11-04")


def test_amending_a_complaint_away_voids_its_case(cli, ledger: Path) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    attempt = query(ledger, "SELECT attempt_id FROM complaints")[0][0]
    assert cli("log", "--amend", str(attempt), "-o", "reached", "--reason",
               "患者只是咨询，不是投诉").code == 0
    assert query(ledger, "SELECT status FROM complaints WHERE complaint_id = ?", case) == [
        ("void",)]
    assert cli("complaint", "list", "--format", "json").json() == []


def test_patient_timeline(cli, ledger: Path) -> None:
    cli("log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00")
    cli("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when",
        "2026-11-03T19:10", "--agent", "王芳")
    history = cli("patient", "C1", "--date", "2026-11-06", "--format", "json")
    assert history.code == 0, history.err
    data = history.json()
    assert data["patient"]["phone"] == "138****5678"
    assert [v["visit_id"] for v in data["visits"]] == ["A1"]
    assert [(t["touchpoint"], t["state"]) for t in data["tasks"]][:5] == [
        ("0d", "missed"), ("1d", "done"), ("2d", "missed"), ("3d", "due"),
        ("6d", "planned")]
    assert [(c["outcome"], c["agent"]) for c in data["calls"]] == [
        ("no_answer", "tester"), ("reached", "王芳")]
    table = cli("patient", "C1", "--date", "2026-11-06")
    assert table.code == 0 and "周晓雯" in table.out and "王芳" in table.out
    assert cli("patient", "C404").code == 2


def test_outcomes_accept_chinese_aliases(cli, ledger: Path) -> None:
    result = cli("log", "--patient", "C2", "-o", "占线", "--when", "2026-11-03T15:00",
                 "--format", "json")
    assert result.json()["outcome"] == "busy"
    declined = cli("log", "--patient", "C2", "-o", "拒访", "--when", "2026-11-03T19:05",
                   "--format", "json")
    assert declined.json()["effect"] == "done"
    assert query(ledger, "SELECT status, attempts FROM tasks WHERE patient_id = 'C2'") == [
        ("done", 2)]


def test_minimum_note_length_is_a_clinic_setting(cli, ledger: Path, tmp_path: Path) -> None:
    short = "恢复良好，已提醒复查"
    assert cli("log", "--patient", "C2", "-o", "reached", "--note", short,
               "--when", "2026-11-03T15:00").code == 2
    (tmp_path / "followup.toml").write_text("[calls]\nmin_note_chars = 8\n", encoding="utf-8")
    assert cli("log", "--patient", "C2", "-o", "reached", "--note", short,
               "--when", "2026-11-03T15:00").code == 0
    # the report counts notes under the clinic's minimum
    report = cli("report", "--month", "2026-11", "--date", "2026-11-04", "--format",
                 "json").json()
    assert report["notes_short"] == 0


def test_a_call_cannot_come_before_its_visit(cli, ledger: Path) -> None:
    task = query(ledger, "SELECT min(task_id) FROM tasks WHERE patient_id = 'C1'")[0][0]
    result = cli("log", str(task), "--outcome", "no_answer", "--when", "1900-01-01 15:00")
    assert result.code == 2
    assert result.err == (f"followup: task #{task} follows a visit on 2026-11-02: a call on "
                          "1900-01-01 cannot come before it (--when)\n")
    assert query(ledger, "SELECT count(*) FROM attempts") == [(0,)]


def test_the_logged_outcome_speaks_the_users_language(cli, ledger: Path) -> None:
    zh = cli("--lang", "zh", "log", "--patient", "C1", "--outcome", "no_answer", "--when",
             "2026-11-03 14:10")
    assert zh.code == 0 and "（未接）" in zh.out and "no_answer" not in zh.out
    en = cli("log", "--patient", "C2", "--outcome", "未接", "--when", "2026-11-03 14:12")
    assert en.code == 0 and "(no answer)" in en.out, en.out


def test_a_note_of_punctuation_says_nothing(cli, ledger: Path) -> None:
    result = cli("log", "--patient", "C1", "-o", "reached", "--note", "。" * 21 + "好",
                 "--when", "2026-11-03 15:00")
    assert result.code == 2 and "(got 1;" in result.err
    assert query(ledger, "SELECT count(*) FROM attempts") == [(0,)]


def test_the_timeline_and_complaint_steps_speak_chinese(cli, ledger: Path) -> None:
    assert cli("log", "--patient", "C1", "-o", "complaint", "--note", COMPLAINT, "--when",
               "2026-11-03 15:00").code == 0
    assert cli("log", "--patient", "C2", "-o", "do_not_call", "--when",
               "2026-11-03 15:05").code == 0
    shown = cli("--lang", "zh", "patient", "C2").out + cli("--lang", "zh", "patient", "C1").out
    for code in ("surgery", "no_show", "do_not_call", " 1d ", "reached", "complaint"):
        assert code not in shown, code
    assert "患者勿扰" in shown
    case = query(ledger, "SELECT complaint_id FROM complaints")[0][0]
    assert cli("complaint", "close", str(case), "--note", "已当面解释并给出方案，患者认可",
               "--when", "2026-11-03 16:00").code == 0
    again = cli("--lang", "zh", "complaint", "resolve", str(case), "--note", "再次处理",
                "--when", "2026-11-03 16:05")
    assert again.code == 2 and "不能给出方案" in again.err and "resolve" not in again.err


def test_all_complaints_are_not_called_open(cli, ledger: Path) -> None:
    for patient, when in (("C1", "2026-11-03 15:00"), ("C2", "2026-11-03 15:10")):
        assert cli("log", "--patient", patient, "-o", "complaint", "--note", COMPLAINT,
                   "--when", when).code == 0
    assert cli("complaint", "close", "1", "--note", "已当面解释并给出方案，患者认可",
               "--when", "2026-11-03 16:00").code == 0
    assert cli("complaint", "list", "--all").out.splitlines()[0].strip() == \
        "Complaint cases: 2, 1 still open"
    assert cli("complaint", "list").out.splitlines()[0].strip() == "Open complaints: 1 (first)"


def test_a_call_needs_an_outcome_and_a_callback_a_time(cli, ledger: Path) -> None:
    task = query(ledger, "SELECT min(task_id) FROM tasks WHERE patient_id = 'C1'")[0][0]
    bare = cli("log", str(task))
    assert (bare.code, bare.err) == (2, "followup: --outcome (-o) is required: reached, "
                                        "no_answer, busy, switched_off, wrong_number, "
                                        "callback_requested, declined, do_not_call, complaint\n")
    at_day = cli("log", str(task), "-o", "改约", "--at", "2026-11-04", "--when",
                 "2026-11-03 15:00")
    assert (at_day.code, at_day.err) == (
        2, "followup: --at 2026-11-04: give a time too, e.g. 2026-11-04 19:30\n")
    when_day = cli("log", str(task), "-o", "未接", "--when", "2026-11-03")
    assert (when_day.code, when_day.err) == (
        2, "followup: --when 2026-11-03: give a time too, e.g. 2026-11-03 19:30\n")
    assert query(ledger, "SELECT count(*) FROM attempts") == [(0,)]


def test_a_correction_row_names_who_corrected(cli, ledger: Path) -> None:
    """`patient C2` showed the caller on a correction row (作废 #2 → #1 │ 王芳 …) though 李娜
    voided it: the row names who made the correction."""
    attempt = cli("log", "--patient", "C2", "-o", "reached", "--note", NOTE, "--when",
                  "2026-11-03T15:00", "--agent", "王芳", "--format", "json").json()["attempt_id"]
    assert cli("log", "--void", str(attempt), "--reason", "记错了患者", "--agent", "李娜").code == 0
    rows = {line.split("│")[2].strip(): line for line in cli("patient", "C2").out.splitlines()
            if line.count("│") >= 3}
    void = next(line for what, line in rows.items() if what.startswith(f"void #{attempt + 1}"))
    assert "李娜" in void and "王芳" not in void
    call = rows[f"call #{attempt}"]
    assert "王芳" in call and "李娜" not in call


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_amending_a_complaint_call_away_says_its_case_is_voided(
        cli, ledger: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = complaint_at(cli, "2026-11-03T15:00")
    assert cli("complaint", "ack", str(case), "--note", "已致电致歉", "--when",
               "2026-11-03T16:00").code == 0
    attempt = query(ledger, "SELECT attempt_id FROM complaints")[0][0]
    monkeypatch.setenv("FOLLOWUP_LANG", lang)
    amended = cli("log", "--amend", str(attempt), "-o", "已接通", "--note", NOTE,
                  "-r", "听错了")
    assert amended.code == 0, amended.err
    assert query(ledger, "SELECT status FROM complaints") == [("void",)]
    if lang == "en":
        assert amended.out.startswith(f"call #{attempt} with C1 周晓雯 amended")
        assert amended.err == (f"note: complaint case #{case} opened by this call (it was "
                               "acknowledged) is voided with it; if the patient still "
                               "complains, log a new complaint call\n")
    else:
        assert amended.out.startswith(f"已更正与 C1 周晓雯 的通话 #{attempt}")
        assert amended.err.startswith(f"注意：此通话所立的投诉单 #{case}（原为已确认）随之作废")


@pytest.mark.parametrize(("lang", "past"), [("en", "25 min past BREACHED"),
                                            ("zh", "已超时 25分钟")])
def test_a_deadline_gone_by_is_shown_as_time_past_not_negative(cli, ledger: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              lang: str, past: str) -> None:
    """The time left to a case's next deadline showed "-0h25m" once the deadline had gone."""
    from datetime import datetime

    from followup_cli import clock

    case = complaint_at(cli, "2026-11-03T15:00")   # acknowledge by 11-04 15:00
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 15, 25))
    table = cli("--lang", lang, "complaint", "list").out
    row = next(line for line in table.splitlines() if f"#{case}" in line)
    assert past in row and "-" not in row.split("│")[-2]


@pytest.mark.parametrize(("lang", "outcome", "says"), [
    ("en", "complaint", "followup: a call logged as complaint needs a note of at least 20 "
                        "characters (got 0; punctuation and spaces do not count)\n"),
    ("en", "reached", "followup: a call logged as reached needs a note of at least 20 "
                      "characters (got 0; punctuation and spaces do not count)\n"),
    ("zh", "投诉", "followup: 登记为「投诉」的通话需要至少 20 个字的回访记录（现在 0 个字；"
                  "标点和空格不算）\n"),
])
def test_a_note_too_short_names_the_outcome_given(cli, ledger: Path, lang: str, outcome: str,
                                                  says: str) -> None:
    """`log 14304 -o 投诉` without a note said "接通后需要至少 20 个字的回访记录": a complaint
    is not a reached call to the one who logged it."""
    result = cli("--lang", lang, "log", "--patient", "C1", "-o", outcome,
                 "--when", "2026-11-03T15:00")
    assert (result.code, result.err) == (2, says)
    assert query(ledger, "SELECT count(*) FROM attempts") == [(0,)]


@pytest.mark.parametrize(("at", "code"), [("2027-11-04 10:00", 0), ("2027-11-05 10:00", 2),
                                          ("2030-01-01 10:00", 2)])
def test_a_callback_is_within_a_year_as_a_booked_re_check(cli, ledger: Path, at: str,
                                                          code: int) -> None:
    """`-o callback_requested --at 2030-01-01` was taken: years ahead is a typo of the year."""
    result = cli("log", "--patient", "C1", "-o", "callback_requested", "--at", at,
                 "--when", "2026-11-03T15:00")
    assert result.code == code, result.err
    if code:
        assert result.err == (f"followup: --at {at} is more than a year after the call "
                              "(2026-11-03): check the year\n")
        assert query(ledger, "SELECT count(*) FROM attempts") == [(0,)]


@pytest.mark.parametrize(("lang", "left"), [("en", "3 h 58 min"), ("zh", "3小时58分")])
def test_time_left_is_said_in_the_users_language(cli, ledger: Path, lang: str, left: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Complaint and alert tables said "3h58m" and "0h29m" on Chinese screens too."""
    from datetime import datetime

    from followup_cli import clock

    case = complaint_at(cli, "2026-11-03T15:00")   # acknowledge by 11-04 15:00
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 11, 2))
    table = cli("--lang", lang, "complaint", "list").out
    row = next(line for line in table.splitlines() if f"#{case}" in line)
    assert left in row and "3h58m" not in row
