"""followup calendar show | check | replan"""

from __future__ import annotations

import calendar as month_grid
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from followup_cli.i18n import current, plural, t
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The clinic calendar: holidays, closures, calling windows / "
                        "诊所日历：节假日、停诊日、回访时段.", no_args_is_help=True)
    group.command("show")(show_cli)
    group.command("check")(check_cli)
    group.command("replan")(replan_cli)
    app.add_typer(group, name="calendar")


def show_cli(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help="The year (default: this year).",
                                             min=1900, max=9000, metavar="YEAR")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Print a year's calling days as month grids, rest and make-up days marked.

    按月显示一年的回访日，标出法定休息日和调休上班日。
    """
    from followup_cli import clock
    from followup_cli.calendar import year_days
    from followup_cli.output.formats import emit_json, warn

    check_choice("--format", fmt, ("table", "json"))
    cal = state(ctx).clinic_calendar()
    year = year or clock.today().year
    kinds = year_days(cal, year)
    known = cal.knows(date(year, 6, 1))
    if not known:
        warn(t("calendar.unknown", year=year))
    if fmt == "json":
        emit_json({"year": year, "known": known, "weekends": cal.weekends,
                   "days": {d.isoformat(): k for d, k in kinds.items() if k != "calling"}})
        return
    _render_year(year, kinds, cal)


MARKS = {"rest": ("休", "R"), "work": ("班", "W"), "closed": ("停", "C"), "weekend": ("末", "-")}
STYLES = {"rest": "1;31", "work": "1;32", "closed": "1;33", "weekend": "2"}   # ANSI


def _render_year(year: int, kinds: dict[date, str], cal: Any) -> None:
    """Twelve small month grids side by side, as many as the terminal holds."""
    from followup_cli.output.tables import cell_width, terminal_width, use_colour

    zh = current() == "zh"
    colour = use_colour()
    heads = "一二三四五六日" if zh else ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]

    def cell(text: str, style: str = "") -> str:
        padded = " " * (5 - cell_width(text)) + text
        return f"\x1b[{style}m{padded}\x1b[0m" if colour and style and text else padded

    months = []
    for month in range(1, 13):
        title = f"{year}-{month:02d}"
        lines = [title.center(35).rstrip(), "".join(cell(h) for h in heads)]
        for week in month_grid.Calendar().monthdatescalendar(year, month):
            row = ""
            for d in week:
                kind = kinds[d] if d.month == month else "calling"
                mark = MARKS[kind][0 if zh else 1] if kind != "calling" else ""
                row += cell(f"{d.day}{mark}" if d.month == month else "", STYLES.get(kind, ""))
            lines.append(row)
        months.append(lines)
    across = max(1, (terminal_width() + 3) // 38)
    out = [t("calendar.title", year=year)]
    for first in range(0, 12, across):
        group = months[first:first + across]
        height = max(map(len, group))
        for n in range(height):
            parts = [(m[n] if n < len(m) else "") for m in group]
            out.append("   ".join(p + " " * (35 - cell_width(_plain(p))) for p in parts)
                       .rstrip())
        out.append("")
    windows = cal.windows(date(year, 7, 1)), cal.windows(date(year, 1, 1))
    out.append(t("calendar.legend"))
    out.append(t("calendar.windows", summer=_hours(windows[0]), winter=_hours(windows[1])))
    sys.stdout.write("\n".join(out) + "\n")


def _plain(text: str) -> str:
    return re.sub("\x1b\\[[0-9;]*m", "", text)


def _hours(windows: dict[str, Any]) -> str:
    return ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in windows.values())


def check_cli(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help="A calendar file (default: --calendar, else calendar.toml next to the ledger).")]
    = None,
) -> None:
    """Validate a clinic calendar file; errors name the key that is wrong.

    校验诊所日历文件，错误会指出出错的键。
    """
    from followup_cli.calendar import load_calendar
    from followup_cli.errors import FollowupError

    st = state(ctx)
    path = Path(file or st.calendar or st.beside_ledger("calendar.toml"))
    if not path.exists() and file is None and st.calendar is None:
        # no clinic calendar beside the ledger: nothing wrong, the defaults are in use
        typer.echo(t("calendar.default_in_use", path=path))
        return
    if not path.exists():
        raise FollowupError(t("rules.no_file", path=path))
    cal = load_calendar(path)
    years = ", ".join(str(y) for y in sorted(cal.years)) or "-"
    typer.echo(t("calendar.ok", path=path, closed=len(cal.closed), years=years,
                 weekends=t("calendar.yes" if cal.weekends else "calendar.no")))


def replan_cli(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would move; move "
                                          "nothing.")] = False,
    day: Annotated[str | None, typer.Option("--date", help="As of this day (default today).")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Move open calls to the right day after the calendar changed (a year's holidays
    added, a closure day, weekends off). Calls already made never move.

    日历变更后重新安排未完成的回访日期；已完成的回访不会变动。
    """
    from followup_cli import clock
    from followup_cli.clock import parse_day
    from followup_cli.output.formats import emit_json
    from followup_cli.output.tables import emit_table
    from followup_cli.planning import replan_calendar

    check_choice("--format", fmt, ("table", "json"))
    st = state(ctx)
    cal = st.clinic_calendar()
    today = parse_day(day) if day is not None else clock.today()
    with st.ledger() as conn:
        moved = replan_calendar(conn, cal, today, dry_run=dry_run)
    rows = [m._asdict() for m in moved]
    if fmt == "json":
        emit_json({"moved": rows, "dry_run": dry_run})
        return
    typer.echo(plural(len(moved), "calendar.moved_one", "calendar.moved") + (
        " " + t("import.dry_run")
                                                         if dry_run else ""))
    if rows:
        mark = t("due.provisional_mark")
        emit_table([{**r, "provisional": mark if r["provisional"] else ""} for r in rows],
                   [("task_id", "#"), ("patient_id", t("due.col.patient")),
                    ("category", t("rules.col.id")), ("touchpoint", "·"),
                    ("old_due", t("calendar.col.old")), ("new_due", t("calendar.col.new")),
                    ("provisional", mark)])
