"""followup due (--today | --date D)"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from followup_cli.clock import parse_time
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.lazy import pathlib, typer  # loaded on first use: due and log run without
from followup_cli.options import a_file, check_choice, state, the_day
from followup_cli.sheet import SHEET_FIELDS

JSON_FIELDS = SHEET_FIELDS

# what `due --now` says: (in a window?, anyone left for later?) -> message
NOW_KEYS = {(True, False): "due.in_window", (True, True): "due.in_window_waiting",
            (False, False): "due.no_window", (False, True): "due.no_window_waiting"}


def register(app: typer.Typer) -> None:
    app.command("due")(due_cli)


def due_cli(
    ctx: typer.Context,
    today: Annotated[bool, typer.Option("--today", help="Today's sheet (clinic-local).")]
    = False,
    day: Annotated[str | None, typer.Option("--date", help="The sheet of this day, YYYY-MM-DD.")]
    = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's share.")]
    = None,
    category: Annotated[str | None, typer.Option("--category", help="Only this category.")]
    = None,
    fmt: Annotated[str, typer.Option(
        "--format", help="table, json, csv, html (printable A4) or xlsx.")] = "table",
    output: Annotated[pathlib.Path | None, typer.Option(
        "--output", "-O", help="Write to this file (needed for html and xlsx); created "
        "readable by you only.", dir_okay=False, callback=a_file)] = None,
    now: Annotated[bool, typer.Option(
        "--now", help="Only what may be called right now; says when the next window opens.")]
    = False,
    at_time: Annotated[str | None, typer.Option(
        "--time", help="With --date: only what may be called at this time (HH:MM).")] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show phone numbers in full; recorded in the audit log.")] = False,
    agent_name: Annotated[str | None, typer.Option(
        "--as", help="Who is looking, for the audit log (else $FOLLOWUP_AGENT).")] = None,
) -> None:
    """Show the call sheet: who to call today, why, and in which window.

    显示回访清单：今天给谁打电话、为什么、在哪个时段。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.output.formats import FORMATS, warn, warn_provisional
    from followup_cli.sheet import call_sheet

    check_choice("--format", fmt, (*FORMATS, "html", "xlsx"))
    if fmt in ("html", "xlsx") and output is None:
        raise FollowupError(t("print.need_output", fmt=fmt))
    if output is not None:
        from followup_cli.output.files import check_target

        if fmt == "table":
            raise FollowupError(t("print.no_output_for_table"))
        check_target(output, fmt)   # refused before any work: the ledger, a database, a folder
    moment = None
    if now:
        moment = clock.now()
        sheet_day = moment.date()
    else:
        sheet_day = the_day(today, day)
        if at_time is not None:
            moment = datetime.combine(sheet_day, parse_time(at_time))
    st = state(ctx)
    rules, cal = st.rule_pack(), st.clinic_calendar()
    detailed = fmt in ("table", "html")
    with st.ledger() as conn:
        sheet = call_sheet(conn, rules, cal, sheet_day, moment or clock.now(), agent=agent,
                           category=category, moment=moment, reveal=reveal,
                           viewer=(agent_name or agent or default_agent()) if reveal else "",
                           scripts=st.call_scripts() if detailed else None,
                           clinic=st.clinic_name() if detailed else None,
                           caller=default_agent() if detailed else "",
                           whole_scripts=fmt == "html")
    records, empty = sheet.records, None
    if sheet.calling is not None:
        calling, waiting = sheet.calling, sheet.calling.waiting
        said = {"window": t(f"window.{calling.window}") if calling.window else "",
                "end": calling.ends.strftime("%H:%M") if calling.ends else "",
                "next": calling.opens.strftime("%Y-%m-%d %H:%M"),
                "next_window": t(f"window.{calling.next_window}"),
                "date": sheet_day.isoformat(), "tasks": len(waiting),
                "patients": len({r["patient_id"] for r in waiting})}
        if fmt == "table" and waiting and not records:
            empty = t("due.none_now", **said)   # said once, where the sheet would be
        else:
            warn(t(NOW_KEYS[bool(calling.window), bool(waiting)], **said))
    warn_provisional(cal, [date.fromisoformat(r["due_date"]) for r in records if r["provisional"]])
    if output is not None and fmt in ("json", "csv"):
        from followup_cli.output.formats import save

        save(fmt, output, [{k: r[k] for k in JSON_FIELDS} for r in records], JSON_FIELDS)
        warn(t("print.written", path=output))
    elif fmt in ("json", "csv"):
        _emit(fmt, records)
    elif fmt == "xlsx" and output is not None:
        from followup_cli.i18n import pick
        from followup_cli.output.printing import write_xlsx

        write_xlsx(output, records, sheet_day.isoformat(),
                   {cid: pick(c.label) for cid, c in rules.categories.items()})
        warn(t("print.written", path=output))
    elif fmt == "html" and output is not None:
        from followup_cli.output.files import write_text
        from followup_cli.output.printing import sheet_html
        from followup_cli.sheet import in_calling_order, window_hours

        page = sheet_html(in_calling_order(records),
                          title=t("due.title", date=sheet_day.isoformat(),
                                  patients=len({r["patient_id"] for r in records}),
                                  tasks=len(records)), day=sheet_day.isoformat(),
                          scripts=sheet.scripts, context=sheet.context, cases=sheet.cases,
                          hours=window_hours(cal.windows(sheet_day)))
        write_text(output, page, kind="html")
        warn(t("print.written", path=output))
    else:
        from followup_cli.output.sheet import render_cases, render_sheet

        if sheet.cases:
            render_cases(sheet.cases)
        render_sheet(records, sheet_day.isoformat(), sheet.context, sheet.prompts, empty)
        if sheet.to_fix:
            warn(t("due.fix_numbers", count=sheet.to_fix))


def _emit(fmt: str, records: list[dict[str, Any]]) -> None:
    from followup_cli.output.formats import emit_csv, emit_json

    if fmt == "json":
        emit_json([{k: r[k] for k in JSON_FIELDS} for r in records])
    else:
        emit_csv(records, JSON_FIELDS)
