"""`due` and `log`, the commands an agent runs all day, and the supervisor's `report`,
without loading typer.

Loading typer costs more than the sheet itself. For the plain forms of these commands
(root options, the command, its options as `--name value`, `--name=value` or a flag, and
log's task id) the line is read here and handed to the very functions typer would call,
with the same values. Anything else (help, an option not listed here, a value typer would
refuse or convert, a repeated option, `--`) returns None and typer reads the line, with
its usual messages. The options are read from the commands' own typer declarations
(`declared`), so none is declared twice; tests/test_fastpath.py checks the result
against typer's reading of the same declarations.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

FLAG, TEXT, INT, PATH, TEXTS = "flag", "text", "int", "path", "texts"
Table = dict[str, tuple[str, str]]   # option -> (parameter, kind)

# Each parameter as typer reads it (`from __future__ import annotations` keeps the
# annotation as text, so reading it loads no typer): its type and its option names.
_DECLARED = re.compile(r"Annotated\[(?P<type>[^,]+), typer\.(?P<what>Option|Argument)\("
                       r"(?P<names>(?:'-[^']*', )*)")
# parameters left to typer: --version prints and exits inside typer; --output's path
# is given to the file writer as typer makes it
LEFT_TO_TYPER = {"version", "output"}


def declared(function: Callable[..., Any]) -> tuple[Table, tuple[str, str] | None]:
    """The options of a command function as its typer declarations say, and the
    parameter its argument goes to with its kind (None: it takes no argument)."""
    options: Table = {}
    argument = None
    for param, annotation in function.__annotations__.items():
        found = _DECLARED.match(annotation) if isinstance(annotation, str) else None
        if found is None or param in LEFT_TO_TYPER:
            continue
        kind = _kind(found["type"])
        if found["what"] == "Argument":
            argument = (param, kind)
        for name in re.findall(r"'(-[^']*)'", found["names"]):
            options[name] = (param, kind)
    return options, argument


def _kind(annotation: str) -> str:
    if annotation == "bool":
        return FLAG
    if annotation.startswith("int"):
        return INT
    if annotation.startswith("list[str]"):   # a repeatable option: each value appended
        return TEXTS
    return PATH if "Path" in annotation else TEXT


def root() -> Table:
    from followup_cli.options import root_callback

    return declared(root_callback)[0]


def command(name: str) -> tuple[Table, tuple[str, str] | None] | None:
    """`name`'s options and argument, if it is a command read here."""
    if name == "due":
        from followup_cli.commands.due import due_cli

        return declared(due_cli)
    if name == "log":
        from followup_cli.commands.log import log_cli

        return declared(log_cli)
    if name == "report":
        from followup_cli.commands.report import report_cli

        return declared(report_cli)
    return None


class Context:
    """What the command functions ask of typer's context: the root's state object."""

    obj: Any = None

    def find_root(self) -> Context:
        return self


def parse(argv: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """(command, root option values, command option values), or None for typer."""
    root_options = root()
    root_values: dict[str, Any] = {}
    values: dict[str, Any] = {}
    options = root_options
    name, argument = None, None
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "-":
            if name is None:
                spec = command(token)
                if spec is None:
                    return None
                name = token
                options, argument = spec
            elif argument is not None and argument[0] not in values:
                value = _convert(token, argument[1])
                if value is None:
                    return None
                values[argument[0]] = value
            else:
                return None
            i += 1
            continue
        option, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        # root options may come after the command too (cli.hoist_root_options)
        target, found = ((root_values, root_options[option]) if option in root_options
                         else (values, options.get(option)))
        if found is None or name is None and target is values:
            return None
        param, kind = found
        if param in target and kind != TEXTS:
            return None
        if kind == FLAG:
            if eq:
                return None
            target[param] = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            value = argv[i + 1]
            i += 1
        converted = _convert(value, kind)
        if converted is None:
            return None
        if kind == TEXTS:
            target.setdefault(param, []).append(converted)
        else:
            target[param] = converted
        i += 1
    if name is None:
        return None
    return name, root_values, values


def _convert(value: str, kind: str) -> Any:
    if kind == INT:   # what SQLite cannot store is refused by typer (options.stored_int)
        try:
            number = int(value)
        except ValueError:
            return None
        from followup_cli.options import SQLITE_MAX, SQLITE_MIN

        return number if SQLITE_MIN <= number <= SQLITE_MAX else None
    if kind == PATH:   # typer's Path(dir_okay=False) and followup's a_file refuse these
        return None if value in ("", ".") or os.path.isdir(value) else value
    return value


def run_fast(argv: list[str]) -> int | None:
    """Run `argv` if it is a plain `due`, `log` or `report` line; None if typer should
    read it."""
    parsed = parse(argv)
    if parsed is None:
        return None
    name, root_values, values = parsed
    from followup_cli.options import root_callback

    ctx = Context()
    root_callback(ctx,  # type: ignore[arg-type]
                  db=[root_values["db"]] if "db" in root_values else None,
                  rules=root_values.get("rules"), calendar=root_values.get("calendar"),
                  lang=root_values.get("lang"))
    if name == "due":
        from followup_cli.commands.due import due_cli

        due_cli(ctx, **values)  # type: ignore[arg-type]
    elif name == "log":
        from followup_cli.commands.log import log_cli

        log_cli(ctx, **values)  # type: ignore[arg-type]
    else:
        from followup_cli.commands.report import report_cli

        report_cli(ctx, **values)  # type: ignore[arg-type]
    return 0
