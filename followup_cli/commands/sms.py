"""followup sms plan | export | result"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, t, tn
from followup_cli.lazy import pathlib, typer
from followup_cli.options import State, a_file, check_choice, state

KIND_LABELS = {"unreachable": N_("three calls unanswered"), "reminder": N_("reminder"),
               "birthday": N_("birthday greeting")}


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("SMS batches for the clinic's SMS platform."),
                        no_args_is_help=True)
    group.command("plan", help=t(
        "The day's messages: calls three attempts could not make, members' birthdays and the "
        "reminders the clinic sends by SMS; one per patient, as the patient will read it."))(
        plan_cli)
    group.command("export", help=t(
        "Write the day's batch for the SMS platform and record each message as queued; the "
        "file holds full numbers and is recorded in the audit log. A day is sent once: exporting "
        "it again writes the messages already queued (another format), recording nothing new."))(
        export_cli)
    group.command("result", help=t(
        "Read a delivery receipt: each message delivered or failed; a failed one puts its "
        "patient on the next sheet, to be called."))(result_cli)
    app.add_typer(group, name="sms")


def _plan(st: State, conn: Any, day: Any, *, again: bool = False, reveal: bool = False,
          resend: bool = False) -> Any:
    from followup_cli import clock
    from followup_cli.sms import plan_birthdays_for, plan_day

    rules = st.rule_pack()
    plan_birthdays_for(conn, rules, st.clinic_calendar(), day, clock.today())
    settings = st.sms_settings()
    # the messages are in the patients' language ([sms] lang), whoever prepares them
    return plan_day(conn, rules, st.sms_texts(), settings, day, settings.lang,
                    again=again, reveal=reveal, resend=resend)


def plan_cli(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option(
        "--date", help=t("The messages of this day (default today), YYYY-MM-DD."))] = None,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
) -> None:
    """The day's messages: calls three attempts could not make, members' birthdays and
    the reminders the clinic sends by SMS; one per patient, as the patient will read it.

    当天的短信：三次未接通的回访、会员生日祝福、诊所设定的短信提醒；每位患者一条。
    """
    from followup_cli import clock
    from followup_cli.output.formats import emit_json

    check_choice("--format", fmt, ("table", "json"))
    the_day = clock.parse_day(day) if day is not None else clock.today()
    st = state(ctx)
    with st.ledger() as conn:
        plan = _plan(st, conn, the_day)
    if fmt == "json":
        emit_json({"date": the_day.isoformat(), "messages": plan.messages, "held": plan.held,
                   "skipped": plan.skipped, "sent": plan.sent})
        return
    if not plan.messages:
        typer.echo(t("no SMS to send for {date}", date=the_day.isoformat()))
        _notes(plan)
        return
    from followup_cli.output.tables import Column, draw

    rows = [(f"{m['patient_id']}\n{m['name']}", m["phone"],
             "\n".join(t(KIND_LABELS[r["kind"]]) for r in m["reasons"]), m["text"],
             tn("{length} chars / {count} part", "{length} chars / {count} parts",
                m["parts"], length=m["length"]))
            for m in plan.messages]
    columns = [Column(t("Patient")), Column(t("Phone"), fold=False),
               Column(t("Why")), Column(t("Text")),
               Column(t("Length"), fold=False)]
    sys.stdout.write(draw(columns, rows, title=t("SMS of {date}: {count}", date=the_day.isoformat(),
                                                   count=len(plan.messages))))
    _notes(plan)


def _notes(plan: Any) -> None:
    from followup_cli.output.formats import warn

    if plan.held:
        warn(t("{count} more are over the daily limit and left out", count=plan.held))
    if plan.sent:
        warn(t("{count} already exported for {date}", count=plan.sent,
               date=plan.day.isoformat()))


def export_cli(
    ctx: typer.Context,
    fmt: Annotated[str,
                   typer.Option("--format",
                                help=t("csv, xlsx (the console's upload), aliyun (SendBatchSms) or "
                                       "tencent (SendSms)."))],
    output: Annotated[pathlib.Path, typer.Option(
        "--output", "-O", help=t("The batch file: full numbers, created readable by you only."),
        dir_okay=False, callback=a_file)],
    day: Annotated[str | None,
                   typer.Option("--date",
                                help=t("The messages of this day (default today)."))] = None,
    at: Annotated[str | None,
                  typer.Option("--at",
                               help=t("When the batch will be sent (default now), inside the "
                                      "sending hours."))] = None,
    again: Annotated[bool, typer.Option(
        "--again", help=t("Send the day's messages once more: each not delivered is queued "
                          "again."))] = False,
    agent: Annotated[str | None, typer.Option("--agent", help=t("Who sends the batch."))] = None,
) -> None:
    """Write the day's batch for the SMS platform and record each message as queued; the
    file holds full numbers and is recorded in the audit log. A day is sent once: exporting
    it again writes the messages already queued (another format), recording nothing new.

    导出当天的短信批次（完整号码，记入审计日志），每条短信记为待发送；同一天只发一次：再次导出
    只把已排队的短信写成另一种格式，不再记录。
    """
    from datetime import datetime

    from followup_cli import clock
    from followup_cli.agents import default_agent
    from followup_cli.output.files import check_target
    from followup_cli.output.sms_files import FILE_KIND, export_day
    from followup_cli.sms import EXPORT_FORMATS, check_hours

    check_choice("--format", fmt, EXPORT_FORMATS)
    check_target(output, FILE_KIND[fmt])   # refused before any work
    now = clock.now()
    the_day = clock.parse_day(day) if day is not None else now.date()
    st = state(ctx)
    config = st.sms_settings()
    if at is not None:
        send_at = clock.parse_datetime(at, "--at")
    else:
        send_at = now if the_day == now.date() else datetime.combine(the_day, config.start)
    if send_at.date() != the_day:
        raise FollowupError(t("--at {at} is not on {date}: a day's batch is sent that day",
                              at=send_at.strftime("%Y-%m-%d %H:%M"),
                              date=the_day.isoformat()))
    check_hours(config, send_at)
    who = default_agent(agent)   # a name given is checked like any other
    with st.ledger() as conn:
        done = export_day(conn, lambda **kw: _plan(st, conn, the_day, reveal=True, **kw), fmt,
                          output, config, day=the_day, send_at=send_at, now=now, agent=who,
                          batch=f"{fmt} {os.fspath(output)}", again=again)
    if done.reused:
        typer.echo(t("{count} SMS of {date} already queued written to {path}; nothing new is "
                     "recorded (--again sends them once more)", count=len(done.messages),
                     date=the_day.isoformat(), path=output))
        return
    if not done.messages:
        typer.echo(t("no SMS to send for {date}", date=the_day.isoformat()))
        return
    typer.echo(t("{count} SMS ({parts} billed parts) written to {path} and recorded as queued",
                 count=len(done.messages), path=output,
                 parts=sum(m["parts"] for m in done.messages)))
    if send_at > now:   # a later day's batch (or a later --at): not to be read as sent now
        typer.echo(t("the batch is timed for {at}: nothing is sent now; upload it to the "
                     "platform as a scheduled send for that time",
                     at=send_at.strftime("%Y-%m-%d %H:%M")))
    if done.held:
        from followup_cli.output.formats import warn

        warn(t("{count} more are over the daily limit and left out", count=done.held))


def result_cli(
    ctx: typer.Context,
    file: Annotated[pathlib.Path, typer.Argument(
        help=t("The platform's delivery receipt: the console's CSV or the status JSON."),
        dir_okay=False, callback=a_file)],
) -> None:
    """Read a delivery receipt: each message delivered or failed; a failed one puts its
    patient on the next sheet, to be called.

    读取短信回执：标记送达或失败；失败的患者回到回访清单，改为电话联系。
    """
    from followup_cli import clock
    from followup_cli.sms import apply_receipts, read_receipt

    receipts = read_receipt(file)
    st = state(ctx)
    cal = st.clinic_calendar()
    with st.ledger() as conn:
        counts = apply_receipts(conn, cal, receipts, clock.now())
    typer.echo(t("receipt: {delivered} delivered, {failed} failed (back on the sheet), {pending} "
                 "pending, {already} read before, {unknown} unknown", **counts))
