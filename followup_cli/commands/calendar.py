"""followup calendar show | check | replan"""

from __future__ import annotations

import calendar as month_grid
import re
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from followup_cli.i18n import current, t, tn
from followup_cli.options import check_choice, state


def register(app: typer.Typer) -> None:
    group = typer.Typer(help=t("The clinic calendar: holidays, closures, calling windows."),
                        no_args_is_help=True)
    group.command("show", help=t(
        "Print a year's calling days as month grids, rest and make-up days marked."))(show_cli)
    group.command("check", help=t(
        "Validate a clinic calendar file; errors name the key that is wrong."))(check_cli)
    group.command("replan", help=t(
        "Move open calls to the right day after the calendar changed (a year's holidays added, a "
        "closure day, weekends off). Calls already made never move."))(replan_cli)
    app.add_typer(group, name="calendar")


def show_cli(
    ctx: typer.Context,
    year: Annotated[int | None, typer.Option("--year", help=t("The year (default: this year)."),
                                             min=1900, max=9000, metavar="YEAR")]
    = None,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
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
        warn(t("the public holidays of {year} are not known: shown with ordinary weekends. When "
               "published, add them to calendar.toml as [years.{year}]", year=year))
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
    out = [t("Calling days {year}", year=year)]
    for first in range(0, 12, across):
        group = months[first:first + across]
        height = max(map(len, group))
        for n in range(height):
            parts = [(m[n] if n < len(m) else "") for m in group]
            out.append("   ".join(p + " " * (35 - cell_width(_plain(p))) for p in parts)
                       .rstrip())
        out.append("")
    windows = cal.windows(date(year, 7, 1)), cal.windows(date(year, 1, 1))
    out.append(t("R = statutory rest day   W = make-up working day (calling day)   C = clinic "
                 "closed   - = weekend off"))
    out.append(t("Calling windows: summer {summer}; winter {winter}", summer=_hours(windows[0]),
                 winter=_hours(windows[1])))
    sys.stdout.write("\n".join(out) + "\n")


def _plain(text: str) -> str:
    return re.sub("\x1b\\[[0-9;]*m", "", text)


def _hours(windows: dict[str, Any]) -> str:
    return ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in windows.values())


def check_cli(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(
        help=t("A calendar file (default: --calendar, else calendar.toml next to the ledger)."))]
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
        typer.echo(t("no clinic calendar file ({path}): the default calendar is in use (public "
                     "holidays; weekends are calling days)", path=path))
        return
    if not path.exists():
        raise FollowupError(t("rules file not found: {path}", path=path))
    cal = load_calendar(path)
    years = ", ".join(str(y) for y in sorted(cal.years)) or "-"
    typer.echo(tn("{path}: valid. {count} closure day; years given: {years}; weekends are "
                  "calling days: {weekends}",
                  "{path}: valid. {count} closure days; years given: {years}; weekends are "
                  "calling days: {weekends}", len(cal.closed), path=path, years=years,
                 weekends=t("yes") if cal.weekends else t("no")))


def replan_cli(
    ctx: typer.Context,
    dry_run: Annotated[bool,
                       typer.Option("--dry-run",
                                    help=t("Show what would move; move nothing."))] = False,
    day: Annotated[str | None, typer.Option("--date", help=t("As of this day (default today)."))]
    = None,
    fmt: Annotated[str, typer.Option("--format", help=t("table or json."))] = "table",
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
    typer.echo(tn("{count} open call moved", "{count} open calls moved", len(moved)) + (
        " " + t("(dry run: nothing was written)")
                                                         if dry_run else ""))
    if rows:
        mark = t("(provisional)")
        emit_table([{**r, "provisional": mark if r["provisional"] else ""} for r in rows],
                   [("task_id", "#"), ("patient_id", t("Patient")),
                    ("category", t("Category")), ("touchpoint", "·"),
                    ("old_due", t("Was")), ("new_due", t("Now")),
                    ("provisional", mark)])
