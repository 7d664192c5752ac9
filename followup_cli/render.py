"""One renderer for every command: rows are built once as plain dicts, then shown as a
table, JSON or CSV. Data goes to stdout, messages to stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def emit_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(safe_cell(row.get(c))) for c in columns])


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def console(stderr: bool = False):  # noqa: ANN201 - rich is imported only when drawing
    from rich.console import Console

    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False)


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
               title: str | None = None) -> None:
    """A plain table of `columns` (key, header)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for _, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(k) is None else str(row.get(k)) for k, _ in columns))
    console().print(table)


def emit_rows(fmt: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
              title: str | None = None) -> None:
    """A list of plain rows in the chosen format: JSON, CSV, or a table of `columns`."""
    if fmt == "json":
        emit_json(list(rows))
    elif fmt == "csv":
        emit_csv(rows)
    else:
        emit_table(rows, columns, title=title)


def warn(message: str) -> None:
    sys.stderr.write(message + "\n")
