"""`due` and `log`, the commands an agent runs all day, without loading typer.

Loading typer costs more than the sheet itself. For the plain forms of these two commands
(root options, the command, its options as `--name value`, `--name=value` or a flag, and
log's task id) the line is read here and handed to the very functions typer would call,
with the same values. Anything else (help, an option not listed here, a value typer would
refuse or convert, a repeated option, `--`) returns None and typer reads the line, with
its usual messages. tests/test_fastpath.py checks these tables against typer's own.
"""

from __future__ import annotations

import os
from typing import Any

FLAG, TEXT, INT, PATH = "flag", "text", "int", "path"

ROOT = {"--db": ("db", PATH), "--rules": ("rules", PATH), "--calendar": ("calendar", PATH),
        "--lang": ("lang", TEXT)}
DUE = {"--today": ("today", FLAG), "--date": ("day", TEXT), "--agent": ("agent", TEXT),
       "--category": ("category", TEXT), "--format": ("fmt", TEXT), "--now": ("now", FLAG),
       "--time": ("at_time", TEXT), "--reveal": ("reveal", FLAG), "--as": ("agent_name", TEXT)}
LOG = {"--patient": ("patient", TEXT), "--outcome": ("outcome", TEXT),
       "-o": ("outcome", TEXT), "--note": ("note", TEXT), "-n": ("note", TEXT),
       "--satisfaction": ("satisfaction", INT), "--nps": ("nps", INT), "--at": ("at", TEXT),
       "--agent": ("agent", TEXT), "--when": ("when", TEXT),
       "--complaint-category": ("complaint_category", TEXT), "--severity": ("severity", TEXT),
       "--amend": ("amend", INT), "--void": ("void", INT), "--reason": ("reason", TEXT),
       "--format": ("fmt", TEXT)}
# command -> its options, and the parameter its one argument goes to (if it takes one)
COMMANDS: dict[str, tuple[dict[str, tuple[str, str]], tuple[str, str] | None]] = {
    "due": (DUE, None), "log": (LOG, ("task_id", INT))}


class Context:
    """What the command functions ask of typer's context: the root's state object."""

    obj: Any = None

    def find_root(self) -> Context:
        return self


def parse(argv: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """(command, root option values, command option values), or None for typer."""
    root: dict[str, Any] = {}
    values: dict[str, Any] = {}
    options = ROOT
    command, argument = None, None
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "-":
            if command is None:
                if token not in COMMANDS:
                    return None
                command = token
                options, argument = COMMANDS[token]
            elif argument is not None and argument[0] not in values:
                value = _convert(token, argument[1])
                if value is None:
                    return None
                values[argument[0]] = value
            else:
                return None
            i += 1
            continue
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        # root options may come after the command too (cli.hoist_root_options)
        target, spec = (root, ROOT[name]) if name in ROOT else (values, options.get(name))
        if spec is None or command is None and target is values:
            return None
        param, kind = spec
        if param in target:
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
        target[param] = converted
        i += 1
    if command is None:
        return None
    return command, root, values


def _convert(value: str, kind: str) -> Any:
    if kind == INT:   # typer refuses what SQLite cannot store (state.SQLITE_INT)
        try:
            number = int(value)
        except ValueError:
            return None
        from followup_cli.options import SQLITE_INT

        return number if SQLITE_INT["min"] <= number <= SQLITE_INT["max"] else None
    if kind == PATH:   # typer's Path(dir_okay=False) and followup's a_file refuse these
        return None if value in ("", ".") or os.path.isdir(value) else value
    return value


def run_fast(argv: list[str]) -> int | None:
    """Run `argv` if it is a plain `due` or `log` line; None if typer should read it."""
    parsed = parse(argv)
    if parsed is None:
        return None
    command, root, values = parsed
    from followup_cli.options import root_callback

    ctx = Context()
    root_callback(ctx, db=[root["db"]] if "db" in root else None,  # type: ignore[arg-type]
                  rules=root.get("rules"), calendar=root.get("calendar"),
                  lang=root.get("lang"))
    if command == "due":
        from followup_cli.commands.due import due_cli

        due_cli(ctx, **values)  # type: ignore[arg-type]
    else:
        from followup_cli.commands.log import log_cli

        log_cli(ctx, **values)  # type: ignore[arg-type]
    return 0
