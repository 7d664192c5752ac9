"""What every command shares: the root options, the ledger (opened through `State.ledger`),
the rules, calendar and clinic configuration found next to the ledger, and the readers of
date, time and choice options."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from followup_cli.errors import FollowupError
from followup_cli.i18n import LANGS, N_, set_lang, t
from followup_cli.lazy import pathlib, typer  # loaded on first use: due and log run without

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath


class State(NamedTuple):
    """The root options: the ledger(s), and the clinic's rules and calendar files if given."""

    dbs: tuple[StrPath, ...] = ()
    rules: StrPath | None = None
    calendar: StrPath | None = None

    def branch(self, path: StrPath) -> State:
        """The same options on one ledger of several (a group report's branch)."""
        return State((path,), self.rules, self.calendar)

    @property
    def ledger_path(self) -> str:
        """The one ledger a command works on; several --db are for group reports only."""
        from followup_cli.ledger import default_path

        if len(self.dbs) > 1:
            raise FollowupError(t("only report takes several --db (a group report); other "
                                  "commands work on one ledger"))
        return os.fspath(self.dbs[0]) if self.dbs else default_path()

    def beside_ledger(self, name: str) -> str:
        return os.path.join(os.path.dirname(self.ledger_path), name)

    def open(self, *, create: bool = False) -> sqlite3.Connection:
        from followup_cli.ledger import missing, open_ledger

        path = self.ledger_path
        if not create and not os.path.exists(path):
            raise missing(path)
        return open_ledger(path, create_dirs=create)

    @contextmanager
    def ledger(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        """The ledger, open for the `with` block: how every command reaches it."""
        conn = self.open(create=create)
        try:
            yield conn
        finally:
            conn.close()

    def rule_pack(self):  # noqa: ANN201
        from followup_cli.rules import load_rules

        clinic = self.rules or self.beside_ledger("rules.toml")
        return load_rules(clinic if (self.rules or os.path.exists(clinic)) else None)

    def clinic_calendar(self):  # noqa: ANN201
        from followup_cli.calendar import load_calendar

        path = self.calendar or self.beside_ledger("calendar.toml")
        if self.calendar and not os.path.exists(path):
            raise FollowupError(t("rules file not found: {path}", path=path))
        return load_calendar(path)

    def call_scripts(self):  # noqa: ANN201
        from followup_cli.scripts import load_scripts

        own = self.beside_ledger("scripts.toml")
        return load_scripts(own if os.path.exists(own) else None)

    def sms_texts(self):  # noqa: ANN201
        """The SMS texts: the default ones, with the clinic's sms.toml next to the ledger."""
        from followup_cli.sms import load_templates

        own = self.beside_ledger("sms.toml")
        return load_templates(own if os.path.exists(own) else None)

    def sms_settings(self):  # noqa: ANN201
        """[sms] of the clinic's followup.toml: signature, unsubscribe line, hours, limits."""
        from followup_cli.sms import load_settings

        return load_settings(self.config(), self.beside_ledger("followup.toml"))

    def clinic_name(self) -> str | None:
        name = self.config().get("clinic", {}).get("name")
        from followup_cli.text import given

        return name if isinstance(name, str) and given(name) else None

    def config(self) -> dict[str, Any]:
        """followup.toml next to the ledger: the clinic's stored settings."""
        path = self.beside_ledger("followup.toml")
        if not os.path.exists(path):
            return {}
        from followup_cli.clinic_files import read_toml

        return read_toml(path)

    def alert_settings(self):  # noqa: ANN201
        """[alerts] and [rechecks] of followup.toml (alerts.Settings)."""
        from followup_cli.alerts import settings_from

        return settings_from(self.config(), self.beside_ledger("followup.toml"))

    def min_note(self) -> int:
        value = self.config().get("calls", {}).get("min_note_chars", 20)
        if not isinstance(value, int) or value < 0:
            path = self.beside_ledger("followup.toml")
            raise FollowupError(t("{path}: {where}: {reason}", path=path,
                                  where="calls.min_note_chars",
                                  reason=t("expected a whole number")))
        return value


# what SQLite can store: a larger number given for an id or a score is refused (`stored_int`)
# with the option's name, instead of failing inside the ledger. Not a typer min/max: --help
# would show the limits as "[-9223372036854775808<=x<=9223372036854775807]".
SQLITE_MIN, SQLITE_MAX = -(2**63), 2**63 - 1


def stored_int(ctx: Any, param: Any, value: Any) -> Any:
    """Typer callback for whole-number options and arguments (ids, scores): a number
    SQLite cannot store is refused, naming the option (exit 2)."""
    if isinstance(value, int) and not SQLITE_MIN <= value <= SQLITE_MAX:
        name = param.opts[0] if param.param_type_name == "option" else param.human_readable_name
        raise FollowupError(t("{option} {value}: out of range for an id or a score", option=name,
                              value=value))
    return value


def a_file(value: Any) -> Any:
    """Typer callback for file parameters: '' would silently mean the current directory."""
    for path in value if isinstance(value, list) else [value]:
        if path is not None and str(path) in ("", "."):
            raise typer.BadParameter(t("a file name is needed (not empty)"))
    return value


def root_callback(
    ctx: typer.Context,
    db: Annotated[list[pathlib.Path] | None, typer.Option(
        "--db", help=t("The ledger file (else $FOLLOWUP_DB, else "
                       "~/.local/share/followup/ledger.db). report takes several, one "
                       "per branch."),
        dir_okay=False, callback=a_file)] = None,
    rules: Annotated[pathlib.Path | None, typer.Option(
        "--rules", help=t("The clinic's rules file (else rules.toml next to the ledger)."),
        dir_okay=False, callback=a_file)] = None,
    calendar: Annotated[pathlib.Path | None, typer.Option(
        "--calendar", help=t("The clinic calendar file (else calendar.toml next to the ledger)."),
        dir_okay=False, callback=a_file)] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help=t("zh or en (else $FOLLOWUP_LANG, else the locale)."))] = None,
    version: Annotated[bool, typer.Option("--version", "-V", help=t("Show the version."))] = False,
) -> None:
    """Patient callbacks (回访) for clinics: plan them from visit exports, work the daily
    call sheet, log every call, report the month."""
    if lang is not None and lang not in LANGS:
        raise FollowupError(t("{option} {value}: one of {choices}", option="--lang", value=lang,
                              choices="/".join(LANGS)))
    set_lang(lang)
    if version:
        from followup_cli import __version__

        typer.echo(f"followup {__version__}")
        raise typer.Exit(0)
    ctx.obj = State(tuple(db or ()), rules, calendar)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, State) else State()


def the_day(today: bool, day: str | None) -> date:
    """`--date D` stands in for today wherever `--today` is accepted."""
    from followup_cli import clock

    if day is not None:
        if today:
            raise FollowupError(t("--today and --date name two days: give one of them"))
        return clock.parse_day(day)
    if today:
        return clock.today()
    raise FollowupError(t("give --today or --date YYYY-MM-DD"))


# --category of due and report: the rules' categories and the ones followup plans itself
CATEGORY_HELP = N_("Only this category: its id or its name (followup rules show lists them), "
                   "or recheck: missed re-checks booked on a call, to rebook.")


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise FollowupError(t("{option} {value}: one of {choices}", option=option, value=value,
                              choices="/".join(choices)))
    return value
