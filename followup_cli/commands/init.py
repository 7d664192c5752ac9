"""followup init [--demo]"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.options import state

# a demo of 3,000 patients takes ten seconds to build; this many, about a minute
MAX_DEMO_PATIENTS = 20_000


def register(app: typer.Typer) -> None:
    app.command("init")(init_cli)


def init_cli(
    ctx: typer.Context,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Fill the ledger with a synthetic clinic generated relative to today.")]
    = False,
    patients: Annotated[int, typer.Option("--patients", help="Demo size in patients.", min=10,
                                          max=MAX_DEMO_PATIENTS)] = 3000,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing ledger's data "
                                        "with the demo.")] = False,
) -> None:
    """Create the ledger, or a demo ledger to try followup on.

    创建台账；--demo 生成一个演示诊所。
    """
    from followup_cli import clock
    from followup_cli.ledger import get_setting, open_ledger, set_setting

    st = state(ctx)
    path = Path(st.ledger_path)
    if not demo:
        existed = path.exists()
        st.open(create=True).close()
        typer.echo(t("init.exists" if existed else "init.created", path=path))
        return
    if path.exists() and not force:
        conn = open_ledger(path)
        try:
            is_demo = get_setting(conn, "demo") is not None
            has_data = conn.execute("SELECT count(*) FROM visits").fetchone()[0] > 0
        finally:
            conn.close()
        if has_data and not is_demo:
            raise FollowupError(t("init.demo_refused", path=path))
    from followup_cli.demo import build_demo

    # build beside the ledger and move into place: a half-built demo is never seen
    tmp = path.with_name(path.name + ".building")
    for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    conn = open_ledger(tmp, create_dirs=True)
    try:
        counts = build_demo(conn, st.rule_pack(), st.clinic_calendar(), clock.today(),
                            patients=patients)
        set_setting(conn, "demo", clock.today().isoformat())
        tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
        tmp.with_name(tmp.name + side).unlink(missing_ok=True)
    os.replace(tmp, path)
    typer.echo(t("init.demo_done", patients=counts.patients, visits=counts.visits,
                 tasks=tasks, attempts=counts.attempts, path=path), err=True)
