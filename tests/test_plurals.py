"""English plurals read right: "1 patient", "2 patients" (issue 18 item 7). Chinese has one
form; i18n.plural picks the English one by the count, as gettext's ngettext will."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli.i18n import MESSAGES, plural, set_lang

PAIRS = [(key, key.removesuffix("_one")) for key in MESSAGES if key.endswith("_one")] + [
    (key, key + "s") for key in MESSAGES
    if key.startswith("count.") and key + "s" in MESSAGES]


def names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("one", "other"), PAIRS)
def test_each_one_form_has_its_other(one: str, other: str) -> None:
    assert other in MESSAGES, one
    assert MESSAGES[one][0] == MESSAGES[other][0]          # Chinese: one form
    assert MESSAGES[one][1] != MESSAGES[other][1]
    assert "(s)" not in MESSAGES[one][1] + MESSAGES[other][1]
    assert names(MESSAGES[one][1]) == names(MESSAGES[other][1])


def test_plural_picks_by_count() -> None:
    set_lang("en")
    try:
        assert plural(1, "count.patient", "count.patients") == "1 patient"
        assert plural(0, "count.patient", "count.patients") == "0 patients"
        assert plural(2, "count.task", "count.tasks") == "2 tasks"
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
            text = plural(n, "due.attempts_one", "due.attempts")
        finally:
            set_lang(None)
        assert text == ("(1 try)" if n == 1 else "(2 tries)")
