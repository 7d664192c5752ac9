"""The supervisor's report: periods, filters, breakdowns, definitions, clinic groups."""

from __future__ import annotations

import unicodedata
from datetime import datetime
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
def two_branches(cli, tmp_path: Path, built_once) -> tuple[Path, Path]:  # noqa: ANN001
    def build() -> None:
        branch(cli, tmp_path, "north", [
            "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
            "A2,C2,冯雪,13734567890,2026-11-02,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,"],
            [("C1", "reached", "2026-11-03T15:00", 5, 10),
             ("C2", "no_answer", "2026-11-03T15:05"), ("C2", "reached", "2026-11-03T19:10", 4, 9)])
        branch(cli, tmp_path, "south", [
            # entered the ledger on 2 Nov for a 30 Oct visit: a plan made late
            "B1,S1,郑浩,13923456789,2026-10-30,植发,成交,植发中心,钱医生,林咨询,,,,"],
            [("S1", "reached", "2026-11-02T15:00", 2, 3)])

    built_once(__name__, build)
    return tmp_path / "north.db", tmp_path / "south.db"


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
    # a name that appears nowhere in the period is said, not reported as an empty period
    nobody = cli(*base, "--agent", "李娜")
    assert (nobody.code, nobody.out, nobody.err) == (
        2, "", "followup: no agent named 李娜 in the period; agents: 王芳\n")
    # a category by its label, as the rules name it (手术 for 手术（高风险）), in either language
    for named in ("微创/注射", "微创/注射（中风险）", "Minimally invasive"):
        assert cli(*base, "--category", named).json()["filters"]["category"] == "medium", named
    assert cli(*base, "--category", "手术").json()["filters"]["category"] == "surgery"
    unknown = cli(*base, "--category", "手术刀")
    assert (unknown.code, unknown.out) == (2, "")
    assert unknown.err.startswith("followup: unknown category 手术刀; one of: ")
    assert "surgery (Surgery (high risk))" in unknown.err


def test_period_errors(cli, two_branches: tuple[Path, Path]) -> None:
    north, _ = two_branches
    assert cli("--db", str(north), "report").err == (
        "followup: give --month YYYY-MM, or --from and --to\n")
    assert cli("--db", str(north), "report", "--from", "2026-11-05", "--to",
               "2026-11-01").err == "followup: --to is before --from\n"



@pytest.mark.parametrize(("args", "err"), [
    (["--month", "2026-11", "--from", "2026-11-01", "--to", "2026-11-10"],
     "give --month YYYY-MM, or --from and --to, not both"),
    (["--month", "2026-11", "--to", "2026-11-10"],
     "give --month YYYY-MM, or --from and --to, not both"),
    (["--month", "2026-11", "--date", "2026-10-15"],
     "the period starts on 2026-11-01, after --date 2026-10-15: give a --date within or after "
     "the period"),
    (["--from", "2026-11-05", "--to", "2026-11-20", "--date", "2026-11-04"],
     "the period starts on 2026-11-05, after --date 2026-11-04: give a --date within or after "
     "the period"),
    (["--month", "2026-12"],
     "the period starts on 2026-12-01, after today (2026-11-30): give a period that has begun"),
])
def test_a_period_that_cannot_be_reported_is_refused(cli, two_branches: tuple[Path, Path],
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     args: list[str], err: str) -> None:
    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 30, 10, 0))
    north, _ = two_branches
    result = cli("--db", str(north), "report", *args)
    assert (result.code, result.out, result.err) == (2, "", f"followup: {err}\n")


@pytest.mark.parametrize(("lang", "line"), [
    ("en", "- Completion rate = done ÷ due."),
    ("zh", "- 完成率 = 已完成 ÷ 应回访。"),
])
def test_explain(cli, lang: str, line: str) -> None:
    result = cli("--lang", lang, "report", "--explain")
    assert result.code == 0
    assert line in result.out.splitlines()
    # one line a figure of EXPLAINED, and the title: SMS (issue 20), 8 figures of alerts and
    # re-checks (issue 19)
    assert len(result.out.splitlines()) == 33


def named(db: Path, name: str) -> None:
    """The clinic's name in followup.toml next to its ledger."""
    (db.parent / "followup.toml").write_text(f'[clinic]\nname = "{name}"\n', encoding="utf-8")


MONTH = ["report", "--month", "2026-11", "--date", "2026-11-03"]


@pytest.mark.parametrize(("lang", "clinic", "headings", "category"), [
    ("en", "North clinic", ("Headline figures", "Charts", "By agent", "By category"),
     "Minimally invasive (medium risk)"),
    ("zh", "北区门诊部", ("主要指标", "图表", "按回访专员", "按类别"), "微创/注射"),
])
@pytest.mark.slow
def test_html_report_in_a_browser(cli, two_branches: tuple[Path, Path], tmp_path: Path,
                                  lang: str, clinic: str, headings: tuple[str, ...],
                                  category: str) -> None:
    """A document to print and hand on: A4, a title block (clinic, period, as of, what is
    compared, who and what is in), the headline figures with the previous month and the
    change, sections that are not split from their headings, categories by their labels."""
    from test_print import to_pdf

    north, _ = two_branches
    named(north, clinic)
    out = tmp_path / "report.html"
    result = cli("--lang", lang, "--db", str(north), *MONTH, "--format", "html", "-O", str(out))
    assert result.code == 0, result.err
    assert result.err.count("\n") == 1                 # "written to …" and nothing else
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    page = out.read_text(encoding="utf-8")
    assert "size: A4" in page and "break-after: avoid" in page
    assert "section, figure { break-inside: avoid" in page
    # agents, satisfaction, trend; no complaint was opened: a sentence, not an empty chart
    assert page.count("<img alt=") == 3
    pdf = tmp_path / "report.pdf"
    to_pdf(out, pdf, tmp_path)
    pypdf = pytest.importorskip("pypdf")
    # NFKC: pypdf reads some Noto CJK characters as their Kangxi radical twins (⽉ for 月;
    # not all: 风 stays ⻛), and "fi" as one ligature
    read = pypdf.PdfReader(pdf).pages
    pages = [unicodedata.normalize("NFKC", p.extract_text()) for p in read]
    first = pages[0]
    if lang == "en":
        for text in (clinic, "Callback report 2026-11", "Period", "2026-11-01 to 2026-11-30",
                     "As of", "2026-11-03", "Compared with", "2026-10-01 to 2026-10-31",
                     "This month", "Last month", "Change", "Completion rate", "+3"):
            assert text in first, text
    text = "\n".join(pages)
    for heading in headings:
        assert heading in text, heading
    def squeezed(words: str) -> str:     # a cell's text may wrap
        return "".join(unicodedata.normalize("NFKC", words).split())

    assert squeezed(category) in squeezed(text) and "王芳" in text
    assert lang == "en" or not {"medium", "surgery"} & set(text.split())   # no category id
    for number, content in enumerate(pages):     # no heading left at a page's end (the
        lines = [line.strip() for line in content.splitlines() if line.strip()]  # charts'
        assert lines[-1] not in headings or read[number].images, (number, lines[-1])  # text
    # is in their images)
    assert "Charts" in headings or "图表" in headings


@pytest.mark.filterwarnings("ignore:Glyph")   # drawn here without the report's fonts
def test_chart_legends_sit_outside_the_plot(cli, two_branches: tuple[Path, Path]) -> None:
    from followup_cli.output.report_files import figures

    north, _ = two_branches
    report = cli("--db", str(north), *MONTH, "--format", "json").json()
    trend = [{"label": f"2026-{m:02d}", "completion_rate": 1.0, "on_time_rate": 0.95,
              "reach_rate": 0.99} for m in range(6, 12)]     # lines at the very top
    drawn = figures(report, trend)
    assert set(drawn) == {"agents", "satisfaction", "trend"}
    for name in ("agents", "trend"):
        fig = drawn[name]
        fig.draw_without_rendering()
        legend = (fig.legends or fig.axes[0].get_legend() and [fig.axes[0].get_legend()])[0]
        plot = fig.axes[0].get_window_extent()
        box = legend.get_window_extent()
        assert box.y1 <= plot.y0 or box.x0 >= plot.x1, name     # under or beside the plot


@pytest.mark.parametrize(("names", "chosen"), [
    (["DejaVu Sans", "WenQuanYi Micro Hei"], ["WenQuanYi Micro Hei"]),   # Debian, wqy only
    (["WenQuanYi Zen Hei", "DejaVu Sans"], ["WenQuanYi Zen Hei"]),
    (["Noto Sans CJK JP", "Noto Sans CJK SC", "DejaVu Sans"],
     ["Noto Sans CJK SC", "Noto Sans CJK JP"]),                         # fonts-noto-cjk
    (["Source Han Sans SC"], ["Source Han Sans SC"]),
    (["PingFang SC", "Hiragino Sans GB", "Helvetica"], ["PingFang SC", "Hiragino Sans GB"]),
    (["Arial", "SimHei", "Microsoft YaHei"], ["Microsoft YaHei", "SimHei"]),   # Windows
    (["noto sans cjk sc"], ["Noto Sans CJK SC"]),
    (["DejaVu Sans", "Liberation Sans"], []),
])
def test_chinese_fonts_are_found_by_name(names: list[str], chosen: list[str]) -> None:
    from followup_cli.output.report_files import pick_cjk

    assert pick_cjk(names) == chosen


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_chinese_font_says_so_in_one_line(cli, two_branches: tuple[Path, Path],
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            recwarn: pytest.WarningsRecorder,
                                            lang: str) -> None:
    """A machine without a Chinese font (even after its font list is made again): one line
    saying so and how to install one; none of matplotlib's own warnings."""
    from matplotlib import font_manager

    from followup_cli.i18n import set_lang, t
    from followup_cli.output import report_files

    rebuilt = []
    monkeypatch.setattr(report_files, "_cjk", None)
    monkeypatch.setattr(font_manager.fontManager, "get_font_names", lambda: ["DejaVu Sans"])
    monkeypatch.setattr(font_manager, "_load_fontmanager",
                        lambda **kw: rebuilt.append(kw) or type("Fresh", (), {})())
    north, _ = two_branches
    for _ in range(2):
        result = cli("--lang", lang, "--db", str(north), *MONTH, "--format", "html", "-O",
                     str(tmp_path / "r.html"))
        assert result.code == 0
    set_lang(lang)
    lines = result.err.splitlines()
    assert lines[0] == t("the charts' Chinese text cannot be drawn (no Chinese font on this "
                         "machine: it shows as boxes). Install one and make the report again: "
                         "Debian/Ubuntu: apt install fonts-noto-cjk; Windows and macOS have "
                         "one") and len(lines) == 2, lines
    assert "apt install fonts-noto-cjk" in lines[0]
    assert rebuilt == [{"try_read_cache": False}]         # the list made again, once
    assert not [w for w in recwarn if "Glyph" in str(w.message)]


def test_a_font_installed_after_matplotlib_listed_its_fonts(
        two_branches: tuple[Path, Path], tmp_path: Path) -> None:
    """matplotlib's font list is a cache: a Chinese font installed after it was written is
    not in it. The report makes the list again, finds the font and draws quietly."""
    import copy
    import json
    import os
    import subprocess
    import sys

    from matplotlib import font_manager

    from followup_cli.output.report_files import cjk_fonts, pick_cjk

    if not cjk_fonts():
        pytest.skip("no Chinese font on this machine (CI installs fonts-noto-cjk)")
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [f for f in stale.ttflist if not pick_cjk([f.name])]
    cache = tmp_path / "mpl"
    cache.mkdir()
    listed = cache / f"fontlist-v{font_manager.FontManager.__version__}.json"
    font_manager.json_dump(stale, listed)
    assert not pick_cjk(f["name"] for f in json.loads(listed.read_text())["ttflist"])
    north, _ = two_branches
    env = {**os.environ, "MPLCONFIGDIR": str(cache), "FOLLOWUP_LANG": "zh"}
    done = subprocess.run([sys.executable, "-m", "followup_cli", "--db", str(north), *MONTH,
                           "--format", "html", "-O", str(tmp_path / "r.html")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"已写入 {tmp_path / 'r.html'}（仅本人可读）"]
    assert pick_cjk(f["name"] for f in json.loads(listed.read_text())["ttflist"])


@pytest.mark.parametrize(("lang", "sheets", "yes"), [
    ("en", ["Summary", "By agent", "By category", "By project", "By doctor", "By consultant",
            "Satisfaction", "Complaint deadlines", "Trend"], "yes"),
    ("zh", ["概要", "按回访专员", "按类别", "按项目", "按医生", "按咨询师", "满意度分布",
            "投诉时限", "趋势"], "是"),
])
def test_xlsx_report_has_charts(cli, two_branches: tuple[Path, Path], tmp_path: Path,
                                lang: str, sheets: list[str], yes: str) -> None:
    """Sheets named in the report's language; numbers stored as numbers, rates shown as
    percentages; columns as wide as their text (Chinese counting double); yes/no words;
    categories by their labels; headers without colons."""
    from openpyxl import load_workbook

    from followup_cli.i18n import set_lang, t
    from followup_cli.output.report_files import _cell, _width

    north, _ = two_branches
    named(north, "北区门诊部")
    out = tmp_path / "report.xlsx"
    assert cli("--lang", lang, "--db", str(north), *MONTH, "--format", "xlsx", "-O",
               str(out)).code == 0
    book = load_workbook(out)
    assert book.sheetnames == sheets
    summary = book[sheets[0]]
    cells = {row[0].value: row[1:] for row in summary.iter_rows() if row[0].value}
    assert next(iter(cells)) == ("Callback report 2026-11" if lang == "en" else "2026-11 回访月报")
    assert any(row[1].value == "北区门诊部" for row in summary.iter_rows())
    json_report = cli("--db", str(north), *MONTH, "--format", "json").json()
    set_lang(lang)
    calls, reach = cells[t("Calls")], cells[t("Reach rate")]
    assert calls[0].value == json_report["attempts"] == 3
    assert reach[0].value == json_report["reach_rate"] and reach[0].number_format == "0.0%"
    assert reach[2].value == json_report["change"]["reach_rate"]
    assert reach[2].number_format == "+0.0%;-0.0%;0.0%"
    by_category = book[sheets[2]]
    label = by_category["A2"].value
    assert label == t("Category") or label in (
        "Minimally invasive (medium risk)", "微创/注射（中风险）", "Surgery (high risk)",
        "手术（高风险）")
    assert by_category.column_dimensions["A"].width >= _width(label) + 2
    assert by_category["E2"].number_format == "0.0%"          # completion rate
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert not isinstance(c.value, bool) and c.value not in ("True", "False")
        header = [c.value for c in ws[1] if isinstance(c.value, str)]
        assert not [h for h in header if h.rstrip().endswith((":", "："))], ws.title
        assert "n" not in header
        for column in ws.iter_cols():
            texts = [c.value for c in column if isinstance(c.value, str)]
            if texts:
                width = ws.column_dimensions[column[0].column_letter].width
                assert width >= min(60, max(map(_width, texts))), (ws.title, texts)
    assert _cell(True) == yes
    assert len(book[sheets[1]]._charts) == 1 and len(book[sheets[-1]]._charts) == 1


def test_group_report_files_name_every_clinic(cli, two_branches: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    north, south = two_branches
    south_dir = tmp_path / "south"
    south_dir.mkdir()
    moved = south_dir / "south.db"
    south.rename(moved)
    named(north, "北院")
    named(moved, "南院")
    out = tmp_path / "group.html"
    result = cli("--lang", "zh", "--db", str(north), "--db", str(moved), "report", "--from",
                 "2026-10-28", "--to", "2026-11-03", "--date", "2026-11-03", "--format",
                 "html", "-O", str(out))
    assert result.code == 0, result.err
    page = out.read_text(encoding="utf-8")
    # a group has no comparison yet (group_report sums no previous period)
    assert "北院 / 南院" in page and "<th>本期</th>" in page and "按分院" in page


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


def test_agents_and_nobody_add_up_to_the_clinic(cli, two_branches: tuple[Path, Path]) -> None:
    north, south = two_branches
    reports = {}
    for dbs in ([north], [south], [north, south]):
        args = [a for db in dbs for a in ("--db", str(db))]
        reports[len(reports)] = report = cli(
            *args, "report", "--from", "2026-10-28", "--to", "2026-11-20", "--date",
            "2026-11-20", "--format", "json").json()
        if len(dbs) == 1:
            for key in ("due", "done", "on_time", "missed"):
                agents = sum(f[key] for f in report["by_agent"].values())
                assert agents + report["nobody"][key] == report[key], (dbs, key)
            # the CSV's agent rows too: they end with the tasks nobody dialled
            rows = cli(*args, "report", "--from", "2026-10-28", "--to", "2026-11-20",
                       "--date", "2026-11-20", "--format", "csv").csv()
            agents = [r for r in rows if r["scope"] == "agent"]
            assert agents[-1]["name"] == "(not called by anyone)"
            for key in ("due", "done", "on_time", "missed"):
                assert sum(int(r[key]) for r in agents) == report[key], (dbs, key)
        assert report["nobody"]["due"] > 0 and report["nobody"]["done"] == 0
    assert reports[2]["nobody"]["due"] == reports[0]["nobody"]["due"] + reports[1]["nobody"]["due"]


def test_a_deadline_still_ahead_today_is_pending(cli, tmp_path: Path) -> None:
    """At 05:20 a complaint's deadline due at 19:05 is not overdue yet."""
    import sqlite3
    from datetime import date, datetime

    from followup_cli.ledger import open_ledger
    from followup_cli.report import period_report

    db = branch(cli, tmp_path, "c", ["A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,"], [])
    assert cli("--db", str(db), "log", "--patient", "C1", "-o", "complaint", "--note",
               "患者对术后肿胀时间过长不满意，要求主治医生当面解释原因。", "--when",
               "2026-11-03T19:05").code == 0
    conn = open_ledger(db)
    try:
        early = period_report(conn, date(2026, 11, 1), date(2026, 12, 1), date(2026, 11, 4),
                              now=datetime(2026, 11, 4, 5, 20))
        late = period_report(conn, date(2026, 11, 1), date(2026, 12, 1), date(2026, 11, 4),
                             now=datetime(2026, 11, 4, 19, 6))
        at_day_end = period_report(conn, date(2026, 11, 1), date(2026, 12, 1),
                                   date(2026, 11, 4))
    finally:
        conn.close()
    assert early["complaint_deadlines"]["acknowledge"] == {
        "met": 0, "broken": 0, "pending": 1, "overdue": 0}
    assert late["complaint_deadlines"]["acknowledge"]["overdue"] == 1
    assert at_day_end["complaint_deadlines"]["acknowledge"]["overdue"] == 1
    assert sqlite3.connect(db).execute("SELECT count(*) FROM complaints").fetchone()[0] == 1


def test_a_ledger_and_its_backup_are_not_two_branches(cli, two_branches: tuple[Path, Path],
                                                       tmp_path: Path) -> None:
    north, south = two_branches
    copy = tmp_path / "elsewhere" / "north-copy.db"
    copy.parent.mkdir()
    assert cli("--db", str(north), "backup", str(copy)).code == 0
    result = cli("--db", str(north), "--db", str(south), "--db", str(copy), "report",
                 "--month", "2026-11", "--format", "json")
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"followup: {north} and {copy} are copies of one ledger (a backup?): "
                          "give each branch's --db once\n")


def test_the_terminal_report_adds_up_and_says_whose_it_is(cli, two_branches: tuple[Path, Path]
                                                          ) -> None:
    north, _ = two_branches
    table = cli("--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-20").out
    assert "(not called by anyone)" in table and "Completion" in table.split("By agent")[1]
    mine = cli("--db", str(north), "report", "--month", "2026-11", "--date", "2026-11-20",
               "--agent", "王芳").out
    assert mine.splitlines()[0].strip() == "Callback report 2026-11 (agent: 王芳)"
    period = cli("--db", str(north), "report", "--from", "2026-11-01", "--to", "2026-11-10",
                 "--date", "2026-11-20").out
    assert "This period" in period and "This month" not in period


def test_one_ledger_named_twice_alike_is_refused(cli, tmp_path: Path,  # noqa: ANN001
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`--db w.db --db w.db` and `--db w.db --db ./w.db` reported one ledger twice: the
    paths were compared by identity, and equal strings may be one object."""
    folder_branch(cli, tmp_path, "north", "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,")
    monkeypatch.chdir(tmp_path / "north")
    for again in ("ledger.db", "./ledger.db"):
        result = cli("--db", "ledger.db", "--db", again, *GROUP)
        assert (result.code, result.out) == (2, ""), again
        assert "are the same ledger" in result.err


def test_a_report_as_of_a_day_still_to_come_is_refused(cli, tmp_path: Path,  # noqa: ANN001
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from followup_cli import clock

    folder_branch(cli, tmp_path, "north", "A1,C1,周晓雯,13812345678,2026-11-02,双眼皮,成交,,,,,,,")
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 3, 9, 0))
    north = str(tmp_path / "north" / "ledger.db")
    assert cli("--db", north, *GROUP).code == 0
    result = cli("--db", north, "report", "--month", "2026-11", "--date", "2026-11-04")
    assert (result.code, result.out, result.err) == (
        2, "", "followup: --date 2026-11-04 is after today (2026-11-03): give today or an "
               "earlier day\n")


def test_the_printed_reports_agents_add_up_to_the_clinic(cli, tmp_path: Path) -> None:
    """The HTML and XLSX by-agent tables end with the tasks nobody dialled, as the terminal's
    does: their due add up to the clinic's."""
    from datetime import date

    from openpyxl import load_workbook

    db = tmp_path / "demo.db"
    assert cli("--db", str(db), "init", "--demo", "--patients", "300").code == 0
    month = date.today().strftime("%Y-%m")
    whole = cli("--db", str(db), "report", "--month", month, "--format", "json").json()
    assert whole["nobody"]["due"] > 0
    page, book = tmp_path / "r.html", tmp_path / "r.xlsx"
    for fmt, out in (("html", page), ("xlsx", book)):
        assert cli("--db", str(db), "report", "--month", month, "--format", fmt, "-O",
                   str(out)).code == 0
    assert "(not called by anyone)" in page.read_text(encoding="utf-8")
    sheet = next(ws for ws in load_workbook(book).worksheets if ws.title == "By agent")
    header = [c.value for c in sheet[1]]
    due = [row[header.index("Due")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sum(due) == whole["due"]


@pytest.mark.filterwarnings("ignore:Glyph")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_has_headroom_above_its_highest_bar(lang: str) -> None:
    """"投诉处理时限" was drawn with its bars reaching the top of the y-axis, cut off there;
    so were the agents' bars at 100%."""
    from followup_cli.i18n import set_lang
    from followup_cli.output.report_files import STATES, STEPS, figures

    deadlines = {step: dict.fromkeys(STATES, 0) for step in STEPS}
    deadlines["acknowledge"].update(met=2, broken=1)
    deadlines["resolve"]["met"] = 3
    report = {"by_agent": {"王芳": {"completion_rate": 1.0, "reach_rate": 0.8}},
              "satisfaction_distribution": {"1": 0, "2": 1, "3": 2, "4": 5, "5": 9},
              "complaint_deadlines": deadlines}
    trend = [{"label": f"2026-{m:02d}", "completion_rate": 1.0, "on_time_rate": 0.9,
              "reach_rate": 0.95} for m in range(6, 12)]
    set_lang(lang)
    try:
        drawn = figures(report, trend)
    finally:
        set_lang(None)
    assert set(drawn) == {"agents", "satisfaction", "complaints", "trend"}
    for name, fig in drawn.items():
        ax = fig.axes[0]
        assert ax.get_ylim()[1] >= ax.dataLim.ymax * 1.1, name
