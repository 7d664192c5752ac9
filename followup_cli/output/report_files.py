"""The report as a file a supervisor opens, prints and hands on: an A4 HTML document with
charts drawn by matplotlib (PNG images, so they print and survive PDF conversion), or an
.xlsx workbook whose charts are Excel's own (openpyxl). Both are created readable by their
owner only. Every word in them comes from the message catalogue; categories are shown by
their rule-pack labels, never their ids."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import logging
import unicodedata
import warnings
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from followup_cli import __version__
from followup_cli.i18n import current, t
from followup_cli.labels import label
from followup_cli.output.files import write_workbook, writing
from followup_cli.output.formats import safe_cell, warn
from followup_cli.report import ALERT_FIGURES, HEADLINE, previous_period

# Fonts with Chinese glyphs, the most wanted first: Linux (Noto CJK / Source Han Sans,
# WenQuanYi, Droid, AR PL), macOS (PingFang, Hiragino, Heiti), Windows (YaHei, SimHei…).
# Noto's JP/TC/KR faces hold every simplified character too, in other glyph shapes.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
             "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Source Han Sans",
             "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback",
             "AR PL UMing CN", "AR PL UKai CN", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
             "STHeiti", "Songti SC", "Microsoft YaHei", "DengXian", "SimHei", "SimSun",
             "Arial Unicode MS", "Noto Serif CJK SC", "Source Han Serif SC")
STEPS = ("acknowledge", "resolve", "close")
STATES = ("met", "broken", "pending", "overdue")
SCOPES = ("branch", "agent", "category", "project", "doctor", "consultant")
TASK_COLUMNS = ("due", "done", "on_time", "completion_rate", "on_time_rate", "missed",
                "unreachable")
# the breakdown columns that fit an A4 page across; the workbook has every figure
PAGE_COLUMNS = {
    "branch": ("due", "completion_rate", "on_time_rate", "attempts", "reach_rate",
               "satisfaction_mean", "nps", "complaints_opened", "conversions"),
    "agent": ("due", "done", "completion_rate", "on_time_rate", "attempts", "reach_rate",
              "satisfaction_mean", "nps", "conversions"),
    # a doctor's row: their patients' calls in short, then the alerts routed to them
    "doctor": ("due", "completion_rate", "missed", *ALERT_FIGURES),
}
URGENCIES = ("urgent", "today", "routine")
SMS_FIGURES = ("sent", "queued", "delivered", "failed")
LONG_TABLE = 20   # rows: a longer breakdown may go on over a page break, its header repeated
COLOURS = ("#2f6f9f", "#e08a2c", "#4a9a6a", "#b03a3a")
HEADROOM = 1.12   # every chart's y-axis reaches this much above its highest value
_cjk: list[str] | None = None   # found once per run


class About(NamedTuple):
    """What the ledgers' side files tell about the report: the clinic's name(s) and the
    categories' labels in the current language."""

    clinics: list[str]
    categories: dict[str, str]


def about(st: Any) -> About:
    """From followup.toml ([clinic] name) and the rule pack next to each ledger."""
    out = About([], {})
    for branch in [st.branch(p) for p in st.dbs] or [st]:
        name = branch.clinic_name()
        if name and name not in out.clinics:
            out.clinics.append(name)
        for cid, name in branch.rule_pack().labels().items():
            out.categories.setdefault(cid, name)
    return out


# --- fonts -------------------------------------------------------------------------------

def pick_cjk(names: Iterable[str]) -> list[str]:
    """The known Chinese fonts among `names` (font family names), the most wanted first."""
    have = {n.casefold() for n in names}
    return [f for f in CJK_FONTS if f.casefold() in have]


def cjk_fonts() -> list[str]:
    """The Chinese fonts matplotlib can draw with. When its font list has none, the list is
    made again once from the system's fonts: matplotlib keeps it in a cache that does not
    see a font installed after it was written."""
    global _cjk
    if _cjk is None:
        from matplotlib import font_manager

        _cjk = pick_cjk(font_manager.fontManager.get_font_names())
        if not _cjk:
            # what matplotlib itself does when a listed font file is gone
            # (FontManager.findfont): a new list, written to its cache, put into the
            # instance everything else holds
            fm: Any = font_manager   # the private names matplotlib's own rebuild uses
            fresh = fm._load_fontmanager(try_read_cache=False)
            vars(fm.fontManager).update(vars(fresh))
            fm.fontManager._findfont_cached.cache_clear()
            _cjk = pick_cjk(font_manager.fontManager.get_font_names())
    return _cjk


@contextlib.contextmanager
def _quiet() -> Iterator[list[warnings.WarningMessage]]:
    """matplotlib's warnings and log lines kept off the terminal; the warnings are
    returned to look at."""
    log = logging.getLogger("matplotlib")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
    finally:
        log.setLevel(level)


# --- charts ------------------------------------------------------------------------------

def charts(report: dict[str, Any], trend: list[dict[str, Any]]) -> dict[str, bytes]:
    """PNG charts: completion and reach by agent, satisfaction, complaint deadlines, and
    the trend of the last months; a chart with nothing to show is left out. One line on
    stderr when the charts hold Chinese text that no font here can draw."""
    import matplotlib

    with _quiet() as caught:
        fonts = cjk_fonts()
        with matplotlib.rc_context({"font.family": "sans-serif",
                                    "font.sans-serif": [*fonts, "DejaVu Sans"],
                                    "axes.unicode_minus": False, "font.size": 9,
                                    # names are text: "$\\frac$" is no formula to parse
                                    "text.parse_math": False,
                                    "axes.spines.top": False, "axes.spines.right": False}):
            out = {}
            for name, fig in figures(report, trend).items():
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=200)
                out[name] = buf.getvalue()
    if not fonts and any("missing from font" in str(w.message) for w in caught):
        warn(t("the charts' Chinese text cannot be drawn (no Chinese font on this machine: it "
               "shows as boxes). Install one and make the report again: Debian/Ubuntu: apt "
               "install fonts-noto-cjk; Windows and macOS have one"))
    return out


def figures(report: dict[str, Any], trend: list[dict[str, Any]]) -> dict[str, Any]:
    """The charts as matplotlib figures, not drawn yet."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    out: dict[str, Any] = {}

    def figure(height: float) -> tuple[Any, Any]:
        fig = Figure(figsize=(7.4, height), layout="constrained")
        return fig, fig.add_subplot()

    def save(name: str, fig: Any, ax: Any, title: str, legend: bool = True) -> None:
        # headroom above the highest bar (or point, or its label): a bar reaching the
        # top of the axis read as cut off
        low, high = ax.get_ylim()
        ax.set_ylim(low, max(high, ax.dataLim.ymax * HEADROOM))
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
        if legend:   # below the plot, never over the bars
            handles, labels = ax.get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                       frameon=False)
        out[name] = fig

    agents = report.get("by_agent", {})
    if agents:
        names = list(agents)
        fig, ax = figure(3.0)
        xs = range(len(names))
        for i, key in enumerate(("completion_rate", "reach_rate")):
            ax.bar([x - 0.2 + 0.4 * i for x in xs], [agents[n].get(key) or 0 for n in names],
                   width=0.4, label=label("figure", key), color=COLOURS[i])
        ax.set_xticks(list(xs), names, rotation=30 if len(names) > 8 else 0)
        pad = max(0, 4 - len(names)) / 2    # a bar no wider than for four agents
        ax.set_xlim(-0.6 - pad, len(names) - 0.4 + pad)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        save("agents", fig, ax, t("Completion and reach by agent"))
    dist = report["satisfaction_distribution"]
    if sum(dist.values()):
        fig, ax = figure(2.4)
        bars = ax.bar(list(dist), list(dist.values()), color=COLOURS[2])
        ax.bar_label(bars)
        ax.set_xlabel(t("Score"))
        ax.set_ylabel(t("Answers"))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        save("satisfaction", fig, ax, t("Satisfaction"), legend=False)
    deadlines = report["complaint_deadlines"]
    if any(n for step in deadlines.values() for n in step.values()):
        fig, ax = figure(2.6)
        bottom = [0] * len(STEPS)
        colours = ("#4a9a6a", "#e08a2c", "#bbbbbb", "#b03a3a")
        for state, colour in zip(STATES, colours, strict=True):
            values = [deadlines[step][state] for step in STEPS]
            ax.bar([label("complaint.step", s) for s in STEPS], values, bottom=bottom,
                   label=label("complaint.state", state), color=colour, width=0.5)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        save("complaints", fig, ax, t("Complaints against their deadlines"))
    if trend:
        fig, ax = figure(2.8)
        labels = [r["label"] for r in trend]
        for i, key in enumerate(("completion_rate", "on_time_rate", "reach_rate")):
            ax.plot(labels, [r[key] for r in trend], marker="o", label=label("figure", key),
                    color=COLOURS[i])
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(axis="y", color="#ddd")
        save("trend", fig, ax, t("The last 6 months"))
    return out


# --- what both files say -----------------------------------------------------------------

def _show(value: Any, key: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if key.endswith("_rate") else str(value)


def _scope_rows(scope: str, data: dict[str, Any], report: dict[str, Any],
                info: Any) -> list[tuple[str, dict[str, Any]]]:
    """A breakdown's rows by name; the agents' end with the tasks nobody dialled, so that
    they add up to the clinic, as on the terminal."""
    rows = [(_name(scope, name, info), v) for name, v in data.items()]
    nobody = report.get("nobody")
    if scope == "agent" and nobody and nobody["due"]:
        rows.append((t("(not called by anyone)"), nobody))
    return rows


def _change(value: Any, key: str) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return t("{value} pt", value=f"{value * 100:+.1f}")
    return f"{value:+g}"


def _title(report: dict[str, Any]) -> str:
    return (t("Callback report {month}", month=report["month"]) if report.get("month")
            else t("Callback report {start} to {end}", start=report["from"], end=report["to"]))


def _is_month(report: dict[str, Any]) -> bool:
    return bool(report.get("month"))


def _value_columns(report: dict[str, Any]) -> list[str]:
    month = _is_month(report)
    cols = [t("Figure"), (t("This month") if month else t("This period"))]
    if "previous" in report:
        cols += [(t("Last month") if month else t("Previous period")),
                 t("Change")]
    return cols


def _facts(report: dict[str, Any], info: About, *, clinic: bool = True
           ) -> list[tuple[str, str]]:
    """The title block: clinic, period, as of, what was compared, who and what is in."""
    start, last = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    facts = []
    if info.clinics and clinic:
        facts.append((t("Clinic"), " / ".join(info.clinics)))
    if "by_branch" in report:
        facts.append((t("Branch"), " / ".join(report["by_branch"])))
    facts.append((t("Period"),
                  t("{start} to {end}", start=start.isoformat(), end=last.isoformat())))
    facts.append((t("As of"), report["as_of"]))
    if "previous" in report:
        before, after = previous_period(start, last + timedelta(days=1))
        facts.append((t("Compared with"), t(
            "{start} to {end}", start=before.isoformat(),
            end=(after - timedelta(days=1)).isoformat())))
    filters = report.get("filters", {})
    facts.append((t("Agent"), filters.get("agent") or t("all")))
    category = filters.get("category")
    facts.append((t("Category"),
                  info.categories.get(category, category) if category
                  else t("all")))
    # the logs' fingerprints as they stood: kept on paper, `doctor --anchor` later shows
    # whether anything before them was rewritten
    prints = report.get("fingerprints") or {"": report.get("fingerprint")}
    facts += [(t("Fingerprint of the logs"), f"{name} {value}".strip())
              for name, value in prints.items() if value]
    return facts


def _urgency_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The alerts opened by urgency, when any was: [urgency's word, count]."""
    if not report.get("alerts_opened"):
        return []
    words = {"urgent": t("urgent"), "today": t("today"), "routine": t("routine")}
    counts = report.get("alerts_by_urgency") or {}
    return [[words[u], counts.get(u, 0)] for u in URGENCIES]


def _sms_head() -> list[str]:
    return [t("Category"), t("SMS sent"), t("Queued"), t("Delivered"), t("Failed")]


def _sms_rows(report: dict[str, Any], info: About) -> list[list[Any]]:
    """The messages by category, then the total, when any was sent; never calls."""
    if not report.get("sms_sent"):
        return []
    rows: list[list[Any]] = [[info.categories.get(name, name), *(n[k] for k in SMS_FIGURES)]
                             for name, n in (report.get("sms_by_category") or {}).items()]
    rows.append([t("Total"), *(report[f"sms_{k}"] for k in SMS_FIGURES)])
    return rows


def _name(scope: str, name: str, info: About) -> str:
    return info.categories.get(name, name) if scope == "category" else name


def _scope_columns(scope: str, table: dict[str, dict[str, Any]], page: bool) -> list[str]:
    keys: tuple[str, ...] = PAGE_COLUMNS.get(scope, TASK_COLUMNS) if page else HEADLINE
    return [k for k in keys if any(k in v for v in table.values())]


class Table(NamedTuple):
    """One of the report's tables as a page shows it: a heading, the column heads, rows
    of text (its first column names the row)."""

    key: str
    title: str
    head: list[str]
    rows: list[list[str]]


def tables(report: dict[str, Any], info: About) -> list[Table]:
    """The report's tables, as the HTML report (and the web's report page) show them: the
    headline figures (against the period before), the alerts by urgency, the SMS, and a
    breakdown per branch, agent, category, project, doctor and consultant."""
    headline = []
    for k in HEADLINE:
        cells = [label("figure", k), _show(report[k], k)]
        if "previous" in report:
            cells += [_show(report["previous"][k], k), _change(report["change"][k], k)]
        headline.append(cells)
    out = [Table("headline", t("Headline figures"), _value_columns(report), headline)]
    urgencies = _urgency_rows(report)
    if urgencies:
        out.append(Table("alerts", t("Clinical alerts by urgency"),
                         [t("Urgency"), label("figure", "alerts_opened")],
                         [[str(c) for c in row] for row in urgencies]))
    sms = _sms_rows(report, info)
    if sms:
        out.append(Table("sms", t("SMS"), _sms_head(), [[str(c) for c in row] for row in sms]))
    for scope in SCOPES:
        data = report.get(f"by_{scope}")
        if not data:
            continue
        keys = _scope_columns(scope, data, page=True)
        out.append(Table(scope, label("report.by", scope),
                         [label("report.col", scope), *(label("figure", k) for k in keys)],
                         [[name, *(_show(v.get(k), k) for k in keys)]
                          for name, v in _scope_rows(scope, data, report, info)]))
    return out


# --- HTML --------------------------------------------------------------------------------

CSS = """@page { size: A4; margin: 12mm 12mm 14mm; }
html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", sans-serif;
  font-size: 9.5pt; color: #222; }
body { margin: 0 auto; max-width: 186mm; }
@media screen { html { background: #e6e6e6; }
  body { background: #fff; padding: 12mm; margin: 6mm auto; box-shadow: 0 0 4px #999; } }
header { border-bottom: 2px solid #333; padding-bottom: 2mm; margin-bottom: 3mm; }
h1 { font-size: 17pt; margin: 0 0 1mm; }
.clinic { font-size: 13pt; margin: 0 0 2mm; }
dl { display: grid; grid-template-columns: max-content 1fr max-content 1fr;
  gap: 0.8mm 4mm; margin: 0; }
dt { color: #555; } dd { margin: 0; }
h2 { font-size: 12pt; margin: 5mm 0 1.5mm; break-after: avoid; page-break-after: avoid; }
section, figure { break-inside: avoid; page-break-inside: avoid; }
section.long { break-inside: auto; page-break-inside: auto; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; } tr { break-inside: avoid; }
td, th { border: 1px solid #bbb; padding: 0.8mm 2mm; text-align: right;
  font-variant-numeric: tabular-nums; }
th { background: #eef1f4; font-weight: 600; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 0 0 3mm; } img { width: 100%; display: block; }
.empty { color: #555; }
footer { margin-top: 5mm; border-top: 1px solid #bbb; padding-top: 1.5mm; color: #555;
  font-size: 8.5pt; }"""


def write_html(path: Path, report: dict[str, Any], trend: list[dict[str, Any]],
               info: About | None = None) -> None:
    info = info or About([], {})
    e = html.escape
    title = _title(report)

    def table(head: list[str], rows: list[str]) -> str:
        cells = "".join(f"<th>{e(h)}</th>" for h in head)
        return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def section(heading: str, body: str, rows: int = 0) -> str:
        # kept on one page, unless so long that it would leave most of one empty
        kind = " class='long'" if rows > LONG_TABLE else ""
        return f"<section{kind}><h2>{e(heading)}</h2>{body}</section>"

    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _facts(report, info,
                                                                       clinic=False))
    clinic = f"<p class='clinic'>{e(' / '.join(info.clinics))}</p>" if info.clinics else ""
    def html_table(found: Table) -> str:
        body = ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>"
                for row in found.rows]
        return section(found.title, table(found.head, body),
                       len(body) if found.key != "headline" else 0)

    made_tables = tables(report, info)
    parts = [html_table(made_tables[0])]
    pictures = charts(report, trend)
    images = [f"<figure><img alt='{e(name)}' src='data:image/png;base64,"
              f"{base64.b64encode(png).decode()}'></figure>" for name, png in pictures.items()]
    if "complaints" not in pictures:
        none = t("No complaints were opened in the period.")
        images.append(f"<p class='empty'>{e(none)}</p>")
    # the heading goes with the first chart: never alone at a page's end
    parts.append(section(t("Charts"), images[0]) + "".join(images[1:]))
    parts += [html_table(found) for found in made_tables[1:]]
    how = t("How each figure is computed: followup report --explain. Every number can be "
            "traced to patients with followup patient.")
    made = t("Made by followup {version} (followup report) with data as of {day}.",
             version=__version__, day=report["as_of"])
    page = f"""<!doctype html>
<html lang="{'zh-CN' if current() == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{e(title)}</title><style>{CSS}</style></head><body>
<header><h1>{e(title)}</h1>{clinic}<dl>{facts}</dl></header>
{''.join(parts)}
<footer>{e(how)}<br>{e(made)}</footer>
</body></html>
"""
    with writing(path, kind="html") as f:
        f.write(page)


# --- XLSX --------------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    return safe_cell(value)


def _width(text: str) -> int:
    """Columns a text takes on screen: Chinese (wide) characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _shown(value: Any, number_format: str) -> str:
    if isinstance(value, float) and "%" in number_format:
        return f"{value * 100:+.1f}%"
    return "" if value is None else str(value)


def _fit_columns(ws: Any) -> None:
    """Each column as wide as its widest cell (a little more for bold headers)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for c in row:
            w = _width(_shown(c.value, c.number_format)) + (3 if c.font.b else 2)
            widths[c.column] = max(widths.get(c.column, 8), min(w, 60))
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w


def _sheet_name(text: str) -> str:
    """What Excel takes as a sheet name: 31 characters, none of []:*?/\\."""
    return "".join(" " if c in "[]:*?/\\" else c for c in text)[:31].strip() or "-"


def _format(key: str, change: bool = False) -> str:
    """How a figure shows in a cell; a change has its sign."""
    fmt = ("0.0%" if key.endswith("_rate") else "0.00" if key == "satisfaction_mean"
           else "0.0" if key == "nps" else "0")
    return f"+{fmt};-{fmt};{fmt}" if change else fmt


def _rows(ws: Any, head: list[str], rows: list[list[Any]], keys: list[str | None]) -> int:
    """A bold header and its rows from the sheet's next row: numbers stored as numbers,
    shown in their figure's format. Returns the header's row."""
    from openpyxl.styles import Font

    ws.append(head)
    top = ws.max_row
    for c in ws[top]:
        c.font = Font(bold=True)
    for values in rows:
        ws.append([_cell(v) for v in values])
        for i, key in enumerate(keys):
            if key:
                ws.cell(ws.max_row, i + 1).number_format = _format(key)
    return top


def write_xlsx(path: Path, report: dict[str, Any], trend: list[dict[str, Any]],
               info: About | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    info = info or About([], {})
    book = Workbook()
    ws = book.active
    ws.title = _sheet_name(t("Summary"))
    ws.append([_title(report)])
    ws["A1"].font = Font(bold=True, size=14)
    for name, value in _facts(report, info):
        ws.append([name, _cell(value)])
    ws.append([])
    compared = "previous" in report
    rows = [[label("figure", k), report[k],
             *((report["previous"][k], report["change"][k]) if compared else ())]
            for k in HEADLINE]
    top = _rows(ws, _value_columns(report), rows, [])
    for row, k in enumerate(HEADLINE, start=top + 1):   # each row in its figure's format
        for col in range(2, 5 if compared else 3):
            ws.cell(row, col).number_format = _format(k, change=col == 4)
    ws.freeze_panes = ws.cell(top + 1, 1)
    for scope in SCOPES:
        data = report.get(f"by_{scope}")
        if not data:
            continue
        sheet = book.create_sheet(_sheet_name(label("report.by", scope)))
        keys = _scope_columns(scope, data, page=False)
        _rows(sheet, [label("report.col", scope), *(label("figure", k) for k in keys)],
              [[name, *(v.get(k) for k in keys)]
               for name, v in _scope_rows(scope, data, report, info)], [None, *keys])
        sheet.freeze_panes = "B2"
        if scope == "agent" and "completion_rate" in keys and "reach_rate" in keys:
            chart = _chart(BarChart(), t("Completion and reach by agent"), percent=True)
            for k in ("completion_rate", "reach_rate"):
                col = keys.index(k) + 2
                chart.add_data(Reference(sheet, min_col=col, min_row=1, max_row=len(data) + 1),
                               titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(data) + 1))
            sheet.add_chart(chart, f"A{len(data) + 4}")
    urgencies = _urgency_rows(report)
    if urgencies:
        sheet = book.create_sheet(_sheet_name(t("Clinical alerts by urgency")))
        _rows(sheet, [t("Urgency"), label("figure", "alerts_opened")], urgencies, [None, None])
    sms = _sms_rows(report, info)
    if sms:
        sheet = book.create_sheet(_sheet_name(t("SMS")))
        _rows(sheet, _sms_head(), sms, [None] * 5)
        sheet.freeze_panes = "B2"
    dist = book.create_sheet(_sheet_name(t("Satisfaction")))
    _rows(dist, [t("Score"), t("Answers")],
          [[int(k), n] for k, n in report["satisfaction_distribution"].items()], [None, None])
    bars = _chart(BarChart(), t("Satisfaction"))
    bars.add_data(Reference(dist, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    bars.set_categories(Reference(dist, min_col=1, min_row=2, max_row=6))
    bars.legend = None
    dist.add_chart(bars, "D2")
    steps = book.create_sheet(_sheet_name(t("Complaint deadlines")))
    deadlines = report["complaint_deadlines"]
    _rows(steps, [t("Deadline"), *(label("complaint.state", s) for s in STATES)],
          [[label("complaint.step", step), *(deadlines[step][s] for s in STATES)]
           for step in STEPS], [None] * 5)
    stacked = _chart(BarChart(), t("Complaints against their deadlines"))
    stacked.grouping, stacked.overlap = "stacked", 100
    stacked.add_data(Reference(steps, min_col=2, max_col=5, min_row=1, max_row=4),
                     titles_from_data=True)
    stacked.set_categories(Reference(steps, min_col=1, min_row=2, max_row=4))
    steps.add_chart(stacked, "A7")
    if trend:
        sheet = book.create_sheet(_sheet_name(t("Trend")))
        keys = ["completion_rate", "on_time_rate", "reach_rate"]
        _rows(sheet, [t("Month"), *(label("figure", k) for k in keys)],
              [[r["label"], *(r[k] for k in keys)] for r in trend], [None, *keys])
        line = _chart(LineChart(), t("The last 6 months"), percent=True)
        line.add_data(Reference(sheet, min_col=2, max_col=4, min_row=1, max_row=len(trend) + 1),
                      titles_from_data=True)
        line.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(trend) + 1))
        sheet.add_chart(line, "F2")
    for sheet in book.worksheets:
        _fit_columns(sheet)
    write_workbook(path, book)


def _chart(chart: Any, title: str, *, percent: bool = False) -> Any:
    chart.title = title
    chart.width, chart.height = 18, 8
    chart.legend.position = "b"          # under the plot, not over the bars
    chart.x_axis.delete = chart.y_axis.delete = False   # openpyxl 3.1 hides them otherwise
    if percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    return chart
