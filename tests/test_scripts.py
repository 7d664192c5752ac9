"""Call scripts: complete for the default pack in both languages, validated, filled."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_export

from followup_cli.rules import load_rules
from followup_cli.scripts import DEFAULT_PATH, load_scripts, missing, script_for

RULES = load_rules()
SCRIPTS = load_scripts()


@pytest.mark.parametrize(("category", "touchpoint"), [
    (c.id, tp.id) for c in RULES.categories.values() for tp in c.touchpoints])
def test_every_touchpoint_has_a_script_in_both_languages(category: str,
                                                         touchpoint: str) -> None:
    questions, _ = SCRIPTS.touchpoints[(category, touchpoint)]
    assert questions
    for lang in ("zh", "en"):
        filled = script_for(SCRIPTS, category, touchpoint, lang, {
            "name": "周晓雯", "project": "双眼皮", "doctor": "吴医生", "days": 6,
            "next": "2026-12-01", "clinic": "美丽诊所", "agent": "王芳"})
        text = " ".join([filled["greeting"], *filled["questions"], *filled["worries"].values(),
                         filled["closing"]])
        assert "{" not in text, text
        assert "周晓雯" in filled["greeting"] and "美丽诊所" in filled["greeting"]


def test_a_missing_script_is_reported(cli, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[categories.dental]\nkind = "treated"\nmatch = ["种植牙"]\n'
                     'touchpoints = [{ offset = "1d", purpose = "术后次日" }]\n',
                     encoding="utf-8")
    assert missing(SCRIPTS, load_rules(rules)) == ["dental.1d"]
    result = cli("rules", "check", str(rules))
    assert result.code == 2
    assert result.err == "followup: scripts.toml: these touchpoints have no script: dental.1d\n"
    scripts = tmp_path / "scripts.toml"
    scripts.write_text('[touchpoints.dental."1d"]\nquestions = [{ zh = "{name}您好，种植牙术后'
                       '感觉如何？", en = "{name}, how do you feel after the implant?" }]\n',
                       encoding="utf-8")
    unsigned = cli("rules", "check", str(rules), str(scripts))   # issue 19: and its signs
    assert unsigned.code == 2
    assert unsigned.err == f"followup: {scripts}: these touchpoints list no warning signs: " \
                           "dental.1d\n"
    with scripts.open("a", encoding="utf-8") as more:
        more.write('signs = ["bleeding", "fever"]\n')
    both = cli("rules", "check", str(rules), str(scripts))
    assert both.code == 0, both.err
    assert both.out.splitlines()[-2:] == [f"{scripts}: valid scripts for 36 touchpoints",
                                          "31 warning signs, listed for every touchpoint"]
    assert cli("rules", "check").code == 0     # the files next to the ledger


@pytest.mark.parametrize(("text", "message"), [
    ('[common]\ngreeting = { zh = "您好{nmae}" , en = "Hi {name}" }',
     "common.greeting.zh: unknown placeholder {nmae}"),
    ('[common]\ngreeting = { zh = "您好" }',
     "common.greeting: expected { zh = \"…\", en = \"…\" }"),
    ('[touchpoints.surgery."1d"]\nquestions = []', "touchpoints.surgery.1d.questions: at least"),
    ('[touchpoints.surgery."1d"]\nquestions = [{ zh = "a", en = "b" }]\nworries = ["pain"]',
     "touchpoints.surgery.1d.worries[0]: 'pain' is not in [worries]"),
])
def test_scripts_errors_are_located(cli, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "scripts.toml"
    bad.write_text(text, encoding="utf-8")
    result = cli("rules", "check", str(bad))
    assert result.code == 2
    assert result.err.startswith(f"followup: {bad}: {message}")


def test_script_command_fills_the_patient(cli, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text('[clinic]\nname = "美丽诊所"\n', encoding="utf-8")
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,"])
    cli("import", "visits", str(export), "--date", "2026-11-02")
    [task] = [r for r in cli("due", "--date", "2026-11-08", "--format", "json").json()
              if r["touchpoint"] == "6d"]
    result = cli("script", str(task["task_id"]), "--date", "2026-11-08", "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["greeting"] == ("Hello, am I speaking with 周晓雯? This is tester from 美丽诊所's "
                                "patient care team. Do you have two or three minutes for a "
                                "short follow-up call?")
    assert data["identity"] == "To protect your privacy, may I confirm: you had 双眼皮 with us " \
                               "6 days ago?"
    assert data["purpose"] == "Day 6: stitch-removal reminder"
    assert list(data["worries"]) == ["scars"]
    assert "2026-11-09" in data["closing"]         # the next call of the visit: day 7
    chinese = cli("--lang", "zh", "script", str(task["task_id"]))
    assert "提醒您明天是拆线的时间" in chinese.out
    assert cli("script", "999").code == 2


def test_the_script_keeps_its_indentation_and_its_dates_on_a_narrow_terminal(
        cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,[/]周[b]晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,"])
    cli("import", "visits", str(export), "--date", "2026-11-02")
    [task] = [r for r in cli("due", "--date", "2026-11-08", "--format", "json").json()
              if r["touchpoint"] == "6d"]
    for columns in range(24, 61):
        monkeypatch.setenv("COLUMNS", str(columns))
        result = cli("--lang", "zh", "script", str(task["task_id"]), "--date", "2026-11-08")
        assert result.code == 0, result.err
        assert result.out.startswith(f"#{task['task_id']} [/]周[b]晓雯"), columns
        body = result.out.split("\n\n", 1)[1].splitlines()   # below the title
        headings = {"开场与核对身份", "询问", "警示症状（出现任何一项：登记 --sign，立即通知医生）",
                    "常见担心的解答", "结束语"}
        assert all(line in headings or line.startswith("  ") for line in body if line), columns
        assert "2026-11-09" in result.out, columns   # the next call's date is never split


def test_the_default_file_is_shipped() -> None:
    assert Path(DEFAULT_PATH).is_file()


@pytest.mark.parametrize(("category", "touchpoint"), [
    ("no_show", "1d"), ("consult", "3d"), ("consult", "1m"), ("birthday", "0d")])
def test_a_visit_without_treatment_is_not_checked_as_one(category: str, touchpoint: str) -> None:
    """A no-show's script said "您是4天前在我们这里做的深层清洁" and wished a smooth recovery:
    the patient never came. Categories whose visit was no treatment have their own identity
    check and closing."""
    values = {"name": "胡静", "project": "深层清洁", "doctor": "李医生", "days": 4,
              "next": "2026-12-01", "clinic": "本院", "agent": "王芳"}
    zh = script_for(SCRIPTS, category, touchpoint, "zh", values)
    en = script_for(SCRIPTS, category, touchpoint, "en", values)
    assert "做的" not in zh["identity"] and "恢复" not in zh["closing"]
    assert "you had 深层清洁" not in en["identity"] and "recovery" not in en["closing"]
    treated = script_for(SCRIPTS, "low", "3d", "zh", values)
    assert treated["identity"] == "为保护您的隐私，先跟您核对一下：您是4天前在我们这里做的深层清洁，对吗？"


def test_a_clinic_may_change_one_text_of_a_category(tmp_path: Path) -> None:
    own = tmp_path / "scripts.toml"
    own.write_text('[common.no_show]\nidentity = { zh = "您预约过{project}吗？", '
                   'en = "Did you book {project}?" }\n', encoding="utf-8")
    scripts = load_scripts(own)
    values = {"name": "胡静", "project": "深层清洁", "days": 4, "next": "-", "clinic": "本院",
              "agent": "王芳", "doctor": "李医生"}
    filled = script_for(scripts, "no_show", "1d", "zh", values)
    assert filled["identity"] == "您预约过深层清洁吗？"
    assert filled["closing"] == script_for(SCRIPTS, "no_show", "1d", "zh", values)["closing"]


@pytest.mark.parametrize(("text", "message"), [
    ('[common.no_show]\nopening = { zh = "a", en = "b" }', "common.no_show: expected a category"),
    ('[common.no_show]\nidentity = { zh = "a" }', "common.no_show.identity: expected"),
    ('[common.no_show]\nclosing = { zh = "{nmae}", en = "b" }',
     "common.no_show.closing.zh: unknown placeholder {nmae}"),
])
def test_a_categorys_own_texts_are_checked(cli, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "scripts.toml"
    bad.write_text(text, encoding="utf-8")
    result = cli("rules", "check", str(bad))
    assert result.code == 2
    assert result.err.startswith(f"followup: {bad}: {message}"), result.err


COMPLAINT_NOTE = "患者对术后肿胀时间过长不满意，要求主治医生当面解释原因。"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_task_without_a_visit_never_says_an_empty_placeholder(cli, tmp_path: Path,
                                                               lang: str) -> None:
    """`script` of a complaint's follow-up said "您是天前在我们这里做的本次项目，对吗？" /
    "you had your treatment with us  days ago?": the task has no visit, so no days since it.
    A line whose placeholder is not known is never said: the category's own line, or none."""
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
        "A2,C2,胡静,13912345678,2026-11-02,深层清洁,成交,皮肤科,李医生,林咨询,,1990-11-20,金卡,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    opened = cli("log", "--patient", "C1", "-o", "complaint", "--note", COMPLAINT_NOTE,
                 "--when", "2026-11-03T15:00", "--format", "json")
    assert opened.code == 0, opened.err
    case = str(opened.json()["complaint_id"])
    assert cli("complaint", "close", case, "--note", "患者认可，结案",
               "--when", "2026-11-03T16:00").code == 0
    due = {r["category"]: r["task_id"] for day in ("2026-11-05", "2026-11-20")
           for r in cli("due", "--date", day, "--format", "json").json()}
    assert {"complaint", "birthday"} <= set(due)
    for category in ("complaint", "birthday"):
        task = str(due[category])
        data = cli("--lang", lang, "script", task, "--format", "json").json()
        said = [data["greeting"], data["identity"], *data["questions"],
                *data["worries"].values(), data["closing"], data["not_convenient"]]
        assert all(line for line in said[:2]), category      # both identity checks are said
        for line in said:
            assert "天前" not in line and " days ago" not in line, (category, line)
            assert "{" not in line and "  " not in line, (category, line)
        text = cli("--lang", lang, "script", task).out
        assert "天前" not in text and "days ago" not in text, category
    values = {"name": "胡静", "project": "深层清洁", "doctor": "李医生", "days": None,
              "next": "2026-12-01", "clinic": "本院", "agent": "王芳"}
    for days in (None, "", "-"):   # a treatment's own line, its days not known: not said
        filled = script_for(SCRIPTS, "low", "3d", lang, {**values, "days": days})
        assert filled["identity"] == "", days
