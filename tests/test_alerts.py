"""Warning signs and clinical alerts (issue 19), on real ledgers built by importing an
export, with the clock held where each test needs it."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli import clock
from followup_cli.rules import load_rules
from followup_cli.scripts import URGENCIES, load_scripts, signs_of, without_signs

ROWS = [
    # surgery on 2 Nov: its 2d call is due 4 Nov, 3d on 5 Nov
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
    # fillers on 3 Nov: the 1d call is due 4 Nov
    "A2,C2,冯雪,13734567890,2026-11-03,玻尿酸,成交,皮肤科,孙医生,马咨询,,,,",
    # fillers with no doctor in the export
    "A4,C4,王敏,13900001111,2026-11-03,玻尿酸,成交,皮肤科,,马咨询,,,,",
]
NOTE = "患者说伤口一直在渗血，按压后也止不住，非常担心，已请她保持按压。"
DAY = "2026-11-04"


class Clock:
    at = datetime(2026, 11, 4, 15, 0)


@pytest.fixture
def ledger(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    Clock.at = datetime(2026, 11, 4, 15, 0)
    monkeypatch.setattr(clock, "now", lambda: Clock.at)
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
    return tmp_path / "ledger.db"


def task_of(cli, patient: str, day: str = DAY) -> int:  # noqa: ANN001
    rows = cli("due", "--date", day, "--format", "json").json()
    return next(r["task_id"] for r in rows if r["patient_id"] == patient)


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def log_sign(cli, patient: str, *signs: str, when: str = "2026-11-04 14:50",  # noqa: ANN001
             extra: tuple[str, ...] = ()):  # noqa: ANN202
    args = [a for s in signs for a in ("--sign", s)]
    return cli("log", str(task_of(cli, patient)), "-o", "reached", "--note", NOTE,
               "--when", when, *args, *extra)


# --- 1. signs are data ------------------------------------------------------------------

REQUIRED = {   # the minimum, per category: sign -> its urgency (None: any)
    "surgery": {"bleeding": "urgent", "fever": None, "wound_fluid": None,
                "swelling_worse": None, "pain_uncontrolled": None},
    "medium": {"skin_pale": "urgent", "vision_change": "urgent"},
    "optometry": {"vision_loss": "urgent", "eye_pain": "urgent", "red_eye_lens": "urgent"},
    "obstetrics": {"heavy_bleeding": "urgent", "fever": None, "severe_headache": None,
                   "low_mood": None},
}


def test_every_touchpoint_of_every_category_lists_warning_signs() -> None:
    scripts, rules = load_scripts(), load_rules()
    assert without_signs(scripts, rules) == []
    for category in rules.categories.values():
        listed = {s.id: s for tp in category.touchpoints
                  for s in signs_of(scripts, category.id, tp.id)}
        for sign_id, urgency in REQUIRED.get(category.id, {}).items():
            assert sign_id in listed, (category.id, sign_id)
            assert urgency is None or listed[sign_id].urgency == urgency, sign_id
    for sign in scripts.signs.values():
        assert sign.urgency in URGENCIES
        assert sign.text["zh"] and sign.text["en"] and sign.text["zh"] != sign.text["en"]


@pytest.mark.parametrize(("table", "where"), [
    ('[signs.x]\nzh = "某症状"\nen = "a sign"\nurgency = "soon"\n', "signs.x.urgency"),
    ('[signs.x]\nzh = "某症状"\nurgency = "today"\n', "signs.x"),
    ('[signs.bleed_again]\nzh = "出血不止"\nen = "bleeding"\nurgency = "urgent"\n',
     "signs.bleed_again.zh"),
    ('[touchpoints.surgery."0d"]\nquestions = [{ zh = "好吗？", en = "All well?" }]\n'
     'signs = ["nope"]\n', "touchpoints.surgery.0d.signs[0]"),
])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rules_check_refuses_bad_signs(cli, tmp_path: Path, table: str, where: str,  # noqa: ANN001
                                       lang: str) -> None:
    scripts = tmp_path / "scripts.toml"
    scripts.write_text(table, encoding="utf-8")
    result = cli("--lang", lang, "rules", "check", str(scripts))
    assert result.code == 2
    assert result.err.startswith(f"followup: {scripts}{': ' if lang == 'en' else '：'}{where}")


def test_a_clinic_script_keeps_the_default_signs_unless_it_lists_its_own(tmp_path: Path) -> None:
    own = tmp_path / "scripts.toml"
    own.write_text('[touchpoints.surgery."0d"]\nquestions = [{ zh = "好吗？", en = "All well?" }]\n'
                   '[touchpoints.surgery."1d"]\nquestions = [{ zh = "好吗？", en = "All well?" }]\n'
                   'signs = ["fever"]\n', encoding="utf-8")
    scripts = load_scripts(own)
    assert [s.id for s in signs_of(scripts, "surgery", "0d")] == [
        s.id for s in signs_of(load_scripts(), "surgery", "0d")]
    assert [s.id for s in signs_of(scripts, "surgery", "1d")] == ["fever"]


# --- 2. log --sign opens an alert ---------------------------------------------------------

@pytest.mark.parametrize(("lang", "sign", "said"), [
    ("en", "bleeding", "clinical alert #1 opened (urgent) for 吴医生: a doctor must answer by "
                       "2026-11-04 15:20"),
    ("zh", "出血不止", "已开立临床警示 #1（紧急），通知 吴医生，需在 2026-11-04 15:20 前回应"),
])
def test_an_urgent_sign_opens_an_alert_due_30_minutes_after_the_call(
        cli, ledger: Path, lang: str, sign: str, said: str) -> None:  # noqa: ANN001
    result = log_sign(cli, "C1", sign, extra=("--lang", lang))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == said
    alert = cli("alert", "show", "1", "--format", "json").json()
    assert {k: alert[k] for k in ("patient_id", "urgency", "doctor", "routed", "status",
                                  "opened_at", "due_at", "breached", "minutes_left")} == {
        "patient_id": "C1", "urgency": "urgent", "doctor": "吴医生", "routed": "visit",
        "status": "open", "opened_at": "2026-11-04T14:50:00", "due_at": "2026-11-04T15:20:00",
        "breached": False, "minutes_left": 20}
    assert alert["signs"] == [{"id": "bleeding", "zh": "出血不止",
                               "en": "Bleeding that will not stop", "urgency": "urgent"}]
    assert [e["action"] for e in alert["events"]] == ["open"]


def test_the_highest_urgency_sets_the_deadline(cli, ledger: Path) -> None:
    # full-width letters and a zero-width space pasted from a chat: the same sign
    today = log_sign(cli, "C2", "ｆｅｖｅｒ", "lump_hot\u200b", extra=("--format", "json"))
    assert today.code == 0, today.err
    assert today.json()["alert_id"] == 1
    both = log_sign(cli, "C4", "发热38度以上", "skin_pale")
    assert both.code == 0, both.err
    alerts = {a["alert_id"]: a for a in cli("alert", "list", "--format", "json").json()}
    assert (alerts[1]["urgency"], alerts[1]["due_at"]) == ("today", "2026-11-04T18:50:00")
    assert (alerts[2]["urgency"], alerts[2]["due_at"]) == ("urgent", "2026-11-04T15:20:00")
    # the nearest deadline first
    assert [a["alert_id"] for a in cli("alert", "list", "--format", "json").json()] == [2, 1]


@pytest.mark.parametrize(("lang", "start"), [
    ("en", "followup: --sign nope: not a known warning sign. The signs of this call's "
           "touchpoint: skin_pale (Skin near the injection turning pale, dusky or blue), "
           "vision_change (Any change of vision)"),
    ("zh", "followup: --sign nope：不是已知的警示症状。本次回访节点的警示症状：skin_pale "
           "(注射部位附近皮肤发白发暗或发紫), vision_change (视力有任何变化)"),
])
def test_an_unknown_sign_is_refused_and_nothing_is_recorded(
        cli, ledger: Path, lang: str, start: str) -> None:  # noqa: ANN001
    task = task_of(cli, "C2")
    result = log_sign(cli, "C2", "skin_pale", "nope", extra=("--lang", lang))
    assert result.code == 2
    assert result.err.startswith(start), result.err
    assert (count(ledger, "attempts"), count(ledger, "alerts")) == (0, 0)
    assert task in [r["task_id"] for r in cli("due", "--date", DAY, "--format", "json").json()]


@pytest.mark.parametrize("args", [
    ("-o", "no_answer", "--sign", "fever"),
    ("-o", "busy", "--booked", "2026-11-10"),
])
def test_signs_and_bookings_need_a_reached_call(cli, ledger: Path, args: tuple[str, ...]) -> None:
    result = cli("log", str(task_of(cli, "C1")), *args)
    assert result.code == 2
    assert "reached" in result.err
    assert count(ledger, "attempts") == 0


def test_a_visit_without_a_doctor_goes_to_the_doctor_on_duty(cli, ledger: Path) -> None:
    (ledger.parent / "followup.toml").write_text(
        '[alerts]\ndoctor_on_duty = "值班王医生"\nurgent_minutes = 15\n', encoding="utf-8")
    result = log_sign(cli, "C4", "vision_change", extra=("--format", "json"))
    assert result.code == 0, result.err
    alert = cli("alert", "show", "1", "--format", "json").json()
    assert (alert["doctor"], alert["routed"], alert["due_at"]) == (
        "值班王医生", "duty", "2026-11-04T15:05:00")


def test_with_no_doctor_at_all_the_agent_is_told_to_hand_it_on(cli, ledger: Path) -> None:
    result = log_sign(cli, "C4", "vision_change")
    assert result.code == 0
    assert "hand the alert to a doctor now" in result.err
    assert cli("alert", "show", "1", "--format", "json").json()["routed"] == "none"


@pytest.mark.parametrize(("setting", "where"), [
    ("[alerts]\nurgent_minutes = \"soon\"\n", "alerts.urgent_minutes"),
    ("[alerts]\ntoday_minutes = -5\n", "alerts.today_minutes"),
    ("[alerts]\ndoctor_on_duty = 3\n", "alerts.doctor_on_duty"),
    ("[rechecks]\ngrace_days = true\n", "rechecks.grace_days"),
])
def test_bad_settings_are_named_and_nothing_is_recorded(cli, ledger: Path, setting: str,
                                                        where: str) -> None:
    (ledger.parent / "followup.toml").write_text(setting, encoding="utf-8")
    result = log_sign(cli, "C1", "bleeding")
    assert result.code == 2
    assert f"followup.toml: {where}: " in result.err
    assert count(ledger, "attempts") == 0


# --- 3. alert list / show / ack / close, on top of every sheet ---------------------------

def test_an_open_alert_leads_every_sheet_above_complaints_until_closed(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    assert cli("log", str(task_of(cli, "C2")), "-o", "complaint", "--note",
               "对注射效果非常不满意，要求退款并投诉咨询师态度", "--when",
               "2026-11-04 14:55").code == 0
    for day in (DAY, "2026-11-05"):
        sheet = cli("due", "--date", day)
        assert sheet.code == 0
        assert sheet.out.startswith("Clinical alerts: 1 (first of all"), sheet.out
        assert sheet.out.index("#1 ") < sheet.out.index("Open complaints")
        listed = cli("due", "--date", day, "--format", "json")
        assert listed.err.startswith(
            "⚠ clinical alert #1: patient C1 (urgent), doctor 吴医生, answer by 2026-11-04 15:20 "
            "(followup alert list)\n"), listed.err
    # C1 is on the 5th's sheet again (the 3d call): the task carries the alert
    [c1] = [r for r in cli("due", "--date", "2026-11-05", "--format", "json").json()
            if r["patient_id"] == "C1"]
    assert c1["alerts"] == [{"alert_id": 1, "urgency": "urgent", "due_at": "2026-11-04T15:20:00",
                             "minutes_left": 20, "breached": False, "status": "open",
                             "doctor": "吴医生", "signs": ["bleeding"]}]
    assert "⚠alert #1" in cli("due", "--date", "2026-11-05").out
    Clock.at = datetime(2026, 11, 4, 15, 30)
    ack = cli("alert", "ack", "1", "--by", "吴医生", "--note", "已电话指导压迫止血，请患者立即来院",
              "--when", "2026-11-04 15:10")
    assert (ack.code, ack.out, ack.err) == (
        0, "alert #1: the doctor's answer is recorded (20 minutes after it opened)\n", "")
    assert cli("due", "--date", DAY).out.startswith("Clinical alerts: 1")   # still open
    close = cli("--lang", "zh", "alert", "close", "1", "--action", "called", "--note",
                "医生已回电，出血已止，明日复诊")
    assert (close.code, close.out) == (0, "警示 #1 已结束（医生回应用时 20 分钟）\n")
    after = cli("due", "--date", DAY)
    assert "Clinical alerts" not in after.out and after.out.startswith("Open complaints")
    assert "⚠" not in cli("due", "--date", DAY, "--format", "json").err
    assert cli("alert", "list").out == "no open clinical alerts\n"
    everything = cli("alert", "list", "--all", "--format", "json").json()
    assert [(a["status"], a["action"], a["acknowledged_by"], a["closed_by"])
            for a in everything] == [("closed", "called", "吴医生", "tester")]
    shown = cli("alert", "show", "1")
    assert shown.code == 0 and "closed: the doctor called" in shown.out
    assert "结束：医生已回电" in cli("--lang", "zh", "alert", "show", "1").out


def test_a_breached_alert_is_marked_on_the_sheet_and_counted_in_the_report(
        cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0                            # due 15:20
    assert log_sign(cli, "C2", "fever", when="2026-11-04 14:00").code == 0      # due 18:00
    Clock.at = datetime(2026, 11, 4, 16, 0)
    sheet = cli("due", "--date", DAY)
    assert "BREACHED" in sheet.out.split("Call sheet")[0]
    assert "已超时" in cli("--lang", "zh", "due", "--date", DAY).out
    assert "BREACHED" in cli("alert", "list").out
    late = cli("alert", "ack", "1", "--by", "吴医生", "--note", "刚下手术，已回电", "--when",
               "2026-11-04 15:45")
    assert late.code == 0
    assert late.err == "note: the doctor answered after the deadline 2026-11-04 15:20\n"
    assert cli("alert", "close", "2", "--action", "home_care", "--note", "嘱多饮水，明早复测体温",
               "--when", "2026-11-04 15:00", "--by", "孙医生").code == 0
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert {k: report[k] for k in ("alerts_opened", "alerts_breached",
                                   "alert_response_minutes_median",
                                   "alert_response_minutes_worst", "alerts_by_urgency")} == {
        "alerts_opened": 2, "alerts_breached": 1, "alert_response_minutes_median": 57.5,
        "alert_response_minutes_worst": 60,
        "alerts_by_urgency": {"urgent": 1, "today": 1, "routine": 0}}
    assert {k: report["by_doctor"]["吴医生"][k] for k in (
        "alerts_opened", "alerts_breached", "alert_response_minutes_median")} == {
        "alerts_opened": 1, "alerts_breached": 1, "alert_response_minutes_median": 55.0}
    assert report["by_doctor"]["孙医生"]["alerts_breached"] == 0
    theirs = cli("report", "--month", "2026-11", "--agent", "someone else", "--format", "json")
    assert (theirs.code, theirs.out) == (2, "")   # a name with nothing in the period: said
    assert theirs.err.startswith("followup: no agent named someone else in the period")
    mine = cli("report", "--month", "2026-11", "--agent", "tester", "--format", "json").json()
    assert (mine["alerts_opened"], mine["alerts_breached"]) == (2, 1)
    table = cli("--lang", "zh", "report", "--month", "2026-11")
    assert "警示超时" in table.out and "临床警示按紧急程度：紧急 1 · 当日 1 · 常规 0" in table.out


@pytest.mark.parametrize(("args", "message"), [
    (("ack", "1", "--by", "吴医生", "--note", "好", "--when", "2026-11-04 18:00"),
     "--when 2026-11-04 18:00 is in the future"),
    (("ack", "1", "--by", "吴医生", "--note", "好", "--when", "2026-11-04 14:00"),
     "--when 2026-11-04 14:00 is before the alert was opened (2026-11-04 14:50)"),
    (("ack", "1", "--by", "吴医生"), "give --note"),
    (("ack", "1", "--by", " ", "--note", "好"), ""),
    (("close", "1", "--action", "prayed", "--note", "好"),
     "--action prayed: one of called/recheck_booked/home_care/referred"),
    (("close", "9", "--action", "called", "--note", "好"), "no alert #9"),
    (("show", "9"), "no alert #9"),
])
def test_wrong_answers_to_an_alert_are_refused(cli, ledger: Path, args: tuple[str, ...],
                                               message: str) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    result = cli("alert", *args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err
    assert count(ledger, "alert_events") == 1


def test_a_close_is_never_before_the_answer_nor_unnamed_when_it_is_the_answer(
        cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    Clock.at = datetime(2026, 11, 4, 16, 0)
    # no answer yet: the close is the doctor's answer, so the doctor is named
    unnamed = cli("alert", "close", "1", "--action", "called", "--note", "医生已回电")
    assert (unnamed.code, unnamed.err) == (
        2, "followup: alert #1 has no doctor's answer yet: give --by, the doctor who "
           "answered\n")
    zh = cli("--lang", "zh", "alert", "close", "1", "--action", "called", "--note", "已回电")
    assert zh.code == 2 and "--by" in zh.err and "no doctor" not in zh.err
    assert count(ledger, "alert_events") == 1
    assert cli("alert", "ack", "1", "--by", "吴医生", "--note", "已电话指导压迫止血",
               "--when", "2026-11-04 15:10").code == 0
    early = cli("alert", "close", "1", "--action", "called", "--note", "医生已回电",
                "--when", "2026-11-04 15:00")
    assert (early.code, early.err) == (
        2, "followup: --when 2026-11-04 15:00 is before the doctor's answer (2026-11-04 15:10): "
           "an alert is closed after it is answered\n")
    assert count(ledger, "alert_events") == 2
    # after the answer, whoever closes it is the current agent unless --by says
    assert cli("alert", "close", "1", "--action", "called", "--note", "医生已回电",
               "--when", "2026-11-04 15:40").code == 0
    [alert] = cli("alert", "list", "--all", "--format", "json").json()
    assert (alert["acknowledged_by"], alert["closed_by"], alert["response_minutes"]) == (
        "吴医生", "tester", 20)


def test_a_closed_alert_takes_no_more_steps(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    assert cli("alert", "close", "1", "--action", "转诊", "--note", "转急诊",
               "--by", "吴医生").code == 0
    assert cli("alert", "show", "1", "--format", "json").json()["action"] == "referred"
    again = cli("--lang", "zh", "alert", "ack", "1", "--by", "吴医生", "--note", "好")
    assert (again.code, again.err) == (2, "followup: 警示 #1 当前状态为已结束，不能这样操作\n")


def test_the_timeline_shows_the_alert(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    history = cli("patient", "C1", "--format", "json").json()
    assert [(a["alert_id"], a["status"]) for a in history["alerts"]] == [(1, "open")]
    assert "Clinical alert #1" in cli("patient", "C1").out
    assert "临床警示 #1" in cli("--lang", "zh", "patient", "C1").out


def test_the_timeline_judges_deadlines_now_and_a_reveal_is_logged_when_it_happened(
        cli, ledger: Path) -> None:
    """An urgent alert of 14:50 is due 15:20: at 15:00 the timeline says it has time left,
    as `alert list` does, and the audit log has the reveal at 15:00, not at the day's end."""
    assert log_sign(cli, "C1", "bleeding").code == 0
    alert = cli("patient", "C1", "--reveal", "--format", "json").json()["alerts"][0]
    listed = cli("alert", "list", "--format", "json").json()[0]
    assert alert["breached"] is False and alert["minutes_left"] == listed["minutes_left"] == 20
    [row] = [line for line in cli("patient", "C1").out.splitlines() if "Clinical alert" in line]
    assert "20 min left" in row and "BREACHED" not in row
    [row] = [line for line in cli("--lang", "zh", "patient", "C1").out.splitlines()
             if "临床警示" in line]
    assert "还剩 20分钟" in row
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT at FROM audit ORDER BY audit_id DESC").fetchone()[0] \
        == "2026-11-04T15:00:00"


# --- 4. signs on the script and the printed sheet ---------------------------------------

@pytest.mark.parametrize(("lang", "words"), [("en", "Skin near the injection turning pale, "
                                                    "dusky or blue"),
                                             ("zh", "注射部位附近皮肤发白发暗或发紫")])
def test_the_script_lists_the_signs(cli, ledger: Path, lang: str, words: str) -> None:
    task = task_of(cli, "C2")
    data = cli("--lang", lang, "script", str(task), "--date", DAY, "--format", "json").json()
    assert data["signs"][0] == {"id": "skin_pale", "words": words,
                                "zh": "注射部位附近皮肤发白发暗或发紫",
                                "en": "Skin near the injection turning pale, dusky or blue",
                                "urgency": "urgent"}
    shown = cli("--lang", lang, "script", str(task), "--date", DAY)
    assert f"☐ {words}" in shown.out.replace("\n  ", " ")


def test_the_printed_sheet_has_the_alerts_and_signs_to_tick(cli, ledger: Path,
                                                            tmp_path: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    page = tmp_path / "sheet.html"
    assert cli("due", "--date", "2026-11-05", "--format", "html", "-O", str(page)).code == 0
    text = page.read_text(encoding="utf-8")
    assert text.index("class='alerts'") < text.index("class='patient'")
    assert "data-sign='bleeding'>☐ Bleeding that will not stop</span>" in text
    assert "⚠alert #1" in text


def test_a_corrected_call_leaves_its_alert_open_and_says_so(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    voided = cli("log", "--void", "1", "--reason", "登记错了患者")
    assert voided.code == 0, voided.err
    assert voided.err == ("note: clinical alert #1 opened by this call is still open; if it no "
                          "longer holds: followup alert close 1 --action call_voided --note "
                          "WHY\n")
    assert cli("alert", "show", "1", "--format", "json").json()["status"] == "open"
    assert cli("log", "--amend", "1", "--reason", "补登", "--sign", "fever").code == 2


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_voided_calls_alert_is_closed_as_void_with_no_doctors_answer(cli, ledger: Path,
                                                                       lang: str) -> None:
    """Voiding a call leaves its alert open (the sign may be real); the alert is then
    closed as call_voided by whoever checked, with no doctor named, and counted nowhere."""
    assert log_sign(cli, "C1", "bleeding").code == 0
    assert log_sign(cli, "C2", "fever").code == 0
    refused = cli("alert", "close", "2", "--action", "call_voided", "--note", "登记错了")
    assert (refused.code, refused.err) == (
        2, "followup: alert #2: its call #2 is not voided; close it with what the doctor did\n")
    assert cli("log", "--void", "1", "--reason", "登记错了患者").code == 0
    Clock.at = datetime(2026, 11, 4, 16, 0)   # past the deadline: void, not breached
    closed = cli("--lang", lang, "alert", "close", "1", "--action",
                 "通话已作废" if lang == "zh" else "call_voided", "--note", "登记错了患者，已核实")
    assert closed.code == 0, closed.err
    assert closed.out == {"en": "alert #1 closed: its call was voided\n",
                          "zh": "警示 #1 已结束：其通话已作废\n"}[lang]
    shown = cli("alert", "show", "1", "--format", "json").json()
    assert {k: shown[k] for k in ("status", "action", "acknowledged_at", "acknowledged_by",
                                  "closed_by", "breached")} == {
        "status": "closed", "action": "call_voided", "acknowledged_at": None,
        "acknowledged_by": None, "closed_by": "tester", "breached": False}
    assert "its call was voided" in cli("alert", "show", "1").out
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["alerts_opened"], report["alerts_breached"]) == (1, 0)
    assert "通话已作废" in cli("--lang", "zh", "alert", "close", "--help").out
    assert cli("doctor").code == 0


def test_a_routine_sign_is_due_before_the_next_recheck(cli, ledger: Path) -> None:
    """Within routine_minutes (3 days), or before the re-check booked, if that is sooner:
    on the same call, or on an earlier one and still waiting."""
    same = log_sign(cli, "C2", "redness_lasting", extra=("--booked", "2026-11-05T10:00"))
    assert same.code == 0, same.err
    later = log_sign(cli, "C4", "redness_lasting", extra=("--booked", "2026-11-20"))
    assert later.code == 0, later.err
    assert cli("log", str(task_of(cli, "C1")), "-o", "reached", "--note", NOTE, "--when",
               "2026-11-04 14:00", "--booked", "2026-11-06").code == 0
    c1 = cli("log", str(task_of(cli, "C1", "2026-11-05")), "-o", "reached", "--note", NOTE,
             "--when", "2026-11-04 14:30", "--sign", "unwell_other")
    assert c1.code == 0, c1.err
    due = {a["patient_id"]: a["due_at"] for a in
           cli("alert", "list", "--format", "json").json()}
    assert due == {"C2": "2026-11-05T10:00:00", "C4": "2026-11-07T14:50:00",
                   "C1": "2026-11-06T00:00:00"}


def test_doctor_notices_an_alert_closed_behind_followups_back(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    assert cli("doctor").code == 0
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE alerts SET status = 'closed'")
    conn.commit()
    conn.close()
    result = cli("doctor", "--format", "json")
    assert result.code == 1
    assert result.json()["problems"] == {"alerts_disagreeing_with_history": [1]}
    assert "clinical alerts whose status is not what their history says: 1" in cli("doctor").out


def test_an_unknown_alert_is_said_before_a_missing_note(cli, ledger: Path) -> None:
    result = cli("alert", "ack", "9", "--by", "李医生")
    assert result.code == 2 and "9" in result.err and "--note" not in result.err, result.err


def test_an_alerts_history_and_the_timeline_speak_the_readers_language(cli, ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding", "fever").code == 0
    assert cli("alert", "close", "1", "--action", "recheck_booked", "--note", "约明天复诊",
               "--by", "吴医生", "--when", "2026-11-04 15:00").code == 0
    shown = cli("--lang", "zh", "alert", "show", "1").out
    history = shown.split("#1")[-1]
    assert "bleeding" not in history and "fever" not in history, shown
    timeline = cli("--lang", "zh", "patient", "C1").out
    assert "recheck_booked" not in timeline and "已约复诊" in timeline, timeline


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "note: the deadline 2026-11-04 10:30 of alert #1 has already passed (the call was "
           "logged after it): a doctor must answer now, it counts as breached\n"),
    ("zh", "注意：警示 #1 的回应时限 2026-11-04 10:30 已过（通话是事后登记的）：请医生立即回应，"
           "该警示计为超时\n"),
])
def test_an_alert_logged_after_its_deadline_says_so(cli, ledger: Path, lang: str,
                                                    said: str) -> None:
    late = log_sign(cli, "C1", "bleeding", when="2026-11-04 10:00", extra=("--lang", lang))
    assert late.code == 0, late.err
    assert said in late.err
    on_time = log_sign(cli, "C2", "bleeding", when="2026-11-04 14:50")
    assert on_time.code == 0 and "already passed" not in on_time.err


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_files_have_the_alert_figures(cli, ledger: Path, tmp_path: Path,
                                             lang: str) -> None:
    from openpyxl import load_workbook

    from followup_cli.i18n import set_lang, t

    assert log_sign(cli, "C1", "bleeding").code == 0                            # urgent
    assert log_sign(cli, "C2", "fever", when="2026-11-04 14:00").code == 0      # today
    assert cli("alert", "ack", "1", "--by", "吴医生", "--note", "已回电",
               "--when", "2026-11-04 15:00").code == 0
    page = tmp_path / "r.html"
    assert cli("--lang", lang, "report", "--month", "2026-11", "--format", "html",
               "-O", str(page)).code == 0
    text = page.read_text("utf-8")
    set_lang(lang)
    section = text.split(t("Clinical alerts by urgency"))[1].split("</section>")[0]
    assert f"<td>{t('urgent')}</td><td>1</td>" in section
    assert f"<td>{t('routine')}</td><td>0</td>" in section
    doctors = text.split(f"<h2>{t('By doctor')}</h2>")[1].split("</section>")[0]
    assert t("Minutes to a doctor (median)") in doctors and "<td>吴医生</td>" in doctors
    book = tmp_path / "r.xlsx"
    assert cli("--lang", lang, "report", "--month", "2026-11", "--format", "xlsx",
               "-O", str(book)).code == 0
    set_lang(lang)
    sheet = load_workbook(book)[t("Clinical alerts by urgency")]
    assert [[c.value for c in row] for row in sheet.iter_rows()][1:] == [
        [t("urgent"), 1], [t("today"), 1], [t("routine"), 0]]
    csv = cli("report", "--month", "2026-11", "--format", "csv").out.splitlines()
    head, whole = csv[0].split(","), csv[1].split(",")
    assert (whole[head.index("alerts_urgent")], whole[head.index("alerts_today")]) == ("1", "1")


def test_a_sheet_of_another_day_says_its_alerts_time_is_counted_from_now(cli,
                                                                         ledger: Path) -> None:
    assert log_sign(cli, "C1", "bleeding").code == 0
    today = cli("due", "--date", DAY).out
    assert today.startswith("Clinical alerts: 1 (first of all)\n")
    later = cli("due", "--date", "2026-11-05")
    assert later.out.startswith("Clinical alerts: 1 (first of all; time left counted from now, "
                                "2026-11-04 15:00)\n"), later.out
    rows = cli("due", "--date", "2026-11-05", "--format", "json").json()
    assert [a["minutes_left"] for r in rows for a in r["alerts"]] == [20]


@pytest.mark.parametrize("step", [("ack",), ("close", "--action", "called")])
def test_an_empty_by_names_by(cli, ledger: Path, step: tuple[str, ...]) -> None:
    """`alert close --by ""` said the name was wrong in --agent, an option close has not."""
    assert log_sign(cli, "C1", "bleeding").code == 0
    result = cli("alert", *step, "1", "--by", "", "--note", "已回电")
    assert (result.code, result.err) == (
        2, "followup: the agent's name must be visible text of at most 40 characters, without "
           "control characters (--by)\n")
