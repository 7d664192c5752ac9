"""`due` and `log` read without typer (followup_cli/fastpath.py) must mean exactly what
typer would have made of the same line: same options, same values, same output, same
ledger afterwards."""

from __future__ import annotations

import shutil
import site
import sqlite3
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

from followup_cli import fastpath
from followup_cli.cli import build_app, run

NOTE = "患者反馈恢复顺利，已提醒按时复查并注意饮食清淡，无其他不适。"
LEFT_TO_TYPER: dict[str, set[str]] = {"due": {"--output", "-O"}, "log": set(),
                                       "report": {"--output", "-O"}}


def typer_options(command: str) -> dict[str, tuple[str, str]]:
    """Each option of `command` as typer declares it: option -> (parameter, kind)."""
    import typer
    from typer._click import types
    from typer.models import TyperPath

    group = typer.main.get_command(build_app(command))
    params = group.commands[command].params + group.params   # type: ignore[attr-defined]
    out: dict[str, tuple[str, str]] = {}
    for param in params:
        if param.param_type_name == "argument":
            continue
        kind = (fastpath.FLAG if param.is_flag else fastpath.INT
                if isinstance(param.type, types.IntParamType) else fastpath.PATH
                if isinstance(param.type, TyperPath) else fastpath.TEXTS
                if param.multiple else fastpath.TEXT)
        for option in param.opts + param.secondary_opts:
            out[option] = (str(param.name), kind)
    return out


@pytest.mark.parametrize("command", ["due", "log", "report"])
def test_the_tables_are_typers_own(command: str) -> None:
    declared = typer_options(command)
    spec = fastpath.command(command)
    assert spec is not None
    options, argument = spec
    for option, read in {**options, **fastpath.root()}.items():
        assert declared.get(option) == read, option
    unread = set(declared) - set(options) - set(fastpath.root())
    assert unread == LEFT_TO_TYPER[command] | {"--version", "-V", "--install-completion",
                                               "--show-completion"}


SHORT = {"due": {"-t": "--today", "-d": "--date"},
         "log": {"-o": "--outcome", "-n": "--note", "-s": "--satisfaction", "-p": "--nps",
                 "-a": "--at", "-w": "--when", "-r": "--reason"}}


@pytest.mark.parametrize("command", ["due", "log"])
def test_short_options_are_read_alike(command: str) -> None:
    """Each short option is its long one, to typer and to the fast path alike."""
    declared = typer_options(command)
    spec = fastpath.command(command)
    assert spec is not None
    for short, long in SHORT[command].items():
        assert declared[short] == declared[long] == spec[0][short] == spec[0][long], short


def test_a_reached_call_in_short() -> None:
    short = ["log", "13342", "-o", "reached", "-n", NOTE, "-s", "5", "-p", "9",
             "-w", "2026-11-23 15:00"]
    long = ["log", "13342", "--outcome", "reached", "--note", NOTE, "--satisfaction", "5",
            "--nps", "9", "--when", "2026-11-23 15:00"]
    assert fastpath.parse(short) == fastpath.parse(long) == ("log", {}, {
        "task_id": 13342, "outcome": "reached", "note": NOTE, "satisfaction": 5, "nps": 9,
        "when": "2026-11-23 15:00"})


@pytest.mark.parametrize("argv", [
    ["due", "--help"], ["due", "-h"], ["due", "--today", "--today"], ["due", "--bogus"],
    ["due", "--date"], ["due", "--date", "--today"], ["due", "--today=1"], ["due", "extra"],
    ["due", "--output", "x.csv", "--today"], ["--db", ".", "due", "--today"],
    ["--db", "a.db", "--db", "b.db", "due", "--today"], ["log", "-oreached"],
    ["log", "1", "2"], ["log", "x"], ["log", "--satisfaction", "five"],
    ["log", "--note", "-x"], ["log", "--", "1"], ["report", "--month", "2026-11", "-O", "r.html"],
    ["--db", "a.db", "--db", "b.db", "report", "--month", "2026-11"], ["audit"],
    ["--today"], [],
])
def test_unusual_lines_are_left_to_typer(argv: list[str]) -> None:
    assert fastpath.parse(argv) is None


def test_a_folder_for_a_file_is_left_to_typer(tmp_path: Path) -> None:
    assert fastpath.parse(["--db", str(tmp_path), "due", "--today"]) is None


def test_plain_lines_are_read_here() -> None:
    assert fastpath.parse(["due", "--date=2026-11-23", "--format", "json", "--lang", "en"]) == (
        "due", {"lang": "en"}, {"day": "2026-11-23", "fmt": "json"})
    assert fastpath.parse(["--db", "l.db", "log", "12", "-o", "reached", "--nps", "9"]) == (
        "log", {"db": "l.db"}, {"task_id": 12, "outcome": "reached", "nps": 9})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """A demo ledger, a patient on its sheet and one of their tasks."""
    db = tmp_path_factory.mktemp("fast") / "demo.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "80"]) == 0
    conn = sqlite3.connect(db)
    day = conn.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()[0]
    patient, task = conn.execute(
        "SELECT patient_id, task_id FROM tasks WHERE status = 'open' AND due_date = ? "
        "ORDER BY task_id LIMIT 1", (day,)).fetchone()
    conn.close()
    return db, patient, task


LINES = [
    ["due", "--date", "{day}", "--format", "json"],
    ["due", "--date={day}", "--lang", "zh"],
    ["due", "--date", "{day}", "--format", "csv", "--category", "surgery"],
    ["due", "--date", "{day}", "--time", "19:30", "--format", "json"],
    ["due", "--date", "{day}", "--reveal", "--as", "主管", "--format", "json"],
    ["due", "--date", "{day}", "--agent", "王芳", "--format", "json"],
    ["due", "--date", "{day}", "--format", "yaml"],
    ["due", "--date", "2026-13-40"],
    ["due", "--date", "{day}", "--category", "nosuch"],
    ["due"],
    ["--lang", "fr", "due", "--today"],
    ["log", "--patient", "{patient}", "-o", "reached", "--note", NOTE, "--satisfaction", "5",
     "--when", "{day}T15:00"],
    ["log", "{task}", "--outcome", "no_answer", "--when", "{day}T15:05", "--format", "json"],
    ["log", "--patient", "{patient}", "-o", "callback_requested", "--at", "{day}T19:30",
     "--when", "{day}T15:10", "--agent", "李娜"],
    ["log", "--patient", "{patient}", "-o", "reached", "--note", "短", "--when", "{day}T15:20"],
    ["log", "--patient", "NOBODY", "-o", "reached", "--note", NOTE],
    ["log", "--patient", "{patient}", "-o", "maybe"],
    ["log", "--amend", "1", "--reason", "误点", "-o", "busy"],
    ["log", "--void", "999999", "--reason", "x"],
    # values that cannot be real are refused the same way by both readers
    ["log", "{task}", "-o", "no_answer", "--when", ""],
    ["log", "{task}", "-o", "no_answer", "--when=2099-01-01T10:00"],
    ["log", "{task}", "-o", "no_answer", "--when", "0001-01-01"],
    ["log", "--patient", "{patient}", "-o", "callback_requested", "--at", "9999-12-31T23:59"],
    ["log", "--void", "1", "--reason", "\u200b\ufeff"],
    # the short options
    ["log", "{task}", "-o", "reached", "-n", NOTE, "-s", "5", "-p", "9", "-w", "{day}T15:30"],
    ["log", "{task}", "-o", "改约", "-a", "{day} 19:30", "-w", "{day}T15:40"],
    ["log", "{task}", "-o", "reached", "-n", NOTE, "-s", "6", "-p", "11"],
    ["log", "--void", "1", "-r", "误点"],
    ["due", "-d", "{day}", "--format", "json"],
    ["due", "-t", "--format", "json"],
    ["due", "--date", "{day}", "--time", "00:00+08:00"],
    ["due", "--date", ""],
    # the supervisor's report
    ["report", "--month", "{month}", "--format", "json"],
    ["report", "--month", "{month}", "--date", "{day}", "--lang", "zh"],
    ["report", "--from", "{day}", "--to", "{day}", "--agent", "王芳", "--format", "csv"],
    ["report", "--month", "{month}", "--category", "nosuch"],
    ["report", "--month", "2026-13"],
    ["report", "--explain"],
    # options that contradict each other are refused, none silently dropped
    ["due", "--now", "--date", "{day}"],
    ["due", "--now", "--time", "19:30"],
    ["due", "--today", "--date", "{day}"],
]


@pytest.mark.parametrize("line", LINES, ids=lambda line: " ".join(line)[:60])
def test_the_same_line_means_the_same_either_way(line: list[str], demo, tmp_path: Path,
                                                  capsys, monkeypatch) -> None:  # noqa: ANN001
    db, patient, task = demo
    conn = sqlite3.connect(db)
    day = conn.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()[0]
    conn.close()
    argv = [a.format(day=day, patient=patient, task=task, month=day[:7]) for a in line]
    assert fastpath.parse(argv) is not None   # else this compares typer with itself
    from followup_cli import clock

    moment = datetime.combine(date.fromisoformat(day), time(16, 30))
    monkeypatch.setattr(clock, "now", lambda: moment)   # logged_at: the same second for both
    outcomes = []
    for fast in (True, False):
        copy = tmp_path / f"{fast}.db"
        shutil.copyfile(db, copy)
        monkeypatch.setenv("FOLLOWUP_DB", str(copy))
        if not fast:
            monkeypatch.setattr(fastpath, "parse", lambda argv: None)
        capsys.readouterr()
        code = run(argv)
        out, err = capsys.readouterr()
        ledger = sqlite3.connect(copy)
        rows = [tuple(r) for table in ("attempts", "tasks", "audit", "complaints")
                for r in ledger.execute(f"SELECT * FROM {table} ORDER BY 1")]
        ledger.close()
        outcomes.append((code, out, err, rows))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] in (0, 2)


@pytest.mark.parametrize("line", [["due", "--today"], ["log", "--patient", "P", "-o", "busy"]])
def test_an_unknown_time_zone_either_way(line: list[str], demo, capsys,  # noqa: ANN001
                                         monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FOLLOWUP_DB", str(demo[0]))
    monkeypatch.setenv("FOLLOWUP_TZ", "garbage")
    assert fastpath.parse(line) is not None
    outcomes = []
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(fastpath, "parse", lambda argv: None)
        capsys.readouterr()
        outcomes.append((run(line), *capsys.readouterr()))
    assert outcomes[0] == outcomes[1] == (
        2, "", "followup: FOLLOWUP_TZ=garbage: unknown time zone (e.g. Asia/Shanghai)\n")


@pytest.mark.parametrize("line", [["due", "--today", "--format", "json"], ["due", "--today"],
                                  ["log", "--patient", "NOBODY", "-o", "busy"]])
def test_the_agents_commands_do_not_load_typer(line: list[str], demo) -> None:  # noqa: ANN001
    """Nor what costs a command more than its work: dataclasses (it loads inspect),
    pathlib (it loads urllib.parse), the tz database for China's time."""
    db = demo[0]
    heavy = ("typer.", "inspect", "dataclasses", "urllib.parse", "zoneinfo")
    # -S: no site hooks (an editable install's finder loads pathlib before followup runs)
    where = [str(Path(__file__).resolve().parents[1]), *site.getsitepackages()]
    probe = (f"import sys, io, contextlib\nsys.path[:0] = {where!r}\n"
             "before = set(sys.modules)\nfrom followup_cli.cli import run\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    code = run(['--db', {str(db)!r}, *{line!r}])\n"
             "print(code, sorted(m for m in set(sys.modules) - before\n"
             f"                  if m.startswith({heavy!r})))")
    out = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True)
    code, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "[]", out.stdout + out.stderr
    assert code in ("0", "2")


def test_shell_completion_is_on(cli, monkeypatch) -> None:  # noqa: ANN001
    """`followup --install-completion` exists; the shell's completion requests (an empty
    command line and variables) go to typer, never to the fast path."""
    shown = cli("--show-completion", "bash")
    assert shown.code == 0, shown.err
    assert "_FOLLOWUP_COMPLETE=complete_bash" in shown.out
    assert "--install-completion" in cli("--help").out
    assert fastpath.parse(["--install-completion"]) is None
    monkeypatch.setenv("_FOLLOWUP_COMPLETE", "complete_bash")
    for words, expected in (("followup lo", "log"), ("followup log 12 --sat", "--satisfaction"),
                            ("followup due --to", "--today")):
        monkeypatch.setenv("COMP_WORDS", words)
        monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
        done = cli()
        assert (done.code, done.out, done.err) == (0, expected + "\n", ""), words


@pytest.mark.parametrize(("line", "said"), [
    (["due", "--now", "--date", "2026-11-02"], "--now is this moment"),
    (["due", "--now", "--date", "2026-11-02", "--time", "10:00"], "--now is this moment"),
    (["due", "--now", "--time", "19:30"], "--now is this moment"),
    (["due", "--today", "--date", "2026-11-02"], "--today and --date name two days"),
    (["due", "-t", "-d", "2026-11-02", "--format", "json"], "--today and --date name two days"),
])
def test_contradicting_options_are_refused_either_way(line: list[str], said: str, demo,  # noqa: ANN001
                                                      capsys, monkeypatch) -> None:  # noqa: ANN001
    """`--now` with --date or --time, `--today` with --date: one of them was dropped."""
    monkeypatch.setenv("FOLLOWUP_DB", str(demo[0]))
    assert fastpath.parse(line) is not None
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(fastpath, "parse", lambda argv: None)
        capsys.readouterr()
        code = run(line)
        out, err = capsys.readouterr()
        assert (code, out) == (2, ""), (fast, err)
        assert said in err, (fast, err)
