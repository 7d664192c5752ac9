"""Phones masked by default; a reveal is explicit and audited; exports defused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli.output.formats import safe_cell


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    def build() -> None:
        export = write_export(tmp_path / "v.csv", [
            "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,",
            "A2,C2,=HYPERLINK(\"x\"),13734567890,2026-11-02,光子嫩肤,成交,,,,,,,"])
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


def test_masked_everywhere_by_default(cli, ledger: Path) -> None:
    for args in (["due", "--date", "2026-11-03"], ["due", "--date", "2026-11-03", "--format",
                 "json"], ["due", "--date", "2026-11-03", "--format", "csv"],
                 ["patient", "C1"], ["patient", "C1", "--format", "json"]):
        out = cli(*args).out
        assert "13812345678" not in out, args
    assert "138****5678" in cli("due", "--date", "2026-11-03").out


def test_reveal_is_audited(cli, ledger: Path) -> None:
    shown = cli("due", "--date", "2026-11-03", "--format", "json", "--reveal", "--as", "王芳")
    assert {r["phone"] for r in shown.json()} == {"13812345678", "13734567890"}
    one = cli("patient", "C1", "--reveal", "--agent", "李娜", "--format", "json")
    assert one.json()["patient"]["phone"] == "13812345678"
    log = cli("audit", "--format", "json").json()
    assert [(e["agent"], e["action"], e["what"]) for e in log] == [
        ("王芳", "due --date 2026-11-03 --reveal", "2: C1,C2"),
        ("李娜", "patient C1 --reveal", "1: C1")]
    conn = sqlite3.connect(ledger)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    assert cli("audit").code == 0


def test_formula_cells_are_defused_in_csv(cli, ledger: Path) -> None:
    rows = cli("due", "--date", "2026-11-03", "--format", "csv").csv()
    assert {r["name"] for r in rows} == {"周晓雯", "'=HYPERLINK(\"x\")"}


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("周晓雯", "周晓雯"), (3, 3), (-3, -3),
])
def test_safe_cell(value, safe) -> None:  # noqa: ANN001
    assert safe_cell(value) == safe
