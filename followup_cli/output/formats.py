"""The formats of every command: rows are built once as plain dicts, then shown as a
table (output/tables.py), JSON or CSV. Data goes to stdout, messages to stderr."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from followup_cli.output.terminal import clean

FORMATS = ("table", "json", "csv")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text cell as a spreadsheet may hold it: control characters neutralised (Excel
    refuses them), and one it would run as a formula gets a leading apostrophe."""
    if isinstance(value, str):
        value = clean(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


# JSON escapes C0 controls itself; DEL and C1 controls are escaped too, so a note holding
# them is carried whole in the JSON and never reaches a terminal raw
_JSON_ESCAPE = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2).translate(_JSON_ESCAPE) + "\n"


def emit_json(data: Any) -> None:
    sys.stdout.write(json_text(data))


def emit_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> None:
    write_csv(sys.stdout, rows, columns)


def write_csv(out: Any, rows: Sequence[dict[str, Any]],
              columns: Sequence[str] | None = None) -> None:
    columns = list(columns or (rows[0].keys() if rows else []))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_csv_value(safe_cell(row.get(c))) for c in columns])


def save(fmt: str, path: Any, data: Any, columns: Sequence[str] | None = None) -> None:
    """JSON or CSV data as a file (CSV with a BOM, so Excel reads the Chinese right)."""
    from followup_cli.output.files import writing

    with writing(path, kind=fmt) as f:
        if fmt == "json":
            f.write(json_text(data))
        else:
            f.write("\ufeff")
            write_csv(f, data, columns)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def emit_rows(fmt: str, rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
              title: str | None = None) -> None:
    """A list of plain rows in the chosen format: JSON, CSV, or a table of `columns`."""
    if fmt == "json":
        emit_json(list(rows))
    elif fmt == "csv":
        emit_csv(rows)
    else:
        from followup_cli.output.tables import emit_table

        emit_table(rows, columns, title=title)


def warn(message: str) -> None:
    sys.stderr.write(message + "\n")


def warn_provisional(cal: Any, days: list[date]) -> None:
    """Once per command that shows dates: which of them may still move, and why."""
    if not days:
        return
    from followup_cli.i18n import tn

    years = cal.unknown_years(days)
    warn(tn("note: {count} task date is provisional: the public holidays of {years} are not "
            "known yet, so ordinary weekends were assumed. When the schedule is published, add it "
            "to calendar.toml as [years.{years}] and run followup calendar replan",
            "note: {count} task dates are provisional: the public holidays of {years} are not "
            "known yet, so ordinary weekends were assumed. When the schedule is published, add it "
            "to calendar.toml as [years.{years}] and run followup calendar replan", len(days),
            years=", ".join(map(str, years)) or str(max(days).year)))
