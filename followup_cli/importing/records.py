"""The records an import passes from stage to stage: a clean row (`Visit`), a row refused
(`BadRow`), what the import did (`ImportSummary`). Records are dataclasses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(slots=True)   # not frozen: slow to build, and built for every row
class Visit:
    """One clean row of an export."""

    line: int
    patient_id: str
    name: str
    phone: str
    visit_date: date
    visit_time: str | None
    project: str
    kind: str
    visit_id: str
    department: str | None = None
    doctor: str | None = None
    consultant: str | None = None
    risk: str | None = None
    birthday: date | None = None
    vip_tier: str | None = None
    no_callback: bool = False
    sms_off: bool = False      # 短信退订 = yes: the patient unsubscribed from SMS


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    column: str
    reason: str
    cells: tuple[str, ...]


class RowError(Exception):
    def __init__(self, column: str, reason: str):
        self.column, self.reason = column, reason


@dataclass
class ImportSummary:
    path: Path | None = None       # the file read (none: visits from elsewhere, the demo)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    patients_added: int = 0
    patients_updated: int = 0
    tasks: int = 0
    backfill: int = 0
    cancelled: int = 0
    no_callback: int = 0
    replanned: int = 0
    sms_off: int = 0            # patients the export says unsubscribed, newly recorded
    provisional: list[date] = field(default_factory=list)
    general: dict[str, int] = field(default_factory=dict)
    # visits of a category with no touchpoints (a re-check: its treatment's plan calls), by id
    no_calls: dict[str, int] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)   # their names, zh and en
    bad: list[BadRow] = field(default_factory=list)
    dry_run: bool = False
    sheet: str | None = None                              # the workbook's sheet read
    ignored: list[str] = field(default_factory=list)      # headers of no known column

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": None if self.path is None else str(self.path),
            "visits_added": self.added, "visits_updated": self.updated,
            "visits_unchanged": self.unchanged, "patients_added": self.patients_added,
            "patients_updated": self.patients_updated, "tasks_planned": self.tasks,
            "tasks_backfill": self.backfill, "consult_tasks_cancelled": self.cancelled,
            "no_callback_visits": self.no_callback, "general_projects": self.general,
            "provisional_tasks": len(self.provisional), "replanned": self.replanned,
            "bad_rows": len(self.bad), "dry_run": self.dry_run, "sheet": self.sheet,
            "ignored_columns": self.ignored, "sms_unsubscribed": self.sms_off,
            "visits_without_calls": self.no_calls,
        }


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last one shorter), read as the items come."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
