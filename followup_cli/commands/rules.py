"""followup rules show | check FILE"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from followup_cli.commands.state import check_choice, state
from followup_cli.i18n import pick, t


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The callback rules / 回访规则.", no_args_is_help=True)
    group.command("show")(show_cli)
    group.command("check")(check_cli)
    app.add_typer(group, name="rules")


def show_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Print the active rules: the default pack with the clinic's file applied.

    显示当前生效的回访规则。
    """
    from rich.table import Table

    from followup_cli.render import console, emit_json

    check_choice("--format", fmt, ("table", "json"))
    pack = state(ctx).rule_pack()
    if fmt == "json":
        emit_json({"sources": list(pack.sources), "order": list(pack.order),
                   "risk": pack.risk_to_category, "tiers": list(pack.tiers),
                   "categories": {cid: asdict(c) for cid, c in pack.categories.items()}})
        return
    table = Table(title=" + ".join(pack.sources), title_justify="left", show_lines=True)
    for key in ("id", "kind", "match", "touchpoints"):
        table.add_column(t(f"rules.col.{key}"), overflow="fold")
    for c in pack.categories.values():
        label = f"{c.id}\n{pick(c.label)}"
        if c.kind == "treated":
            rank = pack.order.index(c.id) + 1 if c.id in pack.order else "-"
            label += f"\n#{rank}"
        match = "、".join(c.match) or (f"≥ {c.min_tier}" if c.min_tier else "")
        tps = "\n".join(
            f"{tp.offset:>4} {tp.window if tp.window != 'any' else '':<9}"
            f"{'←' if tp.move == 'earlier' else '→'} {pick(tp.purpose)}" for tp in c.touchpoints)
        table.add_row(label, c.kind, match, tps)
    console().print(table)


def check_cli(
    file: Annotated[Path, typer.Argument(help="A clinic rules file (TOML).")],
) -> None:
    """Validate a rules file; errors name the table and key that are wrong.

    校验规则文件，错误会指出出错的表和键。
    """
    from followup_cli.rules import load_rules

    pack = load_rules(file)
    typer.echo(t("rules.ok", path=file, count=len(pack.categories)))
