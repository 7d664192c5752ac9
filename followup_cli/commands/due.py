"""followup due (--today | --date D)"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from followup_cli.commands.state import check_choice, state, the_day
from followup_cli.errors import FollowupError
from followup_cli.i18n import t

JSON_FIELDS = ("task_id", "patient_id", "visit_id", "category", "touchpoint", "purpose",
               "due_date", "window", "overdue_days", "attempts", "provisional", "next_try_at",
               "name", "phone", "vip_tier", "project", "visit_date", "days_since_visit",
               "doctor", "consultant", "agent")


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
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Show the call sheet: who to call today, why, and in which window.

    显示回访清单：今天给谁打电话、为什么、在哪个时段。
    """
    from followup_cli import planning
    from followup_cli.ledger import get_setting, set_setting, transaction
    from followup_cli.render import FORMATS, emit_csv, emit_json, warn
    from followup_cli.sheet import due_tasks

    check_choice("--format", fmt, FORMATS)
    sheet_day = the_day(today, day)
    st = state(ctx)
    rules, cal = st.rule_pack(), st.clinic_calendar()
    if category is not None and category not in rules.categories:
        raise FollowupError(t("due.bad_category", value=category,
                              choices=", ".join(rules.categories)))
    conn = st.open()
    try:
        # VIP birthdays are planned a year ahead; top the plan up when a new year is reached
        through = int(get_setting(conn, "birthdays_planned_through") or 0)
        if through < sheet_day.year + 1:
            with transaction(conn):
                planning.plan_birthdays(conn, rules, cal, sheet_day,
                                        range(sheet_day.year, sheet_day.year + 2))
                set_setting(conn, "birthdays_planned_through", str(sheet_day.year + 1))
        records = due_tasks(conn, sheet_day, rules, agent=agent, category=category)
    finally:
        conn.close()
    provisional = sum(r["provisional"] for r in records)
    if provisional:
        warn(t("due.provisional", count=provisional))
    if fmt == "json":
        emit_json([{k: r[k] for k in JSON_FIELDS} for r in records])
    elif fmt == "csv":
        emit_csv(records, JSON_FIELDS)
    else:
        render_sheet(records, sheet_day.isoformat())


def render_sheet(records: list[dict[str, Any]], day: str) -> None:
    """One row per patient, grouped by calling window, overdue first within each."""
    from rich.table import Table

    from followup_cli.render import console
    from followup_cli.sheet import WINDOW_ORDER, by_patient, patient_window

    out = console()
    patients = by_patient(records)
    if not patients:
        out.print(t("due.empty", date=day))
        return
    out.print(t("due.title", date=day, patients=len(patients), tasks=len(records)))
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for tasks in patients:
        groups.setdefault(patient_window(tasks), []).append(tasks)
    number = 0
    for window in sorted(groups, key=WINDOW_ORDER.__getitem__):
        table = Table(title=t(f"window.{window}"), title_justify="left", show_lines=True,
                      expand=False)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column(t("due.col.patient"), overflow="fold")
        table.add_column(t("due.col.visit"), overflow="fold")
        table.add_column(t("due.col.why"), overflow="fold", ratio=3)
        table.add_column(t("due.col.overdue"), justify="right", no_wrap=True)
        table.add_column(t("due.col.tasks"), overflow="fold")
        for tasks in groups[window]:
            number += 1
            first = next((task for task in tasks if task["visit_id"]), tasks[0])
            who = f"{first['name']}\n{first['phone']}"
            if first["vip_tier"]:
                who += f"\n{first['vip_tier']}"
            visit = "\n".join(filter(None, (
                first["project"], first["doctor"],
                t("due.days_since", days=first["days_since_visit"])
                if first["days_since_visit"] is not None else None)))
            why = "\n".join(
                ("▸" if len(tasks) > 1 else "") + task["purpose"] + (f" {t('due.provisional_mark')}"
                                          if task["provisional"] else "")
                + (f" {t('due.attempts', n=task['attempts'])}" if task["attempts"] else "")
                for task in tasks)
            overdue = max(task["overdue_days"] for task in tasks)
            table.add_row(str(number), who, visit, why,
                          t("due.overdue_days", days=overdue) if overdue else "",
                          ",".join(str(task["task_id"]) for task in tasks))
        out.print(table)
