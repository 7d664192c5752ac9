"""The supervisor's report: periods, filters, breakdowns, definitions, clinic groups."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_export

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时换药并清淡饮食。"


def branch(cli, tmp_path: Path, name: str, rows: list[str], calls: list[tuple]) -> Path:
    db = tmp_path / f"{name}.db"
    export = write_export(tmp_path / f"{name}.csv", rows)
    assert cli("--db", str(db), "import", "visits", str(export), "--date", "2026-11-02").code == 0
    for patient, outcome, when, *scores in calls:
        args = ["--db", str(db), "log", "--patient", patient, "-o", outcome, "--when", when,
                "--agent", "王芳"]
        if outcome == "reached":
            args += ["--note", NOTE, "--satisfaction", str(scores[0]), "--nps", str(scores[1])]
        assert cli(*args).code == 0
    return db


@pytest.fixture
def two_branches(cli, tmp_path: Path) -> tuple[Path, Path]:
    north = branch(cli, tmp_path, "north", [
        "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
        "A2,C2,冯雪,13734567890,2026-11-02,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,"],
        [("C1", "reached", "2026-11-03T15:00", 5, 10), ("C2", "no_answer", "2026-11-03T15:05"),
         ("C2", "reached", "2026-11-03T19:10", 4, 9)])
    south = branch(cli, tmp_path, "south", [
        # entered the ledger on 2 Nov for a 30 Oct visit: a plan made late
        "B1,S1,郑浩,13923456789,2026-10-30,植发,成交,植发中心,钱医生,林咨询,,,,"],
        [("S1", "reached", "2026-11-02T15:00", 2, 3)])
    return north, south


def test_two_branches_sum_to_the_group(cli, two_branches: tuple[Path, Path]) -> None:
    north, south = two_branches
    args = ["report", "--from", "2026-10-28", "--to", "2026-11-03", "--date", "2026-11-03",
            "--format", "json"]
    one = {p.stem: cli("--db", str(p), *args).json() for p in (north, south)}
    group = cli("--db", str(north), "--db", str(south), *args).json()
    for key in ("due", "done", "attempts", "reached", "complaints_opened", "late_plans"):
        assert group[key] == one["north"][key] + one["south"][key], key
    assert (one["north"]["attempts"], one["south"]["attempts"]) == (3, 1)
    assert group["reach_rate"] == 0.75                      # 3 of 4 calls, not a mean of rates
    assert group["satisfaction_mean"] == round((5 + 4 + 2) / 3, 2)
    # promoters 10 and 9, one detractor 3: (2 - 1) / 3
    assert group["nps"] == 33.3
    assert group["late_plans"] == 1 and one["south"]["late_plans"] == 1
    assert set(group["by_branch"]) == {"north", "south"}
    assert group["by_branch"]["north"]["attempts"] == 3
    table = cli("--db", str(north), "--db", str(south), *args[:-2])
    assert table.code == 0 and "By branch" in table.out


def test_several_ledgers_only_for_reports(cli, two_branches: tuple[Path, Path]) -> None:
    north, south = two_branches
    result = cli("--db", str(north), "--db", str(south), "due", "--today")
    assert result.code == 2 and "only report takes several --db" in result.err


def test_filters_and_breakdowns(cli, two_branches: tuple[Path, Path]) -> None:
    north, _ = two_branches
    base = ["--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-03",
            "--format", "json"]
    data = cli(*base).json()
    assert set(data["by_project"]) == {"双眼皮", "光子嫩肤"}
    assert set(data["by_doctor"]) == {"吴医生", "孙医生"}
    assert set(data["by_consultant"]) == {"林咨询", "马咨询"}
    assert data["by_doctor"]["吴医生"]["done"] == 1
    only = cli(*base, "--category", "medium").json()
    assert only["filters"] == {"agent": None, "category": "medium"}
    assert (only["attempts"], only["reached"]) == (2, 1)
    assert set(only["by_category"]) == {"medium"}
    nobody = cli(*base, "--agent", "李娜").json()
    assert (nobody["attempts"], nobody["due"]) == (0, 0)


def test_period_errors(cli, two_branches: tuple[Path, Path]) -> None:
    north, _ = two_branches
    assert cli("--db", str(north), "report").err == (
        "followup: give --month YYYY-MM, or --from and --to\n")
    assert cli("--db", str(north), "report", "--from", "2026-11-05", "--to",
               "2026-11-01").err == "followup: --to is before --from\n"


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "- Completion rate = done ÷ due."),
    ("zh", "- 完成率 = 已完成 ÷ 应回访。"),
])
def test_explain(cli, lang: str, line: str) -> None:
    result = cli("--lang", lang, "report", "--explain")
    assert result.code == 0
    assert line in result.out.splitlines()
    assert len(result.out.splitlines()) == 24


def test_html_report_in_a_browser(cli, two_branches: tuple[Path, Path], tmp_path: Path) -> None:
    from test_print import to_pdf

    north, _ = two_branches
    out = tmp_path / "report.html"
    result = cli("--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-03",
                 "--format", "html", "-O", str(out))
    assert result.code == 0, result.err
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert out.read_text(encoding="utf-8").count("<img alt=") == 4   # agents, satisfaction,
    pdf = tmp_path / "report.pdf"                                     # complaints, trend
    to_pdf(out, pdf, tmp_path)
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(pdf)
    assert sum(len(page.images) for page in reader.pages) == 4
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Completion rate" in text and "王芳" in text


def test_xlsx_report_has_charts(cli, two_branches: tuple[Path, Path], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    north, _ = two_branches
    out = tmp_path / "report.xlsx"
    assert cli("--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-03",
               "--format", "xlsx", "-O", str(out)).code == 0
    book = load_workbook(out)
    assert book.sheetnames[:3] == ["summary", "agent", "category"]
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(min_row=2, values_only=True)}
    json_report = cli("--db", str(north), "report", "--month", "2026-11", "--date",
                      "2026-11-03", "--format", "json").json()
    assert summary["Calls"] == json_report["attempts"] == 3
    assert summary["Reach rate"] == json_report["reach_rate"]
    assert len(book["agent"]._charts) == 1 and len(book["trend"]._charts) == 1


def test_nps_with_promoters_passives_and_detractors(cli, tmp_path: Path) -> None:
    rows = [f"A{i},C{i},患者{i},1380000000{i},2026-11-02,双眼皮,成交,,,,,,," for i in range(5)]
    calls = [(f"C{i}", "reached", f"2026-11-03T15:0{i}", 4, nps)
             for i, nps in enumerate((10, 9, 8, 7, 3))]
    db = branch(cli, tmp_path, "clinic", rows, calls)
    data = cli("--db", str(db), "report", "--month", "2026-11", "--date", "2026-11-03",
               "--format", "json").json()
    # promoters 10, 9 (40%); passives 8, 7; detractor 3 (20%): NPS 20
    assert (data["nps_promoters"], data["nps_detractors"], data["nps_responses"]) == (2, 1, 5)
    assert data["nps"] == 20.0


def test_csv_carries_the_same_figures_as_json(cli, two_branches: tuple[Path, Path]) -> None:
    north, _ = two_branches
    base = ["--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-03"]
    data = cli(*base, "--format", "json").json()
    rows = cli(*base, "--format", "csv").csv()
    whole = rows[0]
    assert (whole["period"], whole["scope"]) == ("2026-11", "all")
    for key in ("due", "done", "on_time", "missed", "attempts", "reached", "conversions",
                "late_plans", "complaints_opened"):
        assert int(whole[key]) == data[key], key
    for key in ("completion_rate", "reach_rate", "satisfaction_mean"):
        assert float(whole[key]) == data[key], key
    agents = {r["name"]: r for r in rows if r["scope"] == "agent"}
    assert int(agents["王芳"]["attempts"]) == data["by_agent"]["王芳"]["attempts"]


def folder_branch(cli, tmp_path: Path, folder: str, row: str) -> Path:  # noqa: ANN001
    """A branch as clinics keep them: its own folder, its ledger called ledger.db."""
    (tmp_path / folder).mkdir()
    db = tmp_path / folder / "ledger.db"
    export = write_export(tmp_path / f"{folder}.csv", [row])
    assert cli("--db", str(db), "import", "visits", str(export), "--date", "2026-11-02").code == 0
    return db


GROUP = ["report", "--from", "2026-10-28", "--to", "2026-11-03", "--date", "2026-11-03",
         "--format", "json"]


def test_branches_whose_ledgers_have_one_name(cli, tmp_path: Path) -> None:  # noqa: ANN001
    """north/ledger.db and south/ledger.db were both 'ledger': south's figures replaced
    north's. Branches are their folders, or the clinic's name from its settings."""
    north = folder_branch(cli, tmp_path, "north",
                          "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,")
    south = folder_branch(cli, tmp_path, "south",
                          "B1,S1,郑浩,13923456789,2026-11-02,光子嫩肤,成交,,,,,,,")
    one = {p.parent.name: cli("--db", str(p), *GROUP).json()["due"] for p in (north, south)}
    group = cli("--db", str(north), "--db", str(south), *GROUP).json()
    assert {name: b["due"] for name, b in group["by_branch"].items()} == one
    assert group["due"] == one["north"] + one["south"]
    (tmp_path / "south" / "followup.toml").write_text('[clinic]\nname = "南城分院"\n',
                                                      encoding="utf-8")
    group = cli("--db", str(north), "--db", str(south), *GROUP).json()
    assert list(group["by_branch"]) == ["north", "南城分院"]


def test_one_ledger_twice_is_refused(cli, tmp_path: Path) -> None:  # noqa: ANN001
    north = folder_branch(cli, tmp_path, "north",
                          "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,")
    (tmp_path / "alias").mkdir()
    link = tmp_path / "alias" / "ledger.db"
    link.symlink_to(north)
    for again in (link, tmp_path / "north" / ".." / "north" / "ledger.db"):
        result = cli("--db", str(north), "--db", str(again), *GROUP)
        assert (result.code, result.out, result.err) == (
            2, "", f"followup: {north} and {again} are the same ledger: give each branch's "
                   "--db once\n")
