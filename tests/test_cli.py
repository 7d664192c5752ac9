"""The command line as scripts use it: exit codes, exact messages, help, the report."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli import __version__
from followup_cli.cli import build_app, hoist_root_options

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


def test_version(cli) -> None:
    assert cli("--version").out == f"followup {__version__}\n"


def command_paths() -> list[list[str]]:
    from typer.main import get_command

    paths: list[list[str]] = []

    def walk(cmd, prefix: list[str]) -> None:  # noqa: ANN001
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(get_command(build_app()), [])
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help(cli, path: list[str]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0
    assert "Usage: followup " + " ".join(path) in result.out
    docstring = result.out.split("\n\n")[1].strip()
    assert len(docstring) > 15


def test_root_options_anywhere() -> None:
    assert hoist_root_options(["due", "--today", "--db", "x.db", "--lang=en"]) == [
        "--db", "x.db", "--lang=en", "due", "--today"]
    assert hoist_root_options(["log", "1", "--note", "--", "--db"]) == [
        "log", "1", "--note", "--", "--db"]


def test_usage_errors_exit_2(cli) -> None:
    assert cli("due").code == 2
    assert cli("due", "--date", "2026-13-01").err == (
        "followup: --date 2026-13-01: expected YYYY-MM-DD\n")
    assert cli("due", "--today", "--format", "xml").err == (
        "followup: --format xml: one of table/json/csv/html/xlsx\n")
    assert cli("report", "--month", "2026-13").err == (
        "followup: --month 2026-13: expected YYYY-MM\n")
    assert cli("no-such-command").code == 2
    assert cli("--lang", "fr", "due", "--today").code == 2


def test_no_ledger_yet(cli, tmp_path: Path) -> None:
    result = cli("due", "--today")
    assert result.code == 2
    assert result.err.startswith(f"followup: the ledger {tmp_path / 'ledger.db'} does not exist")
    assert not (tmp_path / "ledger.db").exists()


def test_messages_in_chinese(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_LANG", "zh")
    assert cli("report", "--month", "x").err == "followup: --month x：格式应为 YYYY-MM\n"
    assert cli("--lang", "en", "report", "--month", "x").err == (
        "followup: --month x: expected YYYY-MM\n")


def test_ledger_is_private_and_wal(cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    db = tmp_path / "ledger.db"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cli("--db", str(tmp_path / "nowhere" / "x.db"), "due", "--today").code == 2


def test_not_a_ledger(cli, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    result = cli("--db", str(bogus), "due", "--today")
    assert (result.code, result.err) == (
        2, f"followup: {bogus} is not a followup ledger (not an SQLite file)\n")


def test_internal_errors_show_no_personal_data(cli, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,"])
    cli("import", "visits", str(export), "--date", "2026-11-02")

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("周晓雯 13812345678")

    monkeypatch.setattr("followup_cli.sheet.due_tasks", broken)
    result = cli("due", "--date", "2026-11-02")
    assert result.code == 1
    assert result.err == ("followup: internal error (RuntimeError). The ledger is not "
                          "half-written; please report this to the maintainers\n")


RULES_ROWS = [
    "A1,C1,周晓雯,13812345678,2026-10-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
    "A2,C2,冯雪,13734567890,2026-11-02,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,",
    "A3,C3,朱婷,13190123456,2026-11-02,隆鼻,未成交,整形外科,吴医生,林咨询,,,,",
    "A4,C3,朱婷,13190123456,2026-11-09,隆鼻,成交,整形外科,吴医生,林咨询,,,,",
]


def test_month_report(cli, tmp_path: Path) -> None:
    """A small month worked by hand; every figure below was counted by hand."""
    export = write_export(tmp_path / "v.csv", RULES_ROWS[:3])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    # tasks due 2–4 Nov: C1 surgery 1m (2 Nov, moved from 2 Nov: a Monday); C2 0d (2 Nov),
    # 1d (3 Nov), 3d (5 Nov, not yet due on the 4th); C3 consult 3d (5 Nov)
    log = lambda *a: cli("log", *a)  # noqa: E731
    assert log("--patient", "C1", "-o", "reached", "--note", NOTE, "--satisfaction", "5",
               "--nps", "10", "--when", "2026-11-02T15:00", "--agent", "王芳").code == 0
    assert log("--patient", "C2", "-o", "no_answer", "--when", "2026-11-02T19:05",
               "--agent", "李娜").code == 0
    assert log("--patient", "C2", "-o", "reached", "--note", NOTE, "--satisfaction", "3",
               "--nps", "6", "--when", "2026-11-03T14:30", "--agent", "李娜").code == 0
    assert log("--patient", "C3", "-o", "reached", "--note", "短", "--when",
               "2026-11-05T15:00").code == 2
    report = cli("report", "--month", "2026-11", "--date", "2026-11-04", "--format", "json")
    assert report.code == 0, report.err
    data = report.json()
    headline = {k: data[k] for k in (
        "due", "done", "on_time", "completion_rate", "on_time_rate", "missed", "unreachable",
        "attempts", "reached", "reach_rate", "satisfaction_mean", "nps", "complaints_opened",
        "complaints_closed", "conversions")}
    # due 1–4 Nov: C1 surgery 1m (2 Nov), C2 medium 0d (2 Nov) and 1d (3 Nov); C3's
    # consult call is due on the 5th. The October surgery's other calls are backfill.
    assert headline == {
        "due": 3, "done": 2, "on_time": 2, "completion_rate": 0.6667, "on_time_rate": 0.6667,
        "missed": 1, "unreachable": 0, "attempts": 3, "reached": 2, "reach_rate": 0.6667,
        "satisfaction_mean": 4.0,
        "nps": 0.0,                      # one promoter (10) and one detractor (6) of two
        "complaints_opened": 0, "complaints_closed": 0, "conversions": 0,
    }
    assert data["satisfaction_distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert data["by_agent"]["王芳"]["reached"] == 1
    assert data["by_agent"]["李娜"]["attempts"] == 2
    assert data["by_agent"]["李娜"]["reach_rate"] == 0.5
    assert data["by_category"]["surgery"]["done"] == 1
    # C2's same-evening call failed on 2 Nov; on 3 Nov day 1 is due, so the evening task
    # is missed (not on that day's sheet) and the reached call settles day 1 only
    assert data["by_category"]["medium"]["done"] == 1
    assert data["by_category"]["medium"]["on_time"] == 1
    assert data["by_category"]["medium"]["missed"] == 1
    assert data["previous"]["attempts"] == 0
    assert data["change"]["attempts"] == 3


def test_report_counts_a_conversion(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", RULES_ROWS[2:3])
    cli("import", "visits", str(export), "--date", "2026-11-02")
    assert cli("log", "--patient", "C3", "-o", "reached", "--note", NOTE, "--when",
               "2026-11-05T15:00", "--agent", "王芳").code == 0
    export2 = write_export(tmp_path / "v2.csv", RULES_ROWS[2:4])
    assert cli("import", "visits", str(export2), "--date", "2026-11-09").code == 0
    data = cli("report", "--month", "2026-11", "--date", "2026-11-30", "--format",
               "json").json()
    assert data["conversions"] == 1
    assert data["by_agent"]["王芳"]["conversions"] == 1
    rows = cli("report", "--month", "2026-11", "--format", "csv").csv()
    assert rows[0]["scope"] == "all" and rows[0]["conversions"] == "1"


def test_report_table(cli, tmp_path: Path) -> None:
    cli("init")
    result = cli("report", "--month", "2026-10")
    assert result.code == 0
    assert result.out.splitlines()[0].strip() == "Callback report 2026-10"


def test_rules_show_and_check(cli, tmp_path: Path) -> None:
    shown = cli("rules", "show", "--format", "json")
    assert shown.code == 0
    data = shown.json()
    assert data["order"] == ["follow_up", "hair", "optometry", "obstetrics", "surgery",
                             "medium", "low", "general"]
    assert [tp["offset"] for tp in data["categories"]["surgery"]["touchpoints"]] == [
        "0d", "1d", "2d", "3d", "6d", "7d", "1m", "3m", "6m"]
    assert cli("rules", "show").code == 0
    good = tmp_path / "rules.toml"
    good.write_text('[categories.dental]\nkind = "treated"\nmatch = ["洗牙", "种植牙"]\n'
                    'touchpoints = [{ offset = "1d", purpose = "术后次日" }]\n'
                    '[matching]\norder = ["hair", "dental", "optometry", "obstetrics", '
                    '"surgery", "medium", "low", "general"]\n', encoding="utf-8")
    assert cli("rules", "check", str(good)).out == f"{good}: valid, 14 categories\n"
    # the clinic file next to the ledger is picked up
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,周晓雯,13812345678,2026-11-02,种植牙,成交,,,,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    assert [r["category"] for r in cli("due", "--date", "2026-11-03", "--format",
                                       "json").json()] == ["dental"]


@pytest.mark.parametrize(("text", "message"), [
    ('[categories.surgery]\ntouchpoints = [{ offset = "6x", purpose = "x" }]\n',
     "categories.surgery.touchpoints[0].offset: '6x' is not an offset like 0d, 6d, 1m, 12m"),
    ('[categories.surgery]\ntouchpoints = [{ offset = "6d", window = "night", purpose = "x" }]',
     "categories.surgery.touchpoints[0].window: 'night' is not one of any, afternoon, evening"),
    ('[categories.surgery]\ntouchpoints = [{ offset = "6d", ofset = "1d", purpose = "x" }]',
     "categories.surgery.touchpoints[0].ofset: unknown key"),
    ('[categories.x]\nkind = "vip"\ntouchpoints = []', "categories.x.kind: 'vip' is not one of"),
    ('[matching]\norder = ["hair", "nope"]', "matching.order: 'nope' is not a category"),
    ('[matching]\norder = []', "matching.order: empty"),   # found by the fuzz test
    ('[risk]\nhigh = []', "risk.high: [] is not a category"),   # and this one
    ('[risk]\nhigh = "nope"', "risk.high: 'nope' is not a category"),
    ("[categories.surgery\n", "TOML syntax error"),
])
def test_rules_check_points_at_the_key(cli, tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = cli("rules", "check", str(bad))
    assert result.code == 2
    assert result.err.startswith(f"followup: {bad}: ")
    assert message in result.err


def test_demo_ledger_has_a_sheet_today(cli, tmp_path: Path) -> None:
    assert cli("init", "--demo", "--patients", "300").code == 0
    rows = cli("due", "--today", "--format", "json").json()
    assert rows, "the demo's sheet for today is empty"
    categories = {r["category"] for r in rows}
    assert len(categories) >= 3
    conn = sqlite3.connect(tmp_path / "ledger.db")
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] > 100
    assert {r[0] for r in conn.execute("SELECT DISTINCT category FROM tasks")} >= {
        "surgery", "hair", "medium", "low", "course_end", "consult", "no_show", "optometry",
        "obstetrics", "general", "birthday"}
    # re-running the demo replaces it; a real ledger is never overwritten
    assert cli("init", "--demo", "--patients", "300").code == 0
    real = tmp_path / "real.db"
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,"])
    cli("--db", str(real), "import", "visits", str(export), "--date", "2026-11-02")
    refused = cli("--db", str(real), "init", "--demo")
    assert refused.code == 2 and "already holds data" in refused.err
    assert os.path.getsize(real) > 0


def test_patient_shorthand_after_root_options() -> None:
    assert hoist_root_options(["--db", "x.db", "patient", "C1"]) == [
        "--db", "x.db", "patient", "show", "C1"]
    assert hoist_root_options(["patient", "C1", "--lang", "en"]) == [
        "--lang", "en", "patient", "show", "C1"]
    assert hoist_root_options(["patient", "set-phone", "C1", "13800001111"]) == [
        "patient", "set-phone", "C1", "13800001111"]


def test_only_the_command_asked_for_is_built() -> None:
    from followup_cli.cli import COMMANDS, the_command

    assert the_command(["--db", "x.db", "due", "--today"]) == "due"
    assert the_command(["--db=x.db", "--lang", "en", "log", "7"]) == "log"
    assert the_command(["--help"]) is None and the_command([]) is None
    import typer

    names = set(typer.main.get_command(build_app("calendar")).commands)
    assert names == {"calendar"}
    assert set(typer.main.get_command(build_app(None)).commands) == set(COMMANDS)


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_the_call_sheet_does_not_load_what_it_does_not_need(tmp_path: Path, fmt: str) -> None:
    """rich, openpyxl, sqlite-utils, matplotlib, dateutil's parser and the other commands
    are loaded only by the commands that use them; the sheet's table is drawn without rich."""
    import subprocess
    import sys

    db = tmp_path / "light.db"
    assert subprocess.run([sys.executable, "-m", "followup_cli", "--db", str(db), "init",
                           "--demo", "--patients", "60"], capture_output=True).returncode == 0
    others = "'followup_cli.commands.report', " + (
        "'followup_cli.commands.log'" if fmt == "json" else "")
    probe = ("import sys, io, contextlib\nfrom followup_cli.cli import run\n"
             "out = io.StringIO()\nwith contextlib.redirect_stdout(out):\n"
             f"    code = run(['--db', {str(db)!r}, 'due', '--today', '--format', {fmt!r}])\n"
             "print(code, len(out.getvalue()) > 500, sorted(m for m in sys.modules if "
             "m.split('.')[0] in ('rich', 'openpyxl', 'sqlite_utils', 'matplotlib', 'numpy', "
             f"'python_calamine') or m in ('dateutil.parser', {others})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.split(" ", 2) == ["0", "True", "[]\n"], out.stdout + out.stderr


def test_version_with_root_options(cli) -> None:  # noqa: ANN001
    for args in (["--version"], ["-V"], ["--db", "x.db", "--version"], ["--lang=en", "-V"]):
        result = cli(*args)
        assert result.code == 0 and result.out.startswith("followup "), args
    assert cli("due", "--version").code == 2


@pytest.mark.parametrize("line", [
    ["log", "{n}", "-o", "reached"], ["log", "--amend", "{n}", "--reason", "typo"],
    ["log", "--void", "{n}", "--reason", "typo"], ["log", "1", "-o", "reached", "--nps", "{n}"],
    ["log", "1", "-o", "reached", "--satisfaction", "{n}"], ["complaint", "show", "{n}"],
    ["script", "{n}"], ["calendar", "show", "--year", "{n}"],
])
def test_a_number_too_large_for_the_ledger_is_refused_by_name(cli, line: list[str]) -> None:
    """A 21-digit id once reached SQLite and came back as an internal error."""
    assert cli("init").code == 0
    negative = line[line.index("{n}") - 1].startswith("--")   # else -N reads as an option
    for n in (10**20, 10**30, *([-(10**30)] if negative else [])):
        result = cli(*(part.format(n=n) for part in line))
        assert result.code == 2, result.err
        assert (f"{n}: out of range for an id or a score" in result.err
                or f"{n} is not in the range 1900<=x<=9000" in result.err), result.err
        assert "internal error" not in result.err and "Traceback" not in result.err


def _every_command(group, path: tuple[str, ...] = ()):  # noqa: ANN001, ANN202
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from _every_command(command, (*path, name))


def test_no_help_shows_the_ledgers_number_limits(cli) -> None:
    """`log --help` showed [-9223372036854775808<=x<=9223372036854775807] under four
    options: ids and scores are refused by followup, not by a range typer prints."""
    import typer

    from followup_cli.cli import build_app

    commands = list(_every_command(typer.main.get_command(build_app())))
    assert ("log",) in commands and ("complaint", "ack") in commands
    for path in commands:
        result = cli(*path, "--help")
        assert result.code == 0, path
        assert "9223372036854775807" not in result.out, path
        assert "<int range>" not in result.out, path
    log_help = cli("log", "--help").out
    assert "[TASK_ID]" in log_help and "--amend ATTEMPT_ID" in log_help


def test_the_library_never_reaches_into_the_commands() -> None:
    """Two faces, one library: a command imports no other command, and nothing outside
    the CLI's own modules imports a command, the root options or typer (a web front end
    calls the same library)."""
    import ast

    package = Path(__file__).parent.parent / "followup_cli"
    cli_side = {"cli.py", "fastpath.py", "options.py", "lazy.py"}
    for path in package.rglob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        commands = {m for m in imported if m.startswith("followup_cli.commands.")}
        where = path.relative_to(package)
        if where.parts[0] == "commands":
            assert not commands, where
        elif where.name not in cli_side:
            assert not commands and not {"typer", "followup_cli.options",
                                         "followup_cli.lazy.typer"} & imported, where


@pytest.mark.parametrize("line", [["due", "--today"], ["due", "--date", "2026-11-04"],
                                  ["report", "--month", "2026-10"], ["patient", "C1"],
                                  ["alert", "list"], ["sms", "plan"], ["complaint", "list"]])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_missing_ledger_file_is_named_and_not_created(cli, tmp_path: Path, line: list[str],
                                                        lang: str) -> None:
    """`--db DEMO.db` with no such file said "no visits yet", as if it were an empty ledger."""
    db = tmp_path / "my clinic.db"
    result = cli("--lang", lang, "--db", str(db), *line)
    quoted = f"'{db}'"
    assert (result.code, result.out) == (2, "")
    assert result.err == {
        "en": f"followup: the ledger {quoted} does not exist: create it with followup --db "
              f"{quoted} init, or import visits into it with followup --db {quoted} import "
              "visits FILE (init --demo makes a demo clinic to try)\n",
        "zh": f"followup: 台账 {quoted} 不存在：用 followup --db {quoted} init 创建，或用 "
              f"followup --db {quoted} import visits 文件 导入就诊记录（init --demo 生成一个"
              "演示诊所）\n"}[lang]
    assert not db.exists()
