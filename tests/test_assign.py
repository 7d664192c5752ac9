"""Sharing the day's sheet among agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_export

from followup_cli.assign import share

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


def test_share_is_balanced_and_keeps_previous_callers() -> None:
    patients = [f"P{i}" for i in range(7)]
    plan = share(patients, ["王芳", "李娜", "张伟"], {"P5": "张伟", "P6": "张伟", "P0": "赵六"},
                 {})
    assert sorted(plan) == patients                        # everyone, once
    loads = sorted(list(plan.values()).count(a) for a in ("王芳", "李娜", "张伟"))
    assert loads == [2, 2, 3]
    assert plan["P5"] == plan["P6"] == "张伟"
    assert share(patients, ["王芳", "李娜", "张伟"], {"P5": "张伟"}, {}) == share(
        patients, ["王芳", "李娜", "张伟"], {"P5": "张伟"}, {})     # stable


def test_manual_moves_are_kept() -> None:
    plan = share(["P1", "P2"], ["王芳", "李娜"], {}, {"P2": "王芳"})
    assert plan["P2"] == "王芳"


@pytest.fixture
def day_sheet(cli, tmp_path: Path, built_once) -> list[str]:  # noqa: ANN001
    def build() -> None:
        rows = [f"A{i},C{i},患者{i},1380000{i:04d},2026-11-02,双眼皮,成交,,,,,,," for i in range(10)]
        export = write_export(tmp_path / "v.csv", rows)
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0

    built_once(__name__, build)
    return [f"C{i}" for i in range(10)]


def test_assign_and_due_per_agent(cli, day_sheet: list[str]) -> None:
    # 王芳 called C3 before: she keeps C3 on the next day's share
    assert cli("log", "--patient", "C3", "-o", "reached", "--note", NOTE, "--agent", "王芳",
               "--when", "2026-11-02T19:10").code == 0
    result = cli("assign", "--agents", "王芳,李娜,张伟", "--date", "2026-11-03")
    assert result.code == 0, result.err
    shares = {a: {r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", a,
                                               "--format", "json").json()}
              for a in ("王芳", "李娜", "张伟")}
    assert "C3" in shares["王芳"]
    assert set().union(*shares.values()) == set(day_sheet)
    assert sum(len(s) for s in shares.values()) == len(day_sheet)   # no patient twice
    assert sorted(len(s) for s in shares.values()) == [3, 3, 4]
    moved = cli("assign", "--move", "C3", "--to", "张伟", "--date", "2026-11-03")
    assert moved.code == 0
    assert "C3" in {r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", "张伟",
                                                  "--format", "json").json()}
    again = cli("assign", "--agents", "王芳,李娜,张伟", "--date", "2026-11-03")
    assert again.code == 0
    assert "C3" in {r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", "张伟",
                                                  "--format", "json").json()}


def test_unassigned_patients_are_visible_to_all(cli, day_sheet: list[str]) -> None:
    cli("assign", "--move", "C1", "--to", "王芳", "--date", "2026-11-03")
    li_na = {r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", "李娜",
                                          "--format", "json").json()}
    assert li_na == set(day_sheet) - {"C1"}


def test_assign_needs_agents(cli, day_sheet: list[str]) -> None:
    assert cli("assign", "--date", "2026-11-03").code == 2
    assert cli("assign", "--agents", "王芳,王芳", "--date", "2026-11-03").code == 2
    assert cli("assign", "--move", "C1", "--date", "2026-11-03").code == 2


def test_a_share_never_loses_a_patient(cli, day_sheet: list[str]) -> None:
    assert cli("assign", "--agents", "王芳,李娜", "--date", "2026-11-03").code == 0
    refused = cli("assign", "--move", "C3", "--to", "赵六", "--date", "2026-11-03")
    assert (refused.code, refused.err) == (2, (
        "followup: 赵六 is not on shift on 2026-11-03 (on shift: 李娜、王芳). Share the sheet "
        "with followup assign --agents including 赵六 first\n"))
    assert cli("assign", "--agents", "王芳,李娜,赵六", "--date", "2026-11-03").code == 0
    assert cli("assign", "--move", "C3", "--to", "赵六", "--date", "2026-11-03").code == 0
    # 赵六 goes home: C3 is shared again, not left on nobody's share
    assert cli("assign", "--agents", "王芳,李娜", "--date", "2026-11-03").code == 0
    shares = [{r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", a,
                                            "--format", "json").json()} for a in ("王芳", "李娜")]
    assert shares[0] | shares[1] == set(day_sheet) and not shares[0] & shares[1]


@pytest.mark.parametrize("agents", ["王芳，李娜", "王芳、李娜", " 王芳 ， 李娜 ", "王芳,李娜，",
                                    "王芳；李娜", "王芳;李娜;", "王芳 、 李娜,,"])
def test_agents_split_on_chinese_commas(cli, day_sheet: list[str], agents: str) -> None:  # noqa: ANN001
    """`--agents "王芳，李娜"` (the Chinese keyboard's comma) made one agent '王芳，李娜'."""
    result = cli("assign", "--agents", agents, "--date", "2026-11-03")
    assert result.code == 0, result.err
    shares = {a: {r["patient_id"] for r in cli("due", "--date", "2026-11-03", "--agent", a,
                                               "--format", "json").json()}
              for a in ("王芳", "李娜")}
    assert shares["王芳"] and shares["李娜"] and not shares["王芳"] & shares["李娜"]
    assert shares["王芳"] | shares["李娜"] == set(day_sheet)


def test_due_for_an_agent_with_no_share_is_refused(cli, day_sheet: list[str]) -> None:  # noqa: ANN001
    """`due --agent 赵某` on a shared day showed only the unshared patients, exit 0, as if
    they were that agent's whole day."""
    assert cli("assign", "--agents", "王芳,李娜", "--date", "2026-11-03").code == 0
    result = cli("due", "--date", "2026-11-03", "--agent", "赵某", "--format", "json")
    assert (result.code, result.out, result.err) == (
        2, "", "followup: no agent named 赵某 on the sheet of 2026-11-03; agents: 李娜, 王芳\n")
    assert cli("due", "--date", "2026-11-03", "--agent", "李娜", "--format", "json").code == 0
    # a day nobody shared yet: any agent sees the whole sheet
    assert len(cli("due", "--date", "2026-11-04", "--agent", "赵某", "--format",
                   "json").json()) == len(cli("due", "--date", "2026-11-04", "--format",
                                              "json").json())


def test_every_option_that_takes_a_name_reads_it_alike(cli, day_sheet: list[str]) -> None:  # noqa: ANN001
    """A trailing comma, spaces around a name: the name itself, in --to, --agent, --by,
    --as and config agent; several names where one is meant are refused, naming the option."""
    assert cli("assign", "--agents", "王芳；李娜", "--date", "2026-11-03", "--by",
               " 主管，").code == 0
    moved = cli("assign", "--move", "C1", "--to", "李娜，", "--date", "2026-11-03")
    assert moved.code == 0, moved.err
    assert moved.out == "2026-11-03: patient C1 moved to 李娜\n"
    mine = cli("due", "--date", "2026-11-03", "--agent", " 李娜 ", "--format", "json")
    assert mine.code == 0, mine.err
    assert "C1" in {r["patient_id"] for r in mine.json()}
    logged = cli("log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00",
                 "--agent", "李娜、")
    assert logged.code == 0, logged.err
    report = cli("report", "--from", "2026-11-03", "--to", "2026-11-03", "--agent", "李娜 ,",
                 "--format", "json")
    assert report.code == 0, report.err
    assert cli("config", "agent", "王芳；").out.startswith("from now on your calls are recorded "
                                                         "as 王芳 (")
    for line, option, names in ((["assign", "--move", "C1", "--to", "李娜,王芳"], "--to",
                                  "李娜、王芳"),
                                 (["due", "--agent", "李娜;王芳"], "--agent", "李娜、王芳"),
                                 (["assign", "--agents", "王芳", "--by", "a、b"], "--by", "a、b")):
        refused = cli(*line, "--date", "2026-11-03")
        assert (refused.code, refused.err) == (
            2, f"followup: {option} takes one name ({names} given)\n"), line
