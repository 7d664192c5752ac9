"""followup log (TASK_ID | --patient PATIENT_ID) --outcome O, and corrections."""

from __future__ import annotations

from typing import Annotated, Any

from followup_cli.i18n import plural, t
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import check_choice, state, stored_int


def register(app: typer.Typer) -> None:
    app.command("log")(log_cli)


def log_cli(
    ctx: typer.Context,
    task_id: Annotated[int | None, typer.Argument(
        help="The task called (from the sheet).", metavar="TASK_ID", callback=stored_int)]
    = None,
    patient: Annotated[str | None, typer.Option(
        "--patient", help="Or the patient called: settles their tasks on the day's sheet.")]
    = None,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", "-o", help="reached/已接通, no_answer/未接, busy/占线, switched_off/关机, "
        "wrong_number/空号, callback_requested/改约, declined/拒访, do_not_call/勿扰, "
        "complaint/投诉.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", "-n", help="What was said (≥ 20 characters when reached or a complaint).")]
    = None,
    satisfaction: Annotated[int | None, typer.Option(
        "--satisfaction", help="1–5.", metavar="SCORE", callback=stored_int)] = None,
    nps: Annotated[int | None, typer.Option(
        "--nps", help="0–10: would they recommend us.", metavar="SCORE", callback=stored_int)]
    = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="callback_requested: when to call back, e.g. 2026-11-23T19:30.")] = None,
    agent: Annotated[str | None, typer.Option(
        "--agent", help="Who called (else $FOLLOWUP_AGENT, else the login name).")] = None,
    when: Annotated[str | None, typer.Option(
        "--when", help="When the call happened (default: now), clinic-local.")] = None,
    complaint_category: Annotated[str, typer.Option(
        "--complaint-category", help="complaint: service/服务, result/效果, attitude/态度, "
        "price/价格, safety/安全, environment/环境, other/其他.")] = "other",
    severity: Annotated[str, typer.Option(
        "--severity", help="complaint: low/一般, medium/较重, high/严重.")] = "medium",
    amend: Annotated[int | None, typer.Option(
        "--amend", help="Correct logged call ATTEMPT_ID with the options given (and --reason).",
        metavar="ATTEMPT_ID", callback=stored_int)] = None,
    void: Annotated[int | None, typer.Option(
        "--void", help="Withdraw logged call ATTEMPT_ID (with --reason); it stays on record.",
        metavar="ATTEMPT_ID", callback=stored_int)]
    = None,
    reason: Annotated[str, typer.Option("--reason", help="Why a call is amended or voided.")]
    = "",
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Record a call's outcome; the ledger decides what happens next.

    登记一次回访通话的结果；系统据此安排下一步。--amend/--void 更正已登记的通话（原记录保留）。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.calls import correct, log_call, outcome_label
    from followup_cli.clock import parse_datetime
    from followup_cli.complaints import parse_category, parse_severity
    from followup_cli.errors import FollowupError
    from followup_cli.output.formats import emit_json, warn

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    now = clock.now()
    called = parse_datetime(when, "--when") if when is not None else None
    callback = parse_datetime(at, "--at") if at is not None else None
    who = agent or default_agent()
    cal = st.clinic_calendar()
    if amend is not None and void is not None:
        raise FollowupError(t("log.amend_or_void"))
    correcting = amend if amend is not None else void
    if correcting is not None and (task_id is not None or patient is not None):
        raise FollowupError(t("log.amend_or_void"))
    if correcting is None and not outcome:
        raise FollowupError(t("log.need_outcome"))
    with st.ledger() as conn:
        if correcting is not None:
            result = correct(conn, cal, correcting, agent=who, reason=reason, now=now,
                             void=void is not None, outcome=outcome, note=note,
                             satisfaction=satisfaction, nps=nps, at=callback, when=called,
                             min_note=st.min_note())
        else:
            result = log_call(
                conn, cal, outcome=str(outcome), when=called or now, agent=who,
                task_id=task_id, patient_id=patient, note=note or "",
                satisfaction=satisfaction, nps=nps, at=callback, logged_at=now,
                min_note=st.min_note(), complaint_category=parse_category(complaint_category),
                severity=parse_severity(severity))
    for message in result.warnings:
        warn(message)
    if fmt == "json":
        emit_json({"attempt_id": result.attempt_id, "patient_id": result.patient_id,
                   "outcome": result.outcome, "task_ids": result.task_ids,
                   "effect": result.effect, **result.effect_values,
                   **({"complaint_id": result.complaint_id} if result.complaint_id else {})})
        return
    if correcting is None:
        print(plural(len(result.task_ids), "log.logged_one", "log.logged",
                     attempt_id=result.attempt_id, outcome=outcome_label(result.outcome),
                     tasks=", ".join(map(str, result.task_ids))))
    print(effect_text(result.effect, result.effect_values, len(result.task_ids),
                      correction=result.attempt_id))


def effect_text(effect: str, values: dict[str, Any], tasks: int, **more: Any) -> str:
    """What the ledger did after a call, in words ("1 task done", "3 tasks cancelled")."""
    counted = {"done": ("log.effect.done_one", "log.effect.done"),
               "unreachable": ("log.effect.unreachable_one", "log.effect.unreachable")}
    if effect in counted:
        return plural(tasks, *counted[effect], **values, **more)
    if effect == "do_not_call":
        return plural(values["count"], "log.effect.do_not_call_one", "log.effect.do_not_call")
    keys = {"retry": "log.effect.retry", "callback": "log.effect.callback",
            "wrong_number": "log.effect.wrong_number", "complaint": "log.effect.complaint",
            "amended": "log.effect.amended", "voided": "log.effect.voided"}
    return t(keys[effect], **values, **more)
