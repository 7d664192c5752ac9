"""followup log (TASK_ID | --patient PATIENT_ID) --outcome O, and corrections."""

from __future__ import annotations

from typing import Annotated, Any

from followup_cli.i18n import t, tn
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import check_choice, state, stored_int


def register(app: typer.Typer) -> None:
    app.command("log", help=t(
        "Record a call's outcome; the ledger decides what happens next. --amend/--void correct a "
        "logged call (the original stays on record)."))(log_cli)


def log_cli(
    ctx: typer.Context,
    task_id: Annotated[int | None, typer.Argument(
        help=t("The task called (from the sheet)."), metavar="TASK_ID", callback=stored_int)]
    = None,
    patient: Annotated[str | None, typer.Option(
        "--patient", help=t("Or the patient called: settles their tasks on the day's sheet."))]
    = None,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", "-o", help=t("reached/已接通, no_answer/未接, busy/占线, "
                                  "switched_off/关机, wrong_number/空号, "
                                  "callback_requested/改约, declined/拒访, "
                                  "do_not_call/勿扰, complaint/投诉."))]
    = None,
    note: Annotated[str | None, typer.Option(
        "--note", "-n", help=t("What was said (≥ 20 characters when reached or a complaint)."))]
    = None,
    satisfaction: Annotated[int | None, typer.Option(
        "--satisfaction", "-s", help=t("1–5."), metavar="SCORE", callback=stored_int)] = None,
    nps: Annotated[int | None, typer.Option(
        "--nps", "-p", help=t("0–10: would they recommend us."), metavar="SCORE",
        callback=stored_int)]
    = None,
    at: Annotated[str | None, typer.Option(
        "--at", "-a", help=t("callback_requested: when to call back, e.g. 2026-11-23T19:30."))]
    = None,
    agent: Annotated[str | None, typer.Option(
        "--agent", help=t("Who called (else $FOLLOWUP_AGENT, else followup config agent)."))]
    = None,
    when: Annotated[str | None, typer.Option(
        "--when", "-w", help=t("When the call happened (default: now), clinic-local."))] = None,
    complaint_category: Annotated[str, typer.Option(
        "--complaint-category", help=t("complaint: service/服务, result/效果, "
                                       "attitude/态度, price/价格, safety/安全, "
                                       "environment/环境, other/其他."))] = "other",
    severity: Annotated[str, typer.Option(
        "--severity", help=t("complaint: low/一般, medium/较重, high/严重."))] = "medium",
    sign: Annotated[list[str] | None, typer.Option(
        "--sign",
                                                   help=t("A warning sign the patient described "
                                                          "(its id or Chinese words, from the "
                                                          "script); repeatable. Opens a clinical "
                                                          "alert for a doctor."))] = None,
    booked: Annotated[str | None, typer.Option(
        "--booked",
                                               help=t("The re-check the patient agreed to: a day "
                                                      "(2026-12-03) or a day and time, within a "
                                                      "year of the call. To change it, void the "
                                                      "call (--void ID --reason …) and log it "
                                                      "again with the right day."))] = None,
    amend: Annotated[int | None, typer.Option(
        "--amend", help=t("Correct logged call ATTEMPT_ID with the options given (and --reason)."),
        metavar="ATTEMPT_ID", callback=stored_int)] = None,
    void: Annotated[int | None, typer.Option(
        "--void", help=t("Withdraw logged call ATTEMPT_ID (with --reason); it stays on record."),
        metavar="ATTEMPT_ID", callback=stored_int)]
    = None,
    reason: Annotated[str, typer.Option(
        "--reason", "-r", help=t("Why a call is amended or voided."))]
    = "",
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
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
    who = default_agent(agent)
    cal = st.clinic_calendar()
    if amend is not None and void is not None:
        raise FollowupError(t("--amend or --void stands alone: no task, patient or the other one"))
    correcting = amend if amend is not None else void
    if correcting is not None and (task_id is not None or patient is not None):
        raise FollowupError(t("--amend or --void stands alone: no task, patient or the other one"))
    if correcting is None and not outcome:
        raise FollowupError(t("--outcome (-o) is required: reached, no_answer, busy, "
                              "switched_off, wrong_number, callback_requested, declined, "
                              "do_not_call, complaint"))
    if correcting is not None and (sign or booked is not None):
        raise FollowupError(t("--sign and --booked go with a new call, not with --amend or --void"))
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
                severity=parse_severity(severity), signs=sign or (), booked=booked,
                scripts=st.call_scripts() if sign else None,
                settings=st.alert_settings() if sign or booked is not None else None,
                timed=called is not None)
    for message in result.warnings:
        warn(message)
    if fmt == "json":
        emit_json({"attempt_id": result.attempt_id, "patient_id": result.patient_id,
                   "outcome": result.outcome, "task_ids": result.task_ids,
                   "effect": result.effect, **result.effect_values,
                   **({"complaint_id": result.complaint_id} if result.complaint_id else {}),
                   **({"alert_id": result.alert_id} if result.alert_id else {}),
                   **({"recheck_id": result.recheck_id} if result.recheck_id else {})})
        return
    if correcting is None:
        print(tn("logged call #{attempt_id} ({outcome}) for task {tasks}",
                 "logged call #{attempt_id} ({outcome}) for tasks {tasks}", len(result.task_ids),
                     attempt_id=result.attempt_id, outcome=outcome_label(result.outcome),
                     tasks=", ".join(map(str, result.task_ids))))
    for line in result.lines(correction=result.attempt_id,
                             patient=_patient_named(st, result.patient_id)
                             if correcting is not None else ""):
        print(line)
    if correcting is not None:
        _still_open(st, correcting, voided=void is not None)


def _patient_named(st: Any, patient_id: str) -> str:
    """A corrected call's patient, by id and name, so a mistyped call id shows at once."""
    with st.ledger() as conn:
        row = conn.execute("SELECT name FROM patients WHERE patient_id = ?",
                           (patient_id,)).fetchone()
    return f"{patient_id} {row['name']}" if row else patient_id



def _still_open(st: Any, attempt_id: int, *, voided: bool) -> None:
    """A corrected call's alert stays open (a doctor may be acting on it, and the sign may
    have been real: voiding corrects the call, not the patient): say so, and how to close."""
    from followup_cli.output.formats import warn

    with st.ledger() as conn:
        for (alert_id,) in conn.execute("SELECT alert_id FROM alerts WHERE attempt_id = ? AND "
                                        "status <> 'closed'", (attempt_id,)):
            if voided:
                warn(t("note: clinical alert #{id} opened by this call is still open; if it no "
                       "longer holds: followup alert close {id} --action call_voided --note "
                       "WHY", id=alert_id))
            else:
                warn(t("note: clinical alert #{id} opened by this call is still open; if it no "
                       "longer holds, close it with followup alert close and say why",
                       id=alert_id))
