"""followup script TASK_ID"""

from __future__ import annotations

import sys
from typing import Annotated, Any

from followup_cli.i18n import t
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import check_choice, state, stored_int


def register(app: typer.Typer) -> None:
    app.command("script", help=t(
        "The call script for one task, filled in for that patient."))(script_cli)


def script_cli(
    ctx: typer.Context,
    task_id: Annotated[int, typer.Argument(
        help=t("The task (from the sheet)."), metavar="TASK_ID", callback=stored_int)],
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
    day: Annotated[str | None, typer.Option("--date", help=t("As of this day (default today)."))]
    = None,
) -> None:
    """The call script for one task, filled in for that patient.

    某个回访任务的话术，已填入患者信息。
    """
    from followup_cli import clock
    from followup_cli.agents import known_agent
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
                                     caller=known_agent() or "")
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

    def heading(text: str) -> None:
        out.append("\n" + bold[0] + text + bold[1] + "\n")

    def lines(*texts: str) -> None:
        for text in filter(None, texts):   # a line that cannot be said in full is ""
            for piece in wrap(text, width - 2):
                out.append("  " + piece + "\n")

    heading(t("Opening and identity check"))
    lines(script["greeting"], script["identity"])
    heading(t("Ask"))
    lines(*(f"▸{question}" for question in script["questions"]))
    if script["signs"]:
        heading(t("Warning signs (any of them: log it with --sign, a doctor is told)"))
        urgencies = {"urgent": t("urgent"), "today": t("today"),
                     "routine": t("routine")}
        lines(*(f"☐ {sign['words']} [{sign['id']} · {urgencies[sign['urgency']]}]"
                for sign in script["signs"]))
    if script["worries"]:
        heading(t("If they are worried"))
        lines(*(f"▸{answer}" for answer in script["worries"].values()))
    heading(t("Closing"))
    lines(script["closing"], f"({script['not_convenient']})" if script["not_convenient"] else "")
    sys.stdout.write("".join(out))
