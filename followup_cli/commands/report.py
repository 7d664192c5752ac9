"""followup report --month YYYY-MM"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from followup_cli.commands.state import check_choice, state
from followup_cli.i18n import t

AGENT_COLUMNS = ("done", "on_time_rate", "attempts", "reach_rate", "satisfaction_mean", "nps",
                 "conversions")
CATEGORY_COLUMNS = ("due", "done", "on_time", "completion_rate", "on_time_rate", "missed",
                    "unreachable")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cli)


def report_cli(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")] = "",
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    day: Annotated[str | None, typer.Option(
        "--date", help="Report as of this day instead of today (YYYY-MM-DD).")] = None,
) -> None:
    """The supervisor's month report: completion, on-time, reach, satisfaction, NPS.

    主管月报：完成率、及时率、接通率、满意度、NPS。
    """
    from followup_cli import clock
    from followup_cli.commands.state import parse_day
    from followup_cli.render import FORMATS, emit_csv, emit_json
    from followup_cli.report import month_report, parse_month

    check_choice("--format", fmt, FORMATS)
    parse_month(month)
    st = state(ctx)
    conn = st.open()
    try:
        as_of = parse_day(day) if day else clock.today()
        report = month_report(conn, month, as_of, min_note=st.min_note())
    finally:
        conn.close()
    if fmt == "json":
        emit_json(report)
    elif fmt == "csv":
        emit_csv(csv_rows(report))
    else:
        render(report)


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row for the clinic, then one per agent and per category."""
    headline = {k: v for k, v in report.items()
                if not isinstance(v, dict) and k not in ("month", "as_of")}
    rows = [{"month": report["month"], "scope": "all", "name": "", **headline}]
    for scope in ("agent", "category"):
        for name, figures in report[f"by_{scope}"].items():
            rows.append({"month": report["month"], "scope": scope, "name": name,
                         **{k: figures.get(k) for k in headline}})
    return rows


def _show(value: Any, key: str) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


def render(report: dict[str, Any]) -> None:
    from rich.table import Table

    from followup_cli.render import console
    from followup_cli.report import HEADLINE

    out = console()
    table = Table(title=t("report.title", month=report["month"]), title_justify="left")
    table.add_column(t("report.col.figure"))
    table.add_column(t("report.col.value"), justify="right")
    table.add_column(t("report.col.previous"), justify="right")
    table.add_column(t("report.col.change"), justify="right")
    for key in HEADLINE:
        change = report["change"][key]
        shown = "—" if change is None else (
            f"{change * 100:+.1f} pt" if key.endswith("_rate") else f"{change:+g}")
        table.add_row(t(f"figure.{key}"), _show(report[key], key),
                      _show(report["previous"][key], key), shown)
    out.print(table)
    dist = report["satisfaction_distribution"]
    total = sum(dist.values())
    if total:
        bars = Table(title=t("report.satisfaction"), title_justify="left", show_header=False)
        bars.add_column()
        bars.add_column()
        bars.add_column(justify="right")
        for score in "54321":
            n = dist[score]
            bars.add_row(score, "█" * round(30 * n / total), str(n))
        out.print(bars)
    for scope, columns in (("agent", AGENT_COLUMNS), ("category", CATEGORY_COLUMNS)):
        rows = report[f"by_{scope}"]
        if not rows:
            continue
        table = Table(title=t(f"report.by_{scope}"), title_justify="left")
        table.add_column(t(f"report.col.{scope}"), no_wrap=True)
        for key in columns:
            table.add_column(t(f"figure.{key}"), justify="right", overflow="fold")
        for name, figures in rows.items():
            table.add_row(name, *(_show(figures.get(k), k) for k in columns))
        out.print(table)
