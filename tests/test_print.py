"""The printed sheet, checked in a real browser: HTML rendered to PDF by headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import write_export

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("CI must have Chromium: .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (apt-get install chromium fonts-noto-cjk)")


def to_pdf(html: Path, pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
        check=True, capture_output=True, timeout=120)


@pytest.fixture
def sheet_day(cli, tmp_path: Path) -> list[tuple[str, str]]:
    projects = ["双眼皮", "植发", "光子嫩肤", "配镜", "剖宫产", "隆鼻"]
    names = ["周晓雯", "郑浩", "冯雪", "陈思琪", "褚一鸣", "蒋丽华", "韩梅", "杨帆", "朱婷",
             "秦月", "尤佳", "许晴", "何伟", "吕欣霞"]
    rows = [f"A{i},C{i:03d},{name},1380000{i:04d},2026-11-{1 + i % 6:02d},{projects[i % 6]},成交,,"
            f"吴医生,林咨询,,,,"
            for i, name in enumerate(names)]
    export = write_export(tmp_path / "v.csv", rows)
    assert cli("import", "visits", str(export), "--date", "2026-11-06").code == 0
    return [(f"C{i:03d}", name) for i, name in enumerate(names)]


@pytest.mark.slow
def test_printed_sheet_in_a_browser(cli, tmp_path: Path, sheet_day) -> None:  # noqa: ANN001
    html = tmp_path / "sheet.html"
    result = cli("due", "--date", "2026-11-07", "--format", "html", "--output", str(html))
    assert result.code == 0, result.err
    assert oct(html.stat().st_mode & 0o777) == "0o600"
    on_sheet = {r["patient_id"] for r in cli("due", "--date", "2026-11-07", "--format",
                                             "json").json()}
    assert len(on_sheet) >= 10
    pdf = tmp_path / "sheet.pdf"
    to_pdf(html, pdf, tmp_path)
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 3
    for page in reader.pages:       # A4: 210 x 297 mm = 595 x 842 pt
        assert abs(float(page.mediabox.width) - 595.3) < 2
        assert abs(float(page.mediabox.height) - 841.9) < 2
    pages = [unicodedata.normalize("NFKC", page.extract_text()) for page in reader.pages]
    names = dict(sheet_day)
    for pid in on_sheet:
        starts = [i for i, text in enumerate(pages) if f"({pid})" in text]
        ends = [i for i, text in enumerate(pages) if f"{pid} ■" in text]
        assert len(starts) == 1 and starts == ends, f"{pid}'s block is split or missing"
        assert names[pid] in pages[starts[0]]
    assert "138****" in "".join(pages) and "13800000" not in "".join(pages)


def test_xlsx_sheet(cli, tmp_path: Path, sheet_day) -> None:  # noqa: ANN001
    from python_calamine import CalamineWorkbook

    out = tmp_path / "sheet.xlsx"
    assert cli("due", "--date", "2026-11-07", "--format", "xlsx", "-O", str(out)).code == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["Task", "Patient ID", "Name", "Phone"]
    assert {r[1] for r in rows[1:]} == {r["patient_id"] for r in cli(
        "due", "--date", "2026-11-07", "--format", "json").json()}
    assert all(str(r[3]).startswith("138****") for r in rows[1:])


def test_html_and_xlsx_need_an_output(cli, sheet_day) -> None:  # noqa: ANN001
    result = cli("due", "--date", "2026-11-07", "--format", "html")
    assert (result.code, result.err) == (2, "followup: --format html needs --output FILE\n")


def test_csv_to_a_file_is_utf8_with_bom(cli, tmp_path: Path, sheet_day) -> None:  # noqa: ANN001
    out = tmp_path / "sheet.csv"
    assert cli("due", "--date", "2026-11-07", "--format", "csv", "-O", str(out)).code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert oct(out.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_a_real_day_prints_several_patients_a_page(cli, tmp_path: Path) -> None:
    """A clinic's day (the demo's) in a browser, in both languages: at least four patients
    a page (there were two, on half-empty pages), and no patient split across pages."""
    db = tmp_path / "demo.db"
    assert cli("--db", str(db), "init", "--demo", "--patients", "1000").code == 0
    on_sheet = {r["patient_id"] for r in cli("--db", str(db), "due", "--today", "--format",
                                             "json").json()}
    assert len(on_sheet) >= 12
    pypdf = pytest.importorskip("pypdf")
    for lang in ("zh", "en"):
        html, pdf = tmp_path / f"sheet-{lang}.html", tmp_path / f"sheet-{lang}.pdf"
        assert cli("--db", str(db), "--lang", lang, "due", "--today", "--format", "html",
                   "-O", str(html)).code == 0
        to_pdf(html, pdf, tmp_path)
        pages = [unicodedata.normalize("NFKC", page.extract_text())
                 for page in pypdf.PdfReader(pdf).pages]
        most = -(-len(on_sheet) // 4) + 1
        assert len(pages) <= most, f"{lang}: {len(on_sheet)} patients on {len(pages)} pages"
        for pid in on_sheet:
            ends = [i for i, text in enumerate(pages) if f"{pid} ■" in text]
            starts = [i for i, text in enumerate(pages) if f"({pid})" in text]
            assert len(ends) == 1 and starts == ends, f"{pid}'s block is split or missing"
