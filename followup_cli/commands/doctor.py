"""followup doctor"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from followup_cli.i18n import t, tn
from followup_cli.labels import label
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    app.command("doctor", help=t(
        "Check the ledger: integrity (a damaged page), foreign keys, orphan tasks, tasks of "
        "another patient than their visit's, tasks whose state disagrees with their calls, the "
        "hash chains of the call, event and audit logs and the triggers that protect them; list "
        "provisional dates and numbers to fix. Exit code 1 if wrong."),
        short_help=t("Check the ledger and its logs; exit code 1 if wrong."))(doctor_cli)


def doctor_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
    anchors: Annotated[list[str] | None, typer.Option(
        "--anchor", help=t("A fingerprint doctor printed before (or a month report "
                           "carries): the logs must still pass through it (repeatable)."))] = None,
) -> None:
    """Check the ledger: integrity (a damaged page), foreign keys, orphan tasks, tasks of
    another patient than their visit's, tasks whose state disagrees with their calls, the
    hash chains of the call, event and audit logs and the triggers that protect them; list
    provisional dates and numbers to fix. Exit code 1 if wrong.

    检查台账：完整性（损坏的页）、外键、孤立任务、患者与就诊不符的任务、与通话记录不符的任务、
    通话/事件/审计记录的哈希链及保护它们的触发器；列出暂定日期和待更正号码。
    """
    from followup_cli import clock
    from followup_cli.health import check
    from followup_cli.output.formats import emit_json

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    cal = st.clinic_calendar()
    with st.ledger() as conn:
        result = check(conn, cal, clock.today(), tuple(anchors or ()))
    if fmt == "json":
        emit_json(result)
    else:
        n = result["counts"]
        counts = {"patients": tn("{count} patient", "{count} patients", n["patients"]),
                  "visits": tn("{count} visit", "{count} visits", n["visits"]),
                  "tasks": tn("{count} task", "{count} tasks", n["tasks"]),
                  "attempts": tn("{count} logged call", "{count} logged calls", n["attempts"]),
                  "complaints": tn("{count} complaint case", "{count} complaint cases",
                                   n["complaints"])}
        typer.echo(t("the ledger is sound: {patients}, {visits}, {tasks}, {attempts}, {complaints}",
                     **counts) if result["ok"] else t("the ledger has problems ({patients}, "
                                                      "{visits}, {tasks}, {attempts}, "
                                                      "{complaints}):", **counts))
        for name, detail in result["problems"].items():
            if name == "integrity":   # SQLite's own words, one line of them
                detail = t("SQLite says: {first} ({more} more)", first=detail[0],
                           more=len(detail) - 1)
            typer.echo(f"  ✗ {label('doctor', name)}: {shown(detail)}")
        notices = result["notices"]
        typer.echo(t("notices: {tasks} on provisional dates; {numbers} to fix",
                     tasks=tn("{count} open task", "{count} open tasks",
                              notices["provisional_open_tasks"]),
                     numbers=tn("{count} number", "{count} numbers", notices["phones_to_fix"])))
        typer.echo(t("fingerprint of the logs: {anchor} (keep it elsewhere, e.g. with the month's "
                     "report; followup doctor --anchor FINGERPRINT later shows whether anything "
                     "before it was rewritten)", anchor=result["anchor"]))
    if not result["ok"]:
        raise typer.Exit(1)


def shown(detail: Any) -> str:
    """A problem's detail in words: ids, rows and what is wrong with each, in the user's
    language (a damaged page's own words are SQLite's)."""
    words = {"missing": t("missing"), "altered": t("altered"),
             "unexpected": t("not followup's"), "changed": t("changed"),
             "unchained": t("not in the chain")}
    if isinstance(detail, dict) and set(detail) == {"row", "problem"}:
        return t("row {row} {problem}", row=detail["row"], problem=shown(detail["problem"]))
    if isinstance(detail, dict):
        return "; ".join(f"{key} {shown(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return ", ".join(shown(item) for item in detail)
    if isinstance(detail, str):
        return words.get(detail, detail)
    return str(detail)
