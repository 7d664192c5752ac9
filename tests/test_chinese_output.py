"""Chinese output speaks Chinese (issue 18 item 7): every reading command, run in Chinese on
the demo clinic after a day of calls of every outcome and a complaint taken through every
step, shows no English code — no category id, window, outcome, task status or reason,
visit kind, complaint status, category, severity, step or action, patient event, and no
True/False — on the terminal, in the HTML files, or in the XLSX cells and sheet names.

JSON and CSV are left out: their keys and codes are the contract scripts read."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from followup_cli.calls import OUTCOMES
from followup_cli.cli import run
from followup_cli.i18n import set_lang
from followup_cli.labels import LABELS
from followup_cli.rules import load_rules

NOTE = "患者反馈恢复顺利，已提醒按时复查并注意饮食清淡，无其他不适。"
# the families of codes shown through words (followup_cli/labels.py), and the codes of
# task reasons and complaint actions, which commands name in their own tables
CODED = ("status", "kind", "window", "state", "patient.event", "complaint.status",
         "complaint.category", "complaint.severity", "complaint.state", "complaint.step")
REASONS = ("converted", "do_not_call", "failed_attempts", "reopened", "replanned")
ACTIONS = ("open", "ack", "resolve", "close", "reopen")


def english_codes() -> set[str]:
    codes = {code for family in CODED for code in LABELS[family]}
    codes |= set(REASONS) | set(ACTIONS)
    codes |= set(load_rules().categories) | set(OUTCOMES) | {"True", "False", "None"}
    return {code for code in codes if re.fullmatch(r"[A-Za-z_]+", code)}


def scrubbed(text: str) -> str:
    """What a reader sees as words: not the command hints (`followup complaint show 57`)
    nor file paths, which are commands and places, not codes."""
    text = re.sub(r"followup(?: [\x21-\x7e]+)*", " ", text)
    return re.sub(r"(?:[A-Za-z]:)?[/\\]\S+", " ", text)


def found_codes(text: str, codes: set[str]) -> list[str]:
    words = re.findall(r"(?<![A-Za-z_])[A-Za-z_]+(?![A-Za-z_])", scrubbed(text))
    return sorted({w for w in words if w in codes})


def html_text(path: Path) -> str:
    import html

    page = path.read_text(encoding="utf-8")
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def xlsx_text(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    parts = []
    for sheet in book.worksheets:
        parts.append(sheet.title)
        parts += [str(v) for row in sheet.iter_rows(values_only=True) for v in row
                  if v is not None]
    return "\n".join(parts)


def cli(db: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--db", str(db), *args])
    set_lang(None)
    assert code == 0, (args, err.getvalue())
    return out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """name -> the text of each screen and file, in Chinese."""
    folder = tmp_path_factory.mktemp("chinese")
    db = folder / "demo.db"
    with pytest.MonkeyPatch.context() as env:
        for name, value in {"FOLLOWUP_LANG": "zh", "FOLLOWUP_AGENT": "王芳", "COLUMNS": "160",
                            "NO_COLOR": "1", "TERM": "dumb",
                            "XDG_CACHE_HOME": str(folder / "cache")}.items():
            env.setenv(name, value)
        set_lang(None)
        return _a_day(db, folder)


def _a_day(db: Path, folder: Path) -> dict[str, str]:
    shown: dict[str, str] = {}
    cli(db, "init", "--demo", "--patients", "400")
    sheet = json.loads(cli(db, "due", "--today", "--format", "json"))
    first: dict[str, dict] = {}
    for row in sheet:
        first.setdefault(row["patient_id"], row)
    rows = list(first.values())
    assert len(rows) >= 8, "the demo's sheet is too short for a day of every outcome"
    shown["due"] = "\n".join(cli(db, "due", *more) for more in (
        ["--today"], ["--now"], ["--today", "--time", "19:30"], ["--today", "--time", "06:00"]))
    shown["script"] = "\n".join(cli(db, "script", str(row["task_id"]))
                                for row in {r["category"]: r for r in sheet}.values())
    tomorrow = (datetime.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    calls = [("reached", "--note", NOTE, "--satisfaction", "5", "--nps", "9"),
             ("no_answer",), ("busy",), ("switched_off",), ("wrong_number",), ("declined",),
             ("do_not_call", "--note", NOTE),
             ("complaint", "--note", NOTE, "--complaint-category", "result",
              "--severity", "high")]
    logged = []
    for row, (outcome, *more) in zip(rows, calls, strict=False):
        logged.append(cli(db, "log", str(row["task_id"]), "--outcome", outcome, *more))
    callback = rows[len(calls)] if len(rows) > len(calls) else None
    if callback is not None:   # tomorrow may be a holiday: then the refusal is in Chinese too
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            run(["--db", str(db), "log", str(callback["task_id"]), "--outcome",
                 "callback_requested", "--at", f"{tomorrow} 19:30"])
        set_lang(None)
        logged.append(out.getvalue())
    attempt = re.search(r"#(\d+)", logged[0])
    assert attempt is not None
    logged.append(cli(db, "log", "--amend", attempt[1], "--outcome", "no_answer",
                      "--reason", "实际没有接通，更正"))
    case = re.search(r"#(\d+)", logged[7].splitlines()[1])
    assert case is not None
    for step in ("ack", "resolve", "close", "reopen"):
        logged.append(cli(db, "complaint", step, case[1], "--note", NOTE))
    logged.append(cli(db, "patient", "allow-calls", rows[6]["patient_id"], "--reason", NOTE))
    shown["log and complaint steps"] = "\n".join(logged)
    shown["complaint list"] = cli(db, "complaint", "list", "--all")
    shown["complaint show"] = cli(db, "complaint", "show", case[1])
    with sqlite3.connect(db) as conn:
        converted = conn.execute("SELECT patient_id FROM tasks WHERE status_reason = "
                                 "'converted' LIMIT 1").fetchall()
    patients = [row["patient_id"] for row in rows[:9]] + [p for (p,) in converted]
    shown["patient show"] = "\n".join(cli(db, "patient", "show", p) for p in patients)
    cli(db, "patient", "show", rows[0]["patient_id"], "--reveal")
    shown["audit"] = cli(db, "audit")
    shown["patient bad-phones"] = cli(db, "patient", "bad-phones")
    shown["doctor"] = cli(db, "doctor")
    shown["rules show"] = cli(db, "rules", "show")
    shown["calendar show"] = cli(db, "calendar", "show")
    month = datetime.now().strftime("%Y-%m")
    shown["report"] = cli(db, "report", "--month", month)
    for fmt, read in (("html", html_text), ("xlsx", xlsx_text)):
        for name, args in (("due", ("due", "--today")), ("report", ("report", "--month", month))):
            path = folder / f"{name}.{fmt}"
            cli(db, *args, "--format", fmt, "-O", str(path))
            shown[f"{name} {fmt}"] = read(path)
    return shown


SCREENS = ["due", "script", "log and complaint steps", "complaint list", "complaint show",
           "patient show", "patient bad-phones", "audit", "doctor", "rules show", "calendar show",
           "report",
           "due html", "report html", "due xlsx", "report xlsx"]


@pytest.mark.parametrize("name", SCREENS)
def test_chinese_screens_show_no_english_code(screens: dict[str, str], name: str) -> None:
    assert set(screens) == set(SCREENS)
    assert screens[name].strip(), name
    assert found_codes(screens[name], english_codes()) == [], name


def test_the_scan_finds_what_it_looks_for() -> None:
    codes = english_codes()
    assert {"surgery", "no_show", "birthday", "evening", "reached", "reopened", "converted",
            "ack", "resolve", "close", "open", "True", "False"} <= codes
    assert found_codes("已登记通话 #13342（reached）", codes) == ["reached"]
    assert found_codes("操作 open ack", codes) == ["ack", "open"]
    assert found_codes("结案：followup complaint show 57；文件 /tmp/open/x.html", codes) == []
    assert found_codes("FUE植发 · OK镜 · NPS 9", codes) == []
