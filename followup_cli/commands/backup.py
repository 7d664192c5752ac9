"""followup backup FILE"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from followup_cli.i18n import t
from followup_cli.options import a_file, state


def register(app: typer.Typer) -> None:
    app.command("backup", help=t(
        "Copy the ledger safely while others keep working (SQLite online backup)."))(backup_cli)


def backup_cli(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help=t("Where to write the copy."), dir_okay=False,
                                              callback=a_file)],
) -> None:
    """Copy the ledger safely while others keep working (SQLite online backup).

    在他人继续使用时安全地备份台账。
    """
    from followup_cli.ledger import backup_to
    from followup_cli.output.files import check_target, protect

    st = state(ctx)
    protect(st.ledger_path, ledger=True)
    real = check_target(target, "db")   # never the ledger, another ledger or an older backup
    with st.ledger() as conn:
        damage = backup_to(conn, real)
    if damage:   # a copy of a damaged ledger is still worth keeping; say so, exit 1
        from followup_cli.output.formats import warn

        warn(t("the copy is in {path}, but the ledger itself is damaged ({first}): run followup "
               "doctor", path=target, first=damage))
        raise typer.Exit(1)
    typer.echo(t("backed up to {path} (readable by you only)", path=target))
