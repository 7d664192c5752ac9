"""Writing staged visits into the ledger in the caller's transaction: patients, visits and
their tasks, birthdays, conversions; references checked once at the end of a first
bulk import."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from followup_cli import checkpoint, planning
from followup_cli.calendar import ClinicCalendar
from followup_cli.i18n import t
from followup_cli.importing import tuning
from followup_cli.importing.records import BadRow, ImportSummary, Visit, chunks
from followup_cli.importing.stage import VISIT_FIELDS, Staged, Stager
from followup_cli.planning import iso_day
from followup_cli.rules import RulePack

# page caches of an import, the most its memory grows by whatever the file's size:
# 64 MB each for the temporary tables here and in the reading process, 64 MB for the
# ledger; with the two interpreters (~45 MB each) under the 300 MB aimed at
TEMP_CACHE_KB = 64 * 1024   # an import of 1 M visits: 76 -> 65 s, peak 74 -> 117 MB
MAIN_CACHE_KB = 64 * 1024


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


def write_visits(conn: sqlite3.Connection, visits: Iterable[Visit], rules: RulePack,
                 cal: ClinicCalendar, as_of: date, summary: ImportSummary,
                 now: datetime | None = None, *, bulk: bool = False,
                 patient_column: str = "patient_id") -> None:
    """Upsert patients and visits, plan new and changed visits, then plan the birthdays
    and settle the conversions of every patient the visits touched.

    `now` is when the export entered the ledger (default: the end of `as_of`). Runs
    inside the caller's transaction. Visits are read as a stream, a chunk at a time
    (tuning), each chunk staged from the ledger as the chunks before it left it. The
    patients touched wait in a temporary table.
    `bulk` drops the visits' and patients' secondary indexes while the rows go in and
    builds them again after (same transaction), but for the patients' visits by date,
    which each patient's row is checked against (UPSERT_PATIENT).
    A visit the ledger has under another patient is a bad row (of `patient_column`).
    """
    entered_at = (now or datetime.combine(as_of, datetime.max.time())).isoformat(
        timespec="seconds")
    count = planning.PlanCount()
    # the ids seen and the patients touched wait in temporary tables: give them a page cache
    # of their own (64 MB at most, whatever the file's size) rather than spill to disk
    conn.execute(f"PRAGMA temp.cache_size = -{TEMP_CACHE_KB}")
    # and the ledger one large enough for the indexes the rows go into: a key is looked
    # up or inserted at random for every visit and patient, and with SQLite's default
    # 2 MB each of those was a read from the operating system
    conn.execute(f"PRAGMA main.cache_size = -{MAIN_CACHE_KB}")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_touched "
                 "(patient_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_touched")
    # a ledger with no patients: every patient at the end is one this import touched
    touch_all = conn.execute("SELECT max(rowid) IS NULL FROM patients").fetchone()[0]
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
        "('visits', 'patients') AND sql IS NOT NULL AND name <> 'visits_patient'"
    ).fetchall() if bulk else []
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    stager = Stager(rules, cal, as_of, summary, note_touched=not touch_all)
    with phone_changes_noted(conn, entered_at):
        for chunk in _stage_here(conn, visits, stager):
            write_staged(conn, chunk, as_of, summary, count)
    for line, visit_id, theirs, given in stager.moved:
        summary.bad.append(BadRow(line, patient_column, t(
            "visit {visit_id} is patient {theirs}'s in the ledger, but this row gives it to "
            "patient {given}: a visit does not change patient (its callbacks and calls are "
            "{theirs}'s); check the export", visit_id=visit_id, theirs=theirs, given=given), ()))
    stager.count_plans(count)
    if stager.sms_off:
        from followup_cli.sms import unsubscribe_imported

        source = summary.path.name if summary.path is not None else "import"
        summary.sms_off = unsubscribe_imported(conn, stager.sms_off, entered_at,
                                               f"import {source}")
    for _, sql in indexes:
        conn.execute(sql)
    years = (as_of.year, as_of.year + 1)
    if touch_all:   # every patient: one pass over them, not a lookup of each
        birthdays = [planning.plan_birthdays(conn, rules, cal, as_of, years)]
    else:
        touched = conn.execute("SELECT patient_id FROM temp.import_touched ORDER BY patient_id")
        birthdays = [planning.plan_birthdays(conn, rules, cal, as_of, years, patient_ids)
                     for patient_ids in chunks((row[0] for row in touched), tuning.TUNING.chunk)]
    for planned in birthdays:
        count.planned += planned.planned
        count.backfill += planned.backfill
        count.provisional.extend(planned.provisional)
    if touch_all:
        # every patient's birthdays are now planned through next year, as `due` tops them
        # up: the first sheet after a big first import need not plan them all again
        planning.note_birthdays_planned(conn, as_of.year + 1)
    summary.cancelled = settle_conversions(conn, as_of.isoformat(), every=touch_all)
    # a re-check booked on the phone is kept by a visit this import brought
    from followup_cli.rechecks import keep_visited

    keep_visited(conn, as_of)
    # a year's holidays may have been added since: provisional dates get their real day
    summary.replanned = len(planning.replan(conn, cal, as_of, upcoming=False))
    summary.tasks += count.planned
    summary.provisional += count.provisional
    summary.backfill += count.backfill


def _stage_here(conn: sqlite3.Connection, visits: Iterable[Visit],
                stager: Stager) -> Iterator[Staged]:
    """Chunks staged from the ledger: lazily, so each sees the chunks before it written."""
    # a ledger with no visits yet: a visit id can only repeat inside the file (seen there)
    empty = conn.execute("SELECT max(rowid) IS NULL FROM visits").fetchone()[0]
    for chunk in chunks(visits, tuning.TUNING.chunk):
        known_patients = _known(
            conn, "SELECT patient_id, do_not_call, (SELECT max(visit_date) FROM visits v "
            "WHERE v.patient_id = p.patient_id) FROM patients p WHERE patient_id IN ({})",
            {v.patient_id for v in chunk})
        do_not_call = {row[0] for row in known_patients if row[1]}
        latest = {row[0]: row[2] for row in known_patients if row[2]}
        known_visits: dict[str, Any] = {} if empty else {row[0]: row for row in _known(
            conn, "SELECT * FROM visits WHERE visit_id IN ({})", {v.visit_id for v in chunk})}
        yield stager.stage(chunk, do_not_call, known_visits, latest)


def _known(conn: sqlite3.Connection, sql: str, keys: set[str]) -> list[Any]:
    return conn.execute(sql.format(", ".join("?" * len(keys))), tuple(keys)).fetchall()


def settle_conversions(conn: sqlite3.Connection, stamp: str, *, every: bool = False) -> int:
    """A later treated visit converts the earlier consults of the patients in
    temp.import_touched (`every`: of all patients, the ledger's first import): each
    consult records its earliest later treatment and its pending tasks are cancelled.
    Returns the number of tasks cancelled. Set-based: a bulk load settles hundreds of
    thousands of consults."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_converted (visit_id TEXT PRIMARY "
                 "KEY, by_visit TEXT) WITHOUT ROWID")
    conn.execute("DELETE FROM temp.import_converted")
    # CROSS JOIN: from the touched patients to their visits, never a scan of every visit;
    # but when every patient is touched, one pass over the visits beats a seek per patient
    consults = ("visits c" if every else
                "temp.import_touched touched CROSS JOIN visits c "
                "ON c.patient_id = touched.patient_id")
    conn.execute(
        "INSERT INTO temp.import_converted SELECT c.visit_id, "
        "(SELECT v.visit_id FROM visits v WHERE v.patient_id = c.patient_id "
        "AND v.kind = 'treated' AND v.visit_date > c.visit_date "
        "ORDER BY v.visit_date, v.visit_id LIMIT 1) "
        f"FROM {consults} WHERE c.kind = 'consult' AND c.converted_by IS NULL")
    conn.execute("DELETE FROM temp.import_converted WHERE by_visit IS NULL")
    conn.execute("UPDATE visits SET updated_at = ?, converted_by = (SELECT by_visit FROM "
                 "temp.import_converted x WHERE x.visit_id = visits.visit_id) "
                 "WHERE visit_id IN (SELECT visit_id FROM temp.import_converted)", (stamp,))
    return conn.execute(
        "UPDATE tasks SET status = 'cancelled', status_reason = 'converted' WHERE status = "
        "'open' AND visit_id IN (SELECT visit_id FROM temp.import_converted)").rowcount


def is_empty(conn: sqlite3.Connection) -> bool:
    """No patients, visits or tasks yet, and no transaction open."""
    return not conn.in_transaction and conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM patients) AND NOT EXISTS (SELECT 1 FROM visits) "
        "AND NOT EXISTS (SELECT 1 FROM tasks)").fetchone()[0] == 1


@contextmanager
def references_checked_at_end(conn: sqlite3.Connection, at_end: bool) -> Iterator[None]:
    """A ledger's first large import checks its references once, at the end of its
    transaction, not at every row: SQLite's check looks up each visit's patient at random
    (~3 s per million visits); the end's check walks them in order (~0.3 s). Only for a
    ledger with nothing in it yet, where the import inserts rows and deletes none. Wrap
    around the transaction: SQLite switches foreign keys only outside one."""
    if not at_end:
        yield
        return
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def check_references(conn: sqlite3.Connection) -> None:
    """Every reference in the ledger leads to a row, or RuntimeError (the transaction
    rolls back: a bug of ours, never a user's). Visits to their patients and conversions
    are checked in index order; the other tables by SQLite's own check."""
    if {tuple(row[2:5]) for row in conn.execute("PRAGMA foreign_key_list(visits)")} != {
            ("patients", "patient_id", "patient_id"), ("visits", "converted_by", "visit_id")}:
        raise RuntimeError("check_references does not know the visits' references")
    broken = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM visits v WHERE NOT EXISTS "
        "(SELECT 1 FROM patients p WHERE p.patient_id = v.patient_id)) "
        "OR EXISTS (SELECT 1 FROM visits v WHERE v.converted_by IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM visits c WHERE c.visit_id = v.converted_by))").fetchone()[0]
    tables = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'visits'")]
    for table in tables:
        broken = broken or conn.execute(f"PRAGMA foreign_key_check('{table}')").fetchone()
    if broken:
        raise RuntimeError("an import left a reference to a missing row")


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
    checkpoint.reached("import.chunk")
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


# a re-check's rebooking task follows the visit but was planned by a call, not the rules
_UNCALLED = ("t.visit_id = ? AND t.attempts = 0 AND t.status IN ('open', 'backfill') "
             "AND t.category <> 'recheck'")


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
