"""followup alert list | show | ack | close"""

from __future__ import annotations

from typing import Annotated

from followup_cli.i18n import t
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import check_choice, state, stored_int


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("Clinical alerts from warning signs."),
                        no_args_is_help=True)
    group.command("list", help=t("List clinical alerts, the nearest deadline first."))(list_cli)
    group.command("show", help=t(
        "Show one alert: the signs heard, the doctor, the deadline, who answered and what was "
        "done."))(show_cli)
    group.command("ack", help=t(
        "Record that a doctor has answered the alert (meets its deadline)."))(ack_cli)
    group.command("close", help=t("Close the alert with what was done."))(close_cli)
    app.add_typer(group, name="alert")


def list_cli(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help=t("Closed alerts too."))] = False,
    fmt: Annotated[str, typer.Option("--format", help=t("table, json or csv."))] = "table",
) -> None:
    """List clinical alerts, the nearest deadline first.

    列出临床警示，最紧急的排在前面。
    """
    from followup_cli import clock
    from followup_cli.alerts import list_alerts
    from followup_cli.output.formats import FORMATS, emit_csv, emit_json

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        found = list_alerts(conn, clock.now(), include_closed=all_)
    if fmt == "json":
        emit_json(found)
    elif fmt == "csv":
        emit_csv([{**a, "signs": ",".join(s["id"] for s in a["signs"])} for a in found])
    else:
        from followup_cli.output.sheet import render_alerts

        still_open = sum(a["status"] != "closed" for a in found)
        render_alerts(found,
                      title=t("Clinical alerts: {count}, {open} still open", count=len(found),
                              open=still_open)
                      if all_ else None)


def show_cli(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(
        help=t("The alert number."), metavar="ALERT_ID", callback=stored_int)],
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
) -> None:
    """Show one alert: the signs heard, the doctor, the deadline, who answered and what
    was done.

    显示一条警示：症状、医生、时限、谁回应、如何处理。
    """
    from followup_cli import clock
    from followup_cli.alerts import events, get_alert, summary
    from followup_cli.output.formats import emit_json
    from followup_cli.output.tables import emit_table

    check_choice("--format", fmt, ("table", "json"))
    with state(ctx).ledger() as conn:
        alert = summary(get_alert(conn, alert_id), clock.now())
        alert["events"] = events(conn, alert_id)
    if fmt == "json":
        emit_json(alert)
        return
    from followup_cli.alerts import action_label, sign_words
    from followup_cli.i18n import current
    from followup_cli.output.sheet import render_alerts

    render_alerts([alert], title=f"#{alert_id}")
    # the opening's note holds the signs' ids: said in the reader's words
    history = [{**e, "action": action_label(e["action"]),
                "note": sign_words(alert, current()) if e["action"] == "open" else e["note"]}
               for e in alert["events"]]
    emit_table(history, [("at", t("At")), ("agent", t("By")),
                         ("action", t("Action")),
                         ("note", t("Note"))])


def ack_cli(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(
        help=t("The alert number."), metavar="ALERT_ID", callback=stored_int)],
    by: Annotated[str, typer.Option("--by", help=t("The doctor who answered."))],
    note: Annotated[str,
                    typer.Option("--note", "-n", help=t("What the doctor said (required)."))] = "",
    when: Annotated[str | None, typer.Option(
        "--when", help=t("When the doctor answered (default: now), clinic-local."))] = None,
) -> None:
    """Record that a doctor has answered the alert (meets its deadline).

    登记医生已回应该警示。
    """
    _act(ctx, alert_id, "ack", by, note, when, None)


def close_cli(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(
        help=t("The alert number."), metavar="ALERT_ID", callback=stored_int)],
    action: Annotated[str, typer.Option(
        "--action", help=t("What was done: called/已回电 (the doctor called the patient), "
                           "recheck_booked/约复诊, home_care/居家护理, referred/转诊, or "
                           "call_voided/通话已作废 (the call that opened it was voided; no "
                           "doctor's answer needed)."))],
    note: Annotated[str,
                    typer.Option("--note", "-n", help=t("What was done and why (required)."))] = "",
    by: Annotated[str | None, typer.Option(
        "--by", help=t("The doctor who answered: required when the alert has no answer yet (the "
                       "close is then the doctor's answer, counted in the response figures); "
                       "after an answer, who closed it (else $FOLLOWUP_AGENT)."))] = None,
    when: Annotated[str | None, typer.Option(
        "--when", help=t("When it was done (default: now), clinic-local."))] = None,
) -> None:
    """Close the alert with what was done. An alert nobody acknowledged is closed with
    --by, the doctor who answered: the close is the answer its deadline is judged by.

    结束警示并登记处理方式。未登记医生回应的警示，须用 --by 写明回应的医生（按此计算回应时间）。
    """
    _act(ctx, alert_id, "close", by, note, when, action)


def _act(ctx: typer.Context, alert_id: int, action: str, by: str | None, note: str,
         when: str | None, done: str | None) -> None:
    from followup_cli import clock
    from followup_cli.alerts import act, answered_words, summary

    now = clock.now()
    at = clock.parse_datetime(when, "--when") if when is not None else now
    with state(ctx).ledger() as conn:
        alert = summary(act(conn, alert_id, action, by=by, note=note, at=at, now=now,
                            done=done, closer=_closer(by)), now)
    said = answered_words(alert, action)
    typer.echo(said[0])
    for line in said[1:]:
        typer.echo(line, err=True)


def _closer(by: str | None) -> str | None:
    """Who closes an alert a doctor already answered: --by, else the current agent."""
    if by is not None:
        return None
    from followup_cli.agents import default_agent
    from followup_cli.errors import FollowupError

    try:
        return default_agent(None)
    except FollowupError:   # no agent known: the close names the doctor with --by
        return None
