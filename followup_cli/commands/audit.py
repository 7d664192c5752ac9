"""followup audit"""

from __future__ import annotations

from typing import Annotated

import typer

from followup_cli.i18n import t
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    app.command("audit", help=t("Who was shown full phone numbers, when, and whose."))(audit_cli)


def audit_cli(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help=t("From this day (YYYY-MM-DD)."))]
    = None,
    fmt: Annotated[str, typer.Option("--format", help=t("table, json or csv."))] = "table",
) -> None:
    """Who was shown full phone numbers, when, and whose.

    查看完整电话号码的调阅记录：谁、何时、哪些患者。
    """
    from followup_cli.audit import entries
    from followup_cli.clock import parse_day
    from followup_cli.output.formats import FORMATS, emit_rows

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        rows = entries(conn, since=parse_day(since, "--since").isoformat()
                       if since is not None else None)
    emit_rows(fmt, rows, [("audit_id", "#"), ("at", t("At")),
                          ("agent", t("Agent")), ("action", t("Command")),
                          ("what", t("Patients (count: ids)"))], title=t("Full phone numbers "
                                                                         "shown"))
