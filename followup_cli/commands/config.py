"""followup config agent [NAME]"""

from __future__ import annotations

from typing import Annotated

import typer

from followup_cli.i18n import t


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("Your own settings, kept for your user account."),
                        no_args_is_help=True)
    group.command("agent", help=t(
        "Set your name once, like git's user.name: every call, step and decision you record "
        "carries it ($FOLLOWUP_AGENT, when set, comes first)."))(agent_cli)
    app.add_typer(group, name="config")


def agent_cli(
    name: Annotated[str | None, typer.Argument(
        help=t("Your name, as calls are recorded (else: show the name set)."))] = None,
) -> None:
    """Set your name once, like git's user.name: every call, step and decision you record
    carries it ($FOLLOWUP_AGENT, when set, comes first).

    设置一次您的名字：您登记的通话、处理和决定都记在这个名字下。
    """
    import os

    from followup_cli.agents import config_path, default_agent, set_agent

    if name is None:
        source = (t("from the environment variable FOLLOWUP_AGENT")
                  if os.environ.get("FOLLOWUP_AGENT") else config_path())
        typer.echo(t("{agent} ({source})", agent=default_agent(), source=source))
        return
    from followup_cli.text import agent_name

    name = agent_name(name, "NAME")
    path = set_agent(name)
    typer.echo(t("from now on your calls are recorded as {agent} ({path})", agent=name,
                 path=path))
    if os.environ.get("FOLLOWUP_AGENT"):   # it comes first: say so, or the line above misleads
        typer.echo(t("note: the environment variable FOLLOWUP_AGENT={agent} is set and comes first",
                     agent=os.environ["FOLLOWUP_AGENT"]), err=True)
