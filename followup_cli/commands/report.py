"""followup report --month YYYY-MM | --from D --to D"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from typing import Annotated, Any

from followup_cli.i18n import t
from followup_cli.labels import label
from followup_cli.lazy import pathlib, typer  # loaded on first use: a plain report runs without
from followup_cli.options import CATEGORY_HELP, a_file, check_choice, state
from followup_cli.report import ALERT_FIGURES

AGENT_COLUMNS = ("due", "done", "completion_rate", "on_time_rate", "reach_rate",
                 "satisfaction_mean", "nps", "conversions")
TASK_COLUMNS = ("due", "done", "on_time", "completion_rate", "on_time_rate", "missed",
                "unreachable")
# a doctor's row: their patients' calls in short, then the alerts routed to them
DOCTOR_COLUMNS = ("due", "completion_rate", "missed", *ALERT_FIGURES)
BRANCH_COLUMNS = ("due", "completion_rate", "on_time_rate", "reach_rate", "satisfaction_mean",
                  "nps", "complaints_opened")


def register(app: typer.Typer) -> None:
    app.command("report", help=t(
        "The supervisor's report: completion, on-time, reach, satisfaction, NPS, complaints and "
        "their deadlines, conversions; per agent, category, project, doctor, consultant; several "
        "--db report a clinic group, branch by branch."))(report_cli)


def report_cli(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option("--month", help=t("The month, YYYY-MM."))] = None,
    start: Annotated[str | None, typer.Option("--from", help=t("Or a period: first day."))]
    = None,
    end: Annotated[str | None, typer.Option("--to", help=t("…and last day (included)."))] = None,
    agent: Annotated[str | None, typer.Option("--agent", help=t("Only this agent."))] = None,
    category: Annotated[str | None, typer.Option("--category", help=t(CATEGORY_HELP))]
    = None,
    fmt: Annotated[str, typer.Option(
        "--format", help=t("table, json, csv, html (to print, with charts) or xlsx."))] = "table",
    output: Annotated[pathlib.Path | None, typer.Option(
        "--output", "-O", help=t("The file for html and xlsx; created readable by you only."),
        dir_okay=False, callback=a_file)] = None,
    day: Annotated[str | None, typer.Option(
        "--date", help=t("Report as of this day instead of today (YYYY-MM-DD)."))] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help=t("Print how each figure is computed, and stop."))] = False,
) -> None:
    """The supervisor's report: completion, on-time, reach, satisfaction, NPS, complaints
    and their deadlines, conversions; per agent, category, project, doctor, consultant;
    several --db report a clinic group, branch by branch.

    主管报表：完成率、及时率、接通率、满意度、NPS、投诉时限、咨询转化；可按专员、类别、
    项目、医生、咨询师分项；给多个 --db 即为集团（各分院）报表。
    """
    from followup_cli import clock
    from followup_cli.clock import parse_day, parse_past_day
    from followup_cli.errors import FollowupError
    from followup_cli.ledger import default_path
    from followup_cli.output.formats import FORMATS, emit_csv, emit_json
    from followup_cli.report import (
        Branch,
        branches_report,
        distinct_ledgers,
        parse_month,
        six_months,
    )

    if explain:
        print_explanations()
        return
    check_choice("--format", fmt, (*FORMATS, "html", "xlsx"))
    if fmt in ("html", "xlsx") and output is None:
        raise FollowupError(t("--format {fmt} needs --output FILE", fmt=fmt))
    if output is not None:
        from followup_cli.output.files import check_target

        if fmt == "table":
            raise FollowupError(t("--output is for json, csv, html and xlsx; a table is shown on "
                                  "the terminal"))
        check_target(output, fmt)   # refused before any work: the ledger, a database, a folder
    if month is not None and (start is not None or end is not None):
        raise FollowupError(t("give --month YYYY-MM, or --from and --to, not both"))
    if month is not None:
        first, after = parse_month(month)
    elif start is not None and end is not None:
        first, after = parse_day(start, "--from"), parse_day(end, "--to") + timedelta(days=1)
        if after <= first:
            raise FollowupError(t("--to is before --from"))
    else:
        raise FollowupError(t("give --month YYYY-MM, or --from and --to"))
    st = state(ctx)
    if agent is not None:   # read as every option that takes a name reads it
        from followup_cli.text import agent_name

        agent = agent_name(agent)
    if category is not None:   # an id or its label (手术), as due takes it; else refused
        from followup_cli.sheet import category_id

        category = category_id(st.rule_pack(), category)
    as_of = parse_past_day(day) if day is not None else clock.today()
    if first > as_of:   # nothing in the period has happened yet: all zeros would mislead
        if day is not None:
            raise FollowupError(t("the period starts on {first}, after --date {day}: give a "
                                  "--date within or after the period", first=first.isoformat(),
                                  day=as_of.isoformat()))
        raise FollowupError(t("the period starts on {first}, after today ({today}): give a "
                              "period that has begun", first=first.isoformat(),
                              today=as_of.isoformat()))
    # each branch keeps its own settings next to its ledger
    group = [Branch(path, st.branch(path).clinic_name(), st.branch(path).min_note())
             for path in distinct_ledgers([os.fspath(p) for p in st.dbs] or [default_path()])]
    report = branches_report(group, first, after, as_of, month=month, agent=agent,
                             category=category, now=None if day is not None else clock.now())
    if output is not None:
        from followup_cli.output import report_files
        from followup_cli.output.formats import save, warn

        if fmt in ("html", "xlsx"):
            trend = []
            if month and len(group) == 1:
                with st.ledger() as conn:
                    trend = six_months(conn, first, as_of, min_note=group[0].min_note,
                                       agent=agent, category=category)
            writer = report_files.write_html if fmt == "html" else report_files.write_xlsx
            writer(output, report, trend, report_files.about(st))
        else:
            save(fmt, output, report if fmt == "json" else csv_rows(report))
        warn(t("written to {path} (readable by you only)", path=output))
    elif fmt == "json":
        emit_json(report)
    elif fmt == "csv":
        emit_csv(csv_rows(report))
    else:
        from followup_cli.output.report_files import about

        render(report, about(st).categories)


def print_explanations() -> None:
    from followup_cli.report import EXPLAINED

    typer.echo(t("How each figure is computed"))
    for key in EXPLAINED:
        typer.echo(f"- {label('explain', key)}")


def csv_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row for the whole, then one per branch, agent, category, project, doctor."""
    headline = {k: v for k, v in report.items()
                if not isinstance(v, dict) and k not in ("month", "as_of", "from", "to")}
    period = report.get("month") or f"{report['from']}..{report['to']}"
    # the breakdowns inside the whole's figures, one column each (alerts_urgent,
    # sms_birthday_sent, …): for the whole's row only
    flat = {f"alerts_{u}": n for u, n in (report.get("alerts_by_urgency") or {}).items()}
    flat.update({f"sms_{category}_{k}": n
                 for category, figures in (report.get("sms_by_category") or {}).items()
                 for k, n in figures.items()})
    rows = [{"period": period, "scope": "all", "name": "", **headline, **flat}]
    for key, value in report.items():
        if key.startswith("by_"):
            for name, figures in value.items():
                rows.append({"period": period, "scope": key[3:], "name": name,
                             **{k: figures.get(k) for k in headline}})
            nobody = report.get("nobody")
            if key == "by_agent" and nobody and nobody["due"]:
                # tasks nobody dialled, as the table has them: the agents add up to the clinic
                rows.append({"period": period, "scope": "agent",
                             "name": t("(not called by anyone)"),
                             **{k: nobody.get(k) for k in headline}})
    return rows


def _show(value: Any, key: str) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    return str(value)


def render(report: dict[str, Any], categories: dict[str, str]) -> None:
    """The report on the terminal; `categories`: each category's label."""
    from followup_cli.output.tables import Column, draw, paragraph
    from followup_cli.report import HEADLINE

    write = sys.stdout.write
    month = bool(report.get("month"))
    title = (t("Callback report {month}", month=report["month"]) if month
             else t("Callback report {start} to {end}", start=report["from"], end=report["to"]))
    filters = report.get("filters") or {}
    if filters.get("agent"):
        title = t("{title} (agent: {agent})", title=title, agent=filters["agent"])
    if filters.get("category"):
        title = t("{title} (category: {category})", title=title,
                  category=categories.get(filters["category"], filters["category"]))
    columns = [Column(t("Figure")),
               Column((t("This month") if month else t("This period")), right=True)]
    compared = "change" in report
    if compared:
        columns += [Column((t("Last month") if month else t("Previous period")),
                           right=True),
                    Column(t("Change"), right=True)]
    rows = []
    for key in HEADLINE:
        row = [label("figure", key), _show(report[key], key)]
        if compared:
            change = report["change"][key]
            row += [_show(report["previous"][key], key), "—" if change is None else (
                t("{value} pt", value=f"{change * 100:+.1f}") if key.endswith("_rate")
                else f"{change:+g}")]
        rows.append(row)
    write(draw(columns, rows, title=title))
    urgencies = report.get("alerts_by_urgency")
    if urgencies and report["alerts_opened"]:
        write(paragraph(t("Clinical alerts by urgency: urgent {urgent} · today {today} · routine "
                          "{routine}", **urgencies)))
    dist = report["satisfaction_distribution"]
    total = sum(dist.values())
    if total:
        write(paragraph(t("Satisfaction")))
        bars = {score: "█" * round(30 * dist[score] / total) for score in "54321"}
        width = max(map(len, bars.values()))
        for score, bar in bars.items():
            write(f" {score}  {bar:<{width}}  {dist[score]}\n")
    if report.get("sms_sent"):
        sms_keys = ("sms_sent", "sms_queued", "sms_delivered", "sms_failed")
        by_category = report.get("sms_by_category") or {}
        rows = [[categories.get(name, name), *(str(figures[k[4:]]) for k in sms_keys)]
                for name, figures in by_category.items()]
        rows.append([t("Total"), *(str(report[k]) for k in sms_keys)])
        write(draw([Column(t("Category"), fold=False),
                    *(Column(label, right=True) for label in (
                        t("SMS sent"), t("Queued"), t("Delivered"),
                        t("Failed")))], rows, title=t("SMS")))
    sections = [("branch", BRANCH_COLUMNS), ("agent", AGENT_COLUMNS),
                ("category", TASK_COLUMNS), ("project", TASK_COLUMNS),
                ("doctor", DOCTOR_COLUMNS), ("consultant", TASK_COLUMNS)]
    for scope, keys in sections:
        by = report.get(f"by_{scope}")
        if not by:
            continue
        columns = [Column(label("report.col", scope), fold=False)]
        columns += [Column(label("figure", key), right=True) for key in keys]
        rows = [[categories.get(name, name) if scope == "category" else name,
                 *(_show(figures.get(k), k) for k in keys)] for name, figures in by.items()]
        nobody = report.get("nobody")
        if scope == "agent" and nobody and nobody["due"]:
            # tasks nobody dialled: with them the agents add up to the clinic
            rows.append([t("(not called by anyone)"), *(_show(nobody.get(k), k) for k in keys)])
        write(draw(columns, rows, title=label("report.by", scope)))
