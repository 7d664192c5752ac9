"""Crashes leave the ledger as before or as after; bad input never breaks anything."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup_cli.cli import run

HEADER = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态"


def big_export(path: Path, n: int, day: str = "2026-11-02", pad: str = "") -> Path:
    rows = [f"K{i:06d},Q{i:06d},患者{i}{pad},139{i:08d},{day},双眼皮,成交" for i in range(n)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (conn.execute("SELECT count(*) FROM visits").fetchone()[0],
                conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("rows, day, pad", [
    (6000, "2026-11-02", ""),
    # over 2 MB: a first import read and staged by a second process, indexes rebuilt,
    # references checked at the end (history: its calls are counted, not stored)
    (30000, "2025-03-02", "的病历附注" * 3)], ids=["here", "second-process"])
def test_an_import_killed_at_any_moment(tmp_path: Path, rows: int, day: str, pad: str) -> None:
    """SIGKILL an import at random moments: the ledger is always exactly as before or
    exactly as after, and re-running completes it."""
    import shutil

    db, pristine = tmp_path / "crash.db", tmp_path / "pristine.db"
    assert run(["--db", str(pristine), "init"]) == 0
    export = big_export(tmp_path / "big.csv", rows, day, pad)
    assert (export.stat().st_size > 2_000_000) == (rows > 6000)
    cmd = [sys.executable, "-m", "followup_cli", "--db", str(db), "import", "visits",
           str(export), "--date", "2026-11-02"]

    def fresh() -> None:
        for extra in ("-wal", "-shm"):
            Path(f"{db}{extra}").unlink(missing_ok=True)
        shutil.copyfile(pristine, db)

    fresh()
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    after = counts(db)
    assert after[0] == rows
    fresh()
    started = time.perf_counter()
    assert subprocess.run([*cmd, "--dry-run"], capture_output=True).returncode == 0
    whole = time.perf_counter() - started   # the same work, rolled back
    assert counts(db) == (0, 0)
    rng = random.Random(7)
    killed_midway = 0
    for _ in range(20):
        fresh()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.9) * whole)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = counts(db)
        assert state in ((0, 0), after), state
        if state == (0, 0):
            killed_midway += 1
            if killed_midway == 4:
                break
        else:   # it ran faster than the timed dry run (a busy machine then): aim sooner
            whole *= 0.7
    assert killed_midway >= 3, "the kills did not land while the import was running"
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert counts(db) == after


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused_cleanly(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    db = tmp_path / "fuzz.db"
    code = run(["--db", str(db), "import", "visits", str(path), "--date", "2026-11-02"])
    assert code in (0, 2)
    if code == 2 and db.exists():
        assert counts(db) == (0, 0)


cells = st.one_of(st.text(max_size=30), st.sampled_from([
    "", "=cmd|' /C calc'!A0", "2026-02-30", "2026年13月1日", "99999999", "+86 138 0000 0000",
    "'); DROP TABLE visits;--", "成交", "未到诊", "高", "是", "x" * 500, "46296.5"]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=9), max_size=6),
       header=st.permutations(["客户编号", "姓名", "手机号", "就诊日期", "项目", "状态", "风险等级"]))
def test_random_exports_never_break_anything(tmp_path: Path, rows, header) -> None:  # noqa: ANN001
    import csv

    path = tmp_path / "rows.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    db = tmp_path / "rows.db"
    if db.exists():
        os.remove(db)
    code = run(["--db", str(db), "import", "visits", str(path), "--date", "2026-11-02"])
    assert code in (0, 2)
    if code == 2 and db.exists():
        assert counts(db) == (0, 0)


# importer hardening: ids people cannot tell apart, rows cut off, a hidden or bomb workbook
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(noise=st.lists(st.sampled_from(["\ufeff", "\u200b", "\u2060", "\x00", "\x07", " ",
                                       "\u3000", "\u202e", "\u00ad"]), max_size=4),
       cut=st.integers(min_value=0, max_value=8))
def test_hostile_ids_and_cut_rows_fail_cleanly(tmp_path: Path, noise: list[str],
                                               cut: int) -> None:
    pid = "".join(noise) + "Ｃ１" + "".join(reversed(noise))
    cells = ["A1", pid, "张三", "13800001111", "2026-11-01", "双眼皮", "成交"]
    path = tmp_path / "ids.csv"
    path.write_text("单号,客户编号,姓名,手机号,就诊日期,项目,状态\n" + ",".join(cells[:7 - cut % 7])
                    + "\n", encoding="utf-8")
    db = tmp_path / "ids.db"
    if db.exists():
        os.remove(db)
    code = run(["--db", str(db), "import", "visits", str(path), "--date", "2026-11-02"])
    assert code == (0 if cut % 7 == 0 else 2)
    if code == 0:
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT patient_id FROM patients").fetchall() == [("C1",)]
        conn.close()


def test_a_zip_bomb_workbook_is_refused(tmp_path: Path) -> None:
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        out.writestr("[Content_Types].xml", "<Types/>")
        out.writestr("xl/worksheets/sheet1.xml", b"<c/>" * (5 << 20))
    assert run(["--db", str(tmp_path / "b.db"), "import", "visits", str(bomb)]) == 2


LOGGER = """
import sys
from followup_cli.cli import run
db, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    run(["--db", db, "--lang", "en", "log", "--patient", f"Q{i:06d}", "-o", "reached",
         "--note", "患者恢复良好，已提醒按时复查并注意饮食。", "--agent", "killed",
         "--when", "2026-11-03T16:00"])
"""


def attempts_state(db: Path) -> dict[str, int]:
    """Calls per patient; every call is linked to the tasks it settled."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        unlinked = conn.execute("SELECT count(*) FROM attempts a WHERE NOT EXISTS "
                                "(SELECT 1 FROM attempt_tasks l WHERE l.attempt_id = "
                                "a.attempt_id)").fetchone()[0]
        assert unlinked == 0
        return dict(conn.execute("SELECT patient_id, count(*) FROM attempts GROUP BY 1"))
    finally:
        conn.close()


def test_logs_killed_at_any_moment(tmp_path: Path) -> None:
    """SIGKILL a run of `followup log` calls at random moments: each call is in the ledger
    whole (with the tasks it settled) or not at all; `doctor` finds every task's state equal
    to a replay of its calls; logging again completes the run, nothing twice."""
    db = tmp_path / "log.db"
    n = 1000   # more than a process logs in the half second it may run (~2 ms a call)
    assert run(["--db", str(db), "import", "visits", str(big_export(tmp_path / "v.csv", n)),
                "--date", "2026-11-03"]) == 0
    cmd = [sys.executable, "-c", LOGGER, str(db), str(n)]
    started = time.perf_counter()   # a process that starts, loads followup and logs nothing
    subprocess.run([*cmd[:-1], "0"], check=True)
    startup = time.perf_counter() - started
    rng = random.Random(11)
    logged = []
    for _ in range(8):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(startup + rng.uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        per_patient = attempts_state(db)
        assert set(per_patient.values()) <= {1}, "a call was logged twice"
        assert run(["--db", str(db), "doctor"]) == 0
        logged.append(len(per_patient))
    assert 0 < logged[-1] < n, f"the kills did not land mid-run: {logged}"
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    per_patient = attempts_state(db)
    assert len(per_patient) == n and set(per_patient.values()) == {1}
    assert run(["--db", str(db), "doctor"]) == 0


def due_dates(db: Path) -> list[tuple[int, str, str, int]]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT task_id, due_date, expires_on, provisional FROM tasks "
                            "ORDER BY task_id").fetchall()
    finally:
        conn.close()


def test_a_replan_killed_at_any_moment(tmp_path: Path) -> None:
    """Weekends switched off moves about ten thousand calls; SIGKILL the replan at random
    moments while it runs: every task's due date is all as before or all as after."""
    import datetime as dt
    import shutil

    pristine = tmp_path / "pristine.db"
    export = tmp_path / "spread.csv"
    rows = [f"K{i:06d},Q{i:06d},患者{i},139{i:08d},{dt.date(2026, 10, 1) + dt.timedelta(i % 60)},"
            "双眼皮,成交" for i in range(12000)]
    export.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    assert run(["--db", str(pristine), "import", "visits", str(export), "--date",
                "2026-11-30"]) == 0
    calendar = tmp_path / "calendar.toml"
    calendar.write_text("weekends = false\n", encoding="utf-8")
    before = due_dates(pristine)
    db = tmp_path / "replan.db"

    def replan(db: Path) -> list[str]:
        return [sys.executable, "-m", "followup_cli", "--db", str(db), "--calendar",
                str(calendar), "calendar", "replan", "--date", "2026-11-02", "--format", "json"]

    def fresh() -> None:
        for extra in ("-wal", "-shm"):
            Path(f"{db}{extra}").unlink(missing_ok=True)
        shutil.copyfile(pristine, db)

    fresh()
    started = time.perf_counter()
    assert subprocess.run(replan(db), capture_output=True).returncode == 0
    whole = time.perf_counter() - started
    after = due_dates(db)
    assert sum(row != was for row, was in zip(after, before, strict=True)) > 5000
    started = time.perf_counter()   # the same process up to its transaction
    assert subprocess.run([*replan(db)[:-5], "check"]).returncode == 0
    startup = time.perf_counter() - started
    rng = random.Random(5)
    killed_midway, span = 0, max(whole - startup, 0.05)
    for _ in range(20):
        fresh()
        proc = subprocess.Popen(replan(db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(startup + rng.uniform(0.1, 0.9) * span)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = due_dates(db)
        assert state in (before, after)
        if state == before:
            killed_midway += 1
            if killed_midway == 4:
                break
        else:   # it ran faster than the first, timed run: aim sooner (a busy machine)
            span *= 0.7
    assert killed_midway >= 3, "the kills did not land while the replan was running"
    assert subprocess.run(replan(db), capture_output=True).returncode == 0
    assert due_dates(db) == after


# --- rules and calendar files ----------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "visits-example.csv"
DEFAULT_RULES = (Path(__file__).resolve().parents[1] / "followup_cli" / "rules"
                 / "default.toml").read_text(encoding="utf-8")
CALENDAR = """weekends = true
closed = ["2026-12-24"]
[years.2027]
rest = ["2027-01-01", "2027-02-06"]
work = ["2027-02-20"]
[windows]
summer = ["05-01", "09-30"]
[windows.summer_hours]
afternoon = "14:30-16:30"
evening = "19:00-20:00"
[windows.winter_hours]
afternoon = "14:00-16:30"
evening = "19:00-20:00"
"""
HOSTILE_VALUES = ['""', "0", "-1", "1e309", "true", "[]", "{}", '"-3d"', '"99999m"', '"0d"',
                  '"夜间"', '"later "', '["x", 1]', '{ zh = 1 }', '"2026-02-30"', '"25:00-26:00"',
                  '"16:30-14:00"', '"13-01"', '[["2027-01-01"]]', '"\\u0000"', '"x" ', "nan"]


def mutated(text: str, data: st.DataObject) -> str:
    """A real file with some values swapped for hostile ones, or cut short, or garbled."""
    lines = text.splitlines()
    how = data.draw(st.sampled_from(["values", "cut", "lines"]))
    if how == "cut":
        return text[:data.draw(st.integers(0, len(text)))]
    if how == "lines":
        picks = data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=6))
        return "\n".join(line for i, line in enumerate(lines) if i not in picks)
    assigned = [i for i, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    for i in data.draw(st.lists(st.sampled_from(assigned), min_size=1, max_size=4)):
        key = lines[i].split(" = ", 1)[0]
        lines[i] = f"{key} = {data.draw(st.sampled_from(HOSTILE_VALUES))}"
    return "\n".join(lines) + "\n"


def write_fuzzed(path: Path, real: str, data: st.DataObject) -> Path:
    """Half the time a real file mutated, half the time random bytes."""
    if data.draw(st.booleans()):
        path.write_text(mutated(real, data), encoding="utf-8")
    else:
        path.write_bytes(data.draw(st.binary(max_size=300)))
    return path


def no_traceback(code: int, err: str, name: str) -> None:
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 2:
        assert name in err, err   # the message says which file


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_broken_rules_files_are_refused_cleanly(tmp_path: Path, capsys, data) -> None:  # noqa: ANN001
    path = write_fuzzed(tmp_path / "fuzz-rules.toml", DEFAULT_RULES, data)
    db = tmp_path / "rules.db"
    if db.exists():
        os.remove(db)
    capsys.readouterr()
    code = run(["--db", str(db), "--rules", str(path), "import", "visits", str(EXAMPLE),
                "--date", "2026-12-31"])
    no_traceback(code, capsys.readouterr().err, path.name)
    if code == 2 and db.exists():
        assert counts(db) == (0, 0)
    code = run(["--db", str(db), "rules", "check", str(path)])
    no_traceback(code, capsys.readouterr().err, path.name)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_broken_calendar_files_are_refused_cleanly(tmp_path: Path, capsys, data) -> None:  # noqa: ANN001
    path = write_fuzzed(tmp_path / "fuzz-calendar.toml", CALENDAR, data)
    db = tmp_path / "calendar.db"
    if not db.exists():   # one small clinic for all examples, planned with the default calendar
        assert run(["--db", str(db), "import", "visits", str(EXAMPLE), "--date",
                    "2026-12-31"]) == 0
    capsys.readouterr()
    for args in (["calendar", "check", str(path)], ["due", "--date", "2026-11-03"],
                 ["calendar", "show", "--year", "2027", "--format", "json"],
                 ["calendar", "replan", "--date", "2026-11-03"]):
        code = run(["--db", str(db), "--calendar", str(path), *args])
        no_traceback(code, capsys.readouterr().err, path.name)


# --- every command's options ------------------------------------------------------------

def leaf_commands() -> list[tuple[list[str], list[tuple[str, bool]], int]]:
    """(command path, [(option, is_flag)], number of arguments) for every command."""
    import typer

    from followup_cli.cli import build_app

    found = []

    def walk(cmd, path: list[str]) -> None:  # noqa: ANN001
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
            return
        opts = [(p.opts[0], bool(getattr(p, "is_flag", False))) for p in cmd.params
                if p.param_type_name == "option" and p.opts[0] not in ("--help", "--demo")]
        args = sum(1 for p in cmd.params if p.param_type_name == "argument")
        found.append((path, opts, args))

    walk(typer.main.get_command(build_app()), [])
    return found


COMMANDS = leaf_commands()
OPTION_VALUES = st.one_of(st.sampled_from([
    "", "0", "-1", "1", "7", "100000000000000000000", "2026-11-03", "2026-02-30", "2026-11",
    "2026-13", "9999-12-31", "0001-01-01", "today", "16:30", "25:61", "2026-11-03T16:00",
    "json", "csv", "table", "html", "xlsx", "zh", "en", "reached", "no_answer", "投诉",
    "P000001", "C000001", "1,2,3", "a=b", "预约=visit_date", "x" * 300, "'); DROP TABLE tasks;--",
    "out.html", "out.xlsx", "sheet.csv", "nowhere/file.db", "张三", "-", "--",
]), st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
                       max_size=12))   # argv holds no NUL; non-UTF-8 bytes: test below


def test_every_command_is_fuzzed() -> None:
    names = {" ".join(path) for path, _, _ in COMMANDS}
    assert {"due", "log", "report", "import visits", "calendar replan", "complaint close",
            "assign", "backup", "doctor", "patient show"} <= names


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_options_on_any_command_fail_cleanly(tmp_path: Path, capsys, monkeypatch,  # noqa: ANN001
                                                 data) -> None:
    """Random options with random values on every command: exit 0, 1 (a check that found
    something) or 2 with a message; never an internal error (FOLLOWUP_DEBUG re-raises it)."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "options.db"
    if not db.exists():
        assert run(["--db", str(db), "init", "--demo", "--patients", "60"]) == 0
    monkeypatch.setenv("FOLLOWUP_DEBUG", "1")
    path, opts, nargs = data.draw(st.sampled_from(COMMANDS))
    root = data.draw(st.lists(st.sampled_from(["--lang", "--rules", "--calendar"]), unique=True,
                              max_size=2))
    argv = ["--db", str(db), *path]
    for option in root:   # root options go anywhere on the line
        argv[2:2] = [option, data.draw(OPTION_VALUES)]
    for option, is_flag in data.draw(st.lists(st.sampled_from(opts), max_size=4,
                                              unique=True)) if opts else []:
        argv += [option] if is_flag else [option, data.draw(OPTION_VALUES)]
    argv += [data.draw(OPTION_VALUES) for _ in range(data.draw(st.integers(0, nargs + 1)))]
    capsys.readouterr()
    code = run(argv)
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if code == 2:
        assert err.strip(), argv


def test_arguments_that_are_not_utf8(tmp_path: Path) -> None:
    """A terminal set to GBK sends bytes that are not UTF-8: a clean message, exit 2."""
    db = tmp_path / "bytes.db"
    assert run(["--db", str(db), "init"]) == 0
    for args in ([b"patient", "张三".encode("gbk")], [b"due", b"--date", b"\xff"],
                 [b"import", b"visits", "患者.csv".encode("gbk")],
                 [b"log", b"--patient", b"\xc4\xe3", b"-o", b"reached"]):
        result = subprocess.run([sys.executable, b"-m", b"followup_cli", b"--db", bytes(db),
                                 *args], capture_output=True)
        assert result.returncode == 2, (args, result.stderr)
        assert b"Traceback" not in result.stderr and result.stderr.startswith(b"followup: ")


# --- the report as files: names from the ledger and followup.toml are only text ---------

@pytest.mark.parametrize("agent", [
    "$\\frac$", "$x^2$ 王芳", "<script>alert(1)</script>", '=HYPERLINK("http://x","y")',
    "李" * 120, "אבג 王", "🙂 小王", "a&b\"'<",
])
def test_hostile_names_in_report_files(tmp_path: Path, capsys, agent: str) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    db = tmp_path / "l.db"
    assert run(["--db", str(db), "import", "visits", str(big_export(tmp_path / "v.csv", 1)),
                "--date", "2026-11-02"]) == 0
    assert run(["--db", str(db), "log", "--patient", "Q000000", "-o", "no_answer", "--when",
                "2026-11-03T15:00", "--agent", agent]) == 0
    (tmp_path / "followup.toml").write_text(
        '[clinic]\nname = "<b>诊所</b> =1+1 $\\\\frac$"\n', encoding="utf-8")
    capsys.readouterr()
    base = ["--db", str(db), "report", "--month", "2026-11", "--date", "2026-11-03"]
    assert run([*base, "--format", "html", "-O", str(tmp_path / "r.html")]) == 0
    assert run([*base, "--format", "xlsx", "-O", str(tmp_path / "r.xlsx")]) == 0
    assert "Traceback" not in capsys.readouterr().err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>诊所" not in page
    book = load_workbook(tmp_path / "r.xlsx")
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("=") for v in row), row
