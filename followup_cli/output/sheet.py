"""The call sheet on the terminal: the open complaint cases above it, then one row per
patient, grouped by calling window. Drawn without rich: it opens every shift."""

from __future__ import annotations

import sys
from typing import Any

from followup_cli.i18n import t, tc, tn
from followup_cli.labels import label
from followup_cli.output.tables import Column, Dim, draw, paragraph


def render_cases(cases: list[dict[str, Any]], title: str | None = None) -> None:
    """Open cases as a table; drawn above the call sheet, so without rich."""
    from followup_cli.complaints import time_left

    if not cases:
        sys.stdout.write(paragraph(t("no open complaint cases")))
        return
    rows = []
    for c in cases:
        left = ""
        if c["minutes_left"] is not None:
            left = time_left(c["minutes_left"])
        if c["breached"]:
            left = (left + " " if left else "") + t("BREACHED")
        rows.append((f"#{c['complaint_id']}", c["patient_id"],
                     label('complaint.status', c['status']),
                     f"{label('complaint.category', c['category'])} · "
                     f"{label('complaint.severity', c['severity'])}",
                     (label("complaint.step", c['next_step']) + " " + c["next_due_at"][5:16]
                      .replace("T", " ")) if c["next_step"] else "", left))
    columns = [Column(label("complaint.col", key))
               for key in ("id", "patient", "status", "category", "next", "left")]
    sys.stdout.write(draw(columns, rows, title=title or t("Open complaints: {count} "
                                                          "(first)", count=len(cases))))


def render_alerts(alerts: list[dict[str, Any]], title: str | None = None) -> None:
    """Clinical alerts as a table, the nearest deadline first: drawn above the open
    complaint cases and the call sheet, so without rich."""
    from followup_cli.alerts import sign_words, time_left
    from followup_cli.i18n import current

    if not alerts:
        sys.stdout.write(paragraph(t("no open clinical alerts")))
        return
    statuses = {"open": tc("alert.status", "open"),
                "acknowledged": tc("alert.status", "acknowledged"),
                "closed": tc("alert.status", "closed")}
    urgencies = {"urgent": t("urgent"), "today": t("today"),
                 "routine": t("routine")}
    rows = []
    for a in alerts:
        left = time_left(a["minutes_left"]) if a["minutes_left"] is not None else ""
        if a["breached"]:
            left = (left + " " if left else "") + t("BREACHED")
        rows.append((f"#{a['alert_id']}", a["patient_id"], urgencies[a["urgency"]],
                     sign_words(a, current()), a["doctor"] or t("no doctor"),
                     a["due_at"][5:16].replace("T", " "), statuses[a["status"]], left))
    columns = [Column(t("Alert")), Column(tc("alert.col", "Patient")),
               Column(t("Urgency")), Column(t("Signs")),
               Column(t("Doctor")), Column(t("Answer by")),
               Column(t("Status")), Column(t("Time left"))]
    sys.stdout.write(draw(columns, rows,
                          title=title or t("Clinical alerts: {count} (first of all)",
                                           count=len(alerts))))


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
        write(paragraph(empty or t("nobody to call on {date}", date=day)))
        return
    write(paragraph(sheet_title(day, len(patients), len(records))))
    groups: dict[str, list[list[dict[str, Any]]]] = {}
    for tasks in patients:
        groups.setdefault(patient_window(tasks), []).append(tasks)
    columns = (Column("#", right=True, fold=False), Column(t("Patient")),
               Column(t("Visit")), Column(t("Why call")),
               Column(t("Overdue"), right=True, fold=False), Column(t("Tasks")))
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
            who += [t("⚠alert #{id}", id=alert_id) for alert_id in about.get("alerts", [])]
            who += [t("⚠complaint #{id}", id=case_id) for case_id in about.get("complaints", [])]
            if len(visits) > 1:   # each task names its visit; the column lists them all
                visit = [" · ".join(filter(None, (visit_label(v), v["doctor"]))) for v in visits]
            else:
                visit = list(filter(None, (
                    first["project"], first["doctor"], first["consultant"],
                    t("visit day +{days}", days=first["days_since_visit"])
                    if first["days_since_visit"] is not None else None)))
            lines = []
            for task in tasks:
                line = ("▸" if len(tasks) > 1 else "") + task["purpose"]
                if len(visits) > 1 and task["visit_id"]:
                    line += " " + t("[{visit}]", visit=visit_label(task))
                if task["provisional"]:
                    line += " " + t("(provisional)")
                if task["attempts"]:
                    line += " " + tn("({count} try)", "({count} tries)", task["attempts"])
                when = call_time(task, day)
                if when:
                    line += f" {when}"
                lines.append(line)
                if prompt and task["task_id"] in prompt:
                    lines.append(Dim(f"“{prompt[task['task_id']]}”"))
            last = about.get("last_call")
            if last is not None:
                lines.append(t("last: {at} {agent} {outcome} {note}", at=last["called_at"][:10],
                               agent=last["agent"],
                               outcome=outcome_label(last["outcome"]),
                               note=(last["note"] or "")[:40]))
            overdue = max(task["overdue_days"] for task in tasks)
            rows.append((str(number), who, visit, lines,
                         t("{days} d", days=overdue) if overdue else "",
                         ",".join(str(task["task_id"]) for task in tasks)))
        write(draw(columns, rows, title=label("window", window).capitalize(), lines_between=True))


def sheet_title(day: str, patients: int, tasks: int) -> str:
    """"Call sheet 2026-11-30: 1 patient, 2 tasks"."""
    return t("Call sheet {date}: {patients}, {tasks}", date=day,
             patients=tn("{count} patient", "{count} patients", patients),
             tasks=tn("{count} task", "{count} tasks", tasks))
