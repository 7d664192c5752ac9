"""One normaliser of ids: what people cannot see on a screen does not make two ids differ.

A patient id typed on a full-width keyboard (Ｃ１００１), copied with a zero-width space
from a chat, or exported with a byte-order mark or a stray control character is the same
id as C1001. The importer reads every patient and visit id (and every header) through
`normalise_id`, the ledger stores what it returns, and every face that looks a patient up
by an id a person typed (patient show, log --patient, assign, the web's search and patient
page …) goes through `lookup_patient`: the exact id first, else the one id that differs
only in case.
"""

from __future__ import annotations

import sqlite3
import unicodedata


def normalise_id(text: str) -> str:
    """NFKC (full-width → half-width), without format characters (Unicode category Cf:
    BOM, zero-width spaces and joiners, direction marks) and control characters (Cc), and
    without surrounding spaces."""
    if text.isascii() and text.isprintable():   # the common id: nothing to do but strip
        return text.strip()
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc")).strip()


def patient_id(text: str) -> str:
    """A patient id given on the command line, normalised; FollowupError if nothing is
    left of it (an empty argument, only spaces or invisible characters)."""
    found = normalise_id(text or "")
    if not found:
        from followup_cli.errors import FollowupError
        from followup_cli.i18n import t

        raise FollowupError(t("a patient id is needed (not empty)"))
    return found


def lookup_patient(conn: sqlite3.Connection, text: str) -> str:
    """The patient an id given by a person stands for: normalised (patient_id), the patient
    of exactly that id, else the one patient whose id matches it ignoring case (p1001 for
    P1001). Two or more such patients are refused, naming no one; no match at all gives
    the id as typed, for the caller to say there is no such patient."""
    found = patient_id(text)
    if conn.execute("SELECT 1 FROM patients WHERE patient_id = ?", (found,)).fetchone():
        return found
    alike = [r[0] for r in conn.execute(
        "SELECT patient_id FROM patients WHERE patient_id = ? COLLATE NOCASE LIMIT 10",
        (found,))]
    if len(alike) == 1:
        return str(alike[0])
    if alike:
        from followup_cli.errors import FollowupError
        from followup_cli.i18n import tn

        raise FollowupError(tn(
            "patient id {patient_id} is not exact and matches {count} patient when case is "
            "ignored: type it exactly as the clinic's system writes it",
            "patient id {patient_id} is not exact and matches {count} patients when case is "
            "ignored: type it exactly as the clinic's system writes it", len(alike),
            patient_id=found))
    return found
