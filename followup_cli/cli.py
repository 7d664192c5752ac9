"""The root command. It owns the ledger and language options, registers one module per
command, and turns the library's errors into one line on stderr and an exit code."""

from __future__ import annotations

import contextlib
import os
import sys

ROOT_OPTIONS = ("--db", "--rules", "--calendar", "--lang")
PATIENT_SUBCOMMANDS = ("show", "set-phone", "allow-calls", "bad-phones")


def hoist_root_options(argv: list[str]) -> list[str]:
    """`followup due --today --db x.db` works like `followup --db x.db due --today`."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest.extend(argv[i:])
            break
        name = token.split("=", 1)[0]
        if name in ROOT_OPTIONS:
            if "=" in token:
                front.append(token)
            else:
                front.extend(argv[i:i + 2])
                i += 1
        else:
            rest.append(token)
        i += 1
    out = front + rest
    # `followup patient C1004` is `followup patient show C1004`
    at = len(front)
    if (len(out) > at + 1 and out[at] == "patient" and not out[at + 1].startswith("-")
            and out[at + 1] not in PATIENT_SUBCOMMANDS):
        out.insert(at + 1, "show")
    return out


# command name -> its module in followup_cli/commands/ (`import` is a keyword: import_),
# in the order `followup --help` lists them
COMMANDS = {
    "init": "init", "due": "due", "log": "log", "report": "report", "script": "script",
    "audit": "audit", "assign": "assign", "backup": "backup", "doctor": "doctor",
    "import": "import_", "rules": "rules", "calendar": "calendar",
    "complaint": "complaint", "patient": "patient", "user": "user", "serve": "serve",
}


def build_app(command: str | None = None):  # noqa: ANN201 - typer is imported lazily
    """The CLI; with `command`, only that command is registered (a call sheet should not
    pay for building the other thirty commands)."""
    import importlib

    import typer

    from followup_cli.options import root_callback

    app = typer.Typer(
        name="followup", help=_help(), no_args_is_help=True, add_completion=False,
        pretty_exceptions_show_locals=False, rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root_callback)
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(
        COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"followup_cli.commands.{name}").register(app)
    return app


def after_root_options(argv: list[str]) -> list[str]:
    """What follows the leading root options (`--db X`, `--lang=en` …)."""
    i = 0
    while i < len(argv) and argv[i].split("=", 1)[0] in ROOT_OPTIONS:
        i += 1 if "=" in argv[i] else 2
    return argv[i:]


def the_command(argv: list[str]) -> str | None:
    """The command word of an argv whose root options were hoisted; None if a flag (such as
    --help) comes first."""
    rest = after_root_options(argv)
    return rest[0] if rest and not rest[0].startswith("-") else None


def _help() -> str:
    return ("Patient callbacks (回访) for clinics: plan them from visit exports, work the "
            "daily call sheet, log every call, report the month.")


def run(argv: list[str]) -> int:
    """Run the CLI on `argv`; return the exit code. Never raises for what a user can cause.

    Everything printed passes through `SafeStream`: text from the ledger never reaches the
    terminal as control characters."""
    from followup_cli.output.terminal import SafeStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(out), SafeStream(err)
    try:
        return _run(argv)
    finally:
        with contextlib.suppress(OSError, ValueError):   # the reader went away
            sys.stdout.flush()
        sys.stdout, sys.stderr = out, err


def _run(argv: list[str]) -> int:
    from followup_cli import __version__

    if after_root_options(argv) in (["--version"], ["-V"]):   # no need to load typer
        sys.stdout.write(f"followup {__version__}\n")
        return 0
    import sqlite3

    from followup_cli import ledger
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import t

    ledger.on_wait = lambda: sys.stderr.write(f"followup: {t('ledger.waiting')}\n")
    try:
        from followup_cli.fastpath import run_fast

        code = run_fast(argv)   # a plain `due` or `log` line: no typer to load
        return _run_typer(argv) if code is None else code
    except FollowupError as e:
        sys.stderr.write(f"followup: {e}\n")
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except UnicodeEncodeError:  # bytes from the shell that are not UTF-8 reached the ledger
        sys.stderr.write(f"followup: {t('error.not_utf8')}\n")
        return 2
    except OSError as e:  # a file the user named: missing folder, no permission, disk full
        reason = e.strerror or type(e).__name__
        sys.stderr.write(f"followup: {t('file.os_error', path=e.filename or '-', reason=reason)}\n")
        return 2
    except SystemExit as e:  # rich exits this way when the reader closed the pipe
        return e.code if isinstance(e.code, int) else 1
    except Exception as e:
        # a busy, full, read-only or damaged ledger met outside a write transaction
        known = ledger.explained(e, ledger.last_opened) if isinstance(e, sqlite3.Error) else None
        if known is not None:
            sys.stderr.write(f"followup: {known}\n")
            return 2
        if os.environ.get("FOLLOWUP_DEBUG"):
            raise
        # the exception's text can hold a patient's name or phone: name only its type
        sys.stderr.write(f"followup: {t('error.internal', kind=type(e).__name__)}\n")
        return 1


def _run_typer(argv: list[str]) -> int:
    """The whole CLI, read by typer; typer's own exits and usage errors become codes."""
    import typer
    from typer._click.exceptions import ClickException, UsageError  # typer vendors click

    try:
        args = hoist_root_options(argv)
        app = build_app(the_command(args))
        result = app(args=args, prog_name="followup", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except typer.Abort:
        return 1
    except ClickException as e:
        e.show()
        return 2 if isinstance(e, UsageError) else e.exit_code


def main() -> None:
    sys.exit(run(sys.argv[1:]))
