"""followup script TASK_ID"""

from __future__ import annotations

import sys
from typing import Annotated, Any

from followup_cli.i18n import t
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import SQLITE_INT, check_choice, state


def register(app: typer.Typer) -> None:
    app.command("script")(script_cli)


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
    from followup_cli.agents import default_agent
    from followup_cli.clock import parse_day
    from followup_cli.output.formats import emit_json
    from followup_cli.sheet import task_script

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    rules, scripts = st.rule_pack(), st.call_scripts()
    with st.ledger() as conn:
        record, script = task_script(conn, task_id,
                                     parse_day(day) if day is not None else clock.today(),
                                     rules, scripts, clinic=st.clinic_name(),
                                     caller=default_agent())
    if fmt == "json":
        emit_json({"task_id": task_id, "patient_id": record["patient_id"], **script})
    else:
        render(task_id, record, script)


def render(task_id: int, record: dict[str, Any], script: dict[str, Any]) -> None:
    """The script as plain lines, indented under its headings; long lines wrap to the
    terminal at spaces, their continuation indented too (a date never splits)."""
    from followup_cli.output.tables import paragraph, terminal_width, use_colour, wrap

    bold = ("\x1b[1m", "\x1b[0m") if use_colour() else ("", "")
    width = terminal_width()
    out = [paragraph(f"#{task_id} {record['name']} · {record['purpose']}", width)]

    def heading(key: str) -> None:
        out.append("\n" + bold[0] + t(key) + bold[1] + "\n")

    def lines(*texts: str) -> None:
        for text in texts:
            for piece in wrap(text, width - 2):
                out.append("  " + piece + "\n")

    heading("script.open")
    lines(script["greeting"], script["identity"])
    heading("script.ask")
    lines(*(f"▸{question}" for question in script["questions"]))
    if script["signs"]:
        heading("script.signs")
        urgencies = {"urgent": t("alert.urgency.urgent"), "today": t("alert.urgency.today"),
                     "routine": t("alert.urgency.routine")}
        lines(*(f"☐ {sign['words']} [{sign['id']} · {urgencies[sign['urgency']]}]"
                for sign in script["signs"]))
    if script["worries"]:
        heading("script.worries")
        lines(*(f"▸{answer}" for answer in script["worries"].values()))
    heading("script.close")
    lines(script["closing"], f"({script['not_convenient']})")
    sys.stdout.write("".join(out))
