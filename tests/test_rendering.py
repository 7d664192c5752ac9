"""The sheet exactly as an agent sees it at a fixed width, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_export


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> None:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "v.csv", [
            "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,金卡,",
            "A2,C2,郑浩,13923456789,2026-11-03,植发,成交,植发中心,钱医生,,,,,"])
        assert cli("import", "visits", str(export), "--date", "2026-11-03").code == 0

    built_once(__name__, build)


ZH = """\
2026-11-03 回访清单：2 位患者，2 个任务
任一回访时段
┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━┓
┃ # ┃ 患者        ┃ 就诊          ┃ 回访事由                                       ┃ 逾期 ┃ 任务号 ┃
┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━┩
│ 1 │ 周晓雯      │ 双眼皮        │ 术后第1天：恢复情况                            │      │ 1      │
│   │ 138****5678 │ 吴医生        │ “昨晚休息得怎么样？肿胀和疼痛比昨天有加重吗？” │      │        │
│   │ 金卡        │ 林咨询        │                                                │      │        │
│   │             │ 就诊后第 1 天 │                                                │      │        │
└───┴─────────────┴───────────────┴────────────────────────────────────────────────┴──────┴────────┘
晚间时段
┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━┳━━━━━━━━┓
┃ # ┃ 患者        ┃ 就诊          ┃ 回访事由                                       ┃ 逾期 ┃ 任务号 ┃
┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━┩
│ 2 │ 郑浩        │ 植发          │ 术后当晚关怀                                   │      │ 9      │
│   │ 139****6789 │ 钱医生        │ “今天植发后回家顺利吗？供区和种植区有没有明显  │      │        │
│   │             │ 就诊后第 0 天 │ 疼痛或渗血？”                                  │      │        │
└───┴─────────────┴───────────────┴────────────────────────────────────────────────┴──────┴────────┘
"""

EN = """\
Call sheet 2026-11-03: 2 patients, 2 tasks
Any calling window
┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━┓
┃ # ┃ Patient     ┃ Visit        ┃ Why call                                      ┃ Overdue ┃ Tasks ┃
┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━┩
│ 1 │ 周晓雯      │ 双眼皮       │ Day 1: recovery                               │         │ 1     │
│   │ 138****5678 │ 吴医生       │ “How did you sleep? Is the swelling or pain   │         │       │
│   │ 金卡        │ 林咨询       │ worse than yesterday?”                        │         │       │
│   │             │ visit day +1 │                                               │         │       │
└───┴─────────────┴──────────────┴───────────────────────────────────────────────┴─────────┴───────┘
Evening window
┏━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━┓
┃ # ┃ Patient     ┃ Visit        ┃ Why call                                      ┃ Overdue ┃ Tasks ┃
┡━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━┩
│ 2 │ 郑浩        │ 植发         │ Same-evening care after the operation         │         │ 9     │
│   │ 139****6789 │ 钱医生       │ “Did you get home well after today's          │         │       │
│   │             │ visit day +0 │ transplant? Much pain or bleeding at the      │         │       │
│   │             │              │ donor or planted area?”                       │         │       │
└───┴─────────────┴──────────────┴───────────────────────────────────────────────┴─────────┴───────┘
"""


def test_sheet_in_chinese(cli, ledger: None) -> None:
    result = cli("--lang", "zh", "due", "--date", "2026-11-03")
    assert result.code == 0
    assert "\n".join(line.rstrip() for line in result.out.splitlines()) + "\n" == ZH


def test_sheet_in_english(cli, ledger: None) -> None:
    result = cli("due", "--date", "2026-11-03")
    assert result.code == 0
    assert "\n".join(line.rstrip() for line in result.out.splitlines()) + "\n" == EN


def test_a_long_line_wraps_at_spaces_and_chinese_folds() -> None:
    from followup_cli.output.tables import cell_width, wrap

    assert cell_width("周晓雯 ab") == 9 and cell_width("“x”") == 3
    assert wrap("“How did you sleep? Is the swelling or pain worse than yesterday?”", 45) == (
        "“How did you sleep? Is the swelling or pain", "worse than yesterday?”")
    assert wrap("术后第一天恢复情况良好", 7) == ("术后第", "一天恢", "复情况", "良好")
    # a word wider than the column starts on its own line and is folded there
    assert wrap("ok abcdefghij", 4) == ("ok", "abcd", "efgh", "ij")
    # folded Chinese keeps a date whole when it fits a line
    assert wrap("下次联系大约在2026-12-02，祝您恢复顺利。", 20) == (
        "下次联系大约在", "2026-12-02，祝您恢复", "顺利。")
    for width in range(10, 40):
        assert any("2026-12-02" in line for line in wrap("下次联系在2026-12-02，祝顺利", width))


def test_columns_give_way_widest_first() -> None:
    from followup_cli.output.tables import fit

    assert fit([5, 20, 60], [False, True, True], 50) == [5, 20, 25]
    assert fit([5, 30, 30], [False, True, True], 45) == [5, 20, 20]
    assert fit([10, 10], [False, False], 16) == [8, 8]   # nothing foldable: all give way
    assert fit([5, 20, 60], [False, True, True], 200) == [5, 20, 60]


def test_table_fits_the_terminal_and_colours_only_when_asked(monkeypatch) -> None:
    from followup_cli.output.tables import Column, Dim, cell_width, draw, use_colour

    columns = [Column("#", right=True, fold=False), Column("患者"), Column("回访事由")]
    rows = [("1", ["周晓雯", "138****5678"],
             ["术后第1天：恢复情况", Dim("“昨晚休息得怎么样？肿胀和疼痛比昨天有加重吗？”")])]
    plain = draw(columns, rows, title="任一回访时段", lines_between=True, width=40,
                 colour=False)
    lines = plain.splitlines()
    assert lines[0] == "任一回访时段"
    assert {cell_width(line) for line in lines[1:]} == {40}
    assert "\x1b[" not in plain
    coloured = draw(columns, rows, width=40, colour=True)
    assert "\x1b[2m“昨晚" in coloured and "\x1b[1m患者\x1b[0m" in coloured
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert use_colour() is False


def test_the_sheet_prints_notes_as_written_and_fills_prompts(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", [
        "B1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
        "B2,C2,郑浩,13923456789,2026-10-01,体检,成交,体检中心,钱医生,,,1990-11-03,金卡,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    note = "[red]说明天[/red] 再打"   # rich would have read this as markup and hidden it
    assert cli("log", "--patient", "C1", "-o", "no_answer", "--note", note,
               "--when", "2026-11-02T19:30").code == 0
    sheet = cli("--lang", "zh", "due", "--date", "2026-11-03").out
    assert "[red]说明天[/red]" in sheet
    assert "生日" in sheet and "{clinic}" not in sheet and "本院" in sheet
