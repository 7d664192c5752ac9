"""followup rules show | check FILE"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from followup_cli.i18n import pick, t
from followup_cli.options import check_choice, state


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
    from followup_cli.output.formats import emit_json
    from followup_cli.output.tables import Column, draw

    check_choice("--format", fmt, ("table", "json"))
    pack = state(ctx).rule_pack()
    if fmt == "json":
        emit_json({"sources": list(pack.sources), "order": list(pack.order),
                   "risk": pack.risk_to_category, "tiers": list(pack.tiers),
                   "categories": {cid: {**c._asdict(),
                                        "touchpoints": [tp._asdict() for tp in c.touchpoints]}
                                  for cid, c in pack.categories.items()}})
        return
    rows = []
    for c in pack.categories.values():
        label = f"{c.id}\n{pick(c.label)}"
        if c.kind == "treated":
            rank = pack.order.index(c.id) + 1 if c.id in pack.order else "-"
            label += f"\n#{rank}"
        match = "、".join(c.match) or (f"≥ {c.min_tier}" if c.min_tier else "")
        tps = "\n".join(
            f"{tp.offset:>4} {tp.window if tp.window != 'any' else '':<9}"
            f"{'←' if tp.move == 'earlier' else '→'} {pick(tp.purpose)}" for tp in c.touchpoints)
        rows.append((label, c.kind, match, tps))
    columns = [Column(t(f"rules.col.{key}")) for key in ("id", "kind", "match", "touchpoints")]
    sys.stdout.write(draw(columns, rows, title=" + ".join(pack.sources), lines_between=True))


def check_cli(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(
        help="Rules or scripts files (TOML); default: rules.toml and scripts.toml next to "
        "the ledger.")] = None,
) -> None:
    """Validate a rules or scripts file; errors name the table and key that are wrong, and
    every touchpoint must have a script in both languages.

    校验规则或话术文件，错误会指出出错的表和键；每个回访节点都必须有中英文话术。
    """
    from followup_cli.errors import FollowupError
    from followup_cli.rules import load_rules
    from followup_cli.scripts import is_scripts_file, load_scripts, missing, without_signs

    st = state(ctx)
    if not files:
        files = [Path(p) for p in (st.beside_ledger("rules.toml"),
                                   st.beside_ledger("scripts.toml")) if os.path.exists(p)]
    rules_file = next((f for f in files if not is_scripts_file(f)), None)
    pack = load_rules(rules_file) if rules_file else st.rule_pack()
    if rules_file:
        typer.echo(t("rules.ok", path=rules_file, count=len(pack.categories)))
    scripts_files: list[Path | None] = [f for f in files if is_scripts_file(f)]
    for scripts_file in scripts_files or [None]:
        scripts = load_scripts(scripts_file)
        shown = scripts_file or "scripts.toml"
        lacking = missing(scripts, pack)
        if lacking:
            raise FollowupError(t("script.missing", path=shown, touchpoints=", ".join(lacking)))
        unsigned = without_signs(scripts, pack)
        if unsigned:
            raise FollowupError(t("script.no_signs", path=shown,
                                  touchpoints=", ".join(unsigned)))
        if scripts_file:
            typer.echo(t("script.ok", path=shown, count=len(scripts.touchpoints)))
            typer.echo(t("script.signs_ok", count=len(scripts.signs)))
