"""What a chunk of an export's visits changes in the ledger, decided apart from writing it.

`Stager.stage` turns clean visits into `Staged`: complete rows to insert and the few
updates, in the order of write.py's statements, which runs them; chunk after chunk,
each chunk staged from the ledger as the chunks before it left it.

A patient is written as an upsert of every visit's row: the first inserts them, a later
one updates them if it says something new (an empty cell does not wipe what is known)
and its visit is not older than the patient's latest one: a patient's details are those
of the row of their latest visit (by visit date, then file order), whatever the order of
the file (an export sorted newest first) or of the imports.

A visit already in the ledger under another patient is not moved: its tasks and calls
are that patient's (`Stager.moved`, refused by the importer).
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Staged:
    """One chunk's changes, in the order write.write_staged makes them."""

    patients: list[tuple[Any, ...]]         # write.UPSERT_PATIENT rows, in the export's order
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
        # patients a row says unsubscribed from SMS (短信退订 = yes)
        self.sms_off: set[str] = set()

    def stage(self, chunk: list[Visit], do_not_call: set[str] | frozenset[str],
              known_visits: dict[str, Any], latest: dict[str, str] | None = None) -> Staged:
        """`do_not_call`: the chunk's patients who asked not to be called (nothing is
        planned for them). `known_visits`: the ledger's rows of the chunk's visits.
        `latest`: the day of the latest visit the ledger has of the chunk's patients.

        A patient's row is sent only if its visit is not older than their visits before
        it in the file (this chunk's: the ledger has those of the chunks before, and
        write.UPSERT_PATIENT checks them) nor than the ledger's `latest`."""
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
            if v.sms_off:
                self.sms_off.add(pid)
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
            if plan is not None and not plan.category.touchpoints:
                summary.no_calls[category] = summary.no_calls.get(category, 0) + 1
                summary.labels[category] = plan.category.label
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
