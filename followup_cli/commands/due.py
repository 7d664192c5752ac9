"""followup due (--today | --date D)"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from followup_cli.clock import parse_time
from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, t, tn
from followup_cli.labels import label
from followup_cli.lazy import pathlib, typer  # loaded on first use: due and log run without
from followup_cli.options import CATEGORY_HELP, a_file, check_choice, state, the_day
from followup_cli.sheet import SHEET_FIELDS, sheet_record

JSON_FIELDS = SHEET_FIELDS

# what `due --now` says: (in a window?, anyone left for later?) -> message
NOW_KEYS = {
    (True, False): N_("now in the {window} (until {end}); the next, {next_window}, opens at "
                      "{next}"),
    (True, True): N_("now in the {window} (until {end}); the next, {next_window}, opens at "
                     "{next}; left for a later window on the sheet of {date}: {patients} "
                     "({tasks})"),
    (False, False): N_("outside every calling window now; the next, {next_window}, opens at "
                       "{next}"),
    (False, True): N_("outside every calling window now; the next, {next_window}, opens at "
                      "{next}; still to call on the sheet of {date}: {patients} ({tasks})"),
}


def register(app: typer.Typer) -> None:
    app.command("due", help=t(
        "Show the call sheet: who to call today, why, and in which window."))(due_cli)


def due_cli(
    ctx: typer.Context,
    today: Annotated[bool, typer.Option("--today", "-t", help=t("Today's sheet (clinic-local)."))]
    = False,
    day: Annotated[str | None, typer.Option(
        "--date", "-d", help=t("The sheet of this day, YYYY-MM-DD."))]
    = None,
    agent: Annotated[str | None, typer.Option("--agent", help=t("Only this agent's share."))]
    = None,
    category: Annotated[str | None, typer.Option("--category", help=t(CATEGORY_HELP))]
    = None,
    fmt: Annotated[str, typer.Option(
        "--format", help=t("table, json, csv, html (printable A4) or xlsx."))] = "table",
    output: Annotated[pathlib.Path | None, typer.Option(
        "--output", "-O", help=t("Write to this file (needed for html and xlsx); "
                                 "created readable by you only."),
        dir_okay=False, callback=a_file)] = None,
    now: Annotated[bool, typer.Option(
        "--now", help=t("Only what may be called right now; says when the next window opens."))]
    = False,
    at_time: Annotated[str | None, typer.Option(
        "--time", help=t("With --date: only what may be called at this time (HH:MM)."))] = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help=t("Show phone numbers in full; recorded in the audit log."))] = False,
    agent_name: Annotated[str | None, typer.Option(
        "--as", help=t("Who is looking, for the audit log (else $FOLLOWUP_AGENT)."))] = None,
) -> None:
    """Show the call sheet: who to call today, why, and in which window.

    显示回访清单：今天给谁打电话、为什么、在哪个时段。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent, known_agent
    from followup_cli.output.formats import FORMATS, warn, warn_provisional
    from followup_cli.sheet import call_sheet, check_share

    if now and (day is not None or at_time is not None):   # not one silently dropped
        raise FollowupError(t("--now is this moment: give it without --date and --time"))
    check_choice("--format", fmt, (*FORMATS, "html", "xlsx"))
    if fmt in ("html", "xlsx") and output is None:
        raise FollowupError(t("--format {fmt} needs --output FILE", fmt=fmt))
    if output is not None:
        from followup_cli.output.files import check_target

        if fmt == "table":
            raise FollowupError(t("--output is for json, csv, html and xlsx; a table is shown on "
                                  "the terminal"))
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
    if agent is not None:   # read as every option that takes a name reads it
        from followup_cli.text import agent_name as one_name

        agent = one_name(agent)
    rules, cal = st.rule_pack(), st.clinic_calendar()
    detailed = fmt in ("table", "html")
    with st.ledger() as conn:
        if agent:
            check_share(conn, sheet_day, agent)
        sheet = call_sheet(conn, rules, cal, sheet_day, moment or clock.now(), agent=agent,
                           category=category, moment=moment, reveal=reveal,
                           viewer=(default_agent(agent_name, "--as") if agent_name is not None
                                   else default_agent(agent)) if reveal else "",
                           scripts=st.call_scripts() if detailed else None,
                           clinic=st.clinic_name() if detailed else None,
                           # a printed sheet is the team's: never the exporter's name
                           caller=agent or (known_agent() if fmt == "table" else None) or "",
                           whole_scripts=fmt == "html")
    records, empty = sheet.records, None
    if sheet.calling is not None:
        calling, waiting = sheet.calling, sheet.calling.waiting
        said = {"window": label("window", calling.window) if calling.window else "",
                "end": calling.ends.strftime("%H:%M") if calling.ends else "",
                "next": calling.opens.strftime("%Y-%m-%d %H:%M"),
                "next_window": label("window", calling.next_window),
                "date": sheet_day.isoformat(),
                "tasks": tn("{count} task", "{count} tasks", len(waiting)),
                "patients": tn("{count} patient", "{count} patients",
                               len({r["patient_id"] for r in waiting}))}
        if fmt == "table" and waiting and not records:
            empty = t("nobody to call right now; still to call on the sheet of {date}: "
                      "{patients} ({tasks}); the next, {next_window}, opens at {next}",
                      **said)   # said once, where the sheet would be
        else:
            warn(t(NOW_KEYS[bool(calling.window), bool(waiting)], **said))
    warn_provisional(cal, [date.fromisoformat(r["due_date"]) for r in records if r["provisional"]])
    if fmt in ("json", "csv", "xlsx"):   # the table and the printed page draw them on top
        urgencies = {"urgent": t("urgent"), "today": t("today"),
                     "routine": t("routine")}
        for alert in sheet.alerts:
            warn(t("⚠ clinical alert #{id}: patient {patient} ({urgency}), doctor {doctor}, answer "
                   "by {due}{breached} (followup alert list)", id=alert["alert_id"],
                   patient=alert["patient_id"],
                   urgency=urgencies[alert["urgency"]], doctor=alert["doctor"] or "-",
                   due=alert["due_at"].replace("T", " ")[:16],
                   breached=" " + t("BREACHED") if alert["breached"] else ""))
    if output is not None and fmt in ("json", "csv"):
        from followup_cli.output.formats import save

        save(fmt, output, [sheet_record(r) for r in records] if fmt == "json" else
             [{k: r[k] for k in JSON_FIELDS} for r in records], JSON_FIELDS)
        warn(t("written to {path} (readable by you only)", path=output))
    elif fmt in ("json", "csv"):
        _emit(fmt, records)
    elif fmt == "xlsx" and output is not None:
        from followup_cli.output.printing import write_xlsx

        write_xlsx(output, records, sheet_day.isoformat(),
                   rules.labels(), sheet.share)
        warn(t("written to {path} (readable by you only)", path=output))
    elif fmt == "html" and output is not None:
        from followup_cli.output.files import write_text
        from followup_cli.output.printing import sheet_html
        from followup_cli.output.sheet import sheet_title
        from followup_cli.sheet import in_calling_order, window_hours

        page = sheet_html(in_calling_order(records),
                          title=sheet_title(sheet_day.isoformat(),
                                            len({r["patient_id"] for r in records}),
                                            len(records)), day=sheet_day.isoformat(),
                          scripts=sheet.scripts, context=sheet.context, cases=sheet.cases,
                          alerts=sheet.alerts,
                          hours=window_hours(cal.windows(sheet_day)))
        write_text(output, page, kind="html")
        warn(t("written to {path} (readable by you only)", path=output))
    else:
        from followup_cli.output.sheet import render_alerts, render_cases, render_sheet

        if sheet.alerts:
            drawn = clock.now()
            # alerts are judged now, whatever the sheet's day: a sheet of another day says so
            render_alerts(sheet.alerts, title=None if sheet_day == drawn.date() else t(
                "Clinical alerts: {count} (first of all; time left counted from now, {now})",
                count=len(sheet.alerts), now=drawn.strftime("%Y-%m-%d %H:%M")))
        if sheet.cases:
            render_cases(sheet.cases)
        render_sheet(records, sheet_day.isoformat(), sheet.context, sheet.prompts, empty)
        if sheet.to_fix:
            warn(tn("{count} patient waits for a correct number: followup patient bad-phones",
                    "{count} patients wait for a correct number: followup patient bad-phones",
                    sheet.to_fix))


def _emit(fmt: str, records: list[dict[str, Any]]) -> None:
    from followup_cli.output.formats import emit_csv, emit_json

    if fmt == "json":
        emit_json([sheet_record(r) for r in records])
    else:
        emit_csv(records, JSON_FIELDS)
