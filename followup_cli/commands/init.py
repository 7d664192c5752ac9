"""followup init [--demo]"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from followup_cli.i18n import t
from followup_cli.options import state

# a demo of 3,000 patients takes ten seconds to build; this many, about a minute
MAX_DEMO_PATIENTS = 20_000


def register(app: typer.Typer) -> None:
    app.command("init", help=t("Create the ledger, or a demo ledger to try followup on."))(init_cli)


def init_cli(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option(
        "--demo", help=t("Fill the ledger with a synthetic clinic generated relative to today."))]
    = False,
    patients: Annotated[int, typer.Option("--patients", help=t("Demo size in patients."), min=10,
                                          max=MAX_DEMO_PATIENTS, metavar="N")] = 3000,
    force: Annotated[bool, typer.Option(
        "--force", help=t("Replace an existing ledger's data with the demo."))] = False,
) -> None:
    """Create the ledger, or a demo ledger to try followup on.

    创建台账；--demo 生成一个演示诊所。
    """
    from followup_cli import clock
    from followup_cli.demo import build_demo_ledger

    st = state(ctx)
    path = st.ledger_path
    if not demo:
        existed = os.path.exists(path)
        with st.ledger(create=True):
            pass
        typer.echo(t("the ledger {path} already exists",
                     path=path) if existed else t("created the ledger {path}", path=path))
        return
    counts = build_demo_ledger(path, st.rule_pack(), st.clinic_calendar(), clock.today(),
                               patients=patients, force=force)
    typer.echo(t("demo ledger ready: {patients} patients, {visits} visits, {tasks} callback "
                 "tasks, {attempts} logged calls ({path})", patients=counts.patients,
                 visits=counts.visits,
                 tasks=counts.tasks, attempts=counts.attempts, path=path), err=True)
