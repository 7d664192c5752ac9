"""The calendar against the official 2026 schedule, the clinic file, windows and replanning."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import write_export

from followup_cli.calendar import ClinicCalendar, last_known_year, load_calendar
from followup_cli.errors import FollowupError

CN = ClinicCalendar()
WEEKDAYS_ONLY = ClinicCalendar(weekends=False)


def test_every_day_of_2026_agrees_with_the_holidays_package() -> None:
    holidays = pytest.importorskip("holidays")
    china = holidays.China(years=2026)
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert WEEKDAYS_ONLY.is_calling_day(day) == china.is_working_day(day), day
        day += timedelta(days=1)


@pytest.mark.parametrize(("day", "calling"), [
    # Spring Festival block, weekend days inside it included
    (date(2026, 2, 14), True), (date(2026, 2, 15), False), (date(2026, 2, 21), False),
    (date(2026, 2, 23), False), (date(2026, 2, 24), True), (date(2026, 2, 28), True),
    # National Day block; make-up working days 20 Sep and 10 Oct
    (date(2026, 9, 20), True), (date(2026, 10, 1), False), (date(2026, 10, 3), False),
    (date(2026, 10, 4), False), (date(2026, 10, 7), False), (date(2026, 10, 8), True),
    (date(2026, 10, 10), True),
    # an ordinary weekend is a calling day for a clinic open at weekends
    (date(2026, 11, 21), True), (date(2026, 11, 22), True),
])
def test_calling_days_2026(day: date, calling: bool) -> None:
    assert CN.is_calling_day(day) is calling


def test_weekends_off_and_closures() -> None:
    cal = ClinicCalendar(weekends=False, closed=frozenset({date(2026, 12, 24)}))
    assert cal.move(date(2026, 11, 21)) == (date(2026, 11, 23), False)
    assert cal.move(date(2026, 11, 22), "earlier") == (date(2026, 11, 20), False)
    assert cal.move(date(2026, 12, 24)) == (date(2026, 12, 25), False)
    assert cal.move(date(2026, 12, 24), "earlier") == (date(2026, 12, 23), False)
    assert cal.is_calling_day(date(2026, 10, 10))   # a make-up Saturday still works
    assert cal.move(date(2026, 10, 1)) == (date(2026, 10, 8), False)
    assert cal.move(date(2026, 10, 1), "earlier") == (date(2026, 9, 30), False)


def test_late_december_saturdays_of_the_last_known_year() -> None:
    year = last_known_year()
    saturday = max(date(year, 12, d) for d in range(20, 32) if date(year, 12, d).weekday() == 5)
    assert WEEKDAYS_ONLY.is_provisional(saturday)
    assert not WEEKDAYS_ONLY.is_provisional(saturday - timedelta(days=1))
    assert not CN.is_provisional(saturday)   # weekends are calling days anyway


@pytest.mark.parametrize(("moment", "window"), [
    (datetime(2026, 11, 23, 13, 59), None),
    (datetime(2026, 11, 23, 14, 0), "afternoon"),     # winter opens at 14:00
    (datetime(2026, 11, 23, 16, 30), "afternoon"),
    (datetime(2026, 11, 23, 16, 31), None),
    (datetime(2026, 11, 23, 18, 59), None),
    (datetime(2026, 11, 23, 19, 0), "evening"),
    (datetime(2026, 11, 23, 20, 0), "evening"),
    (datetime(2026, 11, 23, 20, 1), None),
    (datetime(2026, 4, 30, 14, 15), "afternoon"),      # last day of winter
    (datetime(2026, 5, 6, 14, 15), None),              # summer opens at 14:30
    (datetime(2026, 5, 6, 14, 30), "afternoon"),
    (datetime(2026, 9, 30, 14, 15), None),             # last day of summer
    (datetime(2026, 10, 8, 14, 15), "afternoon"),      # winter again
    (datetime(2026, 10, 1, 15, 0), None),              # National Day: no calls at all
])
def test_window_edges(moment: datetime, window: str | None) -> None:
    assert CN.window_of(moment) == window


@pytest.mark.parametrize(("moment", "opens"), [
    (datetime(2026, 11, 23, 15, 0), datetime(2026, 11, 23, 19, 0)),
    (datetime(2026, 11, 23, 19, 30), datetime(2026, 11, 24, 14, 0)),
    (datetime(2026, 9, 30, 19, 30), datetime(2026, 10, 8, 14, 0)),   # over National Day
    (datetime(2026, 4, 30, 19, 30), datetime(2026, 5, 6, 14, 30)),   # Labour Day, summer
])
def test_next_window(moment: datetime, opens: datetime) -> None:
    assert CN.next_window_start(moment)[0] == opens


def test_calendar_file(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('weekends = false\nclosed = ["2026-12-24"]\n[years.2027]\n'
                    'rest = ["2027-01-01", "2027-02-06"]\nwork = ["2027-02-20"]\n'
                    '[windows]\nsummer = ["06-01", "08-31"]\n[windows.winter_hours]\n'
                    'afternoon = "13:30-16:00"\n', encoding="utf-8")
    cal = load_calendar(path)
    assert not cal.is_calling_day(date(2026, 12, 24))
    assert not cal.is_calling_day(date(2027, 1, 1)) and cal.is_calling_day(date(2027, 2, 20))
    assert not cal.is_calling_day(date(2027, 1, 2))   # a Saturday, weekends off
    assert not cal.is_provisional(date(2027, 3, 1))
    assert cal.window_of(datetime(2026, 11, 23, 13, 45)) == "afternoon"
    assert cal.window_of(datetime(2026, 5, 6, 13, 45)) == "afternoon"   # May is winter here


@pytest.mark.parametrize(("text", "where"), [
    ("weekends = 1", "weekends: expected true or false"),
    ('closed = ["2026-13-01"]', "closed[0]: '2026-13-01' is not a date YYYY-MM-DD"),
    ('[years.2027]\nrest = ["2028-01-01"]', "years.2027.rest: 2028-01-01 is not in 2027"),
    ('[years.27]\nrest = []', "years.27: a year is four digits"),
    ('holidays = []', "holidays: unknown key"),
    ('[windows.summer_hours]\nevening = "20:00-19:00"',
     "windows.summer_hours.evening: the window ends before it starts"),
])
def test_calendar_file_errors_are_located(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FollowupError) as e:
        load_calendar(path)
    assert str(e.value).startswith(f"{path}: {where}")


def test_calendar_commands(cli, tmp_path: Path) -> None:
    shown = cli("calendar", "show", "--year", "2026", "--format", "json")
    assert shown.code == 0
    days = shown.json()["days"]
    assert days["2026-10-01"] == "rest" and days["2026-10-10"] == "work"
    assert "2026-10-08" not in days and "2026-11-21" not in days
    table = cli("calendar", "show", "--year", "2026")
    assert "1R" in table.out and "10W" in table.out
    unknown = cli("calendar", "show", "--year", str(last_known_year() + 1))
    assert unknown.code == 0 and "are not known" in unknown.err
    (tmp_path / "calendar.toml").write_text('closed = ["2026-12-24"]\n', encoding="utf-8")
    checked = cli("calendar", "check")
    assert checked.out == (f"{tmp_path / 'calendar.toml'}: valid. 1 closure day; years "
                           "given: -; weekends are calling days: yes\n")
    assert cli("calendar", "check", str(tmp_path / "none.toml")).code == 2


def test_unknown_year_then_the_clinic_adds_it(cli, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A 3-month call in the first year nobody knows is provisional and warned about; once
    the clinic types that year's schedule in, replan moves it and clears the flag."""
    year = last_known_year() + 1
    visit = date(year - 1, 11, 20)
    export = write_export(tmp_path / "v.csv", [
        f"A1,C1,周晓雯,13812345678,{visit.isoformat()},双眼皮,成交,,,,,,,",
        f"A2,C2,冯雪,13734567890,{visit.isoformat()},隆鼻,成交,,,,,,,"])
    imported = cli("import", "visits", str(export), "--date", visit.isoformat(),
                   "--format", "json")
    assert imported.json()["provisional_tasks"] == 4
    assert f"the public holidays of {year} are not known yet" in imported.err
    three_months = date(year, 2, 20)
    sheet = cli("due", "--date", three_months.isoformat(), "--format", "json")
    assert [(r["touchpoint"], r["provisional"]) for r in sheet.json()] == [
        ("3m", True), ("3m", True)]
    assert "provisional" in sheet.err
    # C2's call is made on the provisional day: it is history and must not move
    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime.combine(three_months, time(16, 0)))
    done = cli("log", "--patient", "C2", "-o", "reached", "--note",
               "患者恢复良好，鼻部形态自然，已提醒半年复查拍照。", "--when",
               f"{three_months.isoformat()}T15:00")
    assert done.code == 0, done.err
    (tmp_path / "calendar.toml").write_text(
        f'[years.{year}]\nrest = ["{three_months.isoformat()}"]\nwork = []\n', encoding="utf-8")
    replanned = cli("calendar", "replan", "--date", visit.isoformat(), "--format", "json")
    assert replanned.code == 0, replanned.err
    moved = replanned.json()["moved"]
    assert {(m["patient_id"], m["touchpoint"], m["old_due"], m["new_due"], m["provisional"])
            for m in moved} == {
        ("C1", "3m", three_months.isoformat(), (three_months + timedelta(days=1)).isoformat(),
         False),
        ("C1", "6m", date(year, 5, 20).isoformat(), date(year, 5, 20).isoformat(), False),
        ("C2", "6m", date(year, 5, 20).isoformat(), date(year, 5, 20).isoformat(), False),
    }
    conn = sqlite3.connect(tmp_path / "ledger.db")
    c2 = conn.execute("SELECT due_date, provisional, status FROM tasks WHERE patient_id = 'C2'"
                      " AND touchpoint = '3m'").fetchone()
    assert c2 == (three_months.isoformat(), 1, "done")
    assert cli("due", "--date", three_months.isoformat(), "--format", "json").json() == []
    again = cli("calendar", "replan", "--date", visit.isoformat(), "--format", "json")
    assert again.json()["moved"] == []


def test_replan_dry_run_moves_nothing(cli, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 21, 18, 0))   # imported as of
    # day 3 of a 21 December operation falls on the clinic's closure day, 24 December
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,周晓雯,13812345678,2026-12-21,双眼皮,成交,,,,,,,"])
    cli("import", "visits", str(export), "--date", "2026-12-21")
    (tmp_path / "calendar.toml").write_text('closed = ["2026-12-24"]\n', encoding="utf-8")
    dry = cli("calendar", "replan", "--date", "2026-12-21", "--dry-run", "--format", "json")
    assert [(m["old_due"], m["new_due"]) for m in dry.json()["moved"]] == [
        ("2026-12-24", "2026-12-25")]
    conn = sqlite3.connect(tmp_path / "ledger.db")
    assert conn.execute("SELECT count(*) FROM tasks WHERE due_date = '2026-12-24'"
                        ).fetchone()[0] == 1
    real = cli("calendar", "replan", "--date", "2026-12-21")
    assert real.out.startswith("1 open call moved")
    assert conn.execute("SELECT count(*) FROM tasks WHERE due_date = '2026-12-24'"
                        ).fetchone()[0] == 0


def test_due_now_shows_only_the_current_window(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-23,双眼皮,成交,,,,,,,",      # same evening
        "A2,C2,冯雪,13734567890,2026-11-22,光子嫩肤,成交,,,,,,,"])     # day 1: any window
    cli("import", "visits", str(export), "--date", "2026-11-23")

    def at(clock: str) -> tuple[list[str], str]:
        result = cli("due", "--date", "2026-11-23", "--time", clock, "--format", "json")
        return [r["patient_id"] for r in result.json()], result.err

    afternoon, said = at("15:00")
    assert afternoon == ["C2"]
    assert said == ("now in the afternoon window (until 16:30); the next, evening window, "
                    "opens at 2026-11-23 19:00; left for a later window on the sheet of "
                    "2026-11-23: 1 patient (1 task)\n")
    between, said = at("17:00")
    assert between == []
    assert said.startswith("outside every calling window now; the next, evening window, "
                           "opens at 2026-11-23 19:00")
    evening, _ = at("19:30")
    assert evening == ["C2", "C1"]
    full = cli("due", "--date", "2026-11-23", "--format", "json").json()
    assert {r["patient_id"]: r["window"] for r in full} == {"C1": "evening", "C2": "any"}


def test_the_clinics_clock_is_china_time_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default zone needs no tz database and agrees with it all year; another zone
    named in FOLLOWUP_TZ is honoured, daylight saving included."""
    from datetime import datetime as dt
    from zoneinfo import ZoneInfo

    from followup_cli import clock

    monkeypatch.delenv("FOLLOWUP_TZ", raising=False)
    for month in range(1, 13):
        moment = dt(2026, month, 15, 12, 0, tzinfo=ZoneInfo("UTC"))
        assert moment.astimezone(clock.clinic_tz()).replace(tzinfo=None) == \
            moment.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    monkeypatch.setenv("FOLLOWUP_TZ", "Europe/Berlin")
    summer = dt(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("UTC")).astimezone(clock.clinic_tz())
    winter = dt(2026, 1, 1, 12, 0, tzinfo=ZoneInfo("UTC")).astimezone(clock.clinic_tz())
    assert (summer.hour, winter.hour) == (14, 13)
    now, here = clock.now(), dt.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)
    assert abs((here - now).total_seconds()) < 5


def test_calendar_check_without_a_file_says_the_default_is_in_use(cli, tmp_path: Path) -> None:
    assert cli("init").code == 0
    result = cli("calendar", "check")
    assert (result.code, result.err) == (0, "")
    assert result.out == (f"no clinic calendar file ({tmp_path / 'calendar.toml'}): the default "
                          "calendar is in use (public holidays; weekends are calling days)\n")
    missing = cli("calendar", "check", str(tmp_path / "nope.toml"))
    assert missing.code == 2
