"""One normaliser of ids: what people cannot see on a screen does not make two ids differ.

A patient id typed on a full-width keyboard (Ｃ１００１), copied with a zero-width space
from a chat, or exported with a byte-order mark or a stray control character is the same
id as C1001. The importer reads every patient and visit id (and every header) through
`normalise_id`, the ledger stores what it returns, and the commands that look a patient
up by an id from the command line pass it through the same function.
"""

from __future__ import annotations

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
