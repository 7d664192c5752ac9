"""followup script TASK_ID"""

from __future__ import annotations

from typing import Annotated, Any

from followup_cli.commands.state import SQLITE_INT, check_choice, state
from followup_cli.i18n import current, t
from followup_cli.lazy import typer  # loaded on first use: due and log run without it


def register(app: typer.Typer) -> None:
    app.command("script")(script_cli)


def script_values(record: dict[str, Any], clinic: str | None, agent: str) -> dict[str, Any]:
    """What the placeholders of a script stand for, for this task."""
    return {
        "name": record["name"], "project": record["project"] or t("script.no_project"),
        "doctor": record["doctor"] or t("script.no_doctor"),
        "days": record["days_since_visit"] if record["days_since_visit"] is not None else "",
        "next": record.get("next_due") or t("script.no_next"),
        "clinic": clinic or t("script.clinic"), "agent": agent,
        "purpose": record["purpose"],
    }


def script_cli(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(help="The task (from the sheet).", **SQLITE_INT)],
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    day: Annotated[str | None, typer.Option("--date", help="As of this day (default today).")]
    = None,
) -> None:
    """The call script for one task, filled in for that patient.

    某个回访任务的话术，已填入患者信息。
    """
    from followup_cli import clock
    from followup_cli.commands.log import default_agent
    from followup_cli.commands.state import parse_day
    from followup_cli.errors import FollowupError
    from followup_cli.render import console, emit_json
    from followup_cli.scripts import script_for
    from followup_cli.sheet import task_record

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    rules, scripts = st.rule_pack(), st.call_scripts()
    conn = st.open()
    try:
        record = task_record(conn, task_id,
                             parse_day(day) if day is not None else clock.today(), rules)
    finally:
        conn.close()
    if record is None:
        raise FollowupError(t("log.no_task", task_id=task_id))
    values = script_values(record, st.clinic_name(), default_agent())
    script = script_for(scripts, record["category"], record["touchpoint"], current(), values)
    if fmt == "json":
        emit_json({"task_id": task_id, "patient_id": record["patient_id"], **script})
        return
    out = console()
    out.print(f"#{task_id} {record['name']} · {record['purpose']}")

    def heading(key: str) -> None:
        out.print()
        out.print(t(key), style="bold")

    heading("script.open")
    out.print(f"  {script['greeting']}\n  {script['identity']}")
    heading("script.ask")
    for question in script["questions"]:
        out.print(f"  ▸{question}")
    if script["worries"]:
        heading("script.worries")
        for answer in script["worries"].values():
            out.print(f"  ▸{answer}")
    heading("script.close")
    out.print(f"  {script['closing']}\n  ({script['not_convenient']})")
