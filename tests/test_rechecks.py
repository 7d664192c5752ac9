"""Re-checks agreed on the phone (issue 19): `log … --booked` is kept by the next import
that brings a visit within the grace, or comes back as a `recheck` task on the first
calling day after it. Real ledgers, the clock held."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli import clock
from followup_cli.calendar import load_calendar
from followup_cli.rechecks import rebook_day

ROWS = ["A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,"]
NOTE = "恢复顺利，肿胀在消退，患者同意下周二来院复查拆线后的伤口情况。"
DAY = "2026-11-04"


class Clock:
    at = datetime(2026, 11, 4, 15, 0)


@pytest.fixture
def ledger(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    Clock.at = datetime(2026, 11, 4, 15, 0)
    monkeypatch.setattr(clock, "now", lambda: Clock.at)
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    return tmp_path / "ledger.db"


def book(cli, booked: str, *extra: str):  # noqa: ANN001, ANN202
    task = cli("due", "--date", DAY, "--format", "json").json()[0]["task_id"]
    return cli("log", str(task), "-o", "reached", "--note", NOTE, "--when", "2026-11-04 14:00",
               "--booked", booked, *extra)


def come_in(cli, tmp_path: Path, day: str, kind: str = "成交") -> None:  # noqa: ANN001
    """The evening export of `day` brings a visit of C1 that day."""
    Clock.at = datetime.fromisoformat(f"{day}T20:00")
    export = write_export(tmp_path / f"{day}.csv", [
        *ROWS, f"R{day},C1,周晓雯,13812345678,{day},复查,{kind},整形外科,吴医生,林咨询,,,,"])
    result = cli("import", "visits", str(export), "--date", day)
    assert result.code == 0, result.err


def rechecks(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(
            "SELECT r.*, t.status AS task_status, t.status_reason, t.due_date FROM rechecks r "
            "JOIN tasks t ON t.task_id = r.task_id ORDER BY recheck_id")]
    finally:
        conn.close()


def rebooking(cli, day: str) -> list[dict]:  # noqa: ANN001
    return [r for r in cli("due", "--date", day, "--format", "json").json()
            if r["category"] == "recheck"]


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "re-check booked for 2026-11-10; with no visit by the end of the grace it comes back "
           "on the sheet of 2026-11-14 to rebook"),
    ("zh", "已登记复查预约 2026-11-10；如宽限期内没有到诊，2026-11-14 会回到回访清单重新预约"),
])
def test_a_booking_is_recorded_with_when_it_would_come_back(cli, ledger: Path, lang: str,
                                                           said: str) -> None:
    result = book(cli, "2026-11-10", "--lang", lang)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == said
    [row] = rechecks(ledger)
    assert (row["booked_for"], row["grace_days"], row["kept_visit_id"], row["task_status"],
            row["due_date"]) == ("2026-11-10", 3, None, "open", "2026-11-14")


@pytest.mark.parametrize("visit_day", ["2026-11-10", "2026-11-13"])
def test_the_next_import_within_the_grace_keeps_the_booking(cli, ledger: Path, tmp_path: Path,
                                                            visit_day: str) -> None:
    assert book(cli, "2026-11-10").code == 0
    come_in(cli, tmp_path, visit_day)
    [row] = rechecks(ledger)
    assert (row["kept_visit_id"], row["task_status"], row["status_reason"]) == (
        f"R{visit_day}", "cancelled", "recheck_kept")
    assert rebooking(cli, "2026-11-14") == []
    Clock.at = datetime(2026, 11, 30, 12, 0)
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert {k: report[k] for k in ("rechecks_booked", "rechecks_kept", "rechecks_missed",
                                   "recheck_kept_rate")} == {
        "rechecks_booked": 1, "rechecks_kept": 1, "rechecks_missed": 0, "recheck_kept_rate": 1.0}
    history = cli("patient", "C1", "--format", "json").json()
    assert [r["state"] for r in history["rechecks"]] == ["kept"]
    assert "已到诊" in cli("--lang", "zh", "patient", "C1").out


@pytest.mark.parametrize("project", ["复查", "吸脂复查", "双眼皮拆线", "术后换药", "复诊"])
def test_a_follow_up_visit_plans_no_new_treatment(cli, ledger: Path, tmp_path: Path,
                                                  project: str) -> None:
    """A re-check (or a dressing, stitches out) is part of a treatment already planned: the
    import keeps the booking and plans no second 1/3/6-month series."""
    assert book(cli, "2026-11-10").code == 0
    Clock.at = datetime(2026, 11, 10, 20, 0)
    export = write_export(tmp_path / "r.csv", [
        *ROWS, f"R1,C1,周晓雯,13812345678,2026-11-10,{project},成交,整形外科,吴医生,林咨询,,,,"])
    result = cli("import", "visits", str(export), "--date", "2026-11-10", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["tasks_planned"] == 0
    assert rechecks(ledger)[0]["kept_visit_id"] == "R1"


@pytest.mark.parametrize(("visit_day", "kind"), [
    ("2026-11-09", "成交"),    # before the day agreed: not that re-check
    ("2026-11-14", "成交"),    # after the grace
    ("2026-11-11", "未到诊"),  # a no-show is no visit
])
def test_a_visit_outside_the_grace_or_a_no_show_does_not_keep_it(
        cli, ledger: Path, tmp_path: Path, visit_day: str, kind: str) -> None:
    assert book(cli, "2026-11-10").code == 0
    come_in(cli, tmp_path, visit_day, kind)
    [row] = rechecks(ledger)
    assert (row["kept_visit_id"], row["task_status"]) == (None, "open")


@pytest.mark.parametrize(("lang", "purpose"), [("en", "Missed re-check: rebook"),
                                               ("zh", "复查未到：重新预约")])
def test_a_missed_recheck_comes_back_on_the_next_calling_day(cli, ledger: Path, lang: str,
                                                             purpose: str) -> None:
    assert book(cli, "2026-11-10").code == 0
    assert rebooking(cli, "2026-11-13") == []     # the last day of the grace
    [task] = rebooking(cli, "2026-11-14")
    assert (task["patient_id"], task["touchpoint"], task["doctor"], task["project"]) == (
        "C1", "missed", "吴医生", "双眼皮")
    sheet = cli("--lang", lang, "due", "--date", "2026-11-14")
    assert purpose in sheet.out
    only = cli("due", "--date", "2026-11-14", "--category", "recheck", "--format", "json")
    assert [r["task_id"] for r in only.json()] == [task["task_id"]]
    Clock.at = datetime(2026, 11, 14, 10, 0)
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["rechecks_missed"], report["recheck_kept_rate"]) == (1, 0.0)
    # called and rebooked: the task is done, and a new booking is followed
    called = cli("log", str(task["task_id"]), "-o", "reached", "--note", NOTE, "--booked",
                 "2026-11-17")
    assert called.code == 0, called.err
    assert [r["task_status"] for r in rechecks(ledger)] == ["done", "open"]


def test_the_grace_is_a_setting_and_the_rebooking_day_follows_the_calendar(
        cli, ledger: Path) -> None:
    (ledger.parent / "followup.toml").write_text("[rechecks]\ngrace_days = 0\n", encoding="utf-8")
    assert book(cli, "2026-11-10").code == 0
    assert rechecks(ledger)[0]["due_date"] == "2026-11-11"
    cal = load_calendar(None)
    assert rebook_day(date(2026, 9, 27), 3, cal) == date(2026, 10, 8)   # past National Day


def test_no_bookings_no_rate(cli, ledger: Path) -> None:
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert {k: report[k] for k in ("rechecks_booked", "rechecks_kept", "recheck_kept_rate")} == {
        "rechecks_booked": 0, "rechecks_kept": 0, "recheck_kept_rate": None}


@pytest.mark.parametrize(("booked", "lang", "message"), [
    ("2026-11-03", "en", "followup: --booked 2026-11-03 is before the day of the call "
                         "(2026-11-04)\n"),
    ("2026-11-03", "zh", "followup: --booked 2026-11-03 早于通话当天 2026-11-04\n"),
    ("next tuesday", "en", "followup: --booked next tuesday"),
    ("2026-13-01", "en", "followup: --booked 2026-13-01"),
    ("", "en", "followup: --booked is empty"),
    ("12026-11-10", "en", "followup: --booked 12026-11-10"),
])
def test_a_wrong_booking_is_refused_and_nothing_is_recorded(cli, ledger: Path, booked: str,
                                                            lang: str, message: str) -> None:
    result = book(cli, booked, "--lang", lang)
    assert result.code == 2
    assert result.err.startswith(message), result.err
    assert rechecks(ledger) == []
    conn = sqlite3.connect(ledger)
    try:
        assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_visit_sent_again_changed_keeps_the_rebooking_task(cli, ledger: Path,
                                                              tmp_path: Path) -> None:
    """A re-sent visit is re-planned from the rules; the task a call planned stays."""
    assert book(cli, "2026-11-10").code == 0
    changed = write_export(tmp_path / "again.csv",
                           [ROWS[0].replace("2026-11-02,双眼皮", "2026-11-03,吸脂")])
    result = cli("import", "visits", str(changed), "--date", "2026-11-04")
    assert result.code == 0, result.err
    [row] = rechecks(ledger)
    assert (row["task_status"], row["due_date"]) == ("open", "2026-11-14")
    assert [r["touchpoint"] for r in rebooking(cli, "2026-11-14")] == ["missed"]


def test_a_booking_on_a_call_with_no_visit_is_sound_to_doctor(cli, ledger: Path) -> None:
    """A complaint's follow-up call belongs to no visit; its rebooking task neither."""
    task = cli("due", "--date", DAY, "--format", "json").json()[0]["task_id"]
    assert cli("log", str(task), "-o", "complaint", "--note",
               "术后肿胀严重，对医生的解释很不满意，要求医院给个说法",
               "--when", "2026-11-04 14:00").code == 0
    Clock.at = datetime(2026, 11, 20, 15, 0)   # closed when the visit's calls are over
    assert cli("complaint", "close", "1", "--note", "医生面诊解释并安排免费复查").code == 0
    Clock.at = datetime(2026, 11, 23, 15, 0)
    [follow] = cli("due", "--date", "2026-11-23", "--format", "json").json()
    assert follow["category"] == "complaint"
    booked = cli("log", str(follow["task_id"]), "-o", "reached", "--note", NOTE, "--booked",
                 "2026-11-26")
    assert booked.code == 0, booked.err
    [row] = rechecks(ledger)
    assert row["visit_id"] is None
    assert cli("doctor").code == 0, cli("doctor").out


@pytest.mark.parametrize(("correction", "lang", "said"), [
    (("--void", "1"), "en", "note: the re-check booked for 2026-11-10 by this call is dropped "
                            "and its rebooking task 10 cancelled"),
    (("--amend", "1", "-o", "no_answer"), "zh",
     "注意：这次通话约的 2026-11-10 复诊已撤销，其改约任务 10 已取消"),
])
def test_a_call_voided_or_amended_away_drops_its_booking(cli, ledger: Path, tmp_path: Path,
                                                         correction: tuple[str, ...], lang: str,
                                                         said: str) -> None:
    booked = book(cli, "2026-11-10", "--format", "json")
    assert booked.code == 0, booked.err
    attempt, task = booked.json()["attempt_id"], rechecks(ledger)[0]["task_id"]
    assert (attempt, task) == (1, 10)
    result = cli("--lang", lang, "log", *correction, "--reason", "logged on the wrong patient")
    assert result.code == 0, result.err
    assert said in result.err
    [row] = rechecks(ledger)
    assert (row["task_status"], row["status_reason"]) == ("cancelled", "recheck_dropped")
    assert rebooking(cli, "2026-11-14") == []
    # a visit in the grace keeps nothing: the booking is gone
    come_in(cli, tmp_path, "2026-11-10")
    assert rechecks(ledger)[0]["kept_visit_id"] is None
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["rechecks_booked"], report["rechecks_kept"]) == (0, 0)
    history = cli("patient", "C1", "--format", "json").json()
    assert [r["state"] for r in history["rechecks"]] == ["dropped"]


def test_a_call_amended_back_restores_its_booking(cli, ledger: Path) -> None:
    assert book(cli, "2026-11-10").code == 0
    assert cli("log", "--amend", "1", "-o", "no_answer", "--reason", "misheard").code == 0
    result = cli("log", "--amend", "1", "-o", "reached", "--note", NOTE, "--reason", "she did")
    assert result.code == 0, result.err
    assert "stands again" in result.err
    assert rechecks(ledger)[0]["task_status"] == "open"
    assert [r["task_id"] for r in rebooking(cli, "2026-11-14")] == [10]


def test_the_timeline_says_a_kept_or_dropped_booking_in_words(cli, ledger: Path,
                                                             tmp_path: Path) -> None:
    assert book(cli, "2026-11-10").code == 0
    come_in(cli, tmp_path, "2026-11-10")
    zh = cli("--lang", "zh", "patient", "C1").out
    assert "复诊已到诊" in zh and "recheck_kept" not in zh
    en = cli("patient", "C1").out
    assert "(re-check kept)" in en


@pytest.mark.parametrize(("lang", "name"), [("en", "Missed re-check (booked on a call)"),
                                            ("zh", "复查未到（电话中预约的复查）")])
def test_the_recheck_category_is_listed_and_named_like_the_others(cli, ledger: Path, lang: str,
                                                                   name: str) -> None:
    """--category recheck is listed where the categories are, and shown as a word."""
    refused = cli("--lang", lang, "due", "--date", DAY, "--category", "nothing")
    assert refused.code == 2
    assert refused.err.rstrip().endswith(f"recheck ({name})")
    listed = cli("--lang", lang, "rules", "show").out
    assert "log --booked" in listed and ("recheck" in listed) == (lang == "en")
    assert "recheck" in cli("--lang", lang, "due", "--help").out
    title = cli("--lang", lang, "report", "--month", "2026-11", "--category", "recheck")
    assert title.code == 0, title.err
    assert name in title.out.splitlines()[0] and "recheck)" not in title.out
    by_name = cli("--lang", lang, "due", "--date", DAY, "--category", name.split("（")[0])
    assert by_name.code == 0, by_name.err


@pytest.mark.parametrize(("booked", "said"), [
    ("2062-11-10", "--booked 2062-11-10 is more than a year after the call (2026-11-04): "
                   "check the year"),
    ("2026-11-04 09:00", "--booked 2026-11-04 09:00 is before the call (2026-11-04 14:00)"),
    ("2026-11-03", "--booked 2026-11-03 is before the day of the call (2026-11-04)"),
])
def test_a_booking_far_ahead_or_before_the_call_is_refused(cli, ledger: Path, booked: str,
                                                           said: str) -> None:
    result = book(cli, booked)
    assert (result.code, result.err) == (2, f"followup: {said}\n")
    assert rechecks(ledger) == []
    assert book(cli, "2027-11-05").code == 0   # a year and a day ahead: still a booking


def test_how_to_change_a_booking_is_said(cli) -> None:
    assert "void the call" in " ".join(cli("log", "--help").out.split())
