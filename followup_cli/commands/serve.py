"""followup serve: the team's workspace in the browser, over this ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from followup_cli.i18n import t
from followup_cli.lazy import pathlib, typer  # the web stack is imported by this command only
from followup_cli.options import State, a_file, state

if TYPE_CHECKING:
    from followup_cli.web.app import Clinic


def register(app: typer.Typer) -> None:
    app.command("serve", help=t(
        "Serve the workspace (call sheet, call cards, board) to the team's browsers."))(serve_cli)


def serve_cli(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(
        "--host", help=t("Address to listen on; 0.0.0.0 opens it to the clinic's network."))]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", help=t("Port to listen on."), min=1, max=65535, metavar="PORT")] = 8765,
    cert: Annotated[pathlib.Path | None, typer.Option(
        "--cert", help=t("TLS certificate (PEM), with --key: serve https."), dir_okay=False,
        callback=a_file)] = None,
    key: Annotated[pathlib.Path | None, typer.Option(
        "--key", help=t("TLS private key (PEM)."), dir_okay=False, callback=a_file)] = None,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", metavar="NAME",
        help=t("A name the team opens the workspace by (e.g. followup.clinic.lan), besides "
               "its address; repeatable. Requests sent to any other name are refused."))]
    = None,
    demo: Annotated[bool, typer.Option(
        "--demo",
                                       help=t("On a demo ledger (init --demo): sign-ins for a "
                                              "supervisor and the demo's agents, with new "
                                              "passwords printed."))] = False,
) -> None:
    """Serve the workspace (call sheet, call cards, board) to the team's browsers.

    启动网页工作台：专员和主管在浏览器里使用同一个台账。
    """
    from followup_cli.errors import FollowupError
    from followup_cli.output.formats import warn

    if (cert is None) != (key is None):
        raise FollowupError(t("--cert and --key go together"))
    st = state(ctx)
    with st.ledger() as conn:   # refused now if missing, damaged or newer; migrated if older
        if demo:
            from followup_cli import clock
            from followup_cli.demo import AGENTS
            from followup_cli.users import demo_team

            for name, password in demo_team(conn, AGENTS, clock.now()).items():
                print(t("demo sign-in {name}, password {password}", name=name, password=password))
        users = conn.execute("SELECT count(*) FROM users WHERE disabled = 0").fetchone()[0]
    if not users:
        warn(t("no users yet, so nobody can sign in: add one first with followup user add NAME "
               "--role supervisor"))
    if host in ("0.0.0.0", "::"):
        warn(t("warning: the workspace is open to the clinic's network (0.0.0.0). Use it on a "
               "trusted network only, best with --cert/--key"))
    from followup_cli.web.app import check_tls, listening_socket, serve

    if cert is not None and key is not None:
        check_tls(cert, key)
    clinic = clinic_of(st)
    sock = listening_socket(host, port)
    scheme = "https" if cert is not None else "http"
    shown = "[" + host + "]" if ":" in host else host
    print(t("workspace running at {url} (Ctrl+C stops it)",
            url=f"{scheme}://{shown}:{port}/"), flush=True)
    serve(clinic, sock, cert=cert, key=key, host=host, allow_hosts=tuple(allow_host or ()))


def clinic_of(st: State) -> Clinic:
    """The ledger and the clinic's files the root options name, for the web side."""
    from followup_cli.importing import parse_map
    from followup_cli.web.app import Clinic

    stored = st.config().get("import", {}).get("map", {})
    return Clinic(st.ledger_path, st.rule_pack(), st.clinic_calendar(), st.call_scripts(),
                  st.clinic_name(), st.min_note(),
                  parse_map([f"{k}={v}" for k, v in stored.items()]), st.alert_settings(),
                  st.sms_texts(), st.sms_settings())
