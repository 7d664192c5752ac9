"""followup user add | list | passwd | disable: who may sign in to `followup serve`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("Who may sign in to followup serve."),
                        no_args_is_help=True)
    group.command("add", help=t("Add a user who can sign in to the web workspace."))(add_cli)
    group.command("list", help=t(
        "List the users, their roles and when they were last seen."))(list_cli)
    group.command("passwd", help=t(
        "Set a user's password (enables a disabled user); their sessions end."))(passwd_cli)
    group.command("disable", help=t(
        "Stop a user signing in, and sign them out everywhere; their calls stay."))(disable_cli)
    app.add_typer(group, name="user")


def read_password(from_stdin: bool) -> str:
    """The password: the first line of stdin, or typed twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    import getpass

    if not sys.stdin.isatty():
        raise FollowupError(t("no terminal to type the password in: give it on standard input with "
                              "--password-stdin"))
    first = getpass.getpass(t("Password: "))
    if getpass.getpass(t("Again: ")) != first:
        raise FollowupError(t("the two passwords differ; nothing changed"))
    return first


def add_cli(
    ctx: typer.Context,
    name: Annotated[str,
                    typer.Argument(help=t("The user's name: the agent named on their calls."))],
    role: Annotated[str, typer.Option("--role", help=t("agent or supervisor."))] = "agent",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help=t("Read the password from the first line of standard input."))]
    = False,
) -> None:
    """Add a user who can sign in to the web workspace.

    添加网页工作台账号（专员 agent 或主管 supervisor）。
    """
    from followup_cli import clock
    from followup_cli.users import add_user, check_role, user_name

    name, role = user_name(name), check_role(role)   # refused before a password is asked
    password = read_password(password_stdin)
    with state(ctx).ledger() as conn:
        add_user(conn, name, role, password, clock.now())
    from followup_cli.labels import label

    typer.echo(t("user {name} added ({role})", name=name, role=label("role", role)))


def list_cli(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help=t("table, json or csv."))] = "table",
) -> None:
    """List the users, their roles and when they were last seen.

    列出账号、角色和最近使用时间。
    """
    from followup_cli.output.formats import FORMATS, emit_rows
    from followup_cli.users import list_users

    check_choice("--format", fmt, FORMATS)
    with state(ctx).ledger() as conn:
        rows = list_users(conn)
    for row in rows:
        row["disabled"] = bool(row["disabled"])
    from followup_cli.labels import label

    # the table in words: the role as the team says it, a time as a clock shows it
    shown = [{**r, "role": label("role", r["role"]),
              "state": t("disabled") if r["disabled"] else "",
              "last_seen": (r["last_seen"] or "").replace("T", " ")[:16]} for r in rows]
    emit_rows(fmt, rows if fmt != "table" else shown,
              [("username", t("User")), ("role", t("Role")),
               ("state", t("State")), ("last_seen", t("Last seen"))],
              title=t("Users ({count})", count=len(rows)))


def passwd_cli(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=t("The user."))],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help=t("Read the password from the first line of standard input."))]
    = False,
) -> None:
    """Set a user's password (enables a disabled user); their sessions end.

    修改密码（并重新启用账号）；该账号已登录的会话全部退出。
    """
    from followup_cli import clock
    from followup_cli.users import existing, set_password

    with state(ctx).ledger() as conn:
        existing(conn, name)   # refused before a password is asked
        password = read_password(password_stdin)
        set_password(conn, name, password, clock.now())
    typer.echo(t("{name}'s password is set; their sessions are ended", name=name))


def disable_cli(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=t("The user."))],
) -> None:
    """Stop a user signing in, and sign them out everywhere; their calls stay.

    停用账号并使其所有会话退出；其通话记录保留。
    """
    from followup_cli import clock
    from followup_cli.users import disable

    with state(ctx).ledger() as conn:
        changed = disable(conn, name, clock.now())
    if not changed:
        typer.echo(t("user {name} is already disabled (followup user passwd enables them again)",
                     name=name))
        return
    typer.echo(t("user {name} disabled and signed out; their calls stay", name=name))
