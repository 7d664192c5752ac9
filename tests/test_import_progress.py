"""A long import shows a progress bar on a terminal, and nothing when piped or captured
(issue 18 item 16)."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import write_export

from followup_cli.output import progress

ROOT = Path(__file__).resolve().parents[1]


def export(tmp_path: Path, rows: int = 3000) -> Path:
    return write_export(tmp_path / "visits.csv", [
        f"A{i},C{i},患者{i},138{i:08d},2026-10-{1 + i % 28:02d},双眼皮,成交,,,,,,,"
        for i in range(rows)])


def test_a_bar_only_on_a_terminal_that_moves_its_cursor(monkeypatch) -> None:  # noqa: ANN001
    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as terminal:
            monkeypatch.setenv("TERM", "xterm-256color")
            assert progress.wanted(terminal)
            for term in ("dumb", "unknown"):
                monkeypatch.setenv("TERM", term)
                assert not progress.wanted(terminal)
            monkeypatch.setenv("TERM", "xterm-256color")
            assert not progress.wanted(io.StringIO())
            closed = io.StringIO()
            closed.close()
            assert not progress.wanted(closed)
    finally:
        os.close(master)
        os.close(slave)


def test_captured_output_has_no_progress(cli, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(progress, "MIN_BYTES", 0)
    monkeypatch.setenv("TERM", "xterm-256color")
    file = export(tmp_path)
    result = cli("import", "visits", str(file), "--date", "2026-11-01", "--format", "json")
    assert result.code == 0, result.err
    assert "Importing" not in result.err and "\x1b" not in result.err
    assert result.json()["visits_added"] == 3000


def run_import(tmp_path: Path, *, terminal: bool) -> tuple[int, str, str]:
    """`followup import visits` in a process of its own (any file worth a bar), its stderr
    a pseudo-terminal or a pipe."""
    file = export(tmp_path)
    code = ("import sys\nfrom followup_cli.output import progress\nprogress.MIN_BYTES = 0\n"
            "from followup_cli.cli import main\nmain()\n")
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    env.pop("NO_COLOR", None)
    argv = [sys.executable, "-c", code, "--db", str(tmp_path / "ledger.db"), "import",
            "visits", str(file), "--date", "2026-11-01"]
    if not terminal:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:   # the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    out = child.communicate(timeout=120)[0]
    return child.returncode, out.decode(), err.decode(errors="replace")


def test_a_terminal_shows_the_bar(tmp_path: Path) -> None:
    code, out, err = run_import(tmp_path, terminal=True)
    assert code == 0, err
    assert "Importing visits.csv" in err and "3000/3000" in err
    assert out.startswith("visits.csv: visits added 3000")
    assert "Importing" not in out


def test_a_pipe_shows_none(tmp_path: Path) -> None:
    code, out, err = run_import(tmp_path, terminal=False)
    assert code == 0, err
    assert "Importing" not in err and "\x1b" not in err and "━" not in err
    assert out.startswith("visits.csv: visits added 3000")
