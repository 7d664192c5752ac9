"""The call sheet on the terminal: the open complaint cases above it, then one row per
patient, grouped by calling window. Drawn without rich: it opens every shift."""

from __future__ import annotations

import sys
from typing import Any

from followup_cli.i18n import t
from followup_cli.output.tables import Column, Dim, draw, paragraph


def render_cases(cases: list[dict[str, Any]], title: str | None = None) -> None:
    """Open cases as a table; drawn above the call sheet, so without rich."""
    from followup_cli.complaints import time_left

    if not cases:
        sys.stdout.write(paragraph(t("complaint.none_open")))
        return
    rows = []
    for c in cases:
        left = ""
        if c["minutes_left"] is not None:
            left = time_left(c["minutes_left"])
        if c["breached"]:
            left = (left + " " if left else "") + t("complaint.breached")
        rows.append((f"#{c['complaint_id']}", c["patient_id"],
                     t(f"complaint.status.{c['status']}"),
                     f"{t('complaint.category.' + c['category'])} · "
                     f"{t('complaint.severity.' + c['severity'])}",
                     (t(f"complaint.step.{c['next_step']}") + " " + c["next_due_at"][5:16]
                      .replace("T", " ")) if c["next_step"] else "", left))
    columns = [Column(t(f"complaint.col.{key}"))
               for key in ("id", "patient", "status", "category", "next", "left")]
    sys.stdout.write(draw(columns, rows, title=title or t("complaint.title", count=len(cases))))


def render_alerts(alerts: list[dict[str, Any]], title: str | None = None) -> None:
    """Clinical alerts as a table, the nearest deadline first: drawn above the open
    complaint cases and the call sheet, so without rich."""
    from followup_cli.alerts import sign_words, time_left
    from followup_cli.i18n import current

    if not alerts:
        sys.stdout.write(paragraph(t("alert.none_open")))
        return
    statuses = {"open": t("alert.status.open"), "acknowledged": t("alert.status.acknowledged"),
                "closed": t("alert.status.closed")}
    urgencies = {"urgent": t("alert.urgency.urgent"), "today": t("alert.urgency.today"),
                 "routine": t("alert.urgency.routine")}
    rows = []
    for a in alerts:
        left = time_left(a["minutes_left"]) if a["minutes_left"] is not None else ""
        if a["breached"]:
            left = (left + " " if left else "") + t("alert.breached")
        rows.append((f"#{a['alert_id']}", a["patient_id"], urgencies[a["urgency"]],
                     sign_words(a, current()), a["doctor"] or t("alert.no_doctor"),
                     a["due_at"][5:16].replace("T", " "), statuses[a["status"]], left))
    columns = [Column(t("alert.col.id")), Column(t("alert.col.patient")),
               Column(t("alert.col.urgency")), Column(t("alert.col.signs")),
               Column(t("alert.col.doctor")), Column(t("alert.col.due")),
               Column(t("alert.col.status")), Column(t("alert.col.left"))]
    sys.stdout.write(draw(columns, rows, title=title or t("alert.title", count=len(alerts))))


def render_sheet(records: list[dict[str, Any]], day: str,
                 context: dict[str, Any] | None = None,
                 prompt: dict[int, str] | None = None, empty: str | None = None) -> None:
    """One row per patient, grouped by calling window, overdue first within each; `empty`
    is said instead of "nobody to call" when the sheet has calls for later."""
    from followup_cli.calls import outcome_label
    from followup_cli.sheet import (
        WINDOW_ORDER,
        by_patient,
        call_time,
        patient_window,
        visit_label,
        visits_of,
    )

    write = sys.stdout.write
    patients = by_patient(records)
    if not patients:
        write(paragraph(empty or t("due.empty", date=day)))
        return
    write(paragraph(t("due.title", date=day, patients=len(patients), tasks=len(records))))
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for tasks in patients:
        groups.setdefault(patient_window(tasks), []).append(tasks)
    columns = (Column("#", right=True, fold=False), Column(t("due.col.patient")),
               Column(t("due.col.visit")), Column(t("due.col.why")),
               Column(t("due.col.overdue"), right=True, fold=False), Column(t("due.col.tasks")))
    number = 0
    for window in sorted(groups, key=WINDOW_ORDER.__getitem__):
        rows = []
        for tasks in groups[window]:
            number += 1
            visits = visits_of(tasks)
            first = visits[0] if visits else tasks[0]
            about = (context or {}).get(first["patient_id"], {})
            who = [first["name"], first["phone"]]
            if first["vip_tier"]:
                who.append(first["vip_tier"])
            who += [t("alert.sheet_mark", id=alert_id) for alert_id in about.get("alerts", [])]
            who += [t("due.complaint_mark", id=case_id) for case_id in about.get("complaints", [])]
            if len(visits) > 1:   # each task names its visit; the column lists them all
                visit = [" · ".join(filter(None, (visit_label(v), v["doctor"]))) for v in visits]
            else:
                visit = list(filter(None, (
                    first["project"], first["doctor"], first["consultant"],
                    t("due.days_since", days=first["days_since_visit"])
                    if first["days_since_visit"] is not None else None)))
            lines = []
            for task in tasks:
                line = ("▸" if len(tasks) > 1 else "") + task["purpose"]
                if len(visits) > 1 and task["visit_id"]:
                    line += " " + t("due.of_visit", visit=visit_label(task))
                if task["provisional"]:
                    line += f" {t('due.provisional_mark')}"
                if task["attempts"]:
                    line += f" {t('due.attempts', n=task['attempts'])}"
                when = call_time(task, day)
                if when:
                    line += f" {when}"
                lines.append(line)
                if prompt and task["task_id"] in prompt:
                    lines.append(Dim(f"“{prompt[task['task_id']]}”"))
            last = about.get("last_call")
            if last is not None:
                lines.append(t("due.last_call", at=last["called_at"][:10], agent=last["agent"],
                               outcome=outcome_label(last["outcome"]),
                               note=(last["note"] or "")[:40]))
            overdue = max(task["overdue_days"] for task in tasks)
            rows.append((str(number), who, visit, lines,
                         t("due.overdue_days", days=overdue) if overdue else "",
                         ",".join(str(task["task_id"]) for task in tasks)))
        write(draw(columns, rows, title=t(f"window.{window}").capitalize(), lines_between=True))
