"""followup config agent [NAME]"""

from __future__ import annotations

from typing import Annotated

import typer

from followup_cli.i18n import t


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Your own settings, kept for your user account / 您自己的设置.",
                        no_args_is_help=True)
    group.command("agent")(agent_cli)
    app.add_typer(group, name="config")


def agent_cli(
    name: Annotated[str | None, typer.Argument(
        help="Your name, as calls are recorded (else: show the name set).")] = None,
) -> None:
    """Set your name once, like git's user.name: every call, step and decision you record
    carries it ($FOLLOWUP_AGENT, when set, comes first).

    设置一次您的名字：您登记的通话、处理和决定都记在这个名字下。
    """
    import os

    from followup_cli.agents import config_path, default_agent, set_agent

    if name is None:
        source = (t("config.agent_env") if os.environ.get("FOLLOWUP_AGENT")
                  else config_path())
        typer.echo(t("config.agent_is", agent=default_agent(), source=source))
        return
    path = set_agent(name)
    typer.echo(t("config.agent_set", agent=name.strip(), path=path))
    if os.environ.get("FOLLOWUP_AGENT"):   # it comes first: say so, or the line above misleads
        typer.echo(t("config.env_first", agent=os.environ["FOLLOWUP_AGENT"]), err=True)
