"""Hash chains over the logs a user's work leaves: the calls, the tasks each call settled,
patient events, complaint events, the audit log (migration 010), and the alerts with their
events, the re-checks booked and the messages sent (migration 014; of these three, what
was written with the row — not a later status — is hashed, and triggers refuse changing it).

Every row of these tables has an entry in `chain`, written by the table's AFTER INSERT
trigger (migration 010) inside the statement that wrote the row: the SHA-256 of the log's
previous hash and the row's content (SQLite's `json_array` of its columns). The triggers
call `followup_chain`, which every followup connection registers (`register`): no code
that writes a row can forget its entry, and a client without the function (the sqlite3
shell) cannot add a row at all. A row changed, removed or slipped in once the append-only
triggers are dropped breaks its log's chain at that row: `verify` finds the first.

There is no secret: someone with the file could rewrite a whole chain. What catches that
is a fingerprint kept outside the ledger: `anchor` names how long each log was and a hash
of the entries there; `doctor` prints it (and the month report carries it), and
`doctor --anchor FINGERPRINT` later checks that the logs still pass through those very
entries. Rewriting any row from before the fingerprint changes them.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

# log (its table) -> the row's key in `chain` (row_id, part) and the columns hashed, as
# migration 010's triggers hash them. A migration that adds a column to one of these
# tables and wants it hashed re-creates the trigger, re-chains the log and changes this.
LOGS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "attempts": ("attempt_id", "0", (
        "attempt_id", "patient_id", "called_at", "logged_at", "agent", "outcome", "note",
        "satisfaction", "nps", "callback_at", "corrects", "correction", "reason",
        "logged_by")),
    "attempt_tasks": ("attempt_id", "task_id", ("attempt_id", "task_id")),
    "patient_events": ("event_id", "0", (
        "event_id", "patient_id", "at", "agent", "action", "reason", "attempt_id")),
    "complaint_events": ("event_id", "0", (
        "event_id", "complaint_id", "at", "agent", "action", "note")),
    "audit": ("audit_id", "0", ("audit_id", "at", "agent", "action", "what")),
    # migration 014: only appended, so a fingerprint of the first five logs still holds
    "alert_events": ("event_id", "0", ("event_id", "alert_id", "at", "agent", "action", "note")),
    "alerts": ("alert_id", "0", (
        "alert_id", "patient_id", "attempt_id", "visit_id", "signs", "urgency", "doctor",
        "routed", "opened_at", "due_at")),
    "rechecks": ("recheck_id", "0", (
        "recheck_id", "patient_id", "attempt_id", "visit_id", "booked_for", "booked_at",
        "agent", "grace_days")),
    "sms": ("sms_id", "0", (
        "sms_id", "sms_key", "patient_id", "day", "category", "template", "text", "length",
        "parts", "phone", "batch", "send_at", "queued_at", "agent")),
    "sms_tasks": ("sms_id", "task_id", ("sms_id", "task_id", "kind")),
}
# how many logs a fingerprint named as followup grew: one noted before migration 014 names
# the first five, and still holds while those five pass through the entries it names
FINGERPRINT_SIZES = (5, len(LOGS))


def link(previous: str | None, content: str) -> str:
    """A row's hash: of the hash before it in its log (none for the first) and its content."""
    return hashlib.sha256(((previous or "") + content).encode()).hexdigest()


def register(conn: sqlite3.Connection) -> None:
    """Let this connection write the logs (their triggers call `followup_chain`)."""
    conn.create_function("followup_chain", 2, link, deterministic=True)


def verify(conn: sqlite3.Connection) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """({log: its first broken row and what is wrong}, {log: the hash at its head})."""
    broken: dict[str, dict[str, Any]] = {}
    heads: dict[str, Any] = {}
    for log, (row_id, part, columns) in LOGS.items():
        content = ", ".join(f"t.{c}" for c in columns)
        previous = None
        matched = 0
        for entry in conn.execute(
                f"SELECT c.row_id, c.part, c.hash, t.rowid IS NULL AS gone, "
                f"json_array({content}) AS content FROM chain c LEFT JOIN {log} t "
                f"ON t.{row_id} = c.row_id AND {_part('t', part)} = c.part "
                f"WHERE c.log = ? ORDER BY c.seq", (log,)):
            entry_row, entry_part, stored, gone, row = entry
            problem = ("missing" if gone else
                       "changed" if link(previous, row) != stored else None)
            if problem:
                broken[log] = {"row": _key(entry_row, entry_part, part), "problem": problem}
                break
            previous = stored
            matched += 1
        heads[log] = previous
        if log in broken:
            continue
        if conn.execute(f"SELECT count(*) FROM {log}").fetchone()[0] != matched:
            stray = conn.execute(
                f"SELECT t.{row_id} AS row_id, {_part('t', part)} AS part FROM {log} t "
                f"WHERE NOT EXISTS (SELECT 1 FROM chain c WHERE c.log = ? "
                f"AND c.row_id = t.{row_id} AND c.part = {_part('t', part)}) "
                f"ORDER BY t.rowid LIMIT 1", (log,)).fetchone()
            if stray is not None:
                broken[log] = {"row": _key(stray[0], stray[1], part), "problem": "unchained"}
    return broken, heads


def _part(alias: str, part: str) -> str:
    return part if part == "0" else f"{alias}.{part}"


def _key(row_id: Any, part: Any, part_column: str) -> Any:
    return row_id if part_column == "0" else f"{row_id}/{part}"


def anchor(conn: sqlite3.Connection) -> str:
    """The fingerprint of the logs as they are: the place (seq) of each log's latest entry,
    then a hash of those entries, e.g. `40771-40770-2035-40402-0-9f2c…` (16 hex digits).
    Cheap on any ledger: one index seek a log."""
    places = [int(conn.execute("SELECT coalesce(max(seq), 0) FROM chain WHERE log = ?",
                               (log,)).fetchone()[0]) for log in LOGS]
    return _fingerprint(conn, places)


def anchor_holds(conn: sqlite3.Connection, fingerprint: str) -> bool | None:
    """Whether the logs still pass through `fingerprint`'s entries; None if it is not a
    fingerprint followup gave."""
    *places, digest = fingerprint.strip().split("-")
    if (len(places) not in FINGERPRINT_SIZES or not all(p.isdigit() for p in places)
            or len(digest) != 16 or not all(c in "0123456789abcdef" for c in digest)):
        return None
    return _fingerprint(conn, [int(p) for p in places]) == fingerprint.strip()


def _fingerprint(conn: sqlite3.Connection, places: list[int]) -> str:
    hashes = []
    for log, seq in zip(list(LOGS)[:len(places)], places, strict=True):
        row = conn.execute("SELECT hash FROM chain WHERE seq = ? AND log = ?",
                           (seq, log)).fetchone()
        hashes.append(row[0] if row else "")
    digest = hashlib.sha256("|".join(hashes).encode()).hexdigest()[:16]
    return "-".join([*map(str, places), digest])
