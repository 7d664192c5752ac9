"""followup patient PATIENT_ID | set-phone | allow-calls | bad-phones"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from followup_cli.i18n import t
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="A patient's history and decisions / 患者档案与回访记录. "
                        "followup patient ID is followup patient show ID.",
                        no_args_is_help=True)
    group.command("show")(show_cli)
    group.command("set-phone")(set_phone_cli)
    group.command("allow-calls")(allow_calls_cli)
    group.command("bad-phones")(bad_phones_cli)
    app.add_typer(group, name="patient")


def show_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="The patient's id (客户编号).")],
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    day: Annotated[str | None, typer.Option("--date", help="As of this day (default today).")]
    = None,
    reveal: Annotated[bool, typer.Option(
        "--reveal", help="Show the phone number in full; recorded in the audit log.")] = False,
    agent: Annotated[str | None, typer.Option("--agent", help="Who is looking.")] = None,
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
                           viewer=(agent or default_agent()) if reveal else "",
                           rules=st.rule_pack())
    if fmt == "json":
        emit_json(history)
    else:
        render(history)


def render(history: dict[str, Any]) -> None:
    from followup_cli.calls import outcome_label
    from followup_cli.output.tables import Column, draw, paragraph

    p = history["patient"]
    flags = [t("patient.flag.do_not_call")] if p["do_not_call"] else []
    flags += [t("patient.flag.phone_bad")] if p["phone_bad"] else []
    sys.stdout.write(paragraph(f"{p['name']}  {p['patient_id']}  {p['phone']}  "
                               f"{p['vip_tier'] or ''}  {p['birthday'] or ''}  "
                               f"{' '.join(flags)}".rstrip()))
    rows: list[tuple[str, str, str]] = []
    for v in history["visits"]:
        detail = " · ".join(filter(None, (v["project"], v["doctor"], v["consultant"],
                                          t(f"kind.{v['kind']}"))))
        if v["converted_by"]:
            detail += " → " + t("patient.converted", visit=v["converted_by"])
        if v["backfill"]:
            detail += " · " + t("patient.backfill", count=v["backfill"])
        rows.append((v["visit_date"], t("patient.visit") + " " + v["visit_id"], detail))
    reasons = {"converted": t("reason.converted"), "do_not_call": t("reason.do_not_call"),
               "reopened": t("reason.reopened"), "replanned": t("reason.replanned"),
               "failed_attempts": t("reason.failed_attempts")}
    for task in history["tasks"]:
        reason = task["status_reason"]
        reason = f" ({reasons.get(reason, reason)})" if reason else ""
        rows.append((task["due_date"], t("patient.task") + f" #{task['task_id']}",
                     f"{task.get('purpose') or task['touchpoint']} · "
                     f"{t('state.' + task['state'])}{reason}"))
    for c in history["calls"]:
        what = t("patient.call") + f" #{c['attempt_id']}"
        if c["correction"]:
            what = t(f"patient.{c['correction']}") + f" #{c['attempt_id']} → #{c['corrects']}"
        scores = " ".join(filter(None, (f"★{c['satisfaction']}" if c["satisfaction"] else "",
                                        f"NPS {c['nps']}" if c["nps"] is not None else "")))
        detail = " · ".join(filter(None, (c["agent"], outcome_label(c["outcome"]), scores,
                                          c["note"], c["reason"])))
        rows.append((c["called_at"].replace("T", " ")[:16], what, detail))
    for case in history["complaints"]:
        rows.append((case["opened_at"].replace("T", " ")[:16],
                     t("patient.complaint") + f" #{case['complaint_id']}",
                     f"{t('complaint.status.' + case['status'])} · {case['note']}"))
    _alert_rows(history, rows)
    for e in history["events"]:
        rows.append((e["at"].replace("T", " ")[:16], t(f"patient.event.{e['action']}"),
                     " · ".join(filter(None, (e["agent"], e["reason"])))))
    columns = [Column(t(f"patient.col.{key}")) for key in ("when", "what", "detail")]
    rows.sort(key=lambda r: r[0])
    sys.stdout.write(draw(columns, rows))


def _alert_rows(history: dict[str, Any], rows: list[tuple[str, str, str]]) -> None:
    """The patient's clinical alerts and booked re-checks, as timeline rows."""
    from followup_cli.alerts import sign_words
    from followup_cli.i18n import current

    statuses = {"open": t("alert.status.open"), "acknowledged": t("alert.status.acknowledged"),
                "closed": t("alert.status.closed")}
    for a in history.get("alerts", []):
        answer = (f"{a['acknowledged_by']} {a['acknowledged_at'].replace('T', ' ')[:16]}"
                  if a["acknowledged_at"] else "")
        rows.append((a["opened_at"].replace("T", " ")[:16],
                     t("patient.alert") + f" #{a['alert_id']}",
                     " · ".join(filter(None, (
                         sign_words(a, current()), a["doctor"], statuses[a["status"]], answer,
                         a["action"] or "", t("alert.breached") if a["breached"] else "")))))
    states = {"booked": t("recheck.state.booked"), "kept": t("recheck.state.kept"),
              "missed": t("recheck.state.missed")}
    for r in history.get("rechecks", []):
        rows.append((r["booked_at"].replace("T", " ")[:16],
                     t("patient.recheck") + f" {r['booked_for']}",
                     " · ".join(filter(None, (r["agent"], states[r["state"]],
                                              r["kept_visit_id"] or "")))))


def set_phone_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="The patient's id.")],
    phone: Annotated[str, typer.Argument(help="The new number.")],
    agent: Annotated[str | None, typer.Option("--agent", help="Who changed it.")] = None,
) -> None:
    """Give a patient a new phone number; calls held for a wrong number come back.

    更新患者电话；因号码错误暂停的回访恢复。
    """
    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.calls import set_phone

    with state(ctx).ledger() as conn:
        set_phone(conn, patient_id, phone, agent=agent or default_agent(), now=clock.now())
    typer.echo(t("patient.phone_set", patient_id=patient_id))


def allow_calls_cli(
    ctx: typer.Context,
    patient_id: Annotated[str, typer.Argument(help="The patient's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why calls are allowed again.")] = "",
    agent: Annotated[str | None, typer.Option("--agent", help="Who decided.")] = None,
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
        reopened = allow_calls(conn, cal, patient_id, agent=agent or default_agent(),
                               reason=reason, now=clock.now())
    typer.echo(t("patient.allowed", patient_id=patient_id, count=reopened))


def bad_phones_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """The fix-the-number list: patients whose number was reported wrong.

    待更正号码清单：号码被报错误的患者。
    """
    from followup_cli.output.formats import FORMATS, emit_rows
    from followup_cli.patients import bad_phones

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        rows = bad_phones(conn)
    emit_rows(fmt, rows, [("patient_id", "ID"), ("name", t("due.col.patient")),
                          ("phone", t("patient.col.phone")),
                          ("reported_at", t("patient.col.reported")),
                          ("waiting", t("patient.col.waiting"))],
                   title=t("patient.bad_phones", count=len(rows)))
