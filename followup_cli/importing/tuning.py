"""How an import splits its work, and how much a workbook may unpack to: sizes tests
shrink (tests/test_import.py's `tuned` fixture replaces TUNING) to take every path on
small files. Read at each use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tuning:
    chunk: int = 500                  # visits looked up in the ledger together
    bulk_rows: int = 20_000           # an export this large, and larger than the ledger,
                                      # is a bulk load (indexes built once at the end)
    process_bytes: int = 2_000_000    # a CSV this large (~20 k rows): a second process reads
    sent: int = 2_000                 # visits a message from the reading process carries
    max_unpacked: int = 1 << 30       # what a workbook's zip members may unpack to together


TUNING = Tuning()
