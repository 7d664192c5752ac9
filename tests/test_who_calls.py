"""Who is calling (issue 18 item 3): like git's user.name, an agent's name is set once
($FOLLOWUP_AGENT or the user's config file); nothing is recorded under a name nobody set,
and the printed team sheet greets each patient as the agent they are assigned to."""

from __future__ import annotations

import getpass
import html
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import write_export

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"
UNKNOWN = ("followup: who is calling? Nothing is recorded under an unknown name. Set your "
           "name once: followup config agent NAME (saved in {path}), or the environment "
           "variable FOLLOWUP_AGENT=NAME\n")
TABLES = ("attempts", "complaints", "complaint_events", "patient_events", "audit",
          "assignments", "tasks")


@pytest.fixture
def ledger(cli, tmp_path: Path, built_once) -> Path:  # noqa: ANN001
    """Ten patients with calls due on 2026-11-03; C0 with an open complaint case."""
    def build() -> None:
        rows = [f"A{i},C{i},患者{i},1380000{i:04d},2026-11-02,双眼皮,成交,,,,,,," for i in range(10)]
        export = write_export(tmp_path / "v.csv", rows)
        assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
        assert cli("log", "--patient", "C0", "-o", "complaint", "--note", NOTE,
                   "--when", "2026-11-02T19:10").code == 0

    built_once(__name__, build)
    return tmp_path / "ledger.db"


@pytest.fixture
def nobody(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No name set: no $FOLLOWUP_AGENT, an empty config folder. The config file's path."""
    monkeypatch.delenv("FOLLOWUP_AGENT", raising=False)
    return tmp_path / "config" / "followup" / "config.toml"


def snapshot(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    rows = [tuple(r) for table in TABLES for r in conn.execute(f"SELECT * FROM {table}")]
    conn.close()
    return rows


RECORDING = [
    ["log", "--patient", "C1", "-o", "reached", "--note", NOTE, "--when", "2026-11-03T15:00"],
    ["log", "1", "-o", "no_answer", "--when", "2026-11-03T15:00"],
    ["log", "--amend", "1", "-o", "busy", "--reason", "点错了"],
    ["complaint", "ack", "1"],
    ["patient", "C1", "--reveal"],
    ["patient", "set-phone", "C1", "13900001111"],
    ["patient", "allow-calls", "C1"],
    ["due", "--date", "2026-11-03", "--reveal", "--format", "json"],
    ["assign", "--agents", "王芳,李娜", "--date", "2026-11-03"],
]


@pytest.mark.parametrize("line", RECORDING, ids=lambda line: " ".join(line[:2]))
def test_nothing_is_recorded_under_an_unknown_name(cli, ledger: Path, nobody: Path,
                                                   line: list[str]) -> None:
    before = snapshot(ledger)
    result = cli(*line)
    assert (result.code, result.out, result.err) == (2, "", UNKNOWN.format(path=nobody))
    assert snapshot(ledger) == before
    assert not nobody.exists()


def test_the_login_name_is_not_a_name(cli, ledger: Path, nobody: Path) -> None:
    """The sheet and the script still work with no name set; the script does not greet as
    the login name (it said 我是本院客服中心的root)."""
    assert cli("due", "--date", "2026-11-03").code == 0
    [task] = [r for r in cli("due", "--date", "2026-11-03", "--format", "json").json()
              if r["patient_id"] == "C1"][:1]
    for lang, said in (("en", "This is your care adviser from our clinic's"),
                       ("zh", "我是本院客服中心的回访专员")):
        result = cli("--lang", lang, "script", str(task["task_id"]), "--date", "2026-11-03",
                     "--format", "json")
        assert result.code == 0, result.err
        assert said in result.json()["greeting"]
        assert getpass.getuser() not in result.json()["greeting"]


def test_followup_agent_names_the_caller(cli, ledger: Path, nobody: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_AGENT", "李娜")
    result = cli("log", "--patient", "C1", "-o", "no_answer", "--when", "2026-11-03T15:00")
    assert result.code == 0, result.err
    assert cli("patient", "C1", "--format", "json").json()["calls"][-1]["agent"] == "李娜"


def test_the_config_file_names_the_caller(cli, ledger: Path, nobody: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("config", "agent", " 王芳 ")
    assert (result.code, result.err) == (0, "")
    assert result.out == f"from now on your calls are recorded as 王芳 ({nobody})\n"
    assert nobody.read_text(encoding="utf-8") == 'agent = "王芳"\n'
    assert oct(nobody.stat().st_mode & 0o777) == "0o600"
    assert cli("config", "agent").out == f"王芳 ({nobody})\n"
    assert cli("log", "--patient", "C1", "-o", "no_answer", "--when",
               "2026-11-03T15:00").code == 0
    assert cli("log", "--patient", "C2", "-o", "no_answer", "--when", "2026-11-03T15:01",
               "--agent", "张伟").code == 0              # --agent: someone else, this once
    monkeypatch.setenv("FOLLOWUP_AGENT", "李娜")          # the environment comes first
    assert cli("config", "agent").out == "李娜 (from the environment variable FOLLOWUP_AGENT)\n"
    assert cli("config", "agent", "王芳").err == ("note: the environment variable "
                                                 "FOLLOWUP_AGENT=李娜 is set and comes first\n")
    assert cli("log", "--patient", "C3", "-o", "no_answer", "--when",
               "2026-11-03T15:02").code == 0
    conn = sqlite3.connect(ledger)
    agents = conn.execute("SELECT patient_id, agent FROM attempts WHERE patient_id IN "
                          "('C1', 'C2', 'C3') ORDER BY patient_id").fetchall()
    assert agents == [("C1", "王芳"), ("C2", "张伟"), ("C3", "李娜")]


def test_the_config_file_keeps_what_else_it_holds(cli, nobody: Path) -> None:
    nobody.parent.mkdir(parents=True)
    nobody.write_text('# mine\nagent = "旧名"\n\n[later]\nagent = "kept"\n', encoding="utf-8")
    assert cli("config", "agent", "新名").code == 0
    assert nobody.read_text(encoding="utf-8") == (
        'agent = "新名"\n# mine\n\n[later]\nagent = "kept"\n')
    assert cli("config", "agent").out.startswith("新名 (")


@pytest.mark.parametrize("text, reason", [
    ("agent = [", "TOML syntax error"), ("agent = 3\n", "agent: expected text"),
    ('agent = "  "\n', "agent: the agent's name must be visible text")])
def test_a_bad_config_file_is_named(cli, nobody: Path, text: str, reason: str) -> None:
    nobody.parent.mkdir(parents=True)
    nobody.write_text(text, encoding="utf-8")
    result = cli("config", "agent")
    assert result.code == 2
    assert result.err.startswith(f"followup: {nobody}: ") and reason in result.err
    if "syntax" in reason:   # a file followup cannot read is not written over
        assert cli("config", "agent", "王芳").code == 2
        assert nobody.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", ["", "\u200b", "王\x1b]0;t\x07芳", "x" * 41])
def test_config_takes_only_a_name(cli, nobody: Path, name: str) -> None:
    result = cli("config", "agent", name)
    assert result.code == 2
    assert "the agent's name must be visible text" in result.err
    assert not nobody.exists()


def test_the_team_sheet_greets_as_each_patients_agent(cli, ledger: Path,
                                                      tmp_path: Path) -> None:
    """Printed by the supervisor (FOLLOWUP_AGENT=tester): each patient is greeted by the
    agent they are assigned to, nobody's patient by no one's name; never the exporter."""
    assert cli("assign", "--agents", "王芳,李娜", "--date", "2026-11-03").code == 0
    conn = sqlite3.connect(ledger)
    share = dict(conn.execute("SELECT patient_id, agent FROM assignments"))
    conn.execute("DELETE FROM assignments WHERE patient_id = 'C9'")   # nobody's patient
    conn.commit()
    conn.close()
    assert set(share.values()) == {"王芳", "李娜"}
    page = tmp_path / "sheet.html"
    assert cli("due", "--date", "2026-11-03", "--format", "html", "-O", str(page)).code == 0
    blocks = re.findall(r"data-patient='(C\d)'.*?class='script'><p>(.*?)</p>",
                        page.read_text(encoding="utf-8"))
    assert len(blocks) == 10
    for pid, greeting in blocks:
        agent = "your care adviser" if pid == "C9" else share[pid]
        assert f"This is {agent} from" in html.unescape(greeting), pid
        assert "tester" not in greeting
    book = tmp_path / "sheet.xlsx"
    assert cli("due", "--date", "2026-11-03", "--format", "xlsx", "-O", str(book)).code == 0
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
    column = rows[0].index("Agent")
    assert {r[1]: r[column] for r in rows[1:]} == {
        pid: "" if pid == "C9" else share[pid] for pid in share}


def test_the_demo_sheet_needs_no_name(cli, tmp_path: Path, nobody: Path) -> None:
    """README line 1 on a fresh machine: the demo and its sheet; only recording asks."""
    db = str(tmp_path / "demo.db")
    assert cli("--db", db, "init", "--demo", "--patients", "80").code == 0
    result = cli("--db", db, "due", "--today")
    assert (result.code, "config agent" in result.err) == (0, False)
