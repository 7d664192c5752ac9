"""followup complaint list | show | ack | resolve | close | reopen"""

from __future__ import annotations

from typing import Annotated

from followup_cli.i18n import t, tc
from followup_cli.labels import label
from followup_cli.lazy import typer  # loaded on first use: due and log run without it
from followup_cli.options import check_choice, state, stored_int


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("Complaint cases and their deadlines."),
                        no_args_is_help=True)
    group.command("list", help=t("List complaint cases, the most urgent deadline first."))(list_cli)
    group.command("show", help=t(
        "Show one case: the complaint, each deadline met or broken, and its history."))(show_cli)
    for action, text in (("ack", t("Acknowledge a case (within 24 h of opening).")),
                         ("resolve", t("Record the solution (within 48 h).")),
                         ("close", t("Close a remedied case (within 72 h); plans the follow-up "
                                     "calls at 2 days and 1 month.")),
                         ("reopen", t("Reopen a case that was closed."))):
        group.command(action, help=text)(_stepper(action))
    app.add_typer(group, name="complaint")


def list_cli(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help=t("Closed and void cases too."))] = False,
    fmt: Annotated[str, typer.Option("--format", help=t("table, json or csv."))] = "table",
) -> None:
    """List complaint cases, the most urgent deadline first.

    列出投诉单，最紧急的排在前面。
    """
    from followup_cli import clock
    from followup_cli.complaints import list_cases
    from followup_cli.output.formats import FORMATS, emit_csv, emit_json

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        cases = list_cases(conn, clock.now(), include_closed=all_)
    if fmt == "json":
        emit_json(cases)
    elif fmt == "csv":
        emit_csv([{k: v for k, v in c.items() if k != "deadlines"} for c in cases])
    else:
        from followup_cli.output.sheet import render_cases

        still_open = sum(c["status"] not in ("closed", "void") for c in cases)
        render_cases(cases,
                     title=t("Complaint cases: {count}, {open} still open", count=len(cases),
                             open=still_open)
                     if all_ else None)


def show_cli(
    ctx: typer.Context,
    complaint_id: Annotated[int, typer.Argument(
        help=t("The case number."), metavar="CASE_ID", callback=stored_int)],
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
) -> None:
    """Show one case: the complaint, each deadline met or broken, and its history.

    显示一张投诉单：内容、各时限是否达成、处理记录。
    """
    from followup_cli import clock
    from followup_cli.complaints import events, get_case, summary
    from followup_cli.output.formats import emit_json
    from followup_cli.output.tables import emit_table

    check_choice("--format", fmt, ("table", "json"))
    with state(ctx).ledger() as conn:
        case = summary(get_case(conn, complaint_id), clock.now())
        case["events"] = events(conn, complaint_id)
    if fmt == "json":
        emit_json(case)
        return
    from followup_cli.output.sheet import render_cases

    render_cases([case], title=f"#{complaint_id} {case['note']}")
    emit_table([{"step": label("complaint.step", step), "due": _minute(d["due_at"]),
                 "state": label("complaint.state", d['state'])}
                for step, d in case["deadlines"].items()],
               [("step", t("Next step")), ("due", tc("complaint.col", "Due")),
                ("state", t("Status"))])
    actions = {"open": t("opened"), "ack": t("acknowledge"),
               "resolve": t("resolve"), "close": t("close"),
               "reopen": t("reopen")}
    emit_table([{**e, "at": _minute(e["at"]), "action": actions.get(e["action"], e["action"])}
                for e in case["events"]],
               [("at", t("At")), ("agent", t("Agent")),
                ("action", t("Action")), ("note", t("Note"))])


def _minute(iso: str) -> str:
    """2026-11-30T08:51:37 as people read it: 2026-11-30 08:51."""
    return iso.replace("T", " ")[:16]


def _stepper(action: str):  # noqa: ANN202 - builds one command per case action
    def step(
        ctx: typer.Context,
        complaint_id: Annotated[int, typer.Argument(
            help=t("The case number."), metavar="CASE_ID", callback=stored_int)],
        note: Annotated[str, typer.Option("--note", "-n", help=t("What was done or decided."))]
        = "",
        agent: Annotated[str | None, typer.Option("--agent", help=t("Who acted."))] = None,
        when: Annotated[str | None, typer.Option(
            "--when", help=t("When it was done (default: now), clinic-local."))] = None,
    ) -> None:
        from followup_cli import clock
        from followup_cli.agents import default_agent
        from followup_cli.clock import parse_datetime
        from followup_cli.complaints import act, get_case, summary

        st = state(ctx)
        now = clock.now()
        at = parse_datetime(when, "--when") if when is not None else now
        rules, cal = st.rule_pack(), st.clinic_calendar()
        with st.ledger() as conn:
            skipped = get_case(conn, complaint_id)["acknowledged_at"] is None
            case = act(conn, complaint_id, action, agent=default_agent(agent), at=at,
                       note=note, rules=rules, cal=cal, now=now)
        shown = summary(case, now)
        typer.echo(label("complaint.done", action, id=complaint_id))
        if skipped and action != "ack":
            typer.echo(t("note: the case had not been acknowledged: it is acknowledged now, at "
                         "{at}, and the 24 h deadline is judged at that time",
                         at=_minute(case["acknowledged_at"])), err=True)
        if shown["breached"]:
            typer.echo(t("note: a deadline of this case was broken"), err=True)

    return step
