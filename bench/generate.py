"""Clinic-group sized data: a visit export of any size, and the call history a team would
have logged on it. Everything is invented (names from common characters, random phones).

    python bench/generate.py export visits.csv --visits 1000000      # the clinic's export
    python bench/generate.py ledger LEDGER.db visits.csv             # a worked ledger

The export is written as it is generated (constant memory), in the shape the importer
reads: Chinese headers, the demo clinic's category mix, doctors and consultants, repeat
patients, VIP tiers and birthdays. The last year before --end (default today) is always
the same 10,000 visits, so today's call sheet is the same at every size and a benchmark
sees what the ledger's size alone costs; more visits go into older history, 900 a day,
that ends two months before that year (none of its calls still due), with patients
outside the VIP programme (no birthday calls).

`ledger` imports the export day by day, as a clinic does, and works each day's calls
the way a team does, in bulk SQL: of the calls due before
today 86 % were reached on their due day (satisfaction, NPS), 4 % after two failed tries,
4 % unreachable after three, 0.05 % complaints (cases opened; closed after a week),
the rest missed. It writes
what `followup log` writes (attempts linked to the tasks they settled, task states that
`followup doctor` replays from them), much faster than logging one call at a time.
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from followup_cli.demo import (  # noqa: E402
    CATEGORY_MIX,
    COMPLAINT_NOTES,
    CONSULTANTS,
    DEPARTMENTS,
    GIVEN,
    KIND_MIX,
    NOTES,
    PROJECTS,
    SURNAMES,
    TIERS,
)

HEADER = ["单号", "客户编号", "客户姓名", "手机号", "到诊日期", "治疗项目", "成交状态", "科室",
          "主治医生", "咨询师", "风险等级", "出生日期", "会员等级"]
STATUS = {"treated": "成交", "consult": "咨询", "no_show": "未到诊", "course_end": "疗程结束"}
RECENT = 10_000      # visits in the last year of every generated ledger (~27 a day)
VISITS_PER_DAY = 900  # older history, which ends GAP days before the last year begins,
GAP = 60              # so none of its calls is still due; its patients have no VIP card
AGENTS = [f"坐席{i:02d}" for i in range(1, 41)]


def _weighted(rng: random.Random, mix: list[tuple[str, int]], k: int) -> list[str]:
    items, weights = zip(*mix, strict=True)
    return rng.choices(items, weights, k=k)


def visit_rows(n: int, end: date, seed: int = 2026) -> Iterator[list[str]]:
    """n export rows, oldest first. Whatever n, the last year is the same: a branch seeing
    RECENT visits over 365 days, so today's sheet is the same at every size; the rest is
    older history before it, VISITS_PER_DAY a day (the group's past, or a long-lived
    branch). About 1.6 visits per patient."""
    recent = min(n, RECENT)
    older = n - recent
    start = end - timedelta(days=364)
    if older:
        days = -(-older // VISITS_PER_DAY)
        yield from _rows(random.Random(seed + 1), older, start - timedelta(days=GAP + days),
                         days, first=recent + 1, pid_base=1_000_000, vip=False)
    yield from _rows(random.Random(seed), recent, start, 365, first=1, pid_base=0)


def _rows(rng: random.Random, n: int, start: date, span: int, *, first: int,
          pid_base: int, vip: bool = True) -> Iterator[list[str]]:
    patients = max(1, int(n / 1.6))
    per_day = [n // span + (1 if d < n % span else 0) for d in range(span)]
    serial = first - 1
    names: dict[int, tuple[str, str, str, str]] = {}
    for offset, count in enumerate(per_day):
        day = (start + timedelta(days=offset)).isoformat()
        kinds = _weighted(rng, KIND_MIX, count)
        categories = _weighted(rng, CATEGORY_MIX, count)
        for kind, category in zip(kinds, categories, strict=True):
            serial += 1
            pid = rng.randrange(patients)
            if pid not in names:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
                born = (f"{rng.randint(1960, 2006)}-{rng.randint(1, 12):02d}-"
                        f"{rng.randint(1, 28):02d}" if rng.random() < 0.7 else "")
                tier = rng.choices([t or "" for t, _ in TIERS], [w for _, w in TIERS])[0]
                if not vip:
                    born, tier = "", ""
                names[pid] = (name, phone, born, tier)
            name, phone, born, tier = names[pid]
            if kind == "course_end":
                category = "medium"
            department, doctors = DEPARTMENTS[category]
            risk = "高" if category == "medium" and rng.random() < 0.05 else ""
            yield [f"V{serial:08d}", f"G{pid_base + pid:07d}", name, phone, day,
                   rng.choice(PROJECTS[category]), STATUS[kind], department,
                   rng.choice(doctors), rng.choice(CONSULTANTS), risk, born, tier]


def write_export(path: Path, n: int, end: date, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(visit_rows(n, end))
    return path


def add_history(conn: sqlite3.Connection, since: date, until: date, today: date,
                rng: random.Random, counts: dict[str, int]) -> None:
    """Calls for the open tasks due in [since, until), as a team would have logged them by
    `today`. Runs inside the caller's transaction."""
    tasks = conn.execute(
        "SELECT t.task_id, t.patient_id, t.due_date, t.expires_on, t.window FROM tasks t "
        "WHERE t.status = 'open' AND t.due_date >= ? AND t.due_date < ? "
        "AND t.next_try_at IS NULL ORDER BY t.due_date, t.patient_id, t.task_id",
        (since.isoformat(), until.isoformat())).fetchall()
    (next_id,) = conn.execute("SELECT coalesce(max(attempt_id), 0) + 1 FROM attempts").fetchone()
    attempts: list[tuple] = []
    links: list[tuple[int, int]] = []
    updates: list[tuple] = []
    complaints: list[tuple[str, int, str]] = []
    for task in tasks:
        due = date.fromisoformat(task["due_date"])
        last = date.fromisoformat(task["expires_on"]) - timedelta(days=1)
        roll = rng.random()
        hour = "19:20" if task["window"] == "evening" else "15:10"
        agent = rng.choice(AGENTS)
        if roll < 0.06 or last < due:
            counts["missed"] += 1
            continue
        failed = 2 if roll < 0.10 else 3 if roll < 0.14 else 0
        for k in range(failed):
            day = min(due + timedelta(days=k), last)
            attempts.append((next_id, task["patient_id"], f"{day}T{hour}:00",
                             f"{day}T{hour}:30", agent,
                             rng.choice(("no_answer", "busy", "switched_off")), "", None, None,
                             None, agent))
            links.append((next_id, task["task_id"]))
            next_id += 1
        if failed == 3:
            updates.append(("unreachable", "failed_attempts", 3, agent, None, task["task_id"]))
            counts["unreachable"] += 1
            continue
        at = f"{min(due + timedelta(days=failed), last)}T{hour}:00"
        outcome = "complaint" if roll > 0.9995 else "reached"
        note = rng.choice(COMPLAINT_NOTES if outcome == "complaint" else NOTES)
        reached = outcome == "reached"
        attempts.append((next_id, task["patient_id"], at, at, agent, outcome, note,
                         rng.choice((4, 5, 5, 5)) if reached else None,
                         rng.choice((7, 8, 9, 10, 10)) if reached else None, None, agent))
        links.append((next_id, task["task_id"]))
        if not reached:
            complaints.append((task["patient_id"], next_id, at))
        next_id += 1
        updates.append(("done", None, failed + 1, agent, at, task["task_id"]))
        counts["done"] += 1
    conn.executemany(
        "INSERT INTO attempts (attempt_id, patient_id, called_at, logged_at, agent, outcome, "
        "note, satisfaction, nps, callback_at, logged_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        attempts)
    conn.executemany("INSERT INTO attempt_tasks (attempt_id, task_id) VALUES (?, ?)", links)
    conn.executemany("UPDATE tasks SET status = ?, status_reason = ?, attempts = ?, agent = ?, "
                     "done_at = ? WHERE task_id = ?", updates)
    _open_complaints(conn, complaints, today)
    counts["attempts"] += len(attempts)
    counts["complaints"] += len(complaints)


def build_ledger(db: Path, export: Path, today: date) -> dict[str, int]:
    """A ledger as a team leaves it: each day's visits imported that day (as the clinic
    does), then that day's calls logged, up to yesterday; today's sheet is still to work."""
    from followup_cli.calendar import load_calendar
    from followup_cli.importing import ImportSummary
    from followup_cli.importing import write_visits as store_visits
    from followup_cli.importing.columns import map_headers
    from followup_cli.importing.files import read_table
    from followup_cli.importing.rows import RowParser
    from followup_cli.ledger import open_ledger, transaction
    from followup_cli.rules import load_rules

    rules, cal = load_rules(None), load_calendar(None)
    conn = open_ledger(db)
    headers, rows = read_table(export)
    parse_row = RowParser(headers, map_headers(export, headers, {}), today)
    rng = random.Random(7)
    counts = {"visits": 0, "attempts": 0, "done": 0, "unreachable": 0, "missed": 0,
              "complaints": 0}

    def work(day: date, visits: list) -> None:
        with transaction(conn):
            store_visits(conn, visits, rules, cal, day, ImportSummary(path=export))
            if day < today:
                add_history(conn, day, day + timedelta(days=1), today, rng, counts)
        counts["visits"] += len(visits)

    day, batch = None, []
    for line, cells in rows:
        visit = parse_row(line, cells)
        if visit.visit_date != day and batch:
            assert day is not None
            work(day, batch)
            batch = []
        day = visit.visit_date
        batch.append(visit)
    if day is not None:
        work(day, batch)
    conn.close()
    return counts


def _open_complaints(conn: sqlite3.Connection, calls: list[tuple[str, int, str]],
                     today: date) -> None:
    """One case per complaint call, opened as `followup log` opens it; cases older than a
    week were acknowledged, resolved and closed by the supervisor, a day apart."""
    from datetime import datetime

    from followup_cli import complaints
    from followup_cli.calendar import load_calendar
    from followup_cli.demo import STEP_NOTES
    from followup_cli.rules import load_rules

    rules, cal = load_rules(None), load_calendar(None)
    for patient_id, attempt_id, at in calls:
        (note,) = conn.execute("SELECT note FROM attempts WHERE attempt_id = ?",
                               (attempt_id,)).fetchone()
        opened = datetime.fromisoformat(at)
        case = complaints.open_case(conn, patient_id=patient_id, attempt_id=attempt_id,
                                    category="service", severity="medium", note=note,
                                    agent="坐席01", at=opened)
        if opened.date() < today - timedelta(days=7):
            for days, action in enumerate(("ack", "resolve", "close"), start=1):
                complaints.act(conn, case, action, agent="客服主管",
                               at=opened + timedelta(days=days), note=STEP_NOTES[action],
                               rules=rules, cal=cal)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    exp = sub.add_parser("export", help="write a visit export")
    exp.add_argument("file", type=Path)
    exp.add_argument("--visits", type=int, default=10_000)
    exp.add_argument("--end", type=date.fromisoformat, default=date.today())
    exp.add_argument("--encoding", default="utf-8", help="utf-8 or gb18030")
    led = sub.add_parser("ledger", help="build a worked ledger from an export, day by day")
    led.add_argument("ledger", type=Path)
    led.add_argument("export", type=Path)
    led.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    if args.what == "export":
        write_export(args.file, args.visits, args.end, args.encoding)
        print(f"{args.file}: {args.visits} visits up to {args.end}")
    else:
        print(build_ledger(args.ledger, args.export, args.today))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
