"""What users type that cannot be real: invisible texts, impossible phone numbers, times in
the future or outside the calendar, counts and files too large. Each is refused by name
(exit 2), never an internal error, and the ledger is left as it was."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli import clock
from followup_cli.phones import normalise_phone
from followup_cli.text import given, visible_length

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"
COMPLAINT = "患者对术后肿胀时间过长不满意，要求主治医生当面解释原因。"
ROWS = [
    # surgery on 2 Nov: 1d 11-03, 2d 11-04, 3d 11-05, 6d 11-08, 7d 11-09
    "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
    # no-show on 2 Nov: 1d 11-03, on the sheet until 11-10
    "A2,C2,朱婷,13190123456,2026-11-02,吸脂,未到诊,整形外科,吴医生,林咨询,,,,",
]
# zero-width space, zero-width joiner, word joiner, BOM, soft hyphen, a bidi mark, a
# Hangul filler, a control character, an ideographic space
INVISIBLE = "\u200b\u200d\u2060\ufeff\u00ad\u202e\u3164\x07\u3000"


@pytest.fixture
def ledger(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_once) -> Path:  # noqa: ANN001
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 16, 0))

    def build() -> None:
        export = write_export(tmp_path / "visits.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def dump(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for table in ("attempts", "tasks", "complaints", "complaint_events",
                                       "patient_events", "patients")
                for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
    finally:
        conn.close()


def refused(cli, db: Path, *args: str) -> str:  # noqa: ANN001
    """Run a line that must be refused: exit 2, one line, the ledger unchanged."""
    before = dump(db)
    result = cli(*args)
    assert result.code == 2, (result.code, result.out, result.err)
    assert "internal error" not in result.err and result.err.count("\n") == 1, result.err
    assert dump(db) == before
    return result.err


# --- texts: what is required must be visible --------------------------------------------

def test_invisible_characters_are_not_text() -> None:
    assert not given(INVISIBLE) and not given("") and not given(None)
    assert given(f"{INVISIBLE}x")
    assert visible_length("患者 反馈\u200b恢复") == 6
    assert visible_length(NOTE) == len(NOTE)


def test_a_reason_of_invisible_characters_is_no_reason(cli, ledger: Path) -> None:
    assert cli("log", "--patient", "C2", "-o", "do_not_call", "--when",
               "2026-11-03T15:00").code == 0
    attempt = cli("log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00",
                  "--format", "json").json()["attempt_id"]
    for line in (["log", "--void", str(attempt), "--reason", INVISIBLE],
                 ["log", "--amend", str(attempt), "-o", "busy", "--reason", INVISIBLE],
                 ["patient", "allow-calls", "C2", "--reason", INVISIBLE]):
        assert refused(cli, ledger, *line) == "followup: give the reason with --reason\n"


def test_invisible_characters_do_not_count_towards_a_note(cli, ledger: Path) -> None:
    padded = "患者恢复良好" + "\u200b" * 30    # 6 characters a reader sees
    err = refused(cli, ledger, "log", "--patient", "C1", "-o", "reached", "--note", padded,
                  "--when", "2026-11-03T15:00")
    assert err == ("followup: a call logged as reached needs a note of at least 20 characters (got 6; "
                   "punctuation and spaces do not count)\n")
    refused(cli, ledger, "log", "--patient", "C1", "-o", "complaint", "--note",
            INVISIBLE * 10, "--when", "2026-11-03T15:00")


def test_a_complaint_step_needs_a_visible_note(cli, ledger: Path) -> None:
    case = cli("log", "--patient", "C1", "-o", "投诉", "--note", COMPLAINT, "--when",
               "2026-11-03T15:00", "--format", "json").json()["complaint_id"]
    err = refused(cli, ledger, "complaint", "ack", str(case), "--note", INVISIBLE,
                  "--when", "2026-11-04T09:00")
    assert err == "followup: give --note: what was done\n"


# --- phone numbers that cannot be real ----------------------------------------------------

@pytest.mark.parametrize("raw", [
    "00000000000", "000-0000-0000", "+86 00000000000", "0000000000", "11111111111",
    "99999999999", "01000000000", "020-00000000", "0755-0000000", "00012345678",
])
def test_impossible_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


@pytest.mark.parametrize(("raw", "phone"), [
    ("13999999999", "13999999999"), ("010-88888888", "01088888888"),
    ("021 6888 8888", "02168888888"), ("0571-87654321", "057187654321"),
    ("0898-6543210", "08986543210"),
])
def test_real_numbers_still_pass(raw: str, phone: str) -> None:
    assert normalise_phone(raw) == phone


def test_set_phone_refuses_an_impossible_number(cli, ledger: Path) -> None:
    err = refused(cli, ledger, "patient", "set-phone", "C2", "00000000000")
    assert err == "followup: not a mainland mobile or landline number\n"


def test_an_import_refuses_an_impossible_number(cli, ledger: Path, tmp_path: Path) -> None:
    export = write_export(tmp_path / "zeros.csv",
                          ["A9,C9,王五,00000000000,2026-11-02,双眼皮,成交,,,,,,,"])
    result = cli("import", "visits", str(export), "--date", "2026-11-02")
    assert result.code == 2 and "not a mainland mobile or landline number" in result.err


# --- the patient's timeline shows every decision ------------------------------------------

def test_a_patient_with_decisions_on_record_can_be_shown(cli, ledger: Path) -> None:
    assert cli("log", "--patient", "C1", "-o", "wrong_number", "--when",
               "2026-11-03T15:00").code == 0
    assert cli("log", "--patient", "C2", "-o", "do_not_call", "--when",
               "2026-11-03T15:05").code == 0
    for lang, texts in (("en", ("wrong number", "do not call")), ("zh", ("号码错误", "设为勿扰"))):
        for patient, text in zip(("C1", "C2"), texts, strict=True):
            shown = cli("--lang", lang, "patient", patient)
            assert shown.code == 0, shown.err
            assert text in shown.out


# --- times: nothing done in the future, nothing outside the calendar ---------------------

@pytest.mark.parametrize(("when", "ok"), [
    ("2026-11-04T16:05", True),     # five minutes of two clocks disagreeing
    ("2026-11-04T16:06", False), ("2027-01-01T10:00", False), ("2099-01-01 10:00", False),
])
def test_a_call_in_the_future_is_refused(cli, ledger: Path, when: str, ok: bool) -> None:
    line = ("log", "--patient", "C1", "-o", "no_answer", "--when", when)
    if ok:
        assert cli(*line).code == 0
        return
    err = refused(cli, ledger, *line)
    assert err.startswith(f"followup: --when {when.replace('T', ' ')} is in the future "
                          "(now 2026-11-04 16:00)")


def test_an_amended_call_cannot_move_into_the_future(cli, ledger: Path) -> None:
    attempt = cli("log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00",
                  "--format", "json").json()["attempt_id"]
    err = refused(cli, ledger, "log", "--amend", str(attempt), "--when", "2026-12-01T15:00",
                  "--reason", "记错了时间")
    assert "--when 2026-12-01 15:00 is in the future" in err


@pytest.mark.parametrize("action", ["ack", "resolve", "close"])
def test_a_complaint_step_in_the_future_is_refused(cli, ledger: Path, action: str) -> None:
    case = cli("log", "--patient", "C1", "-o", "投诉", "--note", COMPLAINT, "--when",
               "2026-11-03T15:00", "--format", "json").json()["complaint_id"]
    err = refused(cli, ledger, "complaint", action, str(case), "--note", "已处理",
                  "--when", "2026-11-05 09:00")
    assert "--when 2026-11-05 09:00 is in the future" in err


@pytest.mark.parametrize("line", [
    ["log", "--patient", "C1", "-o", "no_answer", "--when", ""],
    ["log", "--patient", "C1", "-o", "callback_requested", "--at", ""],
    ["log", "--patient", "C1", "-o", "no_answer", "--when", "  "],
    ["complaint", "ack", "1", "--note", "x", "--when", ""],
    ["due", "--date", ""], ["due", "--date", "2026-11-04", "--time", ""],
    ["report", "--from", "", "--to", "2026-11-30"], ["patient", "C1", "--date", ""],
])
def test_an_empty_value_is_not_now(cli, ledger: Path, line: list[str]) -> None:
    option = next(a for a, b in zip(line, line[1:], strict=False) if not b.strip())
    assert refused(cli, ledger, *line) == (
        f"followup: {option} is empty: give a value or leave the option out\n")


@pytest.mark.parametrize("line", [
    ["log", "--patient", "C1", "-o", "no_answer", "--when", "0001-01-01"],
    ["log", "--patient", "C1", "-o", "no_answer", "--when", "1899-12-31T23:59"],
    ["log", "--patient", "C1", "-o", "callback_requested", "--when", "2026-11-03T15:00",
     "--at", "9999-12-31T23:59"],
    ["complaint", "close", "1", "--note", "x", "--when", "9999-12-31 23:59"],
    ["report", "--month", "9999-12"], ["report", "--month", "0001-01"],
    ["report", "--from", "0001-01-01", "--to", "2026-11-30"],
])
def test_a_year_outside_the_calendar_is_refused_by_name(cli, ledger: Path,
                                                         line: list[str]) -> None:
    assert "the year must be 1900 to 9000" in refused(cli, ledger, *line)


def test_a_time_with_an_offset_is_refused(cli, ledger: Path) -> None:
    err = refused(cli, ledger, "due", "--date", "2026-11-04", "--time", "00:00+08:00")
    assert err == "followup: --time 00:00+08:00: expected HH:MM\n"


def test_the_longest_period_is_reported(cli, ledger: Path) -> None:
    result = cli("report", "--from", "1900-01-01", "--to", "9000-12-31", "--format", "json")
    assert result.code == 0, result.err
    assert (result.json()["from"], result.json()["due"]) == ("1900-01-01", 4)


@pytest.mark.parametrize("zone", ["garbage", "Asia/Nowhere", "../../etc/passwd", "UTC+8"])
def test_an_unknown_time_zone_is_refused_by_name(cli, tmp_path: Path, monkeypatch,  # noqa: ANN001
                                                  zone: str) -> None:
    assert cli("init").code == 0
    monkeypatch.setenv("FOLLOWUP_TZ", zone)
    for line in (["due", "--today"], ["log", "--patient", "C1", "-o", "busy"],
                 ["complaint", "list"]):
        result = cli(*line)
        assert (result.code, result.err) == (2, f"followup: FOLLOWUP_TZ={zone}: unknown time "
                                                "zone (e.g. Asia/Shanghai)\n")


# --- counts and files too large to be real ---------------------------------------------

def test_a_demo_too_large_is_refused_by_name(cli) -> None:  # noqa: ANN001
    for size in ("99999999999999999999", "20001"):
        result = cli("init", "--demo", "--patients", size)
        assert result.code == 2 and size in result.err
        assert "is not in the range 10<=x<=20000" in result.err


def test_a_shift_of_thousands_of_agents_is_refused(cli, ledger: Path) -> None:
    names = ",".join(f"agent{i}" for i in range(5000))
    err = refused(cli, ledger, "assign", "--date", "2026-11-04", "--agents", names)
    assert err == "followup: --agents: at most 200 agents on a shift (5000 given)\n"
    shares = cli("assign", "--date", "2026-11-04", "--agents", "王芳,\u200b, ,李娜")
    assert shares.code == 0 and "\u200b" not in shares.out
    assert [line.split()[1] for line in shares.out.splitlines() if "│" in line][-2:] == [
        "王芳", "李娜"]


@pytest.mark.parametrize("line", [
    ["rules", "check", "{big}"], ["--rules", "{big}", "rules", "show"],
    ["--calendar", "{big}", "due", "--date", "2026-11-04"], ["calendar", "check", "{big}"],
    ["rules", "check", "/dev/zero"],
])
def test_a_settings_file_is_read_at_most_a_megabyte(cli, ledger: Path, tmp_path: Path,  # noqa: ANN001
                                                     line: list[str]) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 110_000, encoding="utf-8")   # valid TOML, 1.1 MB
    args = [a.format(big=big) for a in line]
    shown = next(a for a in args if a.endswith(("big.toml", "/dev/zero")))
    assert refused(cli, ledger, *args) == (
        f"followup: {shown}: larger than 1 MB, not a settings file\n")


def test_the_clinic_settings_file_too(cli, ledger: Path, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text("# padding\n" * 110_000, encoding="utf-8")
    assert "larger than 1 MB" in refused(cli, ledger, "report", "--month", "2026-11")


@pytest.mark.parametrize("agent", ["\u200b", "x" * 41, "王\x1b]0;t\x07芳", "  "])
def test_an_agent_is_a_name(cli, ledger: Path, agent: str) -> None:
    for line in (["log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00",
                  "--agent", agent],
                 ["patient", "C1", "--reveal", "--agent", agent]):
        err = refused(cli, ledger, *line)
        assert err == ("followup: the agent's name must be visible text of at most 40 "
                       "characters, without control characters (--agent)\n"), line


@pytest.mark.parametrize("given_id", ["", "  ", "\u200b"])
def test_an_empty_patient_id_is_refused(cli, ledger: Path, given_id: str) -> None:
    for line in (["patient", given_id], ["log", "--patient", given_id, "-o", "no_answer",
                                         "--when", "2026-11-03T15:00"]):
        assert refused(cli, ledger, *line) == "followup: a patient id is needed (not empty)\n"


@pytest.mark.parametrize(("line", "option"), [
    (["due", "-d", "2026-11-03", "-d", "2026-11-04"], "--date / -d"),
    (["due", "--date", "2026-11-03", "--format", "json", "--format=csv"], "--format"),
    (["report", "--month", "2026-10", "--month", "2026-11"], "--month"),
    (["log", "--patient", "C1", "-o", "no_answer", "-o", "reached", "--when",
      "2026-11-03T15:00"], "--outcome / -o"),
    (["sms", "plan", "--date", "2026-11-03", "--date", "2026-11-04"], "--date"),
    (["assign", "--agents", "王芳", "--agents", "李娜", "--date", "2026-11-03"], "--agents"),
    (["patient", "C1", "--agent", "王芳", "--agent", "李娜"], "--agent"),
    (["--lang", "en", "--lang", "zh", "due", "--today"], "--lang"),
])
def test_a_single_value_option_given_twice_is_refused(cli, ledger: Path, line: list[str],
                                                      option: str) -> None:
    """Typer's parser kept the last of `-d A -d B` silently: one of them was a mistake."""
    assert refused(cli, ledger, *line) == f"followup: {option} is given twice: give it once\n"


def test_options_that_collect_values_and_flags_may_repeat(cli, ledger: Path) -> None:
    assert cli("due", "--today", "--today", "--format", "json").code == 0
    group = cli("report", "--db", str(ledger), "--db", str(ledger), "--month", "2026-11")
    assert "are the same ledger" in group.err   # read as a group report, then refused
