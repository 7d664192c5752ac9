"""SMS batches (issue 20): the day's messages, the platform's batch, the receipts, on real
ledgers built by importing an export and logging calls."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest
from conftest import HEADER, write_export

from followup_cli import clock
from followup_cli.output.sms_files import aliyun, tencent
from followup_cli.sms import Settings, parts

ROWS = [
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
    # C2: the day-1 call of 4 Nov is tried three times and nobody answers
    "A2,C2,冯雪,13734567890,2026-11-03,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,",
    # members whose birthday is 4 Nov: C4 gets a greeting, C5 asks not to be called,
    # C6 unsubscribed from SMS
    "A4,C4,李娜,13900000004,2026-10-01,补水,成交,皮肤科,孙医生,马咨询,,1990/11/04,金卡,",
    "A5,C5,王五,13900000005,2026-10-01,补水,成交,皮肤科,孙医生,马咨询,,1991/11/04,金卡,",
    "A6,C6,赵六,13900000006,2026-10-01,补水,成交,皮肤科,孙医生,马咨询,,1992/11/04,金卡,",
]
SETTINGS = """
[clinic]
name = "美丽诊所"
[sms]
signature = "美丽诊所"
tencent_app_id = "1400000000"
"""
TEXTS = """
[common.unreachable]
code = { aliyun = "SMS_100", tencent = "100" }
text = { zh = "{name}您好，我们几次致电都没能联系上您，想了解您{project}后的恢复情况。方便时请回电。", en = "Dear {name}, we tried to call you about {project}. Please call us back." }
[common.combined]
code = { aliyun = "SMS_900", tencent = "900" }
text = { zh = "{text}", en = "{text}" }
[touchpoints.birthday."0d"]
code = { aliyun = "SMS_200", tencent = "200" }
text = { zh = "{name}您好，祝您生日快乐！回T退订", en = "Dear {name}, happy birthday! Reply T to opt out" }
promotional = true
[touchpoints.surgery."2d"]
code = { aliyun = "SMS_300", tencent = "300" }
text = { zh = "{name}您好，提醒您{date}到院换药。", en = "Dear {name}, your dressing change is on {date}." }
"""
DAY = "2026-11-04"
AT = "2026-11-04 10:00"
ZH_UNREACHABLE = "【美丽诊所】冯雪您好，我们几次致电都没能联系上您，想了解您光子嫩肤后的恢复情况。方便时请回电。"
EN_UNREACHABLE = "【美丽诊所】Dear 冯雪, we tried to call you about 光子嫩肤. Please call us back."


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        (tmp_path / "followup.toml").write_text(SETTINGS, encoding="utf-8")
        (tmp_path / "sms.toml").write_text(TEXTS, encoding="utf-8")
        export = write_export(tmp_path / "visits.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
        c2 = [r for r in cli("due", "--date", DAY, "--format", "json").json()
              if r["patient_id"] == "C2"][0]
        for when in ("2026-11-04 09:10", "2026-11-04 14:10", "2026-11-04 19:00"):
            assert cli("log", str(c2["task_id"]), "--outcome", "no_answer",
                       "--when", when).code == 0
        assert cli("log", "--patient", "C5", "--outcome", "do_not_call",
                   "--when", "2026-11-04 10:00").code == 0
        assert cli("patient", "sms-off", "C6", "--reason", "asked on the phone").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def plan(cli, *extra: str) -> dict:  # noqa: ANN001
    result = cli("sms", "plan", "--date", DAY, "--format", "json", *extra)
    assert result.code == 0, result.err
    return result.json()


# --- the done-when scenario --------------------------------------------------------------

@pytest.mark.parametrize(("lang", "unreachable", "birthday"), [
    ("zh", ZH_UNREACHABLE, "【美丽诊所】李娜您好，祝您生日快乐！回T退订"),
    ("en", EN_UNREACHABLE, "【美丽诊所】Dear 李娜, happy birthday! Reply T to opt out"),
])
def test_a_new_users_day(cli, ledger: Path, tmp_path: Path, lang: str, unreachable: str,
                         birthday: str) -> None:
    # the messages are in the clinic's language for its patients ([sms] lang)
    (tmp_path / "followup.toml").write_text(SETTINGS + f'lang = "{lang}"\n', "utf-8")
    # the plan: the unreachable patient and the member's birthday; not the do-not-call
    # patient nor the one who unsubscribed
    got = plan(cli, "--lang", lang)
    assert [(m["patient_id"], [r["kind"] for r in m["reasons"]], m["text"], m["length"],
             m["parts"]) for m in got["messages"]] == [
        ("C2", ["unreachable"], unreachable, len(unreachable), parts(len(unreachable))),
        ("C4", ["birthday"], birthday, len(birthday), 1),
    ]
    assert got["messages"][0]["phone"] == "137****7890"
    assert got["skipped"]["sms_off"] == 1
    # the batch: full numbers, owner-only, recorded like a reveal
    out = tmp_path / "batch.csv"
    result = cli("--lang", lang, "sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
                 "-O", str(out))
    assert result.code == 0, result.err
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["phone,name,project,template", "13734567890,冯雪,光子嫩肤,SMS_100",
                     "13900000004,李娜,,SMS_200"]
    assert query(ledger, "SELECT agent, action, what FROM audit") == [
        ("tester", f"sms export --date {DAY} --format csv", "2: C2,C4")]
    assert query(ledger, "SELECT sms_key, status FROM sms ORDER BY sms_id") == [
        (f"C2/{DAY}", "queued"), (f"C4/{DAY}", "queued")]
    # the same day twice: the same messages in another format, nothing new recorded
    again = cli("--lang", lang, "sms", "export", "--date", DAY, "--at", AT, "--format",
                "aliyun", "-O", str(tmp_path / "again.json"))
    assert again.code == 0, again.err
    assert again.out == {
        "en": f"2 SMS of 2026-11-04 already queued written to {tmp_path / 'again.json'}; "
              "nothing new is recorded (--again sends them once more)\n",
        "zh": f"2026-11-04 已排队的 2 条短信已写入 {tmp_path / 'again.json'}；没有新的记录"
              "（要重发请加 --again）\n"}[lang]
    assert query(ledger, "SELECT count(*) FROM sms") == [(2,)]
    assert query(ledger, "SELECT action, what FROM audit ORDER BY rowid")[-1] == (
        f"sms export --date {DAY} --format aliyun", "2: C2,C4")
    # the receipt: one failure goes back on the sheet, as a call
    receipt = tmp_path / "receipt.csv"
    receipt.write_text("手机号码,发送状态,错误码\n13734567890,发送失败,MK:0001\n"
                       "13900000004,发送成功,DELIVRD\n", encoding="utf-8")
    result = cli("--lang", lang, "sms", "result", str(receipt))
    assert result.code == 0, result.err
    assert result.out == {
        "en": "receipt: 1 delivered, 1 failed (back on the sheet), 0 pending, 0 read before, "
              "0 unknown\n",
        "zh": "回执：送达 1，失败 1（已回到回访清单），未出结果 0，已读过 0，找不到 0\n"}[lang]
    assert query(ledger, "SELECT sms_key, status, status_detail FROM sms ORDER BY sms_id") == [
        (f"C2/{DAY}", "failed", "MK:0001"), (f"C4/{DAY}", "delivered", "DELIVRD")]
    (due,) = query(ledger, "SELECT due_date FROM tasks WHERE touchpoint = 'sms_failed'")[0]
    sheet = cli("--lang", lang, "due", "--date", due, "--format", "json").json()
    assert [(r["patient_id"], r["purpose"]) for r in sheet
            if r["touchpoint"] == "sms_failed"] == [
        ("C2", {"en": "SMS failed: call", "zh": "短信发送失败：请电话联系"}[lang])]
    # read again: nothing changes
    assert "0 delivered, 0 failed" in cli("sms", "result", str(receipt)).out
    assert query(ledger, "SELECT count(*) FROM tasks WHERE touchpoint = 'sms_failed'") == [(1,)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "aliyun", "tencent"])
def test_every_format_once_then_again(cli, ledger: Path, tmp_path: Path, fmt: str) -> None:
    suffix = {"aliyun": "json", "tencent": "json"}.get(fmt, fmt)
    first, second = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", fmt,
               "-O", str(first)).code == 0
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", fmt,
               "-O", str(second)).code == 0   # the same batch, written again
    assert query(ledger, "SELECT count(*) FROM sms") == [(2,)]
    if fmt != "xlsx":   # a workbook holds the time it was made
        assert first.read_bytes() == second.read_bytes()
    second.unlink()
    result = cli("sms", "export", "--date", DAY, "--at", AT, "--format", fmt, "--again",
                 "-O", str(second))
    assert result.code == 0, result.err
    assert query(ledger, "SELECT sms_key FROM sms ORDER BY sms_id") == [
        (f"C2/{DAY}",), (f"C4/{DAY}",), (f"C2/{DAY}/2",), (f"C4/{DAY}/2",)]
    if fmt != "xlsx":   # a workbook holds the time it was made
        assert first.read_bytes() == second.read_bytes()


def test_aliyun_requests_have_the_documented_fields(cli, ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "aliyun.json"
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "aliyun",
               "-O", str(out)).code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["Action"], data["Version"]) == ("SendBatchSms", "2017-05-25")
    assert data["Requests"] == [
        {"PhoneNumberJson": '["13734567890"]', "SignNameJson": '["美丽诊所"]',
         "TemplateCode": "SMS_100",
         "TemplateParamJson": '[{"name":"冯雪","project":"光子嫩肤"}]'},
        {"PhoneNumberJson": '["13900000004"]', "SignNameJson": '["美丽诊所"]',
         "TemplateCode": "SMS_200", "TemplateParamJson": '[{"name":"李娜"}]'},
    ]
    for request in data["Requests"]:
        assert_aliyun_request(request)


def test_tencent_requests_have_the_documented_fields(cli, ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "tencent.json"
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "tencent",
               "-O", str(out)).code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert (data["Action"], data["Version"]) == ("SendSms", "2021-01-11")
    assert data["Requests"] == [
        {"PhoneNumberSet": ["+8613734567890"], "SmsSdkAppId": "1400000000",
         "SignName": "美丽诊所", "TemplateId": "100", "TemplateParamSet": ["冯雪", "光子嫩肤"]},
        {"PhoneNumberSet": ["+8613900000004"], "SmsSdkAppId": "1400000000",
         "SignName": "美丽诊所", "TemplateId": "200", "TemplateParamSet": ["李娜"]},
    ]
    for request in data["Requests"]:
        assert_tencent_request(request)


def test_console_workbook_has_a_sheet_per_template(cli, ledger: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "batch.xlsx"
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "xlsx",
               "-O", str(out)).code == 0
    book = load_workbook(out)
    assert {name: [list(r) for r in book[name].iter_rows(values_only=True)]
            for name in book.sheetnames} == {
        "SMS_100": [["phone", "name", "project"], ["13734567890", "冯雪", "光子嫩肤"]],
        "SMS_200": [["phone", "name"], ["13900000004", "李娜"]],
    }


def assert_aliyun_request(request: dict) -> None:
    """SendBatchSms: PhoneNumberJson, SignNameJson (one per number), TemplateCode,
    TemplateParamJson (one object per number), JSON texts; at most 100 numbers."""
    assert set(request) == {"PhoneNumberJson", "SignNameJson", "TemplateCode",
                            "TemplateParamJson"}
    phones = json.loads(request["PhoneNumberJson"])
    signs = json.loads(request["SignNameJson"])
    values = json.loads(request["TemplateParamJson"])
    assert 1 <= len(phones) <= 100
    assert len(signs) == len(values) == len(phones)
    assert all(isinstance(v, dict) for v in values)
    assert isinstance(request["TemplateCode"], str) and request["TemplateCode"]


def assert_tencent_request(request: dict) -> None:
    """SendSms 2021-01-11: PhoneNumberSet (E.164, at most 200), SmsSdkAppId, TemplateId,
    SignName, TemplateParamSet (positional texts)."""
    assert set(request) == {"PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId",
                            "TemplateParamSet"}
    assert 1 <= len(request["PhoneNumberSet"]) <= 200
    assert all(p.startswith("+86") and len(p) == 14 for p in request["PhoneNumberSet"])
    assert all(isinstance(v, str) for v in request["TemplateParamSet"])


def _messages(n: int) -> list[dict]:
    return [{"phone": f"139{i:08d}", "codes": {"aliyun": "SMS_1", "tencent": "1"},
             "variables": {"name": "李娜"}, "template": "birthday.0d"} for i in range(n)]


SETTINGS_ROW = Settings("美丽诊所", {"zh": "回T退订", "en": "Reply T"}, *[None] * 2, 1000, 2,
                        "1400000000")  # type: ignore[arg-type]


def test_101_numbers_are_two_alibaba_batches() -> None:
    requests = aliyun(_messages(101), SETTINGS_ROW)["Requests"]
    assert [len(json.loads(r["PhoneNumberJson"])) for r in requests] == [100, 1]
    for request in requests:
        assert_aliyun_request(request)


def test_201_numbers_are_two_tencent_requests() -> None:
    requests = tencent(_messages(201), SETTINGS_ROW)["Requests"]
    assert [len(r["PhoneNumberSet"]) for r in requests] == [200, 1]
    for request in requests:
        assert_tencent_request(request)


def test_tencent_sends_different_variables_apart() -> None:
    messages = _messages(2)
    messages[1]["variables"] = {"name": "王五"}
    requests = tencent(messages, SETTINGS_ROW)["Requests"]
    assert [r["TemplateParamSet"] for r in requests] == [["李娜"], ["王五"]]


def test_lengths() -> None:
    assert [parts(n) for n in (1, 70, 71, 134, 135, 201, 202)] == [1, 1, 2, 2, 3, 3, 4]


# --- sending hours, codes, settings ------------------------------------------------------

@pytest.mark.parametrize(("at", "lang", "message"), [
    ("2026-11-04 21:30", "en", "followup: --at 2026-11-04 21:30 is outside the sending hours "
     "08:00–21:00; the next time is 2026-11-05 08:00\n"),
    ("2026-11-04 07:59", "zh", "followup: --at 2026-11-04 07:59 不在短信发送时段 08:00–21:00 内；"
     "最早 2026-11-04 08:00 发送\n"),
    ("2026-11-05 10:00", "en", "followup: --at 2026-11-05 10:00 is not on 2026-11-04: a day's "
     "batch is sent that day\n"),
])
def test_outside_sending_hours_is_refused(cli, ledger: Path, tmp_path: Path, at: str, lang: str,
                                          message: str) -> None:
    result = cli("--lang", lang, "sms", "export", "--date", DAY, "--at", at, "--format", "csv",
                 "-O", str(tmp_path / "b.csv"))
    assert (result.code, result.err) == (2, message)
    assert query(ledger, "SELECT count(*) FROM sms") == [(0,)]


def test_platform_needs_its_codes_and_ids(cli, ledger: Path, tmp_path: Path) -> None:
    (tmp_path / "sms.toml").write_text(TEXTS.replace('code = { aliyun = "SMS_200", '
                                                     'tencent = "200" }\n', ""), "utf-8")
    result = cli("sms", "export", "--date", DAY, "--at", AT, "--format", "aliyun",
                 "-O", str(tmp_path / "b.json"))
    assert (result.code, result.err) == (2, "followup: text birthday.0d has no aliyun template "
                                            "code: set code in sms.toml\n")
    (tmp_path / "followup.toml").write_text("[sms]\nsignature = \"美丽诊所\"\n", "utf-8")
    (tmp_path / "sms.toml").write_text(TEXTS, "utf-8")
    result = cli("--lang", "zh", "sms", "export", "--date", DAY, "--at", AT, "--format",
                 "tencent", "-O", str(tmp_path / "b.json"))
    assert (result.code, result.err) == (2,
                                         "followup: 还没有腾讯云 SmsSdkAppId：请在 followup.toml "
                                            "的 [sms] 中设置 tencent_app_id\n")
    assert query(ledger, "SELECT count(*) FROM sms") == [(0,)]
    # a console spreadsheet needs neither
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
               "-O", str(tmp_path / "b.csv")).code == 0


@pytest.mark.parametrize(("settings", "where"), [
    ('[sms]\nhours = "21:00-08:00"\n', "sms.hours"),
    ("[sms]\ndaily_limit = 0\n", "sms.daily_limit"),
    ('[sms]\nsignature = "【美丽】"\n', "sms.signature"),
    ("[sms]\nsender = 1\n", "sms.sender"),
])
def test_bad_settings_name_the_key(cli, ledger: Path, tmp_path: Path, settings: str,
                                   where: str) -> None:
    (tmp_path / "followup.toml").write_text(settings, "utf-8")
    result = cli("sms", "plan", "--date", DAY)
    assert result.code == 2
    assert f"followup.toml: {where}:" in result.err


def test_daily_limit_holds_the_rest(cli, ledger: Path, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text(SETTINGS + "daily_limit = 1\n", "utf-8")
    got = plan(cli)
    assert ([m["patient_id"] for m in got["messages"]], got["held"]) == (["C2"], 1)
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
               "-O", str(tmp_path / "b.csv")).code == 0
    # the limit is the day's: the held one is not sent the same day
    assert plan(cli)["messages"] == []


# --- merging, reminders ------------------------------------------------------------------

def test_reasons_of_one_patient_merge_into_one_message(cli, ledger: Path,
                                                      tmp_path: Path) -> None:
    # C1's dressing-change call (surgery 2d) is due on 4 Nov, now marked to go by SMS too;
    # make C1 a member born on 4 Nov: a reminder and a greeting, one message
    (tmp_path / "sms.toml").write_text(TEXTS + "remind = true\n", "utf-8")
    conn = sqlite3.connect(ledger)
    conn.execute("INSERT INTO tasks (plan_key, patient_id, category, touchpoint, seq, "
                 "nominal_date, due_date, window, expires_on, status, planned_on) VALUES "
                 "('birthday/C1/2026/0d', 'C1', 'birthday', '0d', 0, ?, ?, 'any', "
                 "'2026-11-12', 'open', '2026-11-03')", (DAY, DAY))
    conn.commit()
    conn.close()
    got = [m for m in plan(cli, "--lang", "zh")["messages"] if m["patient_id"] == "C1"]
    assert [(m["template"], [r["kind"] for r in m["reasons"]], m["text"], m["variables"])
            for m in got] == [
        ("combined", ["reminder", "birthday"],
         "【美丽诊所】周晓雯您好，提醒您11-04到院换药。周晓雯您好，祝您生日快乐！回T退订",
         {"text": "周晓雯您好，提醒您11-04到院换药。周晓雯您好，祝您生日快乐！回T退订"})]


def test_a_reason_that_does_not_fit_is_left_out(cli, ledger: Path, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text(SETTINGS + 'max_parts = 1\nlang = "en"\n', "utf-8")
    conn = sqlite3.connect(ledger)
    conn.execute("INSERT INTO tasks (plan_key, patient_id, category, touchpoint, seq, "
                 "nominal_date, due_date, window, expires_on, status, planned_on) VALUES "
                 "('birthday/C2/2026/0d', 'C2', 'birthday', '0d', 0, ?, ?, 'any', "
                 "'2026-11-12', 'open', '2026-11-03')", (DAY, DAY))
    conn.commit()
    conn.close()
    (c2,) = [m for m in plan(cli, "--lang", "en")["messages"] if m["patient_id"] == "C2"]
    assert ([r["kind"] for r in c2["reasons"]], [r["kind"] for r in c2["left_out"]],
            c2["text"], c2["parts"]) == (["unreachable"], ["birthday"], EN_UNREACHABLE, 1)


def test_never_about_a_complaint_nor_to_a_wrong_number(cli, ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE patients SET phone_bad = 1 WHERE patient_id = 'C4'")
    conn.commit()
    conn.close()
    got = plan(cli)
    assert [m["patient_id"] for m in got["messages"]] == ["C2"]
    assert got["skipped"]["phone_bad"] == 1


# --- rules check -------------------------------------------------------------------------

def test_rules_check_passes_the_default_texts(cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    result = cli("rules", "check")
    assert result.code == 0, result.err


@pytest.mark.parametrize(("text", "lang", "message"), [
    ('[touchpoints.birthday."0d"]\ntext = { zh = "{name}生日快乐", en = "Happy birthday '
     '{name}! Reply T to opt out" }\n', "en",
     "touchpoints.birthday.0d.text.zh: a promotional text must carry the unsubscribe line "
     "'回T退订'"),
    ('[touchpoints.surgery."2d"]\ntext = { zh = "' + "请" * 150 + '", en = "x" }\n', "zh",
     "touchpoints.surgery.2d.text.zh：连签名 156 字，分 3 条发送（最多 2 条）"),
    ('[touchpoints.surgery."2d"]\ntext = { zh = "{name}{phone}", en = "x" }\n', "en",
     "touchpoints.surgery.2d.text.zh: unknown placeholder {phone}"),
    ('[touchpoints.surgery."9d"]\ntext = { zh = "您好", en = "Hello" }\n', "en",
     "touchpoints.surgery.9d: the rules have no such touchpoint"),
])
def test_rules_check_refuses_a_bad_text(cli, tmp_path: Path, text: str, lang: str,
                                        message: str) -> None:
    assert cli("init").code == 0
    (tmp_path / "followup.toml").write_text(SETTINGS, "utf-8")
    path = tmp_path / "sms.toml"
    path.write_text(text, "utf-8")
    result = cli("--lang", lang, "rules", "check", str(path))
    assert result.code == 2
    assert str(path) in result.err and message in result.err


def test_rules_check_warns_of_tencent_wording(cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    path = tmp_path / "sms.toml"
    path.write_text('[touchpoints.surgery."2d"]\ntext = { zh = "欢迎邀请到店复查", '
                    'en = "Come in" }\n', "utf-8")
    result = cli("rules", "check", str(path))
    assert result.code == 0
    assert "Tencent Cloud's review refuses wording like '邀请到店'" in result.err


# --- unsubscribing -----------------------------------------------------------------------

def test_sms_off_and_on_are_recorded_and_shown(cli, ledger: Path) -> None:
    result = cli("--lang", "zh", "patient", "sms-off", "C6", "--reason", "again")
    assert (result.code, result.err) == (2, "followup: C6 已经退订短信\n")
    assert cli("patient", "sms-on", "C4", "--reason", "x").err == \
        "followup: C4 has not unsubscribed from SMS\n"
    assert cli("patient", "sms-off", "C4").code == 2   # a reason is needed
    assert cli("patient", "sms-off", "C99", "--reason", "x").code == 2
    result = cli("patient", "sms-on", "C6", "--reason", "she asked for them back")
    assert (result.code, result.out) == (0, "C6 takes SMS again\n")
    assert "C6" in [m["patient_id"] for m in plan(cli)["messages"]]
    shown = cli("patient", "C6").out
    assert "unsubscribed from SMS" in shown and "SMS allowed again" in shown
    assert query(ledger, "SELECT action, reason FROM patient_events WHERE patient_id = 'C6' "
                         "ORDER BY event_id") == [("sms_off", "asked on the phone"),
                                                   ("sms_on", "she asked for them back")]


def test_timeline_shows_every_sms(cli, ledger: Path, tmp_path: Path) -> None:
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
               "-O", str(tmp_path / "b.csv")).code == 0
    history = cli("patient", "C2", "--format", "json").json()
    assert [(m["day"], m["status"], m["text"]) for m in history["sms"]] == [
        (DAY, "queued", ZH_UNREACHABLE)]   # in the patients' language, not the agent's
    assert history["patient"]["sms_off"] is False
    shown = cli("--lang", "zh", "patient", "C2").out
    assert "短信 #1" in shown and "短信待发送" in shown


@pytest.mark.parametrize(("value", "off"), [("是", True), ("yes", True), ("否", False)])
def test_import_column_unsubscribes(cli, tmp_path: Path, value: str, off: bool) -> None:
    export = write_export(tmp_path / "v.csv", [
        f"A9,C9,钱七,13900000009,2026-11-02,补水,成交,皮肤科,孙医生,马咨询,,,,,{value}"],
        header=HEADER + ",短信退订")
    result = cli("import", "visits", str(export), "--date", "2026-11-03")
    assert result.code == 0, result.err
    assert ("1 patient unsubscribed from SMS" in result.out) is off
    events = query(tmp_path / "ledger.db", "SELECT agent, action, reason FROM patient_events")
    assert events == ([("import", "sms_off", "import v.csv")] if off else [])
    # imported again: recorded once
    assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0
    assert len(query(tmp_path / "ledger.db", "SELECT 1 FROM patient_events")) == int(off)


def test_import_column_refuses_a_value_that_is_not_yes_or_no(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", [
        "A9,C9,钱七,13900000009,2026-11-02,补水,成交,皮肤科,孙医生,马咨询,,,,,也许"],
        header=HEADER + ",拒收短信")
    result = cli("import", "visits", str(export), "--date", "2026-11-03")
    assert result.code == 2
    assert "拒收短信" in result.err


# --- receipts ----------------------------------------------------------------------------

def _sent(cli, tmp_path: Path) -> None:  # noqa: ANN001
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
               "-O", str(tmp_path / "b.csv")).code == 0


def test_alibaba_status_json(cli, ledger: Path, tmp_path: Path) -> None:
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.json"
    receipt.write_text(json.dumps({"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": [
        {"PhoneNum": "13734567890", "SendStatus": 3, "ErrCode": "DELIVERED",
         "ReceiveDate": "2026-11-04 10:00:05"},
        {"PhoneNum": "13900000004", "SendStatus": 1, "ErrCode": ""}]}}), "utf-8")
    assert cli("sms", "result", str(receipt)).out == (
        "receipt: 1 delivered, 0 failed (back on the sheet), 1 pending, 0 read before, "
        "0 unknown\n")
    assert query(ledger, "SELECT status, status_at FROM sms ORDER BY sms_id") == [
        ("delivered", "2026-11-04 10:00:05"), ("queued", None)]


def test_tencent_status_json(cli, ledger: Path, tmp_path: Path) -> None:
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.json"
    receipt.write_text(json.dumps({"Response": {"PullSmsSendStatusSet": [
        {"PhoneNumber": "+8613734567890", "ReportStatus": "FAIL", "Description": "blocked",
         "UserReceiveTime": "2026-11-04 10:00:09"},
        {"PhoneNumber": "+8613900000004", "ReportStatus": "SUCCESS",
         "Description": "user received"},
        {"PhoneNumber": "+8613111111111", "ReportStatus": "SUCCESS"}]}}), "utf-8")
    assert cli("sms", "result", str(receipt)).out == (
        "receipt: 1 delivered, 1 failed (back on the sheet), 0 pending, 0 read before, "
        "1 unknown\n")
    assert query(ledger, "SELECT status, status_detail FROM sms ORDER BY sms_id") == [
        ("failed", "blocked"), ("delivered", "user received")]


@pytest.mark.parametrize(("content", "where"), [
    ("号码,结果\n13734567890,成功\n", "line 2"),
    ('{"a": 1', "line 1"),
    ("手机号码,发送状态\n1234,成功\n", "line 2"),
    ("", "-"),
])
def test_bad_receipt_says_where(cli, ledger: Path, tmp_path: Path, content: str,
                                where: str) -> None:
    receipt = tmp_path / "r.csv"
    receipt.write_text(content, "utf-8")
    result = cli("sms", "result", str(receipt))
    assert result.code == 2
    assert result.err.startswith(f"followup: {receipt} ({where}): not a receipt")
    assert "13734567890" not in result.err


@pytest.mark.parametrize(("lang", "content", "err"), [
    ("en", "手机号码,发送状态\n13734567890,成功\n13900000004,送达\n",
     "(line 3): not a receipt followup can read: unknown status 送达 (known: "),
    ("zh", "手机号码,发送状态\n13734567890,成功\n13900000004,xyz\n",
     "（第 3 行）：读不懂的回执：读不懂的状态 xyz（可识别的有："),
    ("en", "手机号码,发送状态\n13734567890,\n", "(line 2): not a receipt followup can read: "
     "the status is empty\n"),
    ("zh", "手机号码,发送状态\n13734567890,\n", "（第 2 行）：读不懂的回执：状态为空\n"),
    ("en", "{}", "(record 1): not a receipt followup can read: no phone column (such as "
     "手机号码 or PhoneNumber)\n"),
    ("zh", '[{"PhoneNumber": "+8613734567890"}]',
     "（第 1 条）：读不懂的回执：没有状态列（如 发送状态 或 SendStatus）\n"),
])
def test_an_unreadable_status_is_named_and_nothing_is_marked(cli, ledger: Path, tmp_path: Path,
                                                             lang: str, content: str,
                                                             err: str) -> None:
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.csv"
    receipt.write_text(content, "utf-8")
    result = cli("--lang", lang, "sms", "result", str(receipt))
    assert result.code == 2
    assert result.err.startswith(f"followup: {receipt}")
    assert err in result.err
    assert query(ledger, "SELECT DISTINCT status FROM sms") == [("queued",)]


def test_a_status_not_yet_known_is_pending(cli, ledger: Path, tmp_path: Path) -> None:
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.csv"
    receipt.write_text("手机号码,发送状态\n13734567890,等待回执\n", "utf-8")
    assert "0 delivered, 0 failed (back on the sheet), 1 pending" in \
        cli("sms", "result", str(receipt)).out


# --- the report --------------------------------------------------------------------------

def test_report_counts_sms_by_category_never_as_calls(cli, ledger: Path, tmp_path: Path) -> None:
    before = cli("report", "--month", "2026-11", "--format", "json").json()
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.csv"
    receipt.write_text("手机号码,发送状态\n13734567890,失败\n", "utf-8")
    assert cli("sms", "result", str(receipt)).code == 0
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert {k: report[k] for k in ("sms_sent", "sms_queued", "sms_delivered", "sms_failed",
                                   "sms_by_category")} == {
        "sms_sent": 2, "sms_queued": 1, "sms_delivered": 0, "sms_failed": 1,
        "sms_by_category": {
            "birthday": {"sent": 1, "queued": 1, "delivered": 0, "failed": 0},
            "medium": {"sent": 1, "queued": 0, "delivered": 0, "failed": 1}}}
    assert (report["attempts"], report["reached"]) == (before["attempts"], before["reached"])
    assert "SMS" in cli("report", "--month", "2026-11").out
    zh = cli("--lang", "zh", "report", "--month", "2026-11").out
    assert "已发短信" in zh and "发送失败" in zh


def test_a_later_years_birthdays_are_planned_first(cli, ledger: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta

    assert query(ledger, "SELECT 1 FROM tasks WHERE plan_key LIKE 'birthday/C4/2029/%'") == []
    # a day's SMS are planned at most 30 days ahead: the clock is a day before
    monkeypatch.setattr(clock, "now", lambda: datetime(2029, 1, 1, 10, 0))
    assert cli("sms", "plan", "--date", "2029-01-02").code == 0
    ((due,),) = query(ledger, "SELECT due_date FROM tasks "
                              "WHERE plan_key LIKE 'birthday/C4/2029/%'")
    before = datetime.fromisoformat(due) - timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: before)
    assert "C4" in [m["patient_id"] for m in plan_on(cli, due)["messages"]]


def plan_on(cli, day: str) -> dict:  # noqa: ANN001
    result = cli("sms", "plan", "--date", day, "--format", "json")
    assert result.code == 0, result.err
    return result.json()


def test_plan_table(cli, ledger: Path, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text(SETTINGS + 'lang = "en"\n', "utf-8")
    result = cli("sms", "plan", "--date", DAY)
    assert result.code == 0
    assert result.out == TABLE
    assert result.err == ""
    assert cli("sms", "plan", "--date", "2026-12-30").out == "no SMS to send for 2026-12-30\n"


TABLE = """\
SMS of 2026-11-04: 2
┏━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Patient ┃ Phone       ┃ Why                    ┃ Text                        ┃ Length            ┃
┡━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ C2      │ 137****7890 │ three calls unanswered │ 【美丽诊所】Dear 冯雪, we   │ 68 chars / 1 part │
│ 冯雪    │             │                        │ tried to call you about     │                   │
│         │             │                        │ 光子嫩肤. Please call us    │                   │
│         │             │                        │ back.                       │                   │
│ C4      │ 139****0004 │ birthday greeting      │ 【美丽诊所】Dear 李娜,      │ 49 chars / 1 part │
│ 李娜    │             │                        │ happy birthday! Reply T to  │                   │
│         │             │                        │ opt out                     │                   │
└─────────┴─────────────┴────────────────────────┴─────────────────────────────┴───────────────────┘
"""


def test_one_days_batch_in_every_format_is_queued_once(cli, ledger: Path,
                                                       tmp_path: Path) -> None:
    files = []
    for fmt, suffix in (("csv", "csv"), ("aliyun", "json"), ("tencent", "json"),
                        ("xlsx", "xlsx")):
        files.append(tmp_path / f"batch-{fmt}.{suffix}")
        result = cli("sms", "export", "--date", DAY, "--at", AT, "--format", fmt,
                     "-O", str(files[-1]))
        assert result.code == 0, result.err
    assert all(f.exists() for f in files)
    assert query(ledger, "SELECT patient_id, sms_key, status FROM sms ORDER BY sms_id") == [
        ("C2", f"C2/{DAY}", "queued"), ("C4", f"C4/{DAY}", "queued")]
    assert [a for (a,) in query(ledger, "SELECT action FROM audit ORDER BY rowid")] == [
        f"sms export --date {DAY} --format {fmt}" for fmt in ("csv", "aliyun", "tencent", "xlsx")]
    timeline = cli("patient", "C2", "--format", "json").json()
    assert len(timeline["sms"]) == 1
    assert plan(cli)["sent"] == 2
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["sms_sent"], report["sms_queued"]) == (2, 2)
    assert plan(cli)["sent"] == 2   # as the report counts them
    # the aliyun file holds the same numbers and variables as the csv one
    request = json.loads(files[1].read_text("utf-8"))["Requests"]
    assert sorted(n for r in request for n in json.loads(r["PhoneNumberJson"])) == [
        "13734567890", "13900000004"]


def test_a_day_sent_again_counts_once_in_the_report(cli, ledger: Path, tmp_path: Path) -> None:
    _sent(cli, tmp_path)
    assert cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv", "--again",
               "-O", str(tmp_path / "b.csv")).code == 0
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["sms_sent"], report["sms_queued"]) == (2, 2)
    assert plan(cli)["sent"] == 2   # as the report counts them


def test_sent_again_after_a_receipt_only_what_did_not_arrive(cli, ledger: Path,
                                                              tmp_path: Path) -> None:
    """A delivered message is not queued again, and the report keeps each patient-day's
    best status: the first copy's delivery or failure is not lost to a later copy."""
    _sent(cli, tmp_path)
    receipt = tmp_path / "r.csv"
    receipt.write_text("手机号码,发送状态\n13734567890,失败\n13900000004,成功\n", "utf-8")
    assert cli("sms", "result", str(receipt)).code == 0
    again = cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv", "--again",
                "-O", str(tmp_path / "b.csv"))
    assert again.code == 0, again.err
    assert query(ledger, "SELECT sms_key, status FROM sms ORDER BY sms_id") == [
        (f"C2/{DAY}", "failed"), (f"C4/{DAY}", "delivered"), (f"C2/{DAY}/2", "queued")]
    report = cli("report", "--month", "2026-11", "--format", "json").json()
    assert (report["sms_sent"], report["sms_delivered"], report["sms_failed"],
            report["sms_queued"]) == (2, 1, 1, 0)


def test_the_messages_are_in_the_clinics_language_whoever_prepares_them(
        cli, ledger: Path) -> None:
    """An agent working in English prepares the batch Chinese patients read."""
    texts = [m["text"] for m in plan(cli, "--lang", "en")["messages"]]
    assert texts[0] == ZH_UNREACHABLE


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("SMS sent", "Queued", "Delivered", "Failed", "Total")),
    ("zh", ("已发短信", "发送失败")),
])
def test_report_files_have_the_sms_figures(cli, ledger: Path, tmp_path: Path, lang: str,
                                           words: tuple[str, ...]) -> None:
    from openpyxl import load_workbook

    from followup_cli.i18n import set_lang, t

    _sent(cli, tmp_path)
    receipt = tmp_path / "r.csv"
    receipt.write_text("手机号码,发送状态\n13734567890,失败\n", "utf-8")
    assert cli("sms", "result", str(receipt)).code == 0
    page = tmp_path / "r.html"
    result = cli("--lang", lang, "report", "--month", "2026-11", "--format", "html",
                 "-O", str(page))
    assert result.code == 0, result.err
    text = page.read_text("utf-8")
    for word in words:
        assert word in text, word
    book = tmp_path / "r.xlsx"
    assert cli("--lang", lang, "report", "--month", "2026-11", "--format", "xlsx",
               "-O", str(book)).code == 0
    set_lang(lang)
    sheet = load_workbook(book)[t("SMS")]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[-1] == [t("Total"), 2, 1, 0, 1]
    assert len(rows) == 4   # the header, birthday, medium, the total
    csv = cli("report", "--month", "2026-11", "--format", "csv").out.splitlines()
    head, whole = csv[0].split(","), csv[1].split(",")
    assert whole[head.index("sms_medium_failed")] == "1"
    assert whole[head.index("sms_birthday_queued")] == "1"


def test_a_default_text_the_clinics_rules_do_not_call_for_is_only_a_warning(
        cli, tmp_path: Path) -> None:
    """A clinic's rules without birthdays leave the default birthday text unsent: rules check
    says so and passes (the clinic cannot edit the default file)."""
    rules = tmp_path / "rules.toml"
    rules.write_text('[categories.birthday]\ntouchpoints = []\n', encoding="utf-8")
    result = cli("--lang", "en", "rules", "check", str(rules))
    assert result.code == 0, result.err
    assert "touchpoints.birthday.0d: the rules have no such touchpoint (the text is never " \
           "sent)" in result.err


@pytest.mark.parametrize("name", ["", "\u200b", "a\x1b[31mb"])
def test_the_sender_named_is_checked_like_any_agent(cli, ledger: Path, tmp_path: Path,
                                                    name: str) -> None:
    result = cli("sms", "export", "--date", DAY, "--at", AT, "--format", "csv",
                 "-O", str(tmp_path / "b.csv"), "--agent", name)
    assert result.code == 2, result.err
    assert not (tmp_path / "b.csv").exists()
    conn = sqlite3.connect(ledger)
    assert conn.execute("SELECT count(*) FROM sms").fetchone()[0] == 0


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "the batch is timed for 2026-11-04 08:00: nothing is sent now"),
    ("zh", "本批次定于 2026-11-04 08:00 发送：现在不会发出任何短信"),
])
def test_a_later_days_batch_says_when_it_is_timed(cli, ledger: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, lang: str,
                                                  said: str) -> None:
    """Exported the evening before, the batch is timed at the day's first sending hour:
    the output says so, so nobody reads it as sent."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 3, 18, 0))
    result = cli("--lang", lang, "sms", "export", "--date", DAY, "--format", "csv", "-O",
                 str(tmp_path / "b.csv"))
    assert result.code == 0, result.err
    assert said in result.out.splitlines()[1]
    assert query(ledger, "SELECT DISTINCT send_at FROM sms") == [("2026-11-04T08:00",)]


@pytest.mark.parametrize(("day", "code"), [("2026-12-04", 0), ("2026-12-05", 2),
                                           ("2030-01-01", 2)])
def test_a_batch_is_exported_at_most_30_days_ahead(cli, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, day: str,
                                                   code: int) -> None:
    """`sms export --date 2030-01-01` was taken, its messages queued for years."""
    from datetime import datetime

    from followup_cli import clock

    assert cli("init").code in (0, 2)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 10, 0))
    out = tmp_path / "batch.csv"
    result = cli("sms", "export", "--date", day, "--format", "csv", "-O", str(out))
    assert result.code == code, result.err
    if code:
        assert result.err == (f"followup: {day} is more than 30 days ahead: a day's SMS are "
                              "planned and exported at most 30 days before it\n")
        assert not out.exists()


def test_the_days_note_says_exported_not_sent() -> None:
    """`sms plan` said "9 already sent for 2026-11-30" of a batch only exported and queued."""
    from followup_cli.i18n import set_lang, t

    set_lang("zh")
    try:
        said = t("{count} already exported for {date}", count=9, date="2026-11-30")
    finally:
        set_lang(None)
    assert said.startswith("2026-11-30 已经导出过 9 条") and "发送过" not in said
