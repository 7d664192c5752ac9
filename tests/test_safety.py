"""What followup refuses to write over, how it writes files (whole or not at all), and
what it lets reach the terminal."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_export

ROWS = ["A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,",
        "A2,C2,李娜,13734567890,2026-11-02,光子嫩肤,成交,,,,,,,"]
DAY = "2026-11-03"


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "v.csv", ROWS)
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
        assert cli("log", "--patient", "C1", "--outcome", "reached", "--note",
                   "恢复良好，肿胀已经消退，已提醒周五按时来院拆线复查", "--when", "2026-11-03 15:00").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"


def calls(ledger: Path) -> int:
    with sqlite3.connect(ledger) as conn:
        return conn.execute("SELECT count(*) FROM calls").fetchone()[0]


WRITERS = {
    "due-csv": ["due", "--date", DAY, "--format", "csv", "-O"],
    "due-json": ["due", "--date", DAY, "--format", "json", "-O"],
    "due-html": ["due", "--date", DAY, "--format", "html", "-O"],
    "due-xlsx": ["due", "--date", DAY, "--format", "xlsx", "-O"],
    "report-html": ["report", "--month", "2026-11", "--format", "html", "-O"],
    "report-xlsx": ["report", "--month", "2026-11", "--format", "xlsx", "-O"],
    "report-csv": ["report", "--month", "2026-11", "--format", "csv", "-O"],
    "report-json": ["report", "--month", "2026-11", "--format", "json", "-O"],
    "backup": ["backup"],
}


def targets(tmp_path: Path, ledger: Path, suffix: str) -> dict[str, Path]:
    """Files that matter, each as a user might name it; the last ones named like the
    output, so that only what they are, not their names, gives them away."""
    os.symlink(ledger, tmp_path / "link.db")
    other = tmp_path / "north" / "ledger.db"
    other.parent.mkdir()
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    old_backup = tmp_path / "ledger.db.before-v1.bak"
    sqlite3.connect(old_backup).execute("CREATE TABLE x (y)").connection.commit()
    (tmp_path / "folder").mkdir()
    (tmp_path / "rules.toml").write_text("[categories]\n", encoding="utf-8")
    os.symlink(ledger, tmp_path / f"named-link{suffix}")
    os.link(ledger, tmp_path / f"named-hard{suffix}")
    sqlite3.connect(tmp_path / f"named-other{suffix}").execute("CREATE TABLE x (y)").connection.commit()
    (tmp_path / f"named-folder{suffix}").mkdir()
    os.mkfifo(tmp_path / f"named-fifo{suffix}")
    return {
        "the ledger": ledger,
        "./the ledger": Path(os.path.relpath(ledger)),
        "a link to the ledger": tmp_path / "link.db",
        "its -wal": Path(f"{ledger}-wal"),
        "its -shm": Path(f"{ledger}-shm"),
        "an upgrade copy": old_backup,
        "another ledger": other,
        "a folder": tmp_path / "folder",
        "the clinic's rules": tmp_path / "rules.toml",
        "a link to the ledger named like the output": tmp_path / f"named-link{suffix}",
        "a hard link to the ledger named like the output": tmp_path / f"named-hard{suffix}",
        "a database named like the output": tmp_path / f"named-other{suffix}",
        "a folder named like the output": tmp_path / f"named-folder{suffix}",
        "a pipe named like the output": tmp_path / f"named-fifo{suffix}",
        "the terminal": Path("/dev/stdout"),
        "a dash": Path("-"),
    }


@pytest.mark.parametrize("writer", WRITERS)
def test_no_output_file_is_something_that_matters(cli, ledger: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  writer: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("doctor").code == 0   # the WAL and its index exist while we try
    suffix = ".db" if writer == "backup" else "." + writer.split("-")[1]
    for what, target in targets(tmp_path, ledger, suffix).items():
        before = {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()}
        result = cli(*WRITERS[writer], str(target))
        assert result.code == 2, (writer, what, result)
        assert (str(target) in result.err or what == "a dash") and "Traceback" not in result.err
        after = {p: digest(p) for p in tmp_path.rglob("*") if p.is_file()}
        assert {p: h for p, h in after.items() if not p.name.endswith(("-wal", "-shm"))} == {
            p: h for p, h in before.items() if not p.name.endswith(("-wal", "-shm"))}, what
    assert calls(ledger) == 1
    assert cli("doctor").code == 0


def test_skip_bad_never_writes_over_the_export_or_the_ledger(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", [*ROWS, "A3,C3,王五,13912345678,不是日期,双眼皮,成交,,,,,,,"])
    kept = digest(export)
    for target in (export, tmp_path / "ledger.db", tmp_path / "." / "v.csv"):
        result = cli("import", "visits", str(export), "--skip-bad", str(target))
        assert result.code == 2, target
        assert digest(export) == kept
    # nothing of the file went in: the refusal came before the import
    assert not (tmp_path / "ledger.db").exists() or cli("due", "--date", DAY,
                                                          "--format", "json").json() == []


def test_files_are_replaced_whole_and_private(cli, ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "sheet.csv"
    out.write_text("yesterday's sheet")
    out.chmod(0o644)
    link = tmp_path / "today.csv"
    link.symlink_to(out)
    assert cli("due", "--date", DAY, "--format", "csv", "-O", str(link)).code == 0
    assert link.is_symlink()            # the link stays; the file it names is replaced
    assert out.read_text(encoding="utf-8-sig").startswith("task_id,")
    assert out.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_report_csv_and_json_go_to_the_file_asked_for(cli, ledger: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        result = cli("report", "--month", "2026-11", "--format", fmt, "-O",
                     str(tmp_path / f"r.{fmt}"))
        assert result.code == 0 and result.out == ""
        assert (tmp_path / f"r.{fmt}").stat().st_size > 100
    assert cli("report", "--month", "2026-11", "-O", str(tmp_path / "t.txt")).code == 2
    assert not (tmp_path / "t.txt").exists()


FULL = """
import resource, signal, sys, tempfile
from followup_cli.cli import run

def mkstemp(*args, **kwargs):   # the disk fills up as the output file is written
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
    return make(*args, **kwargs)

make, tempfile.mkstemp = tempfile.mkstemp, mkstemp
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails (EFBIG)
sys.exit(run(sys.argv[1:]))
"""


@pytest.mark.parametrize("args", [
    ["due", "--date", DAY, "--format", "html", "-O"],
    ["due", "--date", DAY, "--format", "xlsx", "-O"],
    ["report", "--month", "2026-11", "--format", "xlsx", "-O"],
    ["backup"],
    ["import", "visits", "FILE", "--skip-bad"],
])
def test_a_full_disk_leaves_no_half_file(ledger: Path, tmp_path: Path, args: list[str]) -> None:
    """A file size limit stands in for a full disk: the write fails part-way."""
    out = tmp_path / "out" / ("file.db" if args[0] == "backup" else
                              "file.csv" if args[0] == "import" else f"file.{args[4]}")
    out.parent.mkdir()
    out.write_text("the old file")
    if args[0] == "import":   # the bad rows are written before the import commits
        before = digest(ledger)
        export = write_export(tmp_path / "more.csv", [
            f"B{n},D{n},王五,13912345678,{'不是日期' if n % 2 else '2026-11-03'},双眼皮,成交,,,,,,,"
            for n in range(200)])
        args = [str(export) if a == "FILE" else a for a in args]
    result = subprocess.run([sys.executable, "-c", FULL, "--db", str(ledger), *args, str(out)],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 2, result.stderr
    assert result.stderr in (f"followup: {out}: not written (File too large)\n",
                             f"followup: {out}: not written (disk I/O error)\n")   # SQLite
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert out.read_text() == "the old file"
    if args[0] == "import":
        assert digest(ledger) == before


HOSTILE = {"C1": "\x1b[2J\x1b]0;pwned\x07周\x9b1m晓\rx", "C2": "[/]王[b]五"}


@pytest.fixture
def hostile(cli, tmp_path: Path) -> Path:
    export = write_export(tmp_path / "v.csv", [
        f"A1,C1,\"{HOSTILE['C1']}\",13812345678,2026-11-02,双眼皮,成交,,,,,,,",
        f"A2,C2,{HOSTILE['C2']},13734567890,2026-11-02,光子嫩肤,成交,,,,,,,"], encoding="utf-8")
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    return tmp_path / "ledger.db"


def no_controls(text: str) -> bool:
    return not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in text)


def test_control_characters_never_reach_the_terminal(cli, hostile: Path) -> None:
    task = cli("due", "--date", DAY, "--format", "json").json()[0]["task_id"]
    assert cli("log", "--patient", "C1", "--outcome", "no_answer", "--agent",
               "\x1b]0;agent\x07赵六", "--when", "2026-11-03 14:05").code == 2   # not a name
    assert cli("log", "--patient", "C1", "--outcome", "reached", "--when", "2026-11-03 14:05",
               "--note", "恢复良好\x1b[2J肿胀已经消退\x1b]0;x\x07已提醒周五按时来院拆线复查").code == 0
    for args in (["due", "--date", DAY], ["due", "--date", DAY, "--format", "csv"],
                 ["patient", "C1"], ["patient", "C2"], ["script", str(task), "--date", DAY],
                 ["log", "--patient", "C9", "--outcome", "reached"],
                 ["complaint", "list", "--all"], ["audit"]):
        result = cli(*args)
        assert no_controls(result.out) and no_controls(result.err), (args, result)
    shown = cli("patient", "C1").out
    assert "␛[2J␛]0;pwned" in shown     # visible stand-ins, one cell each


def test_json_carries_the_text_whole_and_safe(cli, hostile: Path) -> None:
    result = cli("due", "--date", DAY, "--format", "json")
    assert no_controls(result.out)
    assert {r["name"] for r in result.json()} == set(HOSTILE.values())


def test_data_is_never_markup(cli, hostile: Path) -> None:
    task = next(r["task_id"] for r in cli("due", "--date", DAY, "--format", "json").json()
                if r["patient_id"] == "C2")
    for args in (["patient", "C2"], ["script", str(task), "--date", DAY],
                 ["due", "--date", DAY]):
        result = cli(*args)
        assert result.code == 0, (args, result.err)
        assert "[/]王[b]五" in result.out, args


def test_the_bad_rows_file_is_defused_too(cli, tmp_path: Path) -> None:
    header = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,=cmd|' /C calc'!A0"
    export = write_export(tmp_path / "v.csv", ["A1,C1,周晓雯,13812345678,不是日期,双眼皮,x"],
                          header=header)
    result = cli("import", "visits", str(export), "--skip-bad", str(tmp_path / "bad.csv"))
    assert result.code == 0, result.err
    head = (tmp_path / "bad.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert ",=" not in head and "'=cmd" in head
