"""followup log (TASK_ID | --patient PATIENT_ID) --outcome O"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from followup_cli.commands.state import check_choice, state
from followup_cli.i18n import t


def register(app: typer.Typer) -> None:
    app.command("log")(log_cli)


def default_agent() -> str:
    import getpass

    return os.environ.get("FOLLOWUP_AGENT") or getpass.getuser()


def log_cli(
    ctx: typer.Context,
    task_id: Annotated[int | None, typer.Argument(help="The task called (from the sheet).")]
    = None,
    patient: Annotated[str | None, typer.Option(
        "--patient", help="Or the patient called: settles their tasks on the day's sheet.")]
    = None,
    outcome: Annotated[str, typer.Option(
        "--outcome", "-o", help="reached/已接通, no_answer/未接, busy/占线, switched_off/关机, "
        "wrong_number/空号, callback_requested/改约, declined/拒访, do_not_call/勿扰, "
        "complaint/投诉.")] = "",
    note: Annotated[str, typer.Option("--note", "-n", help="What was said (≥ 20 characters "
                                      "when reached).")] = "",
    satisfaction: Annotated[int | None, typer.Option("--satisfaction", help="1–5.")] = None,
    nps: Annotated[int | None, typer.Option("--nps", help="0–10: would they recommend us.")]
    = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="callback_requested: when to call back, e.g. 2026-11-23T19:30.")] = None,
    agent: Annotated[str | None, typer.Option(
        "--agent", help="Who called (else $FOLLOWUP_AGENT, else the login name).")] = None,
    when: Annotated[str | None, typer.Option(
        "--when", help="When the call happened (default: now), clinic-local.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Record a call's outcome; the ledger decides what happens next.

    登记一次回访通话的结果；系统据此安排下一步。
    """
    from followup_cli import clock
    from followup_cli.calls import log_call, parse_datetime
    from followup_cli.errors import FollowupError
    from followup_cli.render import emit_json, warn

    check_choice("--format", fmt, ("table", "json"))
    if not outcome:
        raise FollowupError(t("log.bad_outcome", value="''", choices="reached, no_answer, …"))
    st = state(ctx)
    now = clock.now()
    called = parse_datetime(when, "--when") if when else now
    callback = parse_datetime(at, "--at") if at else None
    cal = st.clinic_calendar()
    conn = st.open()
    try:
        result = log_call(
            conn, cal, outcome=outcome, when=called, agent=agent or default_agent(),
            task_id=task_id, patient_id=patient, note=note, satisfaction=satisfaction,
            nps=nps, at=callback, logged_at=now, min_note=st.min_note())
    finally:
        conn.close()
    for message in result.warnings:
        warn(message)
    if fmt == "json":
        emit_json({"attempt_id": result.attempt_id, "patient_id": result.patient_id,
                   "outcome": result.outcome, "task_ids": result.task_ids,
                   "effect": result.effect, **result.effect_values})
        return
    typer.echo(t("log.logged", attempt_id=result.attempt_id, outcome=result.outcome,
                 tasks=", ".join(map(str, result.task_ids))))
    typer.echo(t(f"log.effect.{result.effect}", **result.effect_values))
