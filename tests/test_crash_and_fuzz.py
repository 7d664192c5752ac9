"""Crashes leave the ledger as before or as after; bad input never breaks anything."""

from __future__ import annotations

import json
import os
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


def killed_at(cmd: list[str], point: str, nth: int = 1) -> None:
    """Run `cmd` until it says it is at its `nth` `point` (followup_cli/checkpoint.py), and
    SIGKILL it there, with a reading process it started (which, its parent killed, would
    wait for ever to hand on what it read)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "FOLLOWUP_TEST_PAUSE_AT": f"{point}:{nth}"},
                            start_new_session=True)
    assert proc.stderr is not None
    said = []
    for line in proc.stderr:
        if line == f"at {point} {nth}\n".encode():
            os.killpg(proc.pid, signal.SIGKILL)
            break
        said.append(line)
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, (
        f"exit {proc.returncode} before {point} {nth}: {b''.join(said[-5:]).decode()}")


@pytest.mark.parametrize("rows, day, pad", [
    (6000, "2026-11-02", ""),
    # over 2 MB: a first import read and staged by a second process, indexes rebuilt,
    # references checked at the end (history: its calls are counted, not stored)
    (30000, "2025-03-02", "的病历附注" * 3)], ids=["here", "second-process"])
@pytest.mark.slow
def test_an_import_killed_at_any_moment(tmp_path: Path, rows: int, day: str, pad: str) -> None:
    """SIGKILL an import at known moments (between its chunks, before and after it commits):
    the ledger is always exactly as before or exactly as after, and re-running completes it."""
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
    dry_run = subprocess.run([*cmd, "--dry-run"], capture_output=True,
                             env={**os.environ, "FOLLOWUP_TEST_PAUSE_AT": "import.chunk:*"})
    assert dry_run.returncode == 0
    assert counts(db) == (0, 0)
    chunks = dry_run.stderr.count(b"at import.chunk ")   # the same work, rolled back
    assert chunks > 3
    # before the first chunk, midway, before the last, before COMMIT; and just after it
    for point, expected in ((("import.chunk", 1), (0, 0)), (("import.chunk", chunks // 2), (0, 0)),
                            (("import.chunk", chunks), (0, 0)), (("commit", 1), (0, 0)),
                            (("committed", 1), after)):
        fresh()
        killed_at(cmd, *point)
        assert counts(db) == expected, point
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert counts(db) == after


@pytest.mark.slow
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


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=9), max_size=6),
       header=st.permutations(["客户编号", "姓名", "手机号", "就诊日期", "项目", "状态",
                               "风险等级"]))
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
@pytest.mark.slow
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
         "--note", "患者恢复良好，已提醒按时来院复查并注意饮食清淡。", "--agent", "killed",
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


@pytest.mark.slow
def test_logs_killed_at_any_moment(tmp_path: Path) -> None:
    """SIGKILL a run of `followup log` calls at known moments (between a call's row and its
    links to the tasks, before and after its COMMIT): each call is in the ledger whole (with
    the tasks it settled) or not at all; `doctor` finds every task's state equal to a replay
    of its calls; logging again completes the run, nothing twice."""
    db = tmp_path / "log.db"
    n = 200   # more calls than the kills below reach
    assert run(["--db", str(db), "import", "visits", str(big_export(tmp_path / "v.csv", n)),
                "--date", "2026-11-03"]) == 0
    cmd = [sys.executable, "-c", LOGGER, str(db), str(n)]
    logged = [0]
    # each run logs again from the first patient: the calls already in are refused before
    # anything is written, so the kill lands in the nth call this run makes
    for point, nth, landed in (("log.attempt", 1, 0), ("log.attempt", 7, 6), ("commit", 5, 4),
                               ("committed", 3, 3), ("log.attempt", 20, 19)):
        killed_at(cmd, point, nth)
        per_patient = attempts_state(db)
        assert set(per_patient.values()) <= {1}, "a call was logged twice"
        assert run(["--db", str(db), "doctor"]) == 0
        assert len(per_patient) == logged[-1] + landed, (point, nth, logged)
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


@pytest.mark.slow
def test_a_replan_killed_at_any_moment(tmp_path: Path) -> None:
    """Weekends switched off moves about ten thousand calls; SIGKILL the replan at known
    moments (between moves, before and after it commits): every task's due date is all as
    before or all as after."""
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
    result = subprocess.run(replan(db), capture_output=True)
    assert result.returncode == 0
    moved = len(json.loads(result.stdout))
    after = due_dates(db)
    assert sum(row != was for row, was in zip(after, before, strict=True)) > 5000
    # after the first task moved, midway, after the last, before COMMIT; and just after it
    for point, nth, expected in (("replan.task", 1, before), ("replan.task", moved // 2, before),
                                 ("replan.task", moved, before), ("commit", 1, before),
                                 ("committed", 1, after)):
        fresh()
        killed_at(replan(db), point, nth)
        assert due_dates(db) == expected, (point, nth)
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


@pytest.mark.slow
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_broken_rules_files_are_refused_cleanly(tmp_path: Path, capsys, monkeypatch,  # noqa: ANN001
                                                data) -> None:  # noqa: ANN001
    from datetime import datetime

    from followup_cli import clock

    # the import is as of 2026-12-31: a day after today is refused before the rules are read
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 31, 18, 0))
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


@pytest.mark.slow
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_broken_calendar_files_are_refused_cleanly(tmp_path: Path, capsys, monkeypatch,  # noqa: ANN001
                                                   data) -> None:  # noqa: ANN001
    from datetime import datetime

    from followup_cli import clock

    # the import is as of 2026-12-31: a day after today is refused
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 31, 18, 0))
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
        if path == ["serve"]:   # runs until stopped: its input is fuzzed over HTTP below
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
    # what the hardening issue found: the ledger as an output, invisible and control
    # characters, values that cannot be real, dates at the ends of the calendar
    "options.db", "./options.db", "options.db-wal", "/dev/null", ".", "\x1b[2J\x1b]0;x\x07",
    "[/]王[b]五", "Ｃ０００００１", "\u200b", "\u200b\u200b", "00000000000", "0001-01-01 00:00",
    "9999-12-31 23:59", "00:00+08:00", "9999-12", "1900-01-01", "9000-12-31",
    # values that cannot be real (the hardening issue, items 7-9)
    "0001-01-01T00:00", "9999-12-31 23:59", "2099-01-01T10:00", "00:00+08:00", "9999-12",
    "1900-01-01", "9000-12-31", "\u200b\ufeff", "00000000000", "/dev/zero",
]), st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]),
                       max_size=12))   # argv holds no NUL; non-UTF-8 bytes: test below


def test_every_command_is_fuzzed() -> None:
    names = {" ".join(path) for path, _, _ in COMMANDS}
    assert {"due", "log", "report", "import visits", "calendar replan", "complaint close",
            "assign", "backup", "doctor", "patient show"} <= names


@pytest.mark.slow
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
    with open(db, "rb") as f:   # no option ever writes over the ledger
        assert f.read(16) == b"SQLite format 3\x00", argv


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


# A ledger that cannot be one, or cannot be written (issue 9): one line saying so, exit 2,
# never "internal error", never a hang.
NOTE = "患者反馈恢复顺利，已提醒按时复查并注意饮食。"


def _followup(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "followup_cli", "--lang", "en", *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env})


def _a_ledger(tmp_path: Path) -> Path:
    db = tmp_path / "l.db"
    export = tmp_path / "v.csv"
    export.write_text(f"{HEADER}\nK1,C1,患者,13912345678,2026-11-02,双眼皮,成交\n",
                      encoding="utf-8")
    assert run(["--db", str(db), "import", "visits", str(export), "--date", "2026-11-02"]) == 0
    return db


LOG_C1 = ("log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when",
          "2026-11-03T15:00")


@pytest.mark.parametrize("command", [LOG_C1, ("doctor",), ("due", "--date", "2026-11-03")])
def test_dev_null_or_a_fifo_is_not_a_ledger(tmp_path: Path, command: tuple[str, ...]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in ("/dev/null", str(fifo), str(tmp_path)):
        result = _followup("--db", path, *command, timeout=30)   # a FIFO must not block
        assert (result.returncode, result.stdout) == (2, ""), (path, result.stderr)
        if path != str(tmp_path):   # a folder: typer's own "is a directory"
            assert result.stderr == (f"followup: {path} is not a plain file: it cannot be a "
                                     "ledger\n")
    assert not os.path.exists("/dev/null-wal")


def _immutable(path: Path, on: bool) -> bool:
    """chattr +i: even root cannot write the file (where the file system supports it)."""
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)],
                          capture_output=True).returncode == 0


def test_a_read_only_ledger_says_so(tmp_path: Path) -> None:
    db = _a_ledger(tmp_path)
    if not _immutable(db, True):
        pytest.skip("chattr +i is not available here")
    try:
        result = _followup("--db", str(db), *LOG_C1)
        reading = _followup("--db", str(db), "due", "--date", "2026-11-03")
    finally:
        _immutable(db, False)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"followup: the ledger {db} cannot be written (a read-only file "
                             "or folder): nothing was recorded\n")
    assert reading.returncode == 0, reading.stderr   # reading it still works
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0
    conn.close()   # the last connection removes the -wal and -shm files
    # a read-only folder: SQLite cannot make the -wal/-shm files it reads through
    assert _immutable(tmp_path, True)
    try:
        result = _followup("--db", str(db), *LOG_C1)
    finally:
        _immutable(tmp_path, False)
    assert (result.returncode, result.stderr) == (2, f"followup: cannot open the ledger {db} "
                                                     "(or its -wal/-shm files beside it): is its "
                                                     "folder or disk read-only?\n")


def test_a_full_disk_loses_nothing_and_says_so(tmp_path: Path) -> None:
    """The ledger on a file system with no room left (a small tmpfs in a user namespace)."""
    db = _a_ledger(tmp_path)
    disk = tmp_path / "disk"
    disk.mkdir()
    room = db.stat().st_size + 36 * 1024   # the ledger and its -shm, a few pages more
    script = (f"mount -t tmpfs -o size={room} tmpfs {disk} && cp {db} {disk}/l.db && "
              f"{sys.executable} -m followup_cli --lang en --db {disk}/l.db "
              + " ".join(f"'{a}'" for a in LOG_C1) + f"; echo \"exit $?\"; "
              f"{sys.executable} -c \"import sqlite3; print(sqlite3.connect('{disk}/l.db')"
              ".execute('SELECT count(*) FROM attempts').fetchone()[0])\"")
    try:
        result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True,
                                text=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("unshare is not available here")
    if "mount" in result.stderr or "unshare" in result.stderr:
        pytest.skip(f"cannot mount a small file system here: {result.stderr}")
    assert result.stdout.split("\n")[-3:] == ["exit 2", "0", ""], result.stdout + result.stderr
    assert result.stderr == (f"followup: the disk holding the ledger {disk}/l.db is full: "
                             "nothing was recorded; free some space and try again\n")


def test_a_full_ledger_rolls_back_and_says_so(tmp_path: Path) -> None:
    """SQLITE_FULL inside a write (here SQLite's own page limit): a LedgerError, nothing
    written, the connection still usable."""
    from datetime import datetime

    from followup_cli.calendar import load_calendar
    from followup_cli.calls import log_call
    from followup_cli.errors import LedgerError
    from followup_cli.ledger import open_ledger

    db = _a_ledger(tmp_path)
    conn = open_ledger(db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(LedgerError, match="is full: nothing was recorded"):
        log_call(conn, load_calendar(None), outcome="reached", note=NOTE * 180, agent="a",
                 patient_id="C1", when=datetime(2026, 11, 3, 15))
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 0
# --- values a user can type that cannot be real (tests/test_input.py has the details) ----

@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "demo.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "60"]) == 0
    return db


HOSTILE_LINES = [
    ["log", "1", "-o", "no_answer", "--when", "0001-01-01"],
    ["log", "1", "-o", "no_answer", "--when", "2099-01-01T10:00"],
    ["log", "1", "-o", "no_answer", "--when", ""],
    ["log", "1", "-o", "callback_requested", "--at", "9999-12-31T23:59"],
    ["log", "--void", "1", "--reason", "\u200b\u200b"],
    ["due", "--date", "2026-11-03", "--time", "00:00+08:00"],
    ["due", "--date", "0001-01-01"], ["due", "--date", "9999-12-31"],
    ["report", "--month", "9999-12"], ["report", "--month", "0001-01"],
    ["complaint", "close", "1", "--note", "x", "--when", "9999-12-31 23:59"],
    ["complaint", "ack", "1", "--note", "\u200b", "--when", "2026-11-03 10:00"],
    ["init", "--demo", "--patients", "99999999999999999999"],
    ["init", "--demo", "--patients", "999999999"],
    ["assign", "--agents", ",".join(f"agent{i}" for i in range(5000))],
    ["assign", "--move", "P", "--to", "\u200b"],
    ["rules", "check", "/dev/zero"], ["--rules", "/dev/zero", "rules", "show"],
    ["--calendar", "/dev/zero", "due", "--today"], ["calendar", "check", "/dev/zero"],
    ["patient", "set-phone", "P000001", "00000000000"],
    # ids and scores SQLite cannot store: refused by name, with no range shown in --help
    ["log", str(10**30), "-o", "reached"], ["log", "--amend", str(-(10**30)), "--reason", "x"],
    ["log", "1", "-o", "reached", "--nps", str(2**63)], ["script", str(10**30)],
    ["complaint", "reopen", str(10**30), "--note", "x"],
]


@pytest.mark.parametrize("line", HOSTILE_LINES, ids=lambda line: " ".join(line)[:50])
def test_values_that_cannot_be_real_are_refused(small_demo: Path, line: list[str], capsys,  # noqa: ANN001
                                                monkeypatch) -> None:  # noqa: ANN001
    """Each once crashed (internal error), hung, or was taken as real; now a message and
    exit 2, quickly, and the ledger as it was."""
    monkeypatch.setenv("FOLLOWUP_DEBUG", "1")   # an internal error re-raises
    before = small_demo.read_bytes()
    started = time.perf_counter()
    capsys.readouterr()
    code = run(["--db", str(small_demo), *line])
    err = capsys.readouterr().err
    assert code == 2 and err.strip(), (code, err)
    assert time.perf_counter() - started < 10
    assert small_demo.read_bytes() == before


@pytest.mark.slow
def test_the_timeline_of_every_patient_with_decisions(tmp_path: Path,
                                                      capsys) -> None:  # noqa: ANN001
    """`patient ID` once crashed for every patient with a wrong-number or do-not-call call."""
    db = tmp_path / "demo.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "400"]) == 0
    conn = sqlite3.connect(db)
    patients = [r[0] for r in conn.execute("SELECT DISTINCT patient_id FROM patient_events")]
    conn.close()
    assert patients
    for patient in patients:
        for lang in ("zh", "en"):
            assert run(["--db", str(db), "--lang", lang, "patient", patient]) == 0, patient
    capsys.readouterr()
def test_hostile_project_names_on_every_sheet(tmp_path: Path, capsys,  # noqa: ANN001
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A patient with two visits whose projects look like markup, a format template and a
    spreadsheet formula: each task names its visit on every sheet, and nothing runs."""
    db = tmp_path / "l.db"
    export = tmp_path / "v.csv"
    export.write_text("\n".join([
        HEADER, "K1,Q1,患者,13900000001,2026-11-02,<b>双眼皮{days}</b>,成交",
        "K2,Q1,患者,13900000001,2026-11-03,=HYPERLINK(\"x\")光子嫩肤,成交"]) + "\n",
        encoding="utf-8")
    assert run(["--db", str(db), "import", "visits", str(export), "--date", "2026-11-03"]) == 0
    monkeypatch.setenv("COLUMNS", "250")
    html, xlsx = tmp_path / "s.html", tmp_path / "s.xlsx"
    assert run(["--db", str(db), "due", "--date", "2026-11-04"]) == 0
    assert "[<b>双眼皮{days}</b> · day 2]" in capsys.readouterr().out
    assert run(["--db", str(db), "due", "--date", "2026-11-04", "--format", "html",
                "-O", str(html)]) == 0
    assert run(["--db", str(db), "due", "--date", "2026-11-04", "--format", "xlsx",
                "-O", str(xlsx)]) == 0
    page = html.read_text()
    assert "<b>双眼皮" not in page and "&lt;b&gt;双眼皮{days}&lt;/b&gt; · day 2" in page
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_index(0).to_python()
    assert "'=HYPERLINK(\"x\")光子嫩肤" in {r[rows[0].index("Project")] for r in rows[1:]}
# --- the report as files: names from the ledger and followup.toml are only text ---------

@pytest.mark.parametrize("agent", [
    "$\\frac$", "<script>alert(1)</script>",
                                   *(pytest.param(agent, marks=pytest.mark.slow) for agent in (
        "$x^2$ 王芳", '=HYPERLINK("http://x")&"y"', "李" * 40, "אבג 王", "🙂 小王", "a&b\"'<")),
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


@pytest.mark.slow
def test_a_reading_process_does_not_outlive_its_import(tmp_path: Path) -> None:
    """SIGKILL only the importing process: the reading process it forked finds nobody
    to hand on to and ends by itself (it used to wait for ever, a pipe's own reader)."""
    import time

    export = big_export(tmp_path / "big.csv", 30000, "2025-03-02", "的病历附注" * 3)
    db = tmp_path / "orphan.db"
    cmd = [sys.executable, "-m", "followup_cli", "--db", str(db), "import", "visits",
           str(export), "--date", "2026-11-02"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "FOLLOWUP_TEST_PAUSE_AT": "import.chunk:2"})
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith(b"at import.chunk"):
            break
    children = [int(pid) for pid in os.listdir("/proc") if pid.isdigit()
                and _parent_of(int(pid)) == proc.pid]
    assert children, "no reading process: the file is read in one process"
    proc.kill()   # the importing process alone, as a crash or `kill -9 PID` would
    proc.wait()
    proc.stderr.close()
    deadline = time.monotonic() + 60
    while any(_parent_of(pid) is not None for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [pid for pid in children if _parent_of(pid) is not None]
    for pid in alive:   # leave nothing behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert alive == []


def _parent_of(pid: int) -> int | None:
    """The parent of a live process, None once it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else int(fields[1])


# an agent's config file as anything may leave it (issue 18 item 3)
HOSTILE_CONFIGS = {
    "folder": None, "not UTF-8": b"agent = \"\xff\xfe\"\n", "NUL": b"agent = \"a\x00b\"\n",
    "huge": b"# padding\n" * 110_000, "a table": b"[agent]\nname = 1\n",
    "escape": b'agent = "\\u001b]0;x\\u0007"\n', "invisible": b'agent = "\\u200b"\n',
}


@pytest.mark.parametrize("kind", HOSTILE_CONFIGS)
def test_a_hostile_config_file(small_demo: Path, tmp_path: Path, capsys, monkeypatch,  # noqa: ANN001
                               kind: str) -> None:
    """Reading it (to log a call) or writing a name over it: a message naming the file,
    exit 2, nothing recorded, the file as it was."""
    monkeypatch.setenv("FOLLOWUP_DEBUG", "1")
    monkeypatch.delenv("FOLLOWUP_AGENT")
    config = tmp_path / "config" / "followup" / "config.toml"
    config.parent.mkdir(parents=True)
    content = HOSTILE_CONFIGS[kind]
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    before = small_demo.read_bytes()
    for line in (["log", "1", "-o", "no_answer"], ["config", "agent"],
                 ["config", "agent", "王芳"]):
        capsys.readouterr()
        code = run(["--db", str(small_demo), *line])
        err = capsys.readouterr().err
        if code == 0:   # a name may be written over a file followup read whole
            assert line[-1] == "王芳" and kind in ("escape", "invisible"), kind
            continue
        assert code == 2 and str(config) in err, (line, err)
        assert "\x1b" not in err
    assert small_demo.read_bytes() == before
    if kind in ("not UTF-8", "NUL", "huge", "a table"):
        assert config.read_bytes() == content


# --- SMS (issue 20): receipts and texts a user hands in -----------------------------------

@pytest.mark.parametrize("content", [
    b"[" * 100_000,                                             # nested past any receipt
    "手机号码,发送状态\n\"".encode() + b"x" * 200_000 + "\",成功\n".encode(),  # csv's limit
    b"\xff\xfe\x00garbage\x81\x82",                              # not text
    "手机号码,发送状态\n137\x0034567890,成功\n".encode(),            # a NUL inside
    b'[{"PhoneNum": ["x"], "SendStatus": {"a": 1}}]',          # values of the wrong type
    b'{"PullSmsSendStatusSet": 5}',
    b"",
])
def test_hostile_sms_receipts_are_refused(tmp_path: Path, capsys,
                                          content: bytes) -> None:  # noqa: ANN001
    db = tmp_path / "l.db"
    assert run(["--db", str(db), "init"]) == 0
    receipt = tmp_path / "r.csv"
    receipt.write_bytes(content)
    capsys.readouterr()
    assert run(["--db", str(db), "sms", "result", str(receipt)]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("texts", [
    "common = 5\n", "[touchpoints]\nsurgery = 5\n", "[common]\nunreachable = 5\n",
    '[common.unreachable]\ntext = { zh = "{name", en = "x}" }\n',
    '[common.unreachable]\ntext = { zh = "a", en = "b" }\nremind = "yes"\n',
    '[common.combined]\ntext = { zh = "{name}", en = "{text}" }\n',
])
@pytest.mark.parametrize("settings_text", ["", "clinic = 5\nsms = 5\n",
                                            '[sms]\nhours = "25:00-26:00"\n'])
def test_hostile_sms_texts_and_settings_are_refused(tmp_path: Path, capsys, texts: str,  # noqa: ANN001
                                                    settings_text: str) -> None:
    db = tmp_path / "l.db"
    assert run(["--db", str(db), "init"]) == 0
    (tmp_path / "sms.toml").write_text(texts, encoding="utf-8")
    (tmp_path / "followup.toml").write_text(settings_text, encoding="utf-8")
    capsys.readouterr()
    assert run(["--db", str(db), "sms", "plan", "--date", "2026-11-04"]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err


# --- warning signs and booked re-checks (issue 19) --------------------------------------

@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sign=OPTION_VALUES, booked=OPTION_VALUES, step=OPTION_VALUES)
def test_hostile_signs_bookings_and_alert_steps_fail_cleanly(tmp_path: Path, capsys,  # noqa: ANN001
                                                            monkeypatch, sign: str, booked: str,
                                                            step: str) -> None:
    """Any --sign or --booked value: the call with its alert and booking lands whole, or
    exit 2 with a message and nothing recorded; any value for an alert's steps likewise."""
    monkeypatch.setenv("FOLLOWUP_DEBUG", "1")
    db = tmp_path / "signs.db"
    if not db.exists():
        _a_ledger(tmp_path).rename(db)
    conn = sqlite3.connect(db)
    before = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("attempts", "alerts", "rechecks", "alert_events")]
    conn.close()
    capsys.readouterr()
    code = run(["--db", str(db), "log", "--patient", "C1", "-o", "reached", "--note", NOTE,
                "--sign", sign, "--booked", booked, "--when", "2026-11-03T15:00"])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, err
    conn = sqlite3.connect(db)
    after = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
             for t in ("attempts", "alerts", "rechecks", "alert_events")]
    conn.close()
    assert after == (before if code == 2 else [before[0] + 1, before[1] + 1, before[2] + 1,
                                               before[3] + 1]), (sign, booked, err)
    for argv in (["alert", "ack", "1", "--by", step, "--note", step, "--when", step],
                 ["alert", "close", "1", "--action", step, "--note", step],
                 ["alert", "show", step]):
        code = run(["--db", str(db), *argv])
        err = capsys.readouterr().err
        assert code in (0, 2) and "Traceback" not in err and "internal error" not in err, err


# --- the web workspace (issue 21): whatever a browser or a script sends ----------------

WEB_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                       st.text(max_size=30), st.lists(st.integers(), max_size=2),
                       st.sampled_from(["reached", "complaint", "callback_requested",
                                        "2026-11-04T19:30",
                                        "9999-12-31T23:59", "-1", "1e400", "\u202e", "0" * 30]))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(["task_id", "patient_id", "outcome", "note",
                                             "satisfaction", "nps", "at", "severity",
                                             "complaint_category", "csrf", "x"]),
                            WEB_VALUES, max_size=6))
def test_any_call_sent_over_http_is_logged_or_refused_cleanly(web_session,
                                                              body) -> None:  # noqa: ANN001
    client, csrf, db = web_session
    before = sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0]
    r = client.post("/api/calls",
                    headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
                    content=json.dumps(body))   # NaN and Infinity too
    assert r.status_code in (201, 400), (body, r.status_code, r.text)
    assert "Traceback" not in r.text
    after = sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0]
    assert after == before + (r.status_code == 201) and r.json().get("error", "x").strip()
    form = {k: str(v) for k, v in body.items() if k not in ("csrf", "x")}
    r = client.post("/call/1", data={**form, "csrf": csrf}, follow_redirects=False)
    assert r.status_code in (303, 400), (form, r.status_code)


@pytest.fixture
def web_session(tmp_path: Path):  # noqa: ANN201
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from followup_cli.commands.serve import clinic_of
    from followup_cli.options import State
    from followup_cli.users import add_user
    from followup_cli.web.app import create_app

    db = tmp_path / "web.db"
    assert run(["--db", str(db), "init", "--demo", "--patients", "30"]) == 0
    from followup_cli import clock
    from followup_cli.ledger import open_ledger

    ledger = open_ledger(db)
    add_user(ledger, "王芳", "agent", "agent-pass-1", clock.now())
    ledger.close()
    client = TestClient(create_app(clinic_of(State((db,)))), base_url="http://127.0.0.1")
    client.post("/login", data={"username": "王芳", "password": "agent-pass-1"})
    return client, client.get("/api/session").json()["csrf"], db



@pytest.mark.parametrize(("name", "text", "reason"), [
    ("sms.toml", '[common.unreachable]\ntext = { zh = "您好" }\n',
     'common.unreachable.text：应为 { zh = "…", en = "…" }，中英文都要有'),
    ("sms.toml", '[common.unreachable]\ntext = { zh = "您好", en = "Hi" }\n[bogus]\n',
     "bogus：未知的表（可用：common, touchpoints）"),
    ("scripts.toml", '[signs.x]\nzh = "某症状"\nen = "a sign"\nurgency = "soon"\n',
     "signs.x.urgency：'soon' 不是 urgent, today, routine 之一"),
    ("calendar.toml", 'closed = ["2026-13-01"]\n', "closed[0]：'2026-13-01' 不是 YYYY-MM-DD 格式的日期"),
    ("calendar.toml", "nope = 1\n", "nope：未知的键（可用：national, weekends, closed, years, windows）"),
    ("followup.toml", '[sms]\nhours = "21:00-08:00"\n',
     "sms.hours：'21:00-08:00' 不是 08:00-21:00 这样的时段"),
    ("followup.toml", "[sms]\ndaily_limit = 0\n", "sms.daily_limit：应为从 1 起的整数"),
    ("rules.toml", '[categories.surgery]\ntouchpoints = [{ offset = "2w", purpose = "x" }]\n',
     "categories.surgery.touchpoints[0].offset：'2w' 不是 0d、6d、1m、12m 这样的间隔"),
    ("rules.toml", '[matching]\norder = ["nope"]\n', "matching.order：'nope' 不是一个类别"),
])
def test_a_settings_files_reasons_are_in_chinese(cli, tmp_path: Path, name: str, text: str,
                                                 reason: str) -> None:
    """The TOML validators' reasons were English inside a Chinese message."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    line = (["rules", "check", str(tmp_path / name)] if name in ("sms.toml", "scripts.toml",
                                                                  "rules.toml")
            else ["calendar", "check", str(tmp_path / name)] if name == "calendar.toml"
            else ["sms", "plan", "--date", "2026-11-04"])
    if line[0] == "sms":
        assert cli("init").code == 0
    result = cli("--lang", "zh", *line)
    assert result.code == 2, (result.out, result.err)
    assert result.err == f"followup: {tmp_path / name}：{reason}\n"


def test_the_alert_settings_reasons_are_in_chinese(tmp_path: Path) -> None:
    from followup_cli.alerts import settings_from
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import set_lang

    set_lang("zh")
    try:
        with pytest.raises(FollowupError) as e:
            settings_from({"alerts": {"urgent_minutes": -1}}, "followup.toml")
    finally:
        set_lang(None)
    assert str(e.value) == "followup.toml：alerts.urgent_minutes：应为 0 到 10080 的整数"
