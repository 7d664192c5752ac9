"""followup rules show | check FILE"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from followup_cli.i18n import current, pick, t, tc, tn
from followup_cli.labels import label
from followup_cli.options import State, check_choice, state

if TYPE_CHECKING:
    from followup_cli.rules import RulePack


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("The callback rules."), no_args_is_help=True)
    group.command("show", help=t(
        "Print the active rules: the default pack with the clinic's file applied."))(show_cli)
    group.command("check", help=t(
        "Validate a rules or scripts file; errors name the table and key that are wrong, and "
        "every touchpoint must have a script in both languages."))(check_cli)
    app.add_typer(group, name="rules")


def show_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
) -> None:
    """Print the active rules: the default pack with the clinic's file applied.

    显示当前生效的回访规则。
    """
    from followup_cli.output.formats import emit_json
    from followup_cli.output.tables import Column, cell_width, draw

    check_choice("--format", fmt, ("table", "json"))
    pack = state(ctx).rule_pack()
    if fmt == "json":
        emit_json({"sources": list(pack.sources), "order": list(pack.order),
                   "risk": pack.risk_to_category, "tiers": list(pack.tiers),
                   "categories": {cid: {**c._asdict(),
                                        "touchpoints": [tp._asdict() for tp in c.touchpoints]}
                                  for cid, c in pack.categories.items()}})
        return
    kinds = {"treated": t("treated"), "consult": t("consult"),
             "no_show": t("no-show"), "course_end": t("course end"),
             "birthday": t("birthday"), "complaint": tc("rules.kind", "complaint")}
    windows = {"any": "", "afternoon": t("afternoon window"), "evening": t("evening window")}
    width = max(map(cell_width, windows.values()))
    rows = []
    for c in pack.categories.values():
        # the id is the English word rules.toml and --category use: Chinese shows the label
        name = pick(c.label) if current() == "zh" else f"{c.id}\n{pick(c.label)}"
        if c.kind == "treated":
            rank = pack.order.index(c.id) + 1 if c.id in pack.order else "-"
            name += f"\n#{rank}"
        match = "、".join(c.match) or (f"≥ {c.min_tier}" if c.min_tier else "")
        tps = "\n".join(
            f"{tp.offset:>4} {_pad(windows.get(tp.window, tp.window), width)} "
            f"{'←' if tp.move == 'earlier' else '→'} {pick(tp.purpose)}" for tp in c.touchpoints)
        rows.append((name, kinds.get(c.kind, c.kind), match, tps))
    from followup_cli.rechecks import CATEGORY as RECHECK

    # not a rule: planned when a call books a re-check (log --booked) and nobody came
    name = pack.labels()[RECHECK]
    rows.append((name if current() == "zh" else f"{RECHECK}\n{name}", t("booked re-check"),
                 "log --booked", t("the first calling day after the grace: rebook")))
    columns = [Column(label("rules.col", key)) for key in ("id", "kind", "match", "touchpoints")]
    sys.stdout.write(draw(columns, rows, title=" + ".join(pack.sources), lines_between=True))


def _pad(text: str, width: int) -> str:
    from followup_cli.output.tables import cell_width

    return text + " " * (width - cell_width(text))


def check_cli(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(
        help=t("Rules, scripts or SMS texts files (TOML); default: rules.toml, scripts.toml and "
               "sms.toml next to the ledger."))] = None,
) -> None:
    """Validate a rules, scripts or SMS texts file; errors name the table and key that are
    wrong, every touchpoint must have a script in both languages, and every SMS text must
    fit its length with the signature (and carry the unsubscribe line if promotional).

    校验规则、话术或短信模板文件，错误会指出出错的表和键；每个回访节点都必须有中英文话术；
    短信连签名不得超长，营销短信须带退订语。
    """
    from followup_cli.errors import FollowupError
    from followup_cli.rules import load_rules
    from followup_cli.scripts import is_scripts_file, load_scripts, missing, without_signs
    from followup_cli.sms import is_sms_file

    st = state(ctx)
    if not files:
        files = [Path(p) for p in (st.beside_ledger("rules.toml"),
                                   st.beside_ledger("scripts.toml"),
                                   st.beside_ledger("sms.toml")) if os.path.exists(p)]
    sms_files: list[Path | None] = [f for f in files if is_sms_file(f)]
    files = [f for f in files if f not in sms_files]
    rules_file = next((f for f in files if not is_scripts_file(f)), None)
    pack = load_rules(rules_file) if rules_file else st.rule_pack()
    if rules_file:
        typer.echo(tn("{path}: valid, {count} category", "{path}: valid, {count} categories",
                      len(pack.categories), path=rules_file))
    scripts_files: list[Path | None] = [f for f in files if is_scripts_file(f)]
    for scripts_file in scripts_files or [None]:
        scripts = load_scripts(scripts_file)
        shown = scripts_file or "scripts.toml"
        lacking = missing(scripts, pack)
        if lacking:
            raise FollowupError(t("{path}: these touchpoints have no script: {touchpoints}",
                                  path=shown, touchpoints=", ".join(lacking)))
        unsigned = without_signs(scripts, pack)
        if unsigned:
            raise FollowupError(t("{path}: these touchpoints list no warning signs: {touchpoints}",
                                  path=shown,
                                  touchpoints=", ".join(unsigned)))
        if scripts_file:
            typer.echo(tn("{path}: valid scripts for {count} touchpoint",
                          "{path}: valid scripts for {count} touchpoints", len(scripts.touchpoints),
                          path=shown))
            typer.echo(t("{count} warning signs, listed for every touchpoint",
                         count=len(scripts.signs)))
    _check_sms(st, pack, sms_files)


def _check_sms(st: State, pack: RulePack, files: list[Path | None]) -> None:
    """Every SMS text: known placeholders, the length with the signature, the unsubscribe
    line on promotional texts; Tencent's refused wording is a warning."""
    from followup_cli.errors import FollowupError
    from followup_cli.output.formats import warn
    from followup_cli.sms import DEFAULT_PATH, check, load_templates

    config = st.sms_settings()
    for sms_file in files or [None]:
        templates = load_templates(sms_file)
        errors, warnings = check(templates, config, pack)
        shown = sms_file or DEFAULT_PATH
        for message in warnings:
            warn(t("{path}: {problems}", path=shown, problems=message))
        if errors:
            raise FollowupError(t("{path}: {problems}", path=shown, problems="; ".join(errors)))
        if sms_file:
            typer.echo(t("{path}: SMS texts are valid ({count})", path=sms_file,
                         count=len(templates.common) + len(templates.touchpoints)))
