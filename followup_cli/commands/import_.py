"""followup import visits FILE"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from followup_cli.clock import parse_past_day
from followup_cli.i18n import t, tn
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("Import data into the ledger."),
                        no_args_is_help=True)
    group.command("visits", help=t(
        "Import visits from a clinic's export and plan their callbacks. Re-importing the same "
        "file changes nothing."))(import_visits_cli)
    app.add_typer(group, name="import")


def import_visits_cli(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=t("A visit export, .csv or .xlsx."))],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help=t("HEADER=column for a header followup does not know, e.g. --map "
                        "预约到院时间=visit_date (repeatable; or [import.map] in "
                        "followup.toml)."))]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=t("Check and count, write nothing."))]
    = False,
    skip_bad: Annotated[Path | None, typer.Option(
        "--skip-bad", help=t("Import the good rows; write the bad ones, with the "
                             "reason, to this CSV."), dir_okay=False)] = None,
    day: Annotated[str | None, typer.Option(
        "--date",
        help=t("Import as of this day (YYYY-MM-DD), for loading history: backfill is measured "
               "from it."))] = None,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
    sheet: Annotated[str | None, typer.Option(
        "--sheet", help=t("The workbook's sheet to read (default: the first visible one)."))]
    = None,
) -> None:
    """Import visits from a clinic's export and plan their callbacks.

    导入就诊记录并生成回访计划。Re-importing the same file changes nothing.
    """
    from followup_cli import clock
    from followup_cli.importing import import_visits, parse_map
    from followup_cli.output.formats import emit_json

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    as_of = parse_past_day(day) if day is not None else clock.today()
    stored = st.config().get("import", {}).get("map", {})
    user_map = parse_map([f"{k}={v}" for k, v in stored.items()] + list(map_ or []))
    rules, cal = st.rule_pack(), st.clinic_calendar()
    from followup_cli.output.progress import import_progress

    with st.ledger(create=True) as conn, import_progress(file) as progress:
        summary = import_visits(conn, file, rules, cal, as_of, user_map=user_map,
                                dry_run=dry_run, skip_bad=skip_bad,
                                now=None if day is not None else clock.now(), sheet=sheet,
                                progress=progress)
    if fmt == "json":
        emit_json(summary.as_dict())
    else:
        from followup_cli.importing.visits import summary_lines

        for line in summary_lines(summary, file.name):
            typer.echo(line)
    from followup_cli.output.formats import warn_provisional

    warn_provisional(cal, summary.provisional)
    if summary.bad and skip_bad is not None and not dry_run:
        typer.echo(tn("{count} bad row not imported, written to {path}",
                      "{count} bad rows not imported, written to {path}", len(summary.bad),
                      path=skip_bad), err=True)
