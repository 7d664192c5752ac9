"""The root command. It owns the ledger and language options, registers one module per
command, and turns the library's errors into one line on stderr and an exit code."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

from followup_cli.i18n import N_, t, tn

if TYPE_CHECKING:
    from typer._click.exceptions import UsageError

ROOT_OPTIONS = ("--db", "--rules", "--calendar", "--lang")
PATIENT_SUBCOMMANDS = ("show", "set-phone", "allow-calls", "bad-phones", "sms-off", "sms-on")


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
    "complaint": "complaint", "alert": "alert", "patient": "patient", "sms": "sms",
    "config": "config", "user": "user", "serve": "serve",
}


def build_app(command: str | None = None):  # noqa: ANN201 - typer is imported lazily
    """The CLI; with `command`, only that command is registered (a call sheet should not
    pay for building the other thirty commands)."""
    import importlib

    import typer
    import typer.core

    from followup_cli.i18n import catalogue
    from followup_cli.options import root_callback

    # typer asks gettext for its own words (TYPER_WORDS): answer from followup's catalogue
    typer.core._ = lambda message: catalogue().gettext(message)  # type: ignore[attr-defined]
    refuse_repeated_options()
    app = typer.Typer(
        name="followup", help=_help(), no_args_is_help=True, add_completion=True,
        pretty_exceptions_show_locals=False, rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root_callback)
    modules = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(
        COMMANDS.values()))
    for name in modules:
        importlib.import_module(f"followup_cli.commands.{name}").register(app)
    return app


def refuse_repeated_options() -> None:
    """A single-value option given twice (`-d 2026-01-01 -d 2026-01-02`) is refused, naming
    it: typer's parser would keep the last one silently. Options that collect values
    (--sign, --db) and flags are not single-value. The fast path (fastpath.parse) leaves
    a repeated option to typer, so both agree."""
    from typer._click import parser
    from typer._click.exceptions import BadOptionUsage

    store = parser._Option.process
    if getattr(store, "refuses_repeats", False):
        return

    def process(self: Any, value: Any, state: Any) -> None:
        if self.action == "store" and self.dest in state.opts:
            name = " / ".join(self.obj.opts)
            raise BadOptionUsage(name, t("{option} is given twice: give it once", option=name),
                                 ctx=state.ctx if hasattr(state, "ctx") else None)
        store(self, value, state)

    process.refuses_repeats = True  # type: ignore[attr-defined]
    parser._Option.process = process  # type: ignore[method-assign]


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
    return t("Patient callbacks (回访) for clinics: plan them from visit exports, work the "
             "daily call sheet, log every call, report the month.")


# typer's own words in a help page or a usage error (typer/core.py asks gettext for them)
TYPER_WORDS = (N_("Options"), N_("Arguments"), N_("Commands"), N_("required"),
               N_("default: {default}"), N_("env var: {var}"), N_("(dynamic)"),
               N_("Missing command."), N_("No such command {name!r}."), N_("Aborted!"))


# typer's shell completion options, whose help typer writes in English only
COMPLETION_HELP = {
    "install_completion": N_("Install completion for the current shell."),
    "show_completion": N_("Show completion for the current shell, to copy it or customize "
                          "the installation."),
}


# what a help page shows for a parameter's value, by the parameter's name: the word the
# README's synopses use (typer would show the type, `<str>`, or the name, `target`); a
# parameter not listed shows its name in capitals
METAVARS = {
    "day": "YYYY-MM-DD", "start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "since": "YYYY-MM-DD",
    "booked": "YYYY-MM-DD[THH:MM]", "month": "YYYY-MM", "at_time": "HH:MM",
    "at": "DATETIME", "when": "DATETIME", "fmt": "FORMAT", "lang": "zh|en",
    "agent": "NAME", "agent_name": "NAME", "by": "NAME", "to": "NAME", "agents": "NAMES",
    "move_patient": "PATIENT_ID", "patient": "PATIENT_ID", "patient_id": "PATIENT_ID",
    "db": "FILE", "rules": "FILE", "calendar": "FILE", "output": "FILE", "skip_bad": "FILE",
    "cert": "FILE", "key": "FILE", "file": "FILE", "target": "FILE", "files": "FILE...",
    "map_": "HEADER=COLUMN", "anchors": "FINGERPRINT", "complaint_category": "CATEGORY",
    "note": "TEXT", "reason": "TEXT",
}
# options whose default is a code of a label family: shown as the code and its word
DEFAULT_LABELS = {"complaint_category": "complaint.category", "severity": "complaint.severity"}


def _metavars_and_defaults(cmd: Any) -> None:
    """Every parameter of `cmd` and its subcommands: a meaningful metavar, and a default
    that is a code shown with its word in the user's language (`other/其他`)."""
    from followup_cli.labels import label

    for param in cmd.params:
        if param.name in DEFAULT_LABELS and isinstance(param.default, str):
            # as the option's help lists the codes (其他/other); typer would show the code only
            word = label(DEFAULT_LABELS[param.name], param.default)
            shown = param.default if word == param.default else f"{word}/{param.default}"
            param.show_default = False
            param.help = f"{param.help}  [{t('default: {default}', default=shown)}]"
        if (param.metavar is None and param.name is not None and param.expose_value
                and not getattr(param, "is_flag", False) and not getattr(param, "count", False)):
            param.metavar = METAVARS.get(param.name, param.name.upper())
    for sub in getattr(cmd, "commands", {}).values():
        _metavars_and_defaults(sub)


def click_command(app):  # noqa: ANN001, ANN201 - typer is imported lazily
    """The click command typer makes of `app`, every help text in the user's language."""
    from typer._click import Context  # typer vendors click
    from typer.main import get_command

    command = get_command(app)
    for param in command.params:
        if param.name in COMPLETION_HELP:
            param.help = t(COMPLETION_HELP[param.name])  # type: ignore[attr-defined]
    _metavars_and_defaults(command)

    def translate_help_option(cmd: Any) -> None:   # click writes it in English only
        ctx = Context(cmd, info_name=cmd.name, help_option_names=["-h", "--help"])
        option = cmd.get_help_option(ctx)   # made once and kept by the command
        if option is not None:
            option.help = t("Show this message and exit.")
        for sub in getattr(cmd, "commands", {}).values():
            translate_help_option(sub)

    translate_help_option(command)
    return command


def lang_of(argv: list[str]) -> str | None:
    """The --lang among the leading root options (typer reads it too; it is needed
    earlier, to say the help in that language)."""
    front = argv[:len(argv) - len(after_root_options(argv))]
    for i, token in enumerate(front):
        if token.startswith("--lang="):
            return token.split("=", 1)[1]
        if token == "--lang" and i + 1 < len(front):
            return front[i + 1]
    return None


# the reasons typer's parameter types give (in English only) -> followup's message
TYPE_FAILURES = (
    (r"(?P<value>.+) is not a valid (?:integer|int|int range)\.",
     N_("{value} is not a whole number")),
    (r"(?P<value>.+) is not a valid float\.", N_("{value} is not a number")),
    (r"(?P<value>.+) is not in the range (?P<range>.+)\.", N_("{value} is not in the range "
                                                            "{range}")),
    (r"(?:File|Directory|Path) (?P<path>.+) is a directory\.", N_("{path} is a folder, not a "
                                                                  "file")),
    (r"(?:File|Directory|Path) (?P<path>.+) is a file\.", N_("{path} is a file, not a "
                                                             "folder")),
    (r"(?:File|Directory|Path) (?P<path>.+) does not exist\.", N_("{path} does not exist")),
    (r"(?:File|Directory|Path) (?P<path>.+) is not readable\.", N_("{path} cannot be read "
                                                                   "(no permission)")),
    (r"(?:File|Directory|Path) (?P<path>.+) is not writable\.", N_("{path} cannot be written "
                                                                   "(no permission)")),
)


def type_failure(reason: str) -> str:
    """A parameter type's English reason in the user's language (else as typer said it)."""
    import re

    for pattern, message in TYPE_FAILURES:
        found = re.fullmatch(pattern, reason, flags=re.DOTALL)
        if found is not None:
            return t(message, **found.groupdict())
    return reason


def usage_error(e: UsageError) -> str:
    """A usage error typer's parser found, in the user's language: what is wrong and where
    the help is (typer's parser says it in English only)."""
    from typer._click.exceptions import (
        BadOptionUsage,
        BadParameter,
        MissingParameter,
        NoSuchOption,
    )

    hint = ""
    param = getattr(e, "param", None)
    if param is not None:
        hint = (" / ".join(param.opts) if param.param_type_name == "option"
                else param.human_readable_name)
    if isinstance(e, NoSuchOption):
        said = t("no such option: {option}", option=e.option_name)
        if e.possibilities:
            said += " " + t("(did you mean {options}?)",
                            options=", ".join(sorted(e.possibilities)))
    elif isinstance(e, MissingParameter):
        said = t("{name} is required", name=hint)
    elif isinstance(e, BadOptionUsage) and "requires" in e.message:
        said = t("{option} needs a value", option=e.option_name)
    elif isinstance(e, BadOptionUsage) and "does not take" in e.message:
        said = t("{option} takes no value", option=e.option_name)
    elif isinstance(e, BadParameter):
        said = t("invalid value for {name}: {reason}", name=hint or "-",
                 reason=type_failure(e.message))
    elif e.message.startswith("Got unexpected extra argument"):
        extra = e.message.partition(" (")[2].removesuffix(")")   # "argument(s) (…)"
        said = tn("unexpected extra argument: {args}", "unexpected extra arguments: {args}",
                  len(extra.split()), args=extra)
    else:
        said = e.format_message()
    if e.ctx is not None:
        said += "\n" + t("help: {command} --help", command=e.ctx.command_path)
    return said


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
    waiting = N_("waiting for the ledger: another followup is writing (an import?)…")
    ledger.on_wait = lambda: sys.stderr.write(f"followup: {t(waiting)}\n")
    try:
        from followup_cli.fastpath import run_fast

        code = run_fast(argv)   # a plain `due` or `log` line: no typer to load
        return _run_typer(argv) if code is None else code
    except FollowupError as e:
        said = str(e)
        if e.cli_hint:   # after a list of lines (bad rows), on a line of its own
            said = f"{said}\n{e.cli_hint}" if "\n" in said else t("{error}. {hint}", error=said,
                                                                   hint=e.cli_hint)
        sys.stderr.write(f"followup: {said}\n")
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except UnicodeEncodeError:  # bytes from the shell that are not UTF-8 reached the ledger
        said = t("an argument holds characters that are not UTF-8: check the terminal's "
                 "encoding (it should be UTF-8)")
        sys.stderr.write(f"followup: {said}\n")
        return 2
    except OSError as e:  # a file the user named: missing folder, no permission, disk full
        reason = e.strerror or type(e).__name__
        said = t("{path}: {reason}", path=e.filename or "-", reason=reason)
        sys.stderr.write(f"followup: {said}\n")
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
        said = t("internal error ({kind}). The ledger is not half-written; please report this "
                 "to the maintainers", kind=type(e).__name__)
        sys.stderr.write(f"followup: {said}\n")
        return 1


def _run_typer(argv: list[str]) -> int:
    """The whole CLI, read by typer; typer's own exits and usage errors become codes."""
    import typer
    from typer._click.exceptions import ClickException, UsageError  # typer vendors click

    from followup_cli.i18n import LANGS, set_lang

    try:
        args = hoist_root_options(argv)
        lang = lang_of(args)
        if lang in LANGS:
            set_lang(lang)   # before the help texts are read
        command = click_command(build_app(the_command(args)))
        result = command.main(args=args, prog_name="followup", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as e:
        return int(e.exit_code or 0)
    except typer.Abort:
        return 1
    except UsageError as e:
        if e.ctx is not None and type(e).__name__ == "NoArgsIsHelpError":
            e.show()   # the help page itself
            return 2
        sys.stderr.write(f"followup: {usage_error(e)}\n")
        return 2
    except ClickException as e:
        e.show()
        return e.exit_code


def main() -> None:
    sys.exit(run(sys.argv[1:]))
