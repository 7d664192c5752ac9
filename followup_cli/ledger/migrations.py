"""Schema migrations: numbered, each with why, each in one transaction, never edited once landed.

They run through sqlite-utils' `Migrations`, which records each applied migration
in `_sqlite_migrations` inside the migration's own transaction. `PRAGMA user_version`
mirrors the number applied, so opening an up-to-date ledger costs one PRAGMA and
never imports sqlite-utils.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from followup_cli.ledger import chain

if TYPE_CHECKING:
    from sqlite_utils import Database

STEPS: list[tuple[str, str]] = []


def step(name: str):  # noqa: ANN201 - decorator
    def register(sql_fn):  # noqa: ANN001, ANN202
        STEPS.append((name, sql_fn.__doc__ or ""))
        return sql_fn

    return register


@step("m001_initial")
def _m001() -> None:
    """
    -- Why: the core loop. Patients and their visits as imported; tasks are the
    -- stored callback plan (planned once, when the visit enters the ledger, as the
    -- clinics' rules require); attempts are the append-only call log, linked to
    -- every task a call settled.
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE patients (
        patient_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT NOT NULL,
        phone_bad INTEGER NOT NULL DEFAULT 0,
        birthday TEXT,
        vip_tier TEXT,
        do_not_call INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE visits (
        visit_id TEXT PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        visit_date TEXT NOT NULL,
        visit_time TEXT,
        project TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('treated', 'consult', 'no_show', 'course_end')),
        category TEXT,
        risk TEXT CHECK (risk IN ('high', 'medium', 'low')),
        department TEXT,
        doctor TEXT,
        consultant TEXT,
        no_callback INTEGER NOT NULL DEFAULT 0,
        converted_by TEXT REFERENCES visits(visit_id),
        entered_on TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX visits_patient ON visits(patient_id, visit_date);
    CREATE TABLE tasks (
        task_id INTEGER PRIMARY KEY,
        plan_key TEXT NOT NULL UNIQUE,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        visit_id TEXT REFERENCES visits(visit_id),
        category TEXT NOT NULL,
        touchpoint TEXT NOT NULL,
        seq INTEGER NOT NULL,
        nominal_date TEXT NOT NULL,
        due_date TEXT NOT NULL,
        window TEXT NOT NULL CHECK (window IN ('any', 'afternoon', 'evening')),
        move TEXT NOT NULL DEFAULT 'later' CHECK (move IN ('later', 'earlier')),
        expires_on TEXT NOT NULL,
        provisional INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL
            CHECK (status IN ('open', 'done', 'unreachable', 'cancelled', 'backfill')),
        status_reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT,
        agent TEXT,
        done_at TEXT,
        planned_on TEXT NOT NULL
    );
    CREATE INDEX tasks_open_due ON tasks(due_date) WHERE status = 'open';
    CREATE INDEX tasks_open_retry ON tasks(next_try_at) WHERE status = 'open';
    CREATE INDEX tasks_provisional ON tasks(due_date) WHERE status = 'open' AND provisional = 1;
    CREATE INDEX tasks_patient ON tasks(patient_id, status);
    CREATE INDEX tasks_visit ON tasks(visit_id);
    CREATE INDEX tasks_due ON tasks(due_date);
    CREATE TABLE attempts (
        attempt_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        called_at TEXT NOT NULL,
        logged_at TEXT NOT NULL,
        agent TEXT NOT NULL,
        outcome TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
        nps INTEGER CHECK (nps BETWEEN 0 AND 10),
        callback_at TEXT
    );
    CREATE INDEX attempts_called ON attempts(called_at);
    CREATE INDEX attempts_patient ON attempts(patient_id);
    CREATE TABLE attempt_tasks (
        attempt_id INTEGER NOT NULL REFERENCES attempts(attempt_id),
        task_id INTEGER NOT NULL REFERENCES tasks(task_id),
        PRIMARY KEY (attempt_id, task_id)
    );
    CREATE INDEX attempt_tasks_task ON attempt_tasks(task_id);
    -- what a user logged is never changed or deleted by the tool
    CREATE TRIGGER attempts_append_only_update BEFORE UPDATE ON attempts
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempts_append_only_delete BEFORE DELETE ON attempts
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempt_tasks_append_only_delete BEFORE DELETE ON attempt_tasks
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    """


@step("m002_complaints_and_corrections")
def _m002() -> None:
    """
    -- Why: a complaint call opens a case with deadlines counted from its opening; a
    -- wrong log is corrected by appending an amendment or a void that points at the
    -- original (which stays); do-not-call and phone changes are patient events with
    -- who and why. Complaint calls logged before cases existed each open a case now.
    ALTER TABLE attempts ADD COLUMN corrects INTEGER REFERENCES attempts(attempt_id);
    ALTER TABLE attempts ADD COLUMN correction TEXT CHECK (correction IN ('amend', 'void'));
    ALTER TABLE attempts ADD COLUMN reason TEXT;
    ALTER TABLE attempts ADD COLUMN logged_by TEXT;
    CREATE INDEX attempts_corrects ON attempts(corrects);
    -- the calls as they stand: originals, with their latest amendment, less the voided
    CREATE VIEW calls AS
    SELECT a.attempt_id, a.patient_id,
           coalesce(m.called_at, a.called_at) AS called_at,
           coalesce(m.agent, a.agent) AS agent,
           coalesce(m.outcome, a.outcome) AS outcome,
           coalesce(m.note, a.note) AS note,
           CASE WHEN m.attempt_id IS NULL THEN a.satisfaction ELSE m.satisfaction END
               AS satisfaction,
           CASE WHEN m.attempt_id IS NULL THEN a.nps ELSE m.nps END AS nps,
           CASE WHEN m.attempt_id IS NULL THEN a.callback_at ELSE m.callback_at END
               AS callback_at,
           m.attempt_id AS amended_by
      FROM attempts a
      LEFT JOIN attempts m ON m.attempt_id = (
           SELECT max(x.attempt_id) FROM attempts x
            WHERE x.corrects = a.attempt_id AND x.correction = 'amend')
     WHERE a.correction IS NULL
       AND NOT EXISTS (SELECT 1 FROM attempts v
                        WHERE v.corrects = a.attempt_id AND v.correction = 'void');
    -- the expiry a task was planned with, before any callback extended it
    ALTER TABLE tasks ADD COLUMN base_expires_on TEXT;
    UPDATE tasks SET base_expires_on = expires_on;
    CREATE TABLE complaints (
        complaint_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        attempt_id INTEGER NOT NULL REFERENCES attempts(attempt_id),
        category TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
        note TEXT NOT NULL,
        agent TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        acknowledged_at TEXT,
        resolved_at TEXT,
        closed_at TEXT,
        status TEXT NOT NULL
            CHECK (status IN ('open', 'acknowledged', 'resolved', 'closed', 'void'))
    );
    CREATE INDEX complaints_status ON complaints(status);
    CREATE INDEX complaints_patient ON complaints(patient_id);
    CREATE INDEX complaints_opened ON complaints(opened_at);
    CREATE TABLE complaint_events (
        event_id INTEGER PRIMARY KEY,
        complaint_id INTEGER NOT NULL REFERENCES complaints(complaint_id),
        at TEXT NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX complaint_events_case ON complaint_events(complaint_id);
    CREATE TABLE patient_events (
        event_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        at TEXT NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        attempt_id INTEGER REFERENCES attempts(attempt_id)
    );
    CREATE INDEX patient_events_patient ON patient_events(patient_id);
    CREATE TRIGGER complaint_events_append_only_update BEFORE UPDATE ON complaint_events
    BEGIN SELECT RAISE(ABORT, 'complaint events are append-only'); END;
    CREATE TRIGGER complaint_events_append_only_delete BEFORE DELETE ON complaint_events
    BEGIN SELECT RAISE(ABORT, 'complaint events are append-only'); END;
    CREATE TRIGGER patient_events_append_only_update BEFORE UPDATE ON patient_events
    BEGIN SELECT RAISE(ABORT, 'patient events are append-only'); END;
    CREATE TRIGGER patient_events_append_only_delete BEFORE DELETE ON patient_events
    BEGIN SELECT RAISE(ABORT, 'patient events are append-only'); END;
    ALTER TABLE tasks ADD COLUMN complaint_id INTEGER REFERENCES complaints(complaint_id);
    CREATE INDEX tasks_complaint ON tasks(complaint_id);
    INSERT INTO complaints (patient_id, attempt_id, category, severity, note, agent, opened_at,
                            status)
        SELECT patient_id, attempt_id, 'other', 'medium', note, agent, called_at, 'open'
          FROM attempts WHERE outcome = 'complaint' ORDER BY attempt_id;
    INSERT INTO complaint_events (complaint_id, at, agent, action, note)
        SELECT complaint_id, opened_at, agent, 'open', note FROM complaints;
    INSERT INTO patient_events (patient_id, at, agent, action, attempt_id)
        SELECT patient_id, logged_at, agent, outcome, attempt_id FROM attempts
         WHERE outcome IN ('do_not_call', 'wrong_number') ORDER BY attempt_id;
    """


@step("m003_audit")
def _m003() -> None:
    """
    -- Why: phone numbers are masked everywhere; showing them in full is an explicit
    -- option, and each time it is used the ledger records who, when and what.
    CREATE TABLE audit (
        audit_id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        what TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit(at);
    CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """


@step("m004_assignments")
def _m004() -> None:
    """
    -- Why: the supervisor shares each day's sheet among the agents on shift; a patient is
    -- on exactly one agent's share that day (the primary key), and a manual move stays
    -- when the day is re-shared.
    CREATE TABLE assignments (
        day TEXT NOT NULL,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        agent TEXT NOT NULL,
        manual INTEGER NOT NULL DEFAULT 0,
        assigned_at TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        PRIMARY KEY (day, patient_id)
    );
    CREATE INDEX assignments_agent ON assignments(day, agent);
    """


@step("m005_report_indexes")
def _m005() -> None:
    """
    -- Why: the month report at clinic-group scale (issue 8). Visits by date serve late
    -- plans and conversions, a conversion is found from the converting visit, complaint
    -- events by date serve closes in a month; without them each report scanned the whole
    -- ledger. The retry index now holds only open tasks that have a next try, by expiry:
    -- the sheet's second scan reads the retries still in flight, not every task ever
    -- retried and then missed.
    CREATE INDEX visits_date ON visits(visit_date);
    CREATE INDEX visits_converted ON visits(converted_by) WHERE converted_by IS NOT NULL;
    CREATE INDEX complaint_events_at ON complaint_events(at);
    DROP INDEX tasks_open_retry;
    CREATE INDEX tasks_open_retry ON tasks(expires_on)
        WHERE status = 'open' AND next_try_at IS NOT NULL;
    """



@step("m006_backfill_counts")
def _m006() -> None:
    """
    -- Why: importing years of history stored every call already past as a 'backfill' task
    -- row: 3.7 million rows for an export of a million visits, never called, left out of
    -- every figure, and most of an import's time (issue 8). A visit now records how many
    -- of its planned calls fell before it entered the ledger. Earlier imports' rows become
    -- that count; a backfill row that a call was ever logged against stays a row.
    ALTER TABLE visits ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0;
    CREATE TEMP TABLE m006_counts AS
        SELECT visit_id, count(*) AS n FROM tasks t
        WHERE status = 'backfill' AND visit_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM attempt_tasks a WHERE a.task_id = t.task_id)
        GROUP BY visit_id;
    UPDATE visits SET backfill = (SELECT n FROM temp.m006_counts c
                                  WHERE c.visit_id = visits.visit_id)
        WHERE visit_id IN (SELECT visit_id FROM temp.m006_counts);
    DELETE FROM tasks WHERE status = 'backfill' AND visit_id IS NOT NULL
        AND task_id NOT IN (SELECT task_id FROM attempt_tasks);
    DROP TABLE temp.m006_counts;
    """


@step("m007_bad_phone_index")
def _m007() -> None:
    """
    -- Why: the sheet reminds the team how many patients wait for a correct number; that
    -- count read every patient (54 ms at a million visits, issue 8). Nearly every patient
    -- has phone_bad = 0, so the index grows at its end and costs an import little.
    CREATE INDEX patients_phone_bad ON patients(phone_bad, do_not_call);
    """


@step("m008_checks_as_comparisons")
def _m008() -> None:
    """
    -- Why: a CHECK written `x IN ('a', 'b', 'c')` makes SQLite 3.40 build a temporary
    -- b-tree of the list for every row it writes: 4-5 microseconds a row, half of what a
    -- visit's insert cost (issue 8). The same test as `x = 'a' OR x = 'b' OR x = 'c'`
    -- costs nothing. The rows already satisfy it, so the table text is edited in place as
    -- SQLite documents for CHECK changes (migrate() bumps the schema cookie), not
    -- rebuilt: instant on a ledger of any size.
    PRAGMA writable_schema = ON;
    UPDATE sqlite_master SET sql = replace(replace(sql,
        'kind IN (''treated'', ''consult'', ''no_show'', ''course_end'')',
        'kind = ''treated'' OR kind = ''consult'' OR kind = ''no_show'' '
        || 'OR kind = ''course_end'''),
        'risk IN (''high'', ''medium'', ''low'')',
        'risk = ''high'' OR risk = ''medium'' OR risk = ''low''')
        WHERE type = 'table' AND name = 'visits';
    UPDATE sqlite_master SET sql = replace(replace(sql,
        'window IN (''any'', ''afternoon'', ''evening'')',
        'window = ''any'' OR window = ''afternoon'' OR window = ''evening'''),
        'status IN (''open'', ''done'', ''unreachable'', ''cancelled'', ''backfill'')',
        'status = ''open'' OR status = ''done'' OR status = ''unreachable'' '
        || 'OR status = ''cancelled'' OR status = ''backfill''')
        WHERE type = 'table' AND name = 'tasks';
    UPDATE sqlite_master SET sql = replace(replace(sql,
        'severity IN (''low'', ''medium'', ''high'')',
        'severity = ''low'' OR severity = ''medium'' OR severity = ''high'''),
        'status IN (''open'', ''acknowledged'', ''resolved'', ''closed'', ''void'')',
        'status = ''open'' OR status = ''acknowledged'' OR status = ''resolved'' '
        || 'OR status = ''closed'' OR status = ''void''')
        WHERE type = 'table' AND name = 'complaints';
    PRAGMA writable_schema = RESET;
    """

@step("m009_treated_visits_index")
def _m009() -> None:
    """
    -- Why: an import settles the consults of every patient it touched by finding each
    -- consult's first later treatment. Through visits_patient that read every later visit
    -- of the patient and sorted them, per consult: an eighth of a bulk import (issue 8).
    -- The treated visits of a patient by date and id answer it with one seek.
    CREATE INDEX visits_treated ON visits(patient_id, visit_date, visit_id)
        WHERE kind = 'treated';
    """


@step("m010_evident_logs")
def _m010() -> None:
    """
    -- Why: the call log is the clinic's evidence (issue 11). UPDATE and DELETE were refused,
    -- but INSERT OR REPLACE rewrote a call unseen (SQLite fires no delete trigger for a
    -- REPLACE unless recursive_triggers is on, which the sqlite3 shell does not set), a
    -- call's link to a task could be re-pointed, and with the triggers dropped anything
    -- went while doctor said sound. Now an insert over an existing key is refused, links
    -- are append-only, and every row of a log gets an entry in `chain` from its own
    -- trigger: the hash of the log's previous hash and the row's content (ledger/chain.py,
    -- whose LOGS must list the columns hashed here). doctor verifies the chains and that
    -- these triggers are as written. The rows already logged are chained in id order.
    CREATE TABLE chain (
        seq INTEGER PRIMARY KEY,
        log TEXT NOT NULL,
        row_id INTEGER NOT NULL,
        part INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX chain_log ON chain(log, seq);
    CREATE UNIQUE INDEX chain_row ON chain(log, row_id, part);
    CREATE TRIGGER chain_append_only_update BEFORE UPDATE ON chain
    BEGIN SELECT RAISE(ABORT, 'the hash chain is append-only'); END;
    CREATE TRIGGER chain_append_only_delete BEFORE DELETE ON chain
    BEGIN SELECT RAISE(ABORT, 'the hash chain is append-only'); END;
    CREATE TRIGGER chain_no_replace BEFORE INSERT ON chain
    WHEN EXISTS (SELECT 1 FROM chain WHERE seq = new.seq)
    BEGIN SELECT RAISE(ABORT, 'the hash chain is append-only'); END;
    CREATE TRIGGER attempt_tasks_append_only_update BEFORE UPDATE ON attempt_tasks
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempts_no_replace BEFORE INSERT ON attempts
    WHEN EXISTS (SELECT 1 FROM attempts WHERE attempt_id = new.attempt_id)
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER attempt_tasks_no_replace BEFORE INSERT ON attempt_tasks
    WHEN EXISTS (SELECT 1 FROM attempt_tasks
                 WHERE attempt_id = new.attempt_id AND task_id = new.task_id)
    BEGIN SELECT RAISE(ABORT, 'attempts are append-only'); END;
    CREATE TRIGGER patient_events_no_replace BEFORE INSERT ON patient_events
    WHEN EXISTS (SELECT 1 FROM patient_events WHERE event_id = new.event_id)
    BEGIN SELECT RAISE(ABORT, 'patient events are append-only'); END;
    CREATE TRIGGER complaint_events_no_replace BEFORE INSERT ON complaint_events
    WHEN EXISTS (SELECT 1 FROM complaint_events WHERE event_id = new.event_id)
    BEGIN SELECT RAISE(ABORT, 'complaint events are append-only'); END;
    CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
    WHEN EXISTS (SELECT 1 FROM audit WHERE audit_id = new.audit_id)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER attempts_chained AFTER INSERT ON attempts BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('attempts', new.attempt_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'attempts'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.attempt_id, new.patient_id, new.called_at,
                       new.logged_at, new.agent, new.outcome, new.note,
                       new.satisfaction, new.nps, new.callback_at, new.corrects,
                       new.correction, new.reason, new.logged_by)));
    END;
    CREATE TRIGGER attempt_tasks_chained AFTER INSERT ON attempt_tasks BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('attempt_tasks', new.attempt_id,
            new.task_id,
            followup_chain((SELECT hash FROM chain WHERE log = 'attempt_tasks'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.attempt_id, new.task_id)));
    END;
    CREATE TRIGGER patient_events_chained AFTER INSERT ON patient_events BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('patient_events',
            new.event_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'patient_events'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.event_id, new.patient_id, new.at, new.agent, new.action,
                       new.reason, new.attempt_id)));
    END;
    CREATE TRIGGER complaint_events_chained AFTER INSERT ON complaint_events BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('complaint_events',
            new.event_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'complaint_events'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.event_id, new.complaint_id, new.at, new.agent,
                       new.action, new.note)));
    END;
    CREATE TRIGGER audit_chained AFTER INSERT ON audit BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('audit', new.audit_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'audit'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.audit_id, new.at, new.agent, new.action, new.what)));
    END;
    CREATE TEMP TABLE m010_rows (log TEXT, row_id INTEGER, part INTEGER, content TEXT);
    CREATE TEMP TRIGGER m010_chain AFTER INSERT ON m010_rows BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES (new.log, new.row_id, new.part,
            followup_chain((SELECT hash FROM chain WHERE log = new.log
                            ORDER BY seq DESC LIMIT 1),
                           new.content));
    END;
    INSERT INTO temp.m010_rows (log, row_id, part, content)
        SELECT 'attempts', attempt_id, 0,
        json_array(attempt_id, patient_id, called_at, logged_at, agent, outcome,
                   note, satisfaction, nps, callback_at, corrects, correction,
                   reason, logged_by)
        FROM attempts ORDER BY rowid;
    INSERT INTO temp.m010_rows (log, row_id, part, content)
        SELECT 'attempt_tasks', attempt_id, task_id,
        json_array(attempt_id, task_id)
        FROM attempt_tasks ORDER BY rowid;
    INSERT INTO temp.m010_rows (log, row_id, part, content)
        SELECT 'patient_events', event_id, 0,
        json_array(event_id, patient_id, at, agent, action, reason, attempt_id)
        FROM patient_events ORDER BY rowid;
    INSERT INTO temp.m010_rows (log, row_id, part, content)
        SELECT 'complaint_events', event_id, 0,
        json_array(event_id, complaint_id, at, agent, action, note)
        FROM complaint_events ORDER BY rowid;
    INSERT INTO temp.m010_rows (log, row_id, part, content)
        SELECT 'audit', audit_id, 0,
        json_array(audit_id, at, agent, action, what)
        FROM audit ORDER BY rowid;
    DROP TRIGGER temp.m010_chain;
    DROP TABLE temp.m010_rows;
    """


@step("m011_alerts")
def _m011() -> None:
    """
    -- Why: a warning sign heard on a call must reach a doctor in time, and a re-check the
    -- patient agreed to must be followed (issue 19). A call with signs opens an alert,
    -- routed to a doctor with a deadline on the clock from the call; each answer to it
    -- (acknowledged, closed) is an append-only event. A booked re-check records the day
    -- agreed and the grace it waits for a visit; the task that rebooks a missed one is
    -- planned with it and cancelled when an import brings the visit.
    CREATE TABLE alerts (
        alert_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        attempt_id INTEGER NOT NULL REFERENCES attempts(attempt_id),
        visit_id TEXT REFERENCES visits(visit_id),
        signs TEXT NOT NULL,
        urgency TEXT NOT NULL
            CHECK (urgency = 'urgent' OR urgency = 'today' OR urgency = 'routine'),
        doctor TEXT NOT NULL DEFAULT '',
        routed TEXT NOT NULL CHECK (routed = 'visit' OR routed = 'duty' OR routed = 'none'),
        opened_at TEXT NOT NULL,
        due_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        closed_at TEXT,
        closed_by TEXT,
        action TEXT,
        status TEXT NOT NULL
            CHECK (status = 'open' OR status = 'acknowledged' OR status = 'closed')
    );
    CREATE INDEX alerts_waiting ON alerts(due_at) WHERE status <> 'closed';
    CREATE INDEX alerts_patient ON alerts(patient_id);
    CREATE INDEX alerts_opened ON alerts(opened_at);
    CREATE TABLE alert_events (
        event_id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts(alert_id),
        at TEXT NOT NULL,
        agent TEXT NOT NULL,
        action TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX alert_events_alert ON alert_events(alert_id);
    CREATE TRIGGER alert_events_append_only_update BEFORE UPDATE ON alert_events
    BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
    CREATE TRIGGER alert_events_append_only_delete BEFORE DELETE ON alert_events
    BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
    CREATE TRIGGER alert_events_no_replace BEFORE INSERT ON alert_events
    WHEN EXISTS (SELECT 1 FROM alert_events WHERE event_id = new.event_id)
    BEGIN SELECT RAISE(ABORT, 'alert events are append-only'); END;
    CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
    BEGIN SELECT RAISE(ABORT, 'alerts are never deleted'); END;
    CREATE TABLE rechecks (
        recheck_id INTEGER PRIMARY KEY,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        attempt_id INTEGER NOT NULL REFERENCES attempts(attempt_id),
        visit_id TEXT REFERENCES visits(visit_id),
        booked_for TEXT NOT NULL,
        booked_at TEXT NOT NULL,
        agent TEXT NOT NULL,
        grace_days INTEGER NOT NULL CHECK (grace_days >= 0),
        task_id INTEGER REFERENCES tasks(task_id),
        kept_visit_id TEXT REFERENCES visits(visit_id),
        kept_on TEXT
    );
    CREATE INDEX rechecks_waiting ON rechecks(patient_id) WHERE kept_visit_id IS NULL;
    CREATE INDEX rechecks_booked ON rechecks(booked_at);
    CREATE TRIGGER rechecks_no_delete BEFORE DELETE ON rechecks
    BEGIN SELECT RAISE(ABORT, 're-checks are never deleted'); END;
    """


@step("m012_sms")
def _m012() -> None:
    """
    -- Why: a clinic sends an SMS when a call cannot (issue 20): followup prepares the
    -- batch for the clinic's SMS platform and keeps what was sent. A message is one per
    -- patient and day (its key; a batch sent again gets a numbered key); the tasks it
    -- was about are linked so a task is messaged once; a delivery receipt sets its
    -- status. Unsubscribing needs no column: it is a patient event (sms_off, sms_on)
    -- with who and why, and the latest one decides. Sent messages are never deleted.
    CREATE TABLE sms (
        sms_id INTEGER PRIMARY KEY,
        sms_key TEXT NOT NULL UNIQUE,
        patient_id TEXT NOT NULL REFERENCES patients(patient_id),
        day TEXT NOT NULL,
        category TEXT NOT NULL,
        template TEXT NOT NULL,
        text TEXT NOT NULL,
        length INTEGER NOT NULL,
        parts INTEGER NOT NULL,
        phone TEXT NOT NULL,
        batch TEXT NOT NULL,
        send_at TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        agent TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status = 'queued' OR status = 'delivered' OR status = 'failed'),
        status_at TEXT,
        status_detail TEXT
    );
    CREATE INDEX sms_day ON sms(day);
    CREATE INDEX sms_patient ON sms(patient_id, day);
    CREATE INDEX sms_phone ON sms(phone, status);
    CREATE TABLE sms_tasks (
        sms_id INTEGER NOT NULL REFERENCES sms(sms_id),
        task_id INTEGER NOT NULL REFERENCES tasks(task_id),
        kind TEXT NOT NULL,
        PRIMARY KEY (sms_id, task_id)
    );
    CREATE INDEX sms_tasks_task ON sms_tasks(task_id);
    CREATE TRIGGER sms_kept BEFORE DELETE ON sms
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept'); END;
    CREATE TRIGGER sms_tasks_kept BEFORE DELETE ON sms_tasks
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept'); END;
    """


@step("m013_users")
def _m013() -> None:
    """
    -- Why: the team works the ledger from the browser (`followup serve`). Each person
    -- signs in as themselves: the user is the agent recorded on their calls and reveals.
    -- Passwords are argon2 hashes; sessions are kept here (revocable, ended by sign-out,
    -- disabling the user or idle expiry), keyed by a hash of the cookie, so a copy of
    -- the ledger holds no cookie that works.
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        lang TEXT CHECK (lang IN ('zh', 'en')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(username);
    """


@step("m014_more_chained_logs")
def _m014() -> None:
    """
    -- Why: the warning signs heard on calls, the re-checks patients agreed to and the
    -- messages sent are the clinic's evidence as much as the calls (issues 19, 20), but
    -- only the logs of migration 010 were chained. Now alert events, each alert and
    -- re-check as opened or booked, each message as queued and the tasks it was about are
    -- chained too (ledger/chain.py's LOGS lists them after the first five, so a
    -- fingerprint noted before this still holds). What a later answer fills in (an
    -- alert's status, a re-check kept, a delivery receipt) stays writable; what was
    -- recorded when the row was written is refused any change, and no row is replaced.
    CREATE TRIGGER alerts_kept_as_written BEFORE UPDATE OF patient_id, attempt_id,
        visit_id, signs, urgency, doctor, routed, opened_at, due_at
        ON alerts
    BEGIN SELECT RAISE(ABORT, 'alerts are kept as opened'); END;
    CREATE TRIGGER alerts_no_replace BEFORE INSERT ON alerts
    WHEN EXISTS (SELECT 1 FROM alerts WHERE alert_id = new.alert_id)
    BEGIN SELECT RAISE(ABORT, 'alerts are kept as opened'); END;
    CREATE TRIGGER rechecks_kept_as_written BEFORE UPDATE OF patient_id, attempt_id,
        visit_id, booked_for, booked_at, agent, grace_days
        ON rechecks
    BEGIN SELECT RAISE(ABORT, 'a booked re-check is kept as booked'); END;
    CREATE TRIGGER rechecks_no_replace BEFORE INSERT ON rechecks
    WHEN EXISTS (SELECT 1 FROM rechecks WHERE recheck_id = new.recheck_id)
    BEGIN SELECT RAISE(ABORT, 'a booked re-check is kept as booked'); END;
    CREATE TRIGGER sms_kept_as_written BEFORE UPDATE OF sms_key, patient_id, day, category,
        template, text, length, parts, phone, batch, send_at, queued_at, agent
        ON sms
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept as sent'); END;
    CREATE TRIGGER sms_no_replace BEFORE INSERT ON sms
    WHEN EXISTS (SELECT 1 FROM sms WHERE sms_id = new.sms_id)
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept as sent'); END;
    CREATE TRIGGER sms_tasks_kept_as_written BEFORE UPDATE ON sms_tasks
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept as sent'); END;
    CREATE TRIGGER sms_tasks_no_replace BEFORE INSERT ON sms_tasks
    WHEN EXISTS (SELECT 1 FROM sms_tasks WHERE sms_id = new.sms_id AND task_id = new.task_id)
    BEGIN SELECT RAISE(ABORT, 'sent messages are kept as sent'); END;
    CREATE TRIGGER alert_events_chained AFTER INSERT ON alert_events BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('alert_events', new.event_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'alert_events'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.event_id, new.alert_id, new.at, new.agent, new.action, new.note)));
    END;
    CREATE TRIGGER alerts_chained AFTER INSERT ON alerts BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('alerts', new.alert_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'alerts'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.alert_id, new.patient_id, new.attempt_id, new.visit_id,
                new.signs, new.urgency, new.doctor, new.routed, new.opened_at, new.due_at)));
    END;
    CREATE TRIGGER rechecks_chained AFTER INSERT ON rechecks BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('rechecks', new.recheck_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'rechecks'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.recheck_id, new.patient_id, new.attempt_id, new.visit_id,
                new.booked_for, new.booked_at, new.agent, new.grace_days)));
    END;
    CREATE TRIGGER sms_chained AFTER INSERT ON sms BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('sms', new.sms_id, 0,
            followup_chain((SELECT hash FROM chain WHERE log = 'sms'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.sms_id, new.sms_key, new.patient_id, new.day, new.category,
                new.template, new.text, new.length, new.parts, new.phone, new.batch,
                new.send_at, new.queued_at, new.agent)));
    END;
    CREATE TRIGGER sms_tasks_chained AFTER INSERT ON sms_tasks BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES ('sms_tasks', new.sms_id, new.task_id,
            followup_chain((SELECT hash FROM chain WHERE log = 'sms_tasks'
                            ORDER BY seq DESC LIMIT 1),
            json_array(new.sms_id, new.task_id, new.kind)));
    END;
    CREATE TEMP TABLE m014_rows (log TEXT, row_id INTEGER, part INTEGER, content TEXT);
    CREATE TEMP TRIGGER m014_chain AFTER INSERT ON m014_rows BEGIN
        INSERT INTO chain (log, row_id, part, hash) VALUES (new.log, new.row_id, new.part,
            followup_chain((SELECT hash FROM chain WHERE log = new.log
                            ORDER BY seq DESC LIMIT 1),
                           new.content));
    END;
    INSERT INTO temp.m014_rows (log, row_id, part, content)
        SELECT 'alert_events', event_id, 0,
        json_array(event_id, alert_id, at, agent, action, note)
        FROM alert_events ORDER BY rowid;
    INSERT INTO temp.m014_rows (log, row_id, part, content)
        SELECT 'alerts', alert_id, 0,
        json_array(alert_id, patient_id, attempt_id, visit_id, signs, urgency, doctor,
            routed, opened_at, due_at)
        FROM alerts ORDER BY rowid;
    INSERT INTO temp.m014_rows (log, row_id, part, content)
        SELECT 'rechecks', recheck_id, 0,
        json_array(recheck_id, patient_id, attempt_id, visit_id, booked_for, booked_at,
            agent, grace_days)
        FROM rechecks ORDER BY rowid;
    INSERT INTO temp.m014_rows (log, row_id, part, content)
        SELECT 'sms', sms_id, 0,
        json_array(sms_id, sms_key, patient_id, day, category, template, text, length,
            parts, phone, batch, send_at, queued_at, agent)
        FROM sms ORDER BY rowid;
    INSERT INTO temp.m014_rows (log, row_id, part, content)
        SELECT 'sms_tasks', sms_id, task_id,
        json_array(sms_id, task_id, kind)
        FROM sms_tasks ORDER BY rowid;
    DROP TRIGGER temp.m014_chain;
    DROP TABLE temp.m014_rows;
    """


LATEST = len(STEPS)


def migrate(conn: sqlite3.Connection, *, stop_before: str | None = None) -> None:
    """Apply every pending migration, each in its own transaction."""
    database, migrations_of = _sqlite_utils()
    chain.register(conn)   # migration 010 chains the rows already logged

    migrations = migrations_of("followup")
    for number, (name, sql) in enumerate(STEPS, start=1):

        def apply(db: Database, sql: str = sql, number: int = number) -> None:
            for statement in _statements(sql):
                db.execute(statement)
            if "writable_schema" in sql:
                # a table's text was edited: every connection must read the schema again
                cookie = db.execute("PRAGMA schema_version").fetchone()[0]
                db.execute(f"PRAGMA schema_version = {cookie + 1}")
            db.execute(f"PRAGMA user_version = {number}")

        migrations(name=name)(apply)
    migrations.apply(database(conn), stop_before=stop_before)
    if stop_before is None:
        # every step is applied (sqlite-utils knows them by name): the version says so, even
        # for a ledger whose steps were applied out of number order
        conn.execute(f"PRAGMA user_version = {LATEST}")


def _sqlite_utils() -> tuple[type[Database], type[Any]]:
    """sqlite-utils' Database and Migrations. Its import loads numpy and pandas when they
    are installed (matplotlib brings numpy: ~100 ms of creating a ledger) only to convert
    their values, which a ledger never holds: they are kept out of that import."""
    import sys

    absent = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # type: ignore[assignment]   # "import numpy" fails
    try:
        from sqlite_utils import Database
        from sqlite_utils.migrations import Migrations
    finally:
        for name in absent:
            del sys.modules[name]
    return Database, Migrations


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers hold inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
