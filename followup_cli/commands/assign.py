"""followup assign --agents A,B,C | --move PATIENT --to AGENT"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.options import state, the_day


def register(app: typer.Typer) -> None:
    app.command("assign", help=t(
        "Share the day's sheet among the agents on shift, balanced by calls; a patient stays with"
        " the agent who called them before. Then: followup due --agent NAME."))(assign_cli)


def assign_cli(
    ctx: typer.Context,
    agents: Annotated[str | None, typer.Option(
        "--agents", help=t("The agents on shift: 王芳,李娜,张伟 (separated by commas, "
                            "semicolons or 、, ASCII or full-width)."))] = None,
    move_patient: Annotated[str | None, typer.Option(
        "--move", help=t("Move this patient to another agent's share."))] = None,
    to: Annotated[str | None, typer.Option("--to", help=t("With --move: the agent."))] = None,
    day: Annotated[str | None, typer.Option("--date", help=t("The day (default today)."))] = None,
    by: Annotated[str | None, typer.Option("--by", help=t("Who shares (for the record)."))]
    = None,
) -> None:
    """Share the day's sheet among the agents on shift, balanced by calls; a patient stays
    with the agent who called them before. Then: followup due --agent NAME.

    把当天的回访清单分给值班的回访专员：按通话量均衡，老患者优先分给上次联系的专员。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.assign import move, share_sheet
    from followup_cli.output.tables import emit_table
    from followup_cli.text import agent_name

    sheet_day = the_day(day is None, day)
    st = state(ctx)
    who = default_agent(by, "--by")
    if move_patient is not None:
        if to is None:
            raise FollowupError(t("--move needs --to AGENT"))
        to = agent_name(to, "--to")
        with st.ledger() as conn:
            move(conn, sheet_day, move_patient, to, by=who, now=clock.now())
            _warn_without_account(conn, [to])
        typer.echo(t("{date}: patient {patient_id} moved to {agent}", patient_id=move_patient,
                     agent=to,
                     date=sheet_day.isoformat()))
        return
    with st.ledger() as conn:
        shares = share_sheet(conn, sheet_day, st.rule_pack(), [agents or ""], by=who,
                             now=clock.now())
        _warn_without_account(conn, [row["agent"] for row in shares])
    emit_table(shares, [("agent", t("Agent")), ("patients", t("Patients (calls)")),
                        ("tasks", t("Tasks"))],
               title=t("Shares for {date}", date=sheet_day.isoformat()))


def _warn_without_account(conn: Any, names: list[str]) -> None:
    """A clinic on the CLI alone has no accounts and needs none; one whose team signs in
    to the workspace is told of a name that cannot sign in (a typo gives patients to no
    one)."""
    from followup_cli.output.formats import warn
    from followup_cli.users import without_account

    if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None:
        return
    for name in without_account(conn, names):
        warn(t("warning: {name} has no enabled account, so cannot sign in to the workspace to "
               "see their share (followup user list shows the team)", name=name))
