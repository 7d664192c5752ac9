"""Visit exports into the ledger, one module per stage:

    files     reading CSV and workbooks (encodings, the sheet, zip bombs); the bad rows' file
    columns   headers to the ledger's columns (aliases, --map, normalised headers)
    convert   dates, yes/no, kinds, risk levels, derived visit ids
    rows      cells to clean visits, each visit once (RowParser, unique_visits)
    stage     what a chunk of visits changes in the ledger, decided apart from writing it
    write     the staged chunks, birthdays and conversions into the ledger
    reader    the second process that reads, checks and de-duplicates a large CSV
    visits    import_visits: the stages above in one transaction
    records   the records passed between stages (dataclasses); tuning: chunk sizes

Each module imports only the ones listed before it (records and tuning from any).
"""

from __future__ import annotations

from followup_cli.importing.columns import parse_map
from followup_cli.importing.records import ImportSummary, Visit
from followup_cli.importing.visits import import_visits
from followup_cli.importing.write import write_visits

__all__ = ["ImportSummary", "Visit", "import_visits", "parse_map", "write_visits"]
