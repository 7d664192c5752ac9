"""The README's "A day with followup" works as written on a fresh demo ledger (issue 18
item 17): every `followup …` line of its sh blocks runs, in order, exits 0 and prints what
its `# → TEXT` comment says (in Chinese, the README's language).

The README is written on one day's demo; what a reader replaces, this test replaces, so
that the walk-through runs on any day:
- `export` lines set the environment they name (the ledger is the test's demo.db);
- a task number (the argument of `script` and `log`) stands for the first task of a
  patient of today's sheet: the README's numbers, in their order of first appearance,
  become the first task of the sheet's JSON patients (`due --today --format json`), in
  the order the JSON lists them, one patient each;
- the README's day (README_DAY) becomes today, the day after it the next calling day
  after today, and its month (`--month`) this month.
"""

from __future__ import annotations

import json
import re
import shlex
from datetime import date, timedelta
from pathlib import Path

import pytest

from followup_cli import clock
from followup_cli.calendar import load_calendar

README = Path(__file__).parent.parent / "README.md"
README_DAY = date(2026, 11, 30)
SECTION = "## A day with followup"


def walk_through() -> list[tuple[list[str], str | None]]:
    """Each line of the section's sh blocks: (its words, the text it is said to print)."""
    text = README.read_text(encoding="utf-8")
    section = text.split(SECTION + "\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            said = re.search(r"\s#\s*→\s*(.+?)\s*$", line)
            words = shlex.split(line, comments=True)
            if words:
                lines.append((words, said[1] if said else None))
    return lines


def next_calling_day(after: date) -> date:
    cal = load_calendar(None)
    day = after + timedelta(days=1)
    return day if cal.is_calling_day(day) else cal.move(day, "later")[0]


def as_of_today(words: list[str], tasks: dict[str, str], sheet: list[dict]) -> list[str]:
    today = clock.today()
    out = []
    for i, word in enumerate(words):
        before = words[i - 1] if i else ""
        if before in ("script", "log") and word.isdigit():
            if word not in tasks:
                patients = list(dict.fromkeys(r["patient_id"] for r in sheet))
                patient = patients[len(tasks)]
                tasks[word] = str(next(r["task_id"] for r in sheet
                                       if r["patient_id"] == patient))
            word = tasks[word]
        elif before == "--month" and word == README_DAY.strftime("%Y-%m"):
            word = today.strftime("%Y-%m")
        word = word.replace((README_DAY + timedelta(days=1)).isoformat(),
                            next_calling_day(today).isoformat())
        out.append(word.replace(README_DAY.isoformat(), today.isoformat()))
    return out


def test_the_walk_through_is_there() -> None:
    lines = walk_through()
    commands = [" ".join(words[:2]) for words, _ in lines if words[0] == "followup"]
    assert commands[:2] == ["followup due", "followup due"]
    for needed in ("followup script", "followup log", "followup report"):
        assert needed in commands, needed
    outcomes = {words[words.index("--outcome") + 1] for words, _ in lines
                if "--outcome" in words}
    assert outcomes == {"已接通", "未接", "改约", "投诉"}
    assert all(said for words, said in lines if words[0] == "followup")


def test_the_readmes_first_lines_are_kept() -> None:
    text = README.read_text(encoding="utf-8")
    assert (".venv/bin/followup --db demo.db init --demo && .venv/bin/followup --db demo.db "
            "due --today\n.venv/bin/python -m pytest\n") in text


def test_a_day_with_followup_runs_as_written(cli, tmp_path: Path,  # noqa: ANN001
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWUP_LANG", "zh")
    monkeypatch.delenv("FOLLOWUP_DB")
    monkeypatch.delenv("FOLLOWUP_AGENT")
    # the README's first command, smaller: `followup --db demo.db init --demo`
    made = cli("--db", "demo.db", "init", "--demo", "--patients", "400")
    assert made.code == 0, made.err
    sheet: list[dict] = []
    tasks: dict[str, str] = {}
    for words, said in walk_through():
        if words[0] == "export":
            for setting in words[1:]:
                name, _, value = setting.partition("=")
                monkeypatch.setenv(name, value)
            continue
        assert words[0] == "followup", words
        if not sheet:
            found = cli("due", "--today", "--format", "json")
            assert found.code == 0, found.err
            sheet = json.loads(found.out)
        args = as_of_today(words[1:], tasks, sheet)
        result = cli(*args)
        assert result.code == 0, (args, result.err)
        assert said is not None and said in result.out + result.err, (args, said, result.out)
    assert len(set(tasks.values())) == len(tasks) >= 4
    assert (tmp_path / "回访月报.html").is_file()
