"""followup due (--today | --date D)"""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from typing import Annotated, Any

from followup_cli.commands.state import a_file, check_choice, parse_time, state, the_day
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.lazy import pathlib, typer  # loaded on first use: due and log run without

JSON_FIELDS = ("task_id", "patient_id", "visit_id", "category", "touchpoint", "purpose",
               "due_date", "window", "overdue_days", "attempts", "provisional", "next_try_at",
               "name", "phone", "vip_tier", "project", "visit_date", "days_since_visit",
               "doctor", "consultant", "agent")

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
    from followup_cli import planning
    from followup_cli.commands.state import warn_provisional
    from followup_cli.ledger import transaction
    from followup_cli.render import FORMATS, warn
    from followup_cli.sheet import callable_at, due_tasks, numbers_to_fix, patient_context

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
        from followup_cli import clock

        moment = clock.now()
        sheet_day = moment.date()
    else:
        sheet_day = the_day(today, day)
        if at_time is not None:
            moment = datetime.combine(sheet_day, parse_time(at_time))
    st = state(ctx)
    rules, cal = st.rule_pack(), st.clinic_calendar()
    if category is not None and category not in rules.categories:
        raise FollowupError(t("due.bad_category", value=category,
                              choices=", ".join(rules.categories)))
    conn = st.open()
    try:
        # VIP birthdays are planned a year ahead; top the plan up when a new year is reached
        if planning.birthdays_planned_through(conn) < sheet_day.year + 1:
            from followup_cli import clock

            with transaction(conn):
                planning.top_up_birthdays(conn, rules, cal, sheet_day, clock.today())
        records = due_tasks(conn, sheet_day, rules, agent=agent, category=category,
                            reveal=reveal)
        if reveal:
            from followup_cli import audit, clock
            from followup_cli.commands.log import default_agent

            audit.record(conn, agent=agent_name or agent or default_agent(),
                         action=f"due --date {sheet_day.isoformat()} --reveal",
                         patient_ids=sorted({r["patient_id"] for r in records}),
                         at=clock.now())
        if fmt in ("table", "html"):
            from followup_cli import clock
            from followup_cli.complaints import open_cases

            shift = moment or (clock.now() if sheet_day == clock.today()
                               else datetime.combine(sheet_day, time(9, 0)))
            cases = open_cases(conn, shift)
            to_fix = numbers_to_fix(conn)
            context = patient_context(conn, sorted({r["patient_id"] for r in records}))
    finally:
        conn.close()
    empty = None
    if moment is not None:
        window = cal.window_of(moment)
        whole, records = records, callable_at(records, moment, window)
        now_called = {r["patient_id"] for r in records}
        waiting = [r for r in whole if r["patient_id"] not in now_called]
        opens, name = cal.next_window_start(moment)
        said = {"window": t(f"window.{window}") if window else "",
                "end": cal.windows(moment.date())[window][1].strftime("%H:%M") if window else "",
                "next": opens.strftime("%Y-%m-%d %H:%M"), "next_window": t(f"window.{name}"),
                "date": sheet_day.isoformat(), "tasks": len(waiting),
                "patients": len({r["patient_id"] for r in waiting})}
        if fmt == "table" and waiting and not records:
            empty = t("due.none_now", **said)   # said once, where the sheet would be
        else:
            warn(t(NOW_KEYS[bool(window), bool(waiting)], **said))
    warn_provisional(cal, [date.fromisoformat(r["due_date"]) for r in records if r["provisional"]])
    if output is not None and fmt in ("json", "csv"):
        from followup_cli.render import save

        save(fmt, output, [{k: r[k] for k in JSON_FIELDS} for r in records], JSON_FIELDS)
        warn(t("print.written", path=output))
    elif fmt in ("json", "csv"):
        _emit(fmt, records)
    elif fmt == "xlsx" and output is not None:
        from followup_cli.i18n import pick
        from followup_cli.printing import write_xlsx

        write_xlsx(output, records, sheet_day.isoformat(),
                   {cid: pick(c.label) for cid, c in rules.categories.items()})
        warn(t("print.written", path=output))
    elif fmt == "html" and output is not None:
        from followup_cli.output.files import write_text
        from followup_cli.printing import sheet_html
        from followup_cli.sheet import window_hours

        page = sheet_html(in_calling_order(records),
                          title=t("due.title", date=sheet_day.isoformat(),
                                  patients=len({r["patient_id"] for r in records}),
                                  tasks=len(records)), day=sheet_day.isoformat(),
                          scripts=filled_scripts(st, records), context=context, cases=cases,
                          hours=window_hours(cal.windows(sheet_day)))
        write_text(output, page, kind="html")
        warn(t("print.written", path=output))
    else:
        from followup_cli.commands.complaint import render_cases

        if cases:
            render_cases(cases)
        render_sheet(records, sheet_day.isoformat(), context, prompts(st, records), empty)
        if to_fix:
            warn(t("due.fix_numbers", count=to_fix))


def _emit(fmt: str, records: list[dict[str, Any]]) -> None:
    from followup_cli.render import emit_csv, emit_json

    if fmt == "json":
        emit_json([{k: r[k] for k in JSON_FIELDS} for r in records])
    else:
        emit_csv(records, JSON_FIELDS)


def in_calling_order(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Patients grouped by the window they are called in, then in sheet order."""
    from followup_cli.sheet import WINDOW_ORDER, by_patient, patient_window

    return sorted(by_patient(records), key=lambda tasks: WINDOW_ORDER[patient_window(tasks)])


def filled_scripts(st: Any, records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    from followup_cli.commands.log import default_agent
    from followup_cli.commands.script import script_values
    from followup_cli.i18n import current
    from followup_cli.scripts import script_for

    scripts, clinic, agent = st.call_scripts(), st.clinic_name(), default_agent()
    return {r["task_id"]: script_for(scripts, r["category"], r["touchpoint"], current(),
                                     script_values(r, clinic, agent)) for r in records}


def prompts(st: Any, records: list[dict[str, Any]]) -> dict[int, str]:
    """The first question of each task's script, filled as `followup script` fills it:
    the prompt printed on the sheet."""
    from followup_cli.commands.log import default_agent
    from followup_cli.commands.script import script_values
    from followup_cli.i18n import current
    from followup_cli.scripts import fill

    scripts, clinic, agent, lang = st.call_scripts(), st.clinic_name(), default_agent(), current()
    out = {}
    for r in records:
        questions, _ = scripts.touchpoints.get((r["category"], r["touchpoint"]), ((), ()))
        if questions:
            out[r["task_id"]] = fill(questions[0], lang, script_values(r, clinic, agent))
    return out


def render_sheet(records: list[dict[str, Any]], day: str,
                 context: dict[str, Any] | None = None,
                 prompt: dict[int, str] | None = None, empty: str | None = None) -> None:
    """One row per patient, grouped by calling window, overdue first within each; `empty`
    is said instead of "nobody to call" when the sheet has calls for later."""
    from followup_cli.calls import outcome_label
    from followup_cli.grid import Column, Dim, draw, paragraph
    from followup_cli.sheet import (
        WINDOW_ORDER,
        by_patient,
        call_time,
        patient_window,
        visit_label,
        visits_of,
    )

    write = sys.stdout.write
    patients = by_patient(records)
    if not patients:
        write(paragraph(empty or t("due.empty", date=day)))
        return
    write(paragraph(t("due.title", date=day, patients=len(patients), tasks=len(records))))
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for tasks in patients:
        groups.setdefault(patient_window(tasks), []).append(tasks)
    columns = (Column("#", right=True, fold=False), Column(t("due.col.patient")),
               Column(t("due.col.visit")), Column(t("due.col.why")),
               Column(t("due.col.overdue"), right=True, fold=False), Column(t("due.col.tasks")))
    number = 0
    for window in sorted(groups, key=WINDOW_ORDER.__getitem__):
        rows = []
        for tasks in groups[window]:
            number += 1
            visits = visits_of(tasks)
            first = visits[0] if visits else tasks[0]
            about = (context or {}).get(first["patient_id"], {})
            who = [first["name"], first["phone"]]
            if first["vip_tier"]:
                who.append(first["vip_tier"])
            who += [t("due.complaint_mark", id=case_id) for case_id in about.get("complaints", [])]
            if len(visits) > 1:   # each task names its visit; the column lists them all
                visit = [" · ".join(filter(None, (visit_label(v), v["doctor"]))) for v in visits]
            else:
                visit = list(filter(None, (
                    first["project"], first["doctor"], first["consultant"],
                    t("due.days_since", days=first["days_since_visit"])
                    if first["days_since_visit"] is not None else None)))
            lines = []
            for task in tasks:
                line = ("▸" if len(tasks) > 1 else "") + task["purpose"]
                if len(visits) > 1 and task["visit_id"]:
                    line += " " + t("due.of_visit", visit=visit_label(task))
                if task["provisional"]:
                    line += f" {t('due.provisional_mark')}"
                if task["attempts"]:
                    line += f" {t('due.attempts', n=task['attempts'])}"
                when = call_time(task, day)
                if when:
                    line += f" {when}"
                lines.append(line)
                if prompt and task["task_id"] in prompt:
                    lines.append(Dim(f"“{prompt[task['task_id']]}”"))
            last = about.get("last_call")
            if last is not None:
                lines.append(t("due.last_call", at=last["called_at"][:10], agent=last["agent"],
                               outcome=outcome_label(last["outcome"]),
                               note=(last["note"] or "")[:40]))
            overdue = max(task["overdue_days"] for task in tasks)
            rows.append((str(number), who, visit, lines,
                         t("due.overdue_days", days=overdue) if overdue else "",
                         ",".join(str(task["task_id"]) for task in tasks)))
        write(draw(columns, rows, title=t(f"window.{window}").capitalize(), lines_between=True))
