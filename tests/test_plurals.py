"""English plurals read right: "1 patient", "2 patients" (issue 18 item 7). Chinese has one
form; i18n.tn (gettext's ngettext) picks the English one by the count."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from conftest import write_export

from followup_cli.i18n import catalogue, set_lang, tn

ROOT = Path(__file__).parent.parent / "followup_cli"
PAIRS = sorted({message for _f, _l, message, _c, _x in extract_from_dir(
    ROOT, method_map=[("**.py", "python")], keywords={"tn": (1, 2)}, comment_tags=(),
    strip_comment_tags=True) if isinstance(message, tuple)})


def names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_plural_messages_are_found() -> None:
    assert len(PAIRS) > 15


@pytest.mark.parametrize(("one", "other"), PAIRS)
def test_each_one_form_has_its_other(one: str, other: str) -> None:
    assert one != other
    assert "(s)" not in one + other
    assert names(one) == names(other)
    set_lang("zh")
    try:
        chinese = {catalogue().ngettext(one, other, n) for n in (1, 2, 7)}   # one form
    finally:
        set_lang(None)
    assert len(chinese) == 1 and any("\u4e00" <= c <= "\u9fff" for c in chinese.pop())


def test_plural_picks_by_count() -> None:
    set_lang("en")
    try:
        assert tn("{count} patient", "{count} patients", 1) == "1 patient"
        assert tn("{count} patient", "{count} patients", 0) == "0 patients"
        assert tn("{count} task", "{count} tasks", 2) == "2 tasks"
    finally:
        set_lang(None)


def test_one_patient_on_the_sheet_and_in_the_ledger(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    sheet = cli("due", "--date", "2026-11-03")
    assert sheet.out.startswith("Call sheet 2026-11-03: 1 patient, 1 task\n"), sheet.out
    assert "the ledger is sound: 1 patient, 1 visit," in cli("doctor").out
    chinese = cli("--lang", "zh", "due", "--date", "2026-11-03")
    assert chinese.out.startswith("2026-11-03 回访清单：1 位患者，1 个任务\n")
    for n in (1, 2):
        set_lang("en")
        try:
            text = tn("({count} try)", "({count} tries)", n)
        finally:
            set_lang(None)
        assert text == ("(1 try)" if n == 1 else "(2 tries)")


def test_doctor_and_provisional_dates_say_their_counts(cli, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    """doctor's notices and the provisional-date note said 'task(s)', 'number(s)'."""
    # a visit today plans calls into next year, whose public holidays are not known yet
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-30,双眼皮,成交,整形外科,吴医生,林咨询,,,,"])
    imported = cli("import", "visits", str(export), "--date", "2026-11-30")
    assert imported.err.startswith("note: 2 task dates are provisional: "), imported.err
    assert "notices: 2 open tasks on provisional dates; 0 numbers to fix\n" in cli("doctor").out
    assert "提示：暂定日期的任务 2 个；待更正号码 0 个\n" in cli("--lang", "zh", "doctor").out
    from datetime import date

    from followup_cli.calendar import load_calendar
    from followup_cli.output.formats import warn_provisional

    capsys.readouterr()
    set_lang("en")
    try:
        warn_provisional(load_calendar(None), [date(2027, 1, 4)])
    finally:
        set_lang(None)
    assert capsys.readouterr().err.startswith("note: 1 task date is provisional: ")
