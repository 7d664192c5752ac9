"""What a chunk of an export's visits changes in the ledger, decided apart from writing it.

`Stager.stage` turns clean visits into `Staged`: complete rows to insert and the few
updates. `write_staged` runs the statements. On a ledger's first large import the
reading process stages (the ledger has nothing it would need to look up) and the
importing one only writes; otherwise both happen in the importing process, chunk after
chunk, each chunk staged from the ledger as the chunks before it left it.

A patient is written as an upsert of every visit's row: the first inserts them, a later
one updates them if it says something new (an empty cell does not wipe what is known)
and its visit is not older than the patient's latest one: a patient's details are those
of the row of their latest visit (by visit date, then file order), whatever the order of
the file (an export sorted newest first) or of the imports.

A visit already in the ledger under another patient is not moved: its tasks and calls
are that patient's (`Stager.moved`, refused by the importer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from followup_cli import planning
from followup_cli.calendar import ClinicCalendar
from followup_cli.ids import normalise_id
from followup_cli.planning import iso_day
from followup_cli.rules import RulePack

if TYPE_CHECKING:
    from followup_cli.importing.records import ImportSummary, Visit

VISIT_FIELDS = ("patient_id", "visit_date", "visit_time", "project", "kind", "category",
                "risk", "department", "doctor", "consultant", "no_callback")
_PLAN_FIELDS = ("visit_date", "kind", "category", "no_callback")
_REPLAN = tuple(i for i, k in enumerate(VISIT_FIELDS) if k in _PLAN_FIELDS)

# a new number lifts the wrong-number flag: calls held for a wrong number come back
UPSERT_PATIENT = (
    "INSERT INTO patients (patient_id, name, phone, birthday, vip_tier, created_at, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (patient_id) DO UPDATE SET "
    "name = excluded.name, phone = excluded.phone, "
    "birthday = coalesce(excluded.birthday, birthday), "
    "vip_tier = coalesce(excluded.vip_tier, vip_tier), "
    "phone_bad = CASE WHEN phone IS excluded.phone THEN phone_bad ELSE 0 END, "
    "updated_at = excluded.updated_at "
    "WHERE (name IS NOT excluded.name OR phone IS NOT excluded.phone "
    "OR birthday IS NOT coalesce(excluded.birthday, birthday) "
    "OR vip_tier IS NOT coalesce(excluded.vip_tier, vip_tier)) "
    # the row's visit date: not before any other visit of theirs already in the ledger
    "AND ? >= coalesce((SELECT max(v.visit_date) FROM visits v WHERE v.patient_id = "
    "excluded.patient_id AND v.visit_id <> ?), '')")
INSERT_VISIT = (f"INSERT INTO visits (visit_id, {', '.join(VISIT_FIELDS)}, backfill, "
                f"entered_on, updated_at) VALUES (?{', ?' * (len(VISIT_FIELDS) + 3)})")
UPDATE_VISIT = (f"UPDATE visits SET {', '.join(f'{k} = ?' for k in VISIT_FIELDS)}, "
                "backfill = ?, updated_at = ? WHERE visit_id = ?")


@dataclass(frozen=True, slots=True)
class Staged:
    """One chunk's changes, in the order `write_staged` makes them."""

    patients: list[tuple[Any, ...]]         # UPSERT_PATIENT rows, in the export's order
    new_visits: list[tuple[Any, ...]]       # INSERT_VISIT rows
    new_tasks: list[tuple[Any, ...]]        # planning.INSERT_TASK rows of the new visits
    changed_visits: list[tuple[Any, ...]]   # (visit_id, values, replan, plan, backfill)
    touched: list[tuple[str]]               # (patient_id,) when the ledger had patients


class Stager:
    """Decides chunk after chunk, counting into `summary` what it decided. Visits of one
    day and category share one plan (`plans`); their tasks are counted at the end
    (`count_plans`)."""

    def __init__(self, rules: RulePack, cal: ClinicCalendar, as_of: date,
                 summary: ImportSummary, *, note_touched: bool):
        self.rules, self.cal, self.as_of, self.summary = rules, cal, as_of, summary
        self.stamp = as_of.isoformat()
        self.note_touched = note_touched
        self.plans: dict[tuple[date, str], planning.StoredPlan] = {}
        self.categories: dict[tuple[str, str, str | None], str] = {}  # a clinic has few projects
        # visits the ledger has under another patient: (line, visit id, theirs, the row's)
        self.moved: list[tuple[int, str, str, str]] = []

    def stage(self, chunk: list[Visit], do_not_call: set[str] | frozenset[str],
              known_visits: dict[str, Any], latest: dict[str, str] | None = None) -> Staged:
        """`do_not_call`: the chunk's patients who asked not to be called (nothing is
        planned for them). `known_visits`: the ledger's rows of the chunk's visits.
        `latest`: the day of the latest visit the ledger has of the chunk's patients.

        A patient's row is sent only if its visit is not older than their visits before
        it in the file (this chunk's: the ledger has those of the chunks before, and
        UPSERT_PATIENT checks them) nor than the ledger's `latest`."""
        stamp, summary, plans, categories = self.stamp, self.summary, self.plans, self.categories
        rules = self.rules
        fallback = rules.fallback
        patients: list[tuple[Any, ...]] = []
        newest: dict[str, int] = {}   # the chunk's latest visit day of each of its patients
        new_visits: list[tuple[Any, ...]] = []
        new_tasks: list[tuple[Any, ...]] = []
        changed_visits: list[tuple[Any, ...]] = []
        for v in chunk:
            pid = v.patient_id
            old = known_visits.get(v.visit_id) if known_visits else None
            if old is not None and old["patient_id"] != pid:
                if normalise_id(old["patient_id"]) != pid:
                    self.moved.append((v.line, v.visit_id, old["patient_id"], pid))
                    continue
                pid = old["patient_id"]   # stored before ids were normalised: kept
            day = v.visit_date.toordinal()
            if day >= newest.get(pid, 0) and not (latest and day < _ordinal(latest.get(pid))):
                newest[pid] = day
                patients.append((pid, v.name, v.phone,
                                 iso_day(v.birthday) if v.birthday else None, v.vip_tier,
                                 stamp, stamp, iso_day(v.visit_date), v.visit_id))
            category = categories.get((v.kind, v.project, v.risk))
            if category is None:
                category = categories[(v.kind, v.project, v.risk)] = rules.categorise(
                    v.kind, v.project, v.risk)
            no_callback = v.no_callback
            plan = None
            if not no_callback and pid not in do_not_call:
                plan = plans.get((v.visit_date, category))
                if plan is None:
                    plan = plans[(v.visit_date, category)] = planning.StoredPlan(
                        v.visit_date, rules.categories[category], self.cal, self.as_of)
            values = (pid, iso_day(v.visit_date), v.visit_time, v.project, v.kind,
                      None if no_callback else category, v.risk, v.department, v.doctor,
                      v.consultant, int(no_callback))
            if old is None:
                backfill = 0
                if plan is not None:
                    if plan.has_rows:
                        new_tasks.extend(plan.rows(pid, v.visit_id))
                    plan.uses += 1
                    backfill = plan.backfill
                new_visits.append((v.visit_id, *values, backfill, stamp, stamp))
            elif (stored := _stored(old)) == values:
                summary.unchanged += 1
                continue
            else:
                summary.updated += 1
                replan = any(stored[i] != values[i] for i in _REPLAN)
                changed_visits.append((v.visit_id, values, replan, plan, old["backfill"]))
            if no_callback:
                summary.no_callback += 1
            elif v.kind == "treated" and category == fallback:
                summary.general[v.project] = summary.general.get(v.project, 0) + 1
        summary.added += len(new_visits)
        touched = [(pid,) for pid in {v.patient_id for v in chunk}] if self.note_touched else []
        return Staged(patients, new_visits, new_tasks, changed_visits, touched)

    def count_plans(self, count: planning.PlanCount) -> None:
        """The new visits' tasks, counted once per plan."""
        for plan in self.plans.values():
            plan.count_into(count)
            plan.uses = 0


def _ordinal(day: str | None) -> int:
    return date.fromisoformat(day).toordinal() if day else 0


def _stored(old: Any) -> tuple[Any, ...]:
    """A visit's VISIT_FIELDS as the ledger has them; a no-callback flag that older
    versions may have left as the text "True"/"False" read as 1/0."""
    values = tuple(old[k] for k in VISIT_FIELDS)
    flag = values[-1]
    if isinstance(flag, str):
        values = (*values[:-1], int(flag.strip().casefold() in ("true", "1", "yes")))
    return values


@contextmanager
def phone_changes_noted(conn: sqlite3.Connection, entered_at: str) -> Iterator[None]:
    """While an import writes: a patient's new number from the clinic's system is an
    event in their history (a temporary trigger, gone after)."""
    at = entered_at.replace("'", "''")
    conn.execute(
        "CREATE TEMP TRIGGER import_phone_changed AFTER UPDATE OF phone ON main.patients "
        "WHEN old.phone IS NOT new.phone BEGIN "
        "INSERT INTO patient_events (patient_id, at, agent, action, reason) "
        f"VALUES (new.patient_id, '{at}', 'import', "
        "'phone_changed', ''); "
        "END")
    try:
        yield
    finally:
        conn.execute("DROP TRIGGER IF EXISTS temp.import_phone_changed")


def write_staged(conn: sqlite3.Connection, staged: Staged, as_of: date,
                 summary: ImportSummary, count: planning.PlanCount) -> None:
    """A staged chunk into the ledger, inside `phone_changes_noted`: patients first
    (visits refer to them), changed visits re-planned, then the new visits and their
    tasks, one statement each. Counts the patients added and updated into `summary`."""
    stamp = as_of.isoformat()
    changes, rows = conn.total_changes, _last_rows(conn)
    conn.executemany(UPSERT_PATIENT, staged.patients)
    # patients and events are never deleted: the new ones are the rows past the last
    # ones before; the other changes were patients updated (an event counts twice: its
    # trigger writes its entry in the hash chain, ledger/chain.py)
    (patients_now, events_now), (patients_before, events_before) = _last_rows(conn), rows
    patients, events = patients_now - patients_before, events_now - events_before
    summary.patients_added += patients
    summary.patients_updated += conn.total_changes - changes - patients - 2 * events
    for visit_id, values, replan, plan, backfill in staged.changed_visits:
        if replan:
            # planned tasks nobody has called yet are re-derived; called ones stay, and so
            # do tasks a logged call refers to, even a voided one (the log is append-only)
            voided = conn.execute(
                f"SELECT task_id, touchpoint FROM tasks t WHERE {_UNCALLED} AND EXISTS "
                "(SELECT 1 FROM attempt_tasks x WHERE x.task_id = t.task_id)",
                (visit_id,)).fetchall()
            conn.execute(f"DELETE FROM tasks AS t WHERE {_UNCALLED} AND NOT EXISTS "
                         "(SELECT 1 FROM attempt_tasks x WHERE x.task_id = t.task_id)",
                         (visit_id,))
            backfill = 0 if plan is None else planning.store(
                conn, values[0], visit_id, plan.tasks, as_of, count, key=visit_id)
            if voided:
                _replan_kept(conn, voided, [] if plan is None else plan.tasks, as_of)
        conn.execute(UPDATE_VISIT, (*values, backfill, stamp, visit_id))
    conn.executemany(INSERT_VISIT, staged.new_visits)
    conn.executemany(planning.INSERT_TASK, staged.new_tasks)
    if staged.touched:
        conn.executemany("INSERT OR IGNORE INTO temp.import_touched VALUES (?)", staged.touched)


_UNCALLED = "t.visit_id = ? AND t.attempts = 0 AND t.status IN ('open', 'backfill')"


def _replan_kept(conn: sqlite3.Connection, kept: list[Any],
                 tasks: list[planning.PlannedTask], as_of: date) -> None:
    """Tasks whose only calls were voided, of a visit re-planned: each takes its
    touchpoint's new dates, or is cancelled when the new plan has no such call ahead."""
    ahead = {task.touchpoint: task for task in tasks if not task.backfill(as_of)}
    for task_id, touchpoint in kept:
        task = ahead.get(touchpoint)
        if task is None:
            conn.execute("UPDATE tasks SET status = 'cancelled', status_reason = 'replanned', "
                         "next_try_at = NULL WHERE task_id = ?", (task_id,))
            continue
        conn.execute(
            "UPDATE tasks SET category = ?, seq = ?, nominal_date = ?, due_date = ?, "
            "window = ?, move = ?, expires_on = ?, base_expires_on = ?, provisional = ?, "
            "status = 'open', next_try_at = NULL, planned_on = ? WHERE task_id = ?",
            (task.category, task.seq, iso_day(task.nominal_date), iso_day(task.due_date),
             task.window, task.move, iso_day(task.expires_on), iso_day(task.expires_on),
             int(task.provisional), iso_day(as_of), task_id))


def _last_rows(conn: sqlite3.Connection) -> tuple[int, int]:
    return conn.execute("SELECT (SELECT coalesce(max(rowid), 0) FROM patients), "
                        "(SELECT coalesce(max(rowid), 0) FROM patient_events)").fetchone()
