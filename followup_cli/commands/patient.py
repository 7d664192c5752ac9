"""followup patient PATIENT_ID | set-phone | allow-calls | bad-phones | sms-off | sms-on"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from followup_cli.i18n import t, tc, tn
from followup_cli.labels import label
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("A patient's history and decisions. followup patient ID is followup "
                               "patient show ID."),
                        no_args_is_help=True)
    group.command("show", help=t(
        "A patient's timeline: visits, calls planned and what became of them, calls made with "
        "notes and agents, complaint cases."))(show_cli)
    group.command("set-phone", help=t(
        "Give a patient a new phone number; calls held for a wrong number come "
        "back."))(set_phone_cli)
    group.command("allow-calls", help=t(
        "Undo do-not-call for a patient, recording who and why."))(allow_calls_cli)
    group.command("bad-phones", help=t(
        "The fix-the-number list: patients whose number was reported wrong."))(bad_phones_cli)
    group.command("sms-off", help=t(
        "The patient unsubscribes from SMS (recorded with who and why); calls go on."))(sms_off_cli)
    group.command("sms-on", help=t(
        "The patient takes SMS again (recorded with who and why)."))(sms_on_cli)
    app.add_typer(group, name="patient")


def show_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help=t("The patient's id (客户编号)."))],
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
    day: Annotated[str | None, typer.Option("--date", help=t("As of this day (default today)."))]
    = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help=t("Show the phone number in full; recorded in the audit log."))] = False,
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who is looking."))] = None,
) -> None:
    """A patient's timeline: visits, calls planned and what became of them, calls made
    with notes and agents, complaint cases.

    患者时间线：就诊、回访计划及结果、通话记录、投诉单。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.clock import parse_day
    from followup_cli.output.formats import emit_json
    from followup_cli.patients import timeline

    check_choice("--format", fmt, ("table", "json"))
    now = clock.now()
    st = state(ctx)
    with st.ledger() as conn:
        history = timeline(conn, patient_id, parse_day(day) if day is not None else now.date(),
                           now, reveal=reveal,
                           viewer=default_agent(agent) if reveal else "",
                           rules=st.rule_pack())
    if fmt == "json":
        emit_json(history)
    else:
        render(history)


def render(history: dict[str, Any]) -> None:
    from followup_cli.calls import outcome_label
    from followup_cli.output.patient import backfill_note
    from followup_cli.output.tables import Column, draw, paragraph
    from followup_cli.patients import call_words

    p = history["patient"]
    flags = [t("[do not call]")] if p["do_not_call"] else []
    flags += [t("[wrong number]")] if p["phone_bad"] else []
    flags += [t("[no SMS]")] if p.get("sms_off") else []
    sys.stdout.write(paragraph(f"{p['name']}  {p['patient_id']}  {p['phone']}  "
                               f"{p['vip_tier'] or ''}  {p['birthday'] or ''}  "
                               f"{' '.join(flags)}".rstrip()))
    rows: list[tuple[str, str, str]] = []
    for v in history["visits"]:
        detail = " · ".join(filter(None, (v["project"], v["doctor"], v["consultant"],
                                          label("kind", v['kind']))))
        if v["converted_by"]:
            detail += " → " + t("converted by {visit}", visit=v["converted_by"])
        if v["backfill"]:
            detail += " · " + backfill_note(v)
        rows.append((v["visit_date"], t("visit") + " " + v["visit_id"], detail))
    reasons = {"converted": t("converted"), "do_not_call": tc("reason", "do not call"),
               "reopened": t("complaint reopened"), "replanned": t("replanned"),
               "failed_attempts": t("calls failed"), "recheck_kept": t("re-check kept"),
               "recheck_dropped": t("re-check dropped: its call was corrected")}
    for task in history["tasks"]:
        reason = task["status_reason"]
        reason = f" ({reasons.get(reason, reason)})" if reason else ""
        rows.append((task["due_date"], t("task") + f" #{task['task_id']}",
                     f"{task.get('purpose') or task['touchpoint']} · "
                     f"{label('state', task['state'])}{reason}"))
    for c in history["calls"]:
        what, who = call_words(c)
        scores = " ".join(filter(None, (f"★{c['satisfaction']}" if c["satisfaction"] else "",
                                        f"NPS {c['nps']}" if c["nps"] is not None else "")))
        detail = " · ".join(filter(None, (who, outcome_label(c["outcome"]), scores,
                                          c["note"], c["reason"])))
        rows.append((c["called_at"].replace("T", " ")[:16], what, detail))
    for case in history["complaints"]:
        rows.append((case["opened_at"].replace("T", " ")[:16],
                     t("complaint") + f" #{case['complaint_id']}",
                     f"{label('complaint.status', case['status'])} · {case['note']}"))
    _alert_rows(history, rows)
    for e in history["events"]:
        rows.append((e["at"].replace("T", " ")[:16], label("patient.event", e['action']),
                     " · ".join(filter(None, (e["agent"], e["reason"])))))
    statuses = {"queued": t("SMS queued"), "delivered": t("SMS delivered"),
                "failed": t("SMS failed")}
    for m in history.get("sms", []):
        rows.append((m["send_at"].replace("T", " ")[:16], t("SMS") + f" #{m['sms_id']}",
                     " · ".join(filter(None, (statuses[m["status"]], m["text"],
                                              m["status_detail"])))))
    columns = [Column(label("patient.col", key)) for key in ("when", "what", "detail")]
    rows.sort(key=lambda r: r[0])
    sys.stdout.write(draw(columns, rows))


def _alert_rows(history: dict[str, Any], rows: list[tuple[str, str, str]]) -> None:
    """The patient's clinical alerts and booked re-checks, as timeline rows."""
    from followup_cli.output.patient import alert_and_recheck_rows

    rows += alert_and_recheck_rows(history)


def set_phone_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help=t("The patient's id."))],
    phone: Annotated[str, typer.Argument(help=t("The new number."))],
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who changed it."))] = None,
) -> None:
    """Give a patient a new phone number; calls held for a wrong number come back.

    更新患者电话；因号码错误暂停的回访恢复。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.calls import set_phone

    with state(ctx).ledger() as conn:
        set_phone(conn, patient_id, phone, agent=default_agent(agent), now=clock.now())
    typer.echo(t("patient {patient_id}: phone updated", patient_id=patient_id))


def allow_calls_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help=t("The patient's id."))],
    reason: Annotated[str, typer.Option("--reason", help=t("Why calls are allowed again."))] = "",
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who decided."))] = None,
) -> None:
    """Undo do-not-call for a patient, recording who and why.

    撤销勿扰标记（记录操作人和原因）。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.calls import allow_calls

    st = state(ctx)
    cal = st.clinic_calendar()
    with st.ledger() as conn:
        reopened = allow_calls(conn, cal, patient_id, agent=default_agent(agent),
                               reason=reason, now=clock.now())
    typer.echo(tn("patient {patient_id} may be called again; {count} task reopened",
                  "patient {patient_id} may be called again; {count} tasks reopened", reopened,
                  patient_id=patient_id))


def bad_phones_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help=t("table, json or csv."))] = "table",
) -> None:
    """The fix-the-number list: patients whose number was reported wrong.

    待更正号码清单：号码被报错误的患者。
    """
    from followup_cli.output.formats import FORMATS, emit_rows
    from followup_cli.patients import bad_phones

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        rows = bad_phones(conn)
    emit_rows(fmt, rows, [("patient_id", "ID"), ("name", t("Patient")),
                          ("phone", t("Phone")),
                          ("reported_at", t("Reported")),
                          ("waiting", t("Calls waiting"))],
                   title=tn("Numbers to fix: {count} patient", "Numbers to fix: {count} patients",
                            len(rows)))
def _sms_switch(ctx: typer.Context, patient_id: str, reason: str, agent: str | None,
                off: bool) -> None:
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.sms import set_sms

    with state(ctx).ledger() as conn:
        set_sms(conn, patient_id, off=off, reason=reason, agent=default_agent(agent),
                now=clock.now())
    typer.echo(t("{patient_id} unsubscribed from SMS", patient_id=patient_id) if off
               else t("{patient_id} takes SMS again", patient_id=patient_id))


def sms_off_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help=t("The patient's id."))],
    reason: Annotated[str, typer.Option("--reason", help=t("Why: the patient's words."))] = "",
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who recorded it."))] = None,
) -> None:
    """The patient unsubscribes from SMS (recorded with who and why); calls go on.

    患者退订短信（记录操作人和原因）；电话回访照常。
    """
    _sms_switch(ctx, patient_id, reason, agent, off=True)


def sms_on_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help=t("The patient's id."))],
    reason: Annotated[str, typer.Option("--reason", help=t("Why SMS may be sent again."))] = "",
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who decided."))] = None,
) -> None:
    """The patient takes SMS again (recorded with who and why).

    恢复给患者发短信（记录操作人和原因）。
    """
    _sms_switch(ctx, patient_id, reason, agent, off=False)
