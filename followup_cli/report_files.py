"""The report as a file a supervisor opens or prints: HTML with charts drawn by matplotlib
(PNG images, so they print and survive PDF conversion), or an .xlsx workbook whose charts
are Excel's own (openpyxl). Both are created readable by their owner only."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from followup_cli.i18n import t
from followup_cli.output.files import write_workbook, writing
from followup_cli.render import safe_cell
from followup_cli.report import HEADLINE

CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
             "WenQuanYi Zen Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "DejaVu Sans"]
STEPS = ("acknowledge", "resolve", "close")
STATES = ("met", "broken", "pending", "overdue")


def _show(value: Any, key: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%" if key.endswith("_rate") else str(value)


def charts(report: dict[str, Any], trend: list[dict[str, Any]]) -> dict[str, bytes]:
    """PNG charts: completion and reach by agent, satisfaction, complaint deadlines, and the
    trend of the last months."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["axes.unicode_minus"] = False
    out: dict[str, bytes] = {}

    def save(name: str, fig: Any) -> None:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        out[name] = buf.getvalue()

    agents = report.get("by_agent", {})
    if agents:
        names = list(agents)
        fig, ax = plt.subplots(figsize=(7, 3))
        xs = range(len(names))
        for offset, key, label in ((-0.2, "completion_rate", t("figure.completion_rate")),
                                   (0.2, "reach_rate", t("figure.reach_rate"))):
            ax.bar([x + offset for x in xs], [100 * (agents[n][key] or 0) for n in names],
                   width=0.4, label=label)
        ax.set_xticks(list(xs), names)
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.legend()
        ax.set_title(t("report.chart.agents"))
        save("agents", fig)
    dist = report["satisfaction_distribution"]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.bar(list(dist), list(dist.values()), color="#4a8")
    ax.set_title(t("report.satisfaction"))
    save("satisfaction", fig)
    deadlines = report["complaint_deadlines"]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    bottom = [0] * len(STEPS)
    for state, colour in zip(STATES, ("#4a8", "#d64", "#bbb", "#900"), strict=True):
        values = [deadlines[step][state] for step in STEPS]
        ax.bar([t(f"complaint.step.{s}") for s in STEPS], values, bottom=bottom,
               label=t(f"complaint.state.{state}"), color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.legend(fontsize=8)
    ax.set_title(t("report.chart.complaints"))
    save("complaints", fig)
    if trend:
        fig, ax = plt.subplots(figsize=(7, 2.8))
        labels = [r["label"] for r in trend]
        for key in ("completion_rate", "on_time_rate", "reach_rate"):
            ax.plot(labels, [100 * (r[key] or 0) for r in trend], marker="o",
                    label=t(f"figure.{key}"))
        ax.set_ylim(0, 100)
        ax.legend(fontsize=8)
        ax.set_title(t("report.chart.trend"))
        save("trend", fig)
    return out


def write_html(path: Path, report: dict[str, Any], trend: list[dict[str, Any]]) -> None:
    e = html.escape
    title = (t("report.title", month=report["month"]) if report.get("month")
             else t("report.period_title", start=report["from"], end=report["to"]))
    rows = "".join(
        f"<tr><td>{e(t('figure.' + k))}</td><td>{e(_show(report[k], k))}</td>"
        f"<td>{e(_show(report.get('previous', {}).get(k), k))}</td></tr>" for k in HEADLINE)
    images = "".join(
        f"<figure><img alt='{e(name)}' src='data:image/png;base64,"
        f"{base64.b64encode(png).decode()}'></figure>"
        for name, png in charts(report, trend).items())
    sections = ""
    for scope in ("branch", "agent", "category", "project", "doctor", "consultant"):
        table = report.get(f"by_{scope}")
        if not table:
            continue
        keys = [k for k in HEADLINE if any(k in v for v in table.values())][:8]
        head = "".join(f"<th>{e(t('figure.' + k))}</th>" for k in keys)
        body = "".join(
            f"<tr><td>{e(name)}</td>" + "".join(f"<td>{e(_show(v.get(k), k))}</td>"
                                                for k in keys) + "</tr>"
            for name, v in table.items())
        sections += (f"<h2>{e(t('report.by_' + scope))}</h2><table><tr>"
                     f"<th>{e(t('report.col.' + scope))}</th>{head}</tr>{body}</table>")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>@page {{ size: A4; margin: 14mm; }}
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 10pt; }}
table {{ border-collapse: collapse; margin-bottom: 5mm; break-inside: avoid; }}
td, th {{ border: 1px solid #999; padding: 1mm 2mm; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
figure {{ margin: 0 0 4mm; break-inside: avoid; }} img {{ max-width: 100%; }}</style>
</head><body><h1>{e(title)}</h1>
<table><tr><th>{e(t('report.col.figure'))}</th><th>{e(t('report.col.value'))}</th>
<th>{e(t('report.col.previous'))}</th></tr>{rows}</table>{images}{sections}
<p>{e(t('report.see_explain'))}</p></body></html>"""
    with writing(path) as f:
        f.write(page)


def write_xlsx(path: Path, report: dict[str, Any], trend: list[dict[str, Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    book = Workbook()
    sheet = book.active
    sheet.title = "summary"
    sheet.append([t("report.col.figure"), t("report.col.value"), t("report.col.previous")])
    for k in HEADLINE:
        sheet.append([t(f"figure.{k}"), report[k], report.get("previous", {}).get(k)])
    for scope in ("branch", "agent", "category", "project", "doctor", "consultant"):
        table = report.get(f"by_{scope}")
        if not table:
            continue
        ws = book.create_sheet(scope)
        keys = [k for k in HEADLINE if any(k in v for v in table.values())]
        ws.append([t(f"report.col.{scope}"), *(t(f"figure.{k}") for k in keys)])
        for name, v in table.items():
            ws.append([safe_cell(name), *(v.get(k) for k in keys)])
        if scope == "agent" and "completion_rate" in keys:
            chart = BarChart()
            chart.title = t("report.chart.agents")
            for k in ("completion_rate", "reach_rate"):
                col = keys.index(k) + 2
                chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=len(table) + 1),
                               titles_from_data=True)
            chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(table) + 1))
            ws.add_chart(chart, f"A{len(table) + 4}")
    dist = book.create_sheet("satisfaction")
    dist.append([t("report.satisfaction"), "n"])
    for k, n in report["satisfaction_distribution"].items():
        dist.append([int(k), n])
    bars = BarChart()
    bars.title = t("report.satisfaction")
    bars.add_data(Reference(dist, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    bars.set_categories(Reference(dist, min_col=1, min_row=2, max_row=6))
    dist.add_chart(bars, "D2")
    if trend:
        ws = book.create_sheet("trend")
        ws.append(["", t("figure.completion_rate"), t("figure.reach_rate")])
        for r in trend:
            ws.append([r["label"], r["completion_rate"], r["reach_rate"]])
        line = LineChart()
        line.title = t("report.chart.trend")
        line.add_data(Reference(ws, min_col=2, max_col=3, min_row=1, max_row=len(trend) + 1),
                      titles_from_data=True)
        line.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(trend) + 1))
        ws.add_chart(line, "E2")
    write_workbook(path, book)
