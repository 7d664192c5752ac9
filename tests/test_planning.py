"""Planning, table-driven: offsets, month ends, 29 February, matching order, risk override,
holiday moves, expiry and backfill."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from followup_cli.calendar import EVERY_DAY, MAINLAND, last_known_year
from followup_cli.planning import StoredPlan, birthday_in, plan_birthday, plan_from
from followup_cli.rules import load_rules

RULES = load_rules()


def dues(start: date, category: str, cal=EVERY_DAY) -> list[str]:
    return [t.due_date.isoformat() for t in plan_from(start, "v", RULES.categories[category], cal)]


@pytest.mark.parametrize(("category", "start", "expected"), [
    ("surgery", date(2026, 11, 1), ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04",
                                    "2026-11-07", "2026-11-08", "2026-12-01", "2027-02-01",
                                    "2027-05-01"]),
    ("hair", date(2026, 3, 31), ["2026-03-31", "2026-04-01", "2026-04-03", "2026-04-07",
                                 "2026-04-30", "2026-06-30", "2026-09-30", "2027-03-31"]),
    ("medium", date(2026, 12, 28), ["2026-12-28", "2026-12-29", "2026-12-31", "2027-01-04"]),
    ("low", date(2026, 2, 27), ["2026-02-27", "2026-03-02"]),
    ("course_end", date(2026, 1, 31), ["2026-02-28"]),
    ("consult", date(2024, 1, 31), ["2024-02-03", "2024-02-29"]),
    ("no_show", date(2026, 12, 31), ["2027-01-01"]),
    ("optometry", date(2025, 11, 30), ["2025-12-01", "2026-02-28"]),
    ("obstetrics", date(2026, 1, 1), ["2026-01-04", "2026-02-12"]),
    ("general", date(2026, 11, 23), ["2026-11-26"]),
])
def test_every_category_due_dates(category: str, start: date, expected: list[str]) -> None:
    assert dues(start, category) == expected


def test_months_are_counted_from_the_visit_not_chained() -> None:
    # 31 Aug + 6 months is 28 Feb; +1m +1m… would drift to the 28th of later months too
    assert dues(date(2025, 8, 31), "surgery")[-3:] == ["2025-09-30", "2025-11-30", "2026-02-28"]


@pytest.mark.parametrize(("kind", "project", "risk", "category"), [
    ("treated", "植发手术", None, "hair"),
    ("treated", "FUE毛发移植", None, "hair"),
    ("treated", "双眼皮", None, "surgery"),
    ("treated", "鼻部手术", None, "surgery"),
    ("treated", "光子嫩肤疗程", None, "medium"),
    ("treated", "基础护肤", None, "low"),
    ("treated", "OK镜验配", None, "optometry"),
    ("treated", "剖宫产", None, "obstetrics"),
    ("treated", "健康体检", None, "general"),
    ("treated", "水光针", "high", "surgery"),
    ("treated", "双眼皮", "low", "low"),
    ("treated", "健康体检", "medium", "medium"),
    ("treated", "植发", "low", "hair"),          # hair is outside the risk override
    ("treated", "配镜", "high", "optometry"),
    ("consult", "隆鼻", None, "consult"),
    ("consult", "隆鼻", "high", "consult"),       # the visit kind decides first
    ("no_show", "吸脂", None, "no_show"),
    ("course_end", "光子嫩肤疗程", None, "course_end"),
])
def test_matching(kind: str, project: str, risk: str | None, category: str) -> None:
    assert RULES.categorise(kind, project, risk) == category


def test_birthdays_on_29_february() -> None:
    born = date(2000, 2, 29)
    assert birthday_in(2027, born) == date(2027, 2, 28)
    assert birthday_in(2028, born) == date(2028, 2, 29)
    [task] = plan_birthday("P1", born, 2027, RULES, EVERY_DAY)
    assert (task.category, task.due_date, task.plan_key) == (
        "birthday", date(2027, 2, 28), "birthday/P1/2027/0d")


@pytest.mark.parametrize(("tier", "called"), [
    ("普通", False), ("水晶卡", True), ("金卡", True), ("钻石卡", True), (None, False),
    ("白金卡", False),
])
def test_birthday_tiers(tier: str | None, called: bool) -> None:
    assert RULES.birthday_applies(tier) is called


def test_expiry_is_next_touchpoint_or_seven_days() -> None:
    tasks = plan_from(date(2026, 11, 1), "v", RULES.categories["surgery"], EVERY_DAY)
    by_tp = {t.touchpoint: t.expires_on.isoformat() for t in tasks}
    assert by_tp["0d"] == "2026-11-02"   # missed once day 1 is due
    assert by_tp["3d"] == "2026-11-07"   # day 6 is due on the 7th
    assert by_tp["7d"] == "2026-11-16"   # 7 days overdue is the last day on the sheet
    assert by_tp["6m"] == "2027-05-09"
    assert [t.backfill(date(2026, 11, 7)) for t in tasks][:5] == [True, True, True, True, False]


@pytest.mark.parametrize(("visit", "touchpoint", "expected"), [
    # National Day 2026: rest 1–7 October; make-up working days 20 Sep and 10 Oct
    (date(2026, 9, 25), "6d", "2026-09-30"),   # stitch-removal reminder moves back
    (date(2026, 9, 25), "7d", "2026-10-08"),   # a recovery call moves on
    (date(2026, 9, 30), "2d", "2026-09-30"),   # dressing change on 2 Oct: the day before
    (date(2026, 10, 3), "0d", "2026-10-08"),   # a same-evening call on a holiday
    (date(2026, 9, 14), "6d", "2026-09-20"),   # a make-up Sunday is a calling day
    (date(2026, 2, 13), "3d", "2026-02-24"),   # Spring Festival block 15–23 February
    (date(2026, 2, 13), "1d", "2026-02-14"),   # make-up Saturday 14 Feb
])
def test_holidays_move_due_dates(visit: date, touchpoint: str, expected: str) -> None:
    tasks = plan_from(visit, "v", RULES.categories["surgery"], MAINLAND)
    assert {t.touchpoint: t.due_date.isoformat() for t in tasks}[touchpoint] == expected


def test_a_year_without_holiday_data_is_provisional() -> None:
    # the last year the holiday data knows: its 3- and 6-month calls fall in the next year
    tasks = plan_from(date(last_known_year(), 11, 1), "v", RULES.categories["surgery"],
                      MAINLAND)
    provisional = {t.touchpoint for t in tasks if t.provisional}
    assert provisional == {"3m", "6m"}


@pytest.mark.parametrize("cal", [MAINLAND, pytest.param(EVERY_DAY, marks=pytest.mark.slow),
                                 pytest.param(MAINLAND._replace(closed=frozenset(
                                     date(2026, 1, 1) + timedelta(days=d) for d in range(50))),
                                     marks=pytest.mark.slow)])
def test_a_plan_long_past_is_counted_the_same_without_its_dates(cal) -> None:  # noqa: ANN001
    """A shared plan whose every call expired before the import day is only counted; it
    counts what working out every date counts, for every category, visit day and
    calendar (a clinic closed for 50 days included), and its dates come when asked."""
    as_of = date(2026, 2, 27)   # ten days after the Spring Festival
    skipped = 0
    for category in RULES.categories.values():
        for back in range(0, 700, 2):
            start = as_of - timedelta(days=back)
            plan = StoredPlan(start, category, cal, as_of)
            skipped += plan._tasks is None
            tasks = plan_from(start, "", category, cal)
            assert plan.size == len(tasks), (category.id, start)
            assert plan.backfill == sum(task.backfill(as_of) for task in tasks), (category.id, start)
            assert plan.has_rows == (plan.backfill < plan.size)
            assert plan.tasks == tasks
    assert skipped > 1000


# --- VIP birthdays: looking ahead never skips a year ---------------------------------------

def birthday_years(db) -> list[int]:  # noqa: ANN001
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return sorted(int(r[0][:4]) for r in conn.execute(
            "SELECT nominal_date FROM tasks WHERE category = 'birthday'"))
    finally:
        conn.close()


def test_a_sheet_years_ahead_plans_every_birthday_in_between(cli, tmp_path,  # noqa: ANN001
                                                             monkeypatch) -> None:  # noqa: ANN001
    """`due --date 2030-06-01` once planned 2030-31 and moved the mark there: the
    birthdays of 2028 and 2029 were never planned, nor 2030's before June. A sheet is now
    drawn at most a year ahead; the year after it is planned whole."""
    from datetime import datetime

    from conftest import write_export

    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 4, 16, 0))
    export = write_export(tmp_path / "vip.csv", [
        "A1,C1,周晓雯,13812345678,2026-11-02,光子嫩肤,成交,,,,,1990-03-15,金卡,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    assert birthday_years(tmp_path / "ledger.db") == [2027]
    # the sheet of the next year tops the plan up to the year after it
    assert cli("due", "--date", "2027-11-01").code == 0
    assert birthday_years(tmp_path / "ledger.db") == [2027, 2028]
    # years ahead is a typo of the year: refused, nothing planned for it
    for day in ("2030-06-01", "2099-06-01"):
        assert cli("due", "--date", day).code == 2
    assert birthday_years(tmp_path / "ledger.db") == [2027, 2028]
