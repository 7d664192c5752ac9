"""Sheets a clinic can print or open in Excel: an A4 HTML page (one block per patient
that never splits across pages, the script, boxes to tick, room for the note) and an
.xlsx workbook. Files are created readable by their owner only."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from followup_cli.calls import OUTCOMES, outcome_label
from followup_cli.i18n import t, tc, tn
from followup_cli.labels import label
from followup_cli.output.files import write_workbook
from followup_cli.output.formats import safe_cell

CSS = """
@page { size: A4; margin: 9mm 10mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; font-size: 9pt; line-height: 1.25; color: #111;
       margin: 0; }
h1 { font-size: 13pt; margin: 0 0 2mm; }
h2 { font-size: 10.5pt; margin: 2.5mm 0 1.5mm; padding-bottom: 0.5mm;
     border-bottom: 2px solid #111; break-after: avoid; page-break-after: avoid; }
.complaints { border: 1.5px solid #b00; padding: 1.5mm 3mm; margin-bottom: 3mm; }
.complaints ul { margin: 0; padding-left: 5mm; }
.alerts { border: 2.5px solid #b00; padding: 1.5mm 3mm; margin-bottom: 3mm; }
.alerts ul { margin: 0; padding-left: 5mm; }
.signs { font-size: 8pt; margin: 0.3mm 0 0 2.5mm; display: flex; flex-wrap: wrap;
         gap: 0.3mm 2.2mm; }
.signs span { white-space: nowrap; }
.patient { border: 1px solid #444; border-radius: 1.5mm; padding: 1.2mm 2.5mm 1mm;
           margin: 0 0 2mm; break-inside: avoid; page-break-inside: avoid;
           display: grid; grid-template-columns: minmax(0, 1fr) 56mm; column-gap: 3mm; }
.head { grid-column: 1 / 3; display: flex; justify-content: space-between;
        font-weight: bold; }
.meta { color: #333; }
.why { margin: 0.8mm 0 0; }
.when { font-weight: bold; white-space: nowrap; }
.script { font-size: 8pt; color: #222; margin: 0 0 0 2.5mm; }
.script p, .worries p { margin: 0.2mm 0; }
.worries { font-size: 7pt; line-height: 1.2; color: #555; margin: 0.3mm 0 0 2.5mm; }
.record { border-left: 1px dotted #999; padding-left: 2.5mm; display: flex;
          flex-direction: column; }
.boxes { display: flex; flex-wrap: wrap; gap: 0.3mm 2.2mm; font-size: 8pt; }
.boxes span { white-space: nowrap; }
.label { margin-top: 1mm; font-size: 8.5pt; }
.line { border-bottom: 1px solid #888; min-height: 6mm; }
.lines { flex: 1; display: flex; flex-direction: column; }
.lines .line { flex: 1; }
.end { font-size: 6.5pt; color: #999; text-align: right; margin-top: 0.5mm; }
"""


NOTE_LINES = 3   # lines to write the note on, 6 mm at least; they stretch to the script


def sheet_html(patients: list[list[dict[str, Any]]], *, title: str, day: str,
               scripts: dict[int, dict[str, Any]], context: dict[str, Any],
               cases: list[dict[str, Any]], hours: dict[str, str],
               alerts: list[dict[str, Any]] | None = None) -> str:
    """The printed sheet: patients in calling order under a heading for each calling
    window (with its hours), one block a patient that never splits across pages."""
    from followup_cli.sheet import patient_window

    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>"]
    if alerts:
        parts.append(_alerts_block(alerts))
    if cases:
        said, breached = t("Open complaints: {count} (first)", count=len(cases)), t("BREACHED")
        parts.append(f"<div class='complaints'><b>{e(said)}</b><ul>")
        for c in cases:
            step = label("complaint.step", c['next_step']) if c["next_step"] else ""
            parts.append(f"<li>#{c['complaint_id']} {e(c['patient_id'])} · "
                         f"{e(label('complaint.status', c['status']))} · {e(step)} "
                         f"{e((c['next_due_at'] or '').replace('T', ' ')[:16])}"
                         + (" · " + e(breached) if c["breached"] else "") + "</li>")
        parts.append("</ul></div>")
    boxes = "".join(f"<span>☐ {e(outcome_label(o))}</span>" for o in OUTCOMES)
    heading = None
    for number, tasks in enumerate(patients, start=1):
        window = patient_window(tasks)
        if window != heading:
            heading, named = window, label("window", window).capitalize()
            said = t("{window} ({hours})", window=named, hours=hours[window])
            parts.append(f"<h2>{e(said)}</h2>")
        parts.append(_patient_block(number, tasks, window, day, scripts, context, boxes))
    parts.append("</body></html>")
    return "".join(parts)


def _alerts_block(alerts: list[dict[str, Any]]) -> str:
    """The open clinical alerts, above everything else on the page."""
    from followup_cli.alerts import sign_words
    from followup_cli.i18n import current

    e = html.escape
    statuses = {"open": tc("alert.status", "open"),
                "acknowledged": tc("alert.status", "acknowledged"),
                "closed": tc("alert.status", "closed")}
    heading = t("Clinical alerts: {count} (first of all)", count=len(alerts))
    nobody, answer_by, breached = t("no doctor"), t("Answer by"), t("BREACHED")
    parts = [f"<div class='alerts'><b>{e(heading)}</b><ul>"]
    for a in alerts:
        parts.append(f"<li>#{a['alert_id']} {e(a['patient_id'])} · {e(sign_words(a, current()))}"
                     f" · {e(a['doctor'] or nobody)} · "
                     f"{e(statuses[a['status']])} · {e(answer_by)} "
                     f"{e(a['due_at'].replace('T', ' ')[:16])}"
                     + (" · " + e(breached) if a["breached"] else "") + "</li>")
    parts.append("</ul></div>")
    return "".join(parts)


def _patient_block(number: int, tasks: list[dict[str, Any]], window: str, day: str,
                   scripts: dict[int, dict[str, Any]], context: dict[str, Any],
                   boxes: str) -> str:
    """One patient: who, which visit(s), the last call, then each task with its own
    questions under one greeting, the answers to worries once, one closing."""
    from followup_cli.sheet import call_time, visit_label, visits_of

    e = html.escape
    visits = visits_of(tasks)
    first = visits[0] if visits else tasks[0]
    pid = first["patient_id"]
    about = context.get(pid, {})
    if len(visits) > 1:
        meta = [" · ".join(filter(None, (visit_label(v), v["doctor"], v["consultant"])))
                for v in visits]
    else:
        meta = [" · ".join(filter(None, (
            first["project"], first["doctor"], first["consultant"],
            t("visit day +{days}", days=first["days_since_visit"])
            if first["days_since_visit"] is not None else None)))]
    who = " · ".join(filter(None, (f"{number}. {first['name']} ({pid})", first["vip_tier"])))
    # the window again beside the phone: a page may start in the middle of a window
    phone = " · ".join(filter(None, (label("window", window) if window != "any" else None,
                                     first["phone"])))
    parts = [f"<div class='patient' data-patient='{e(pid)}'><div class='head'>"
             f"<span>{e(who)}</span><span>{e(phone)}</span></div><div>"]
    parts += [f"<div class='meta'>{e(line)}</div>" for line in meta if line]
    for alert_id in about.get("alerts", []):
        flag = t("⚠alert #{id}", id=alert_id)
        parts.append(f"<div class='why'><b>{e(flag)}</b></div>")
    for case_id in about.get("complaints", []):
        flag = t("⚠complaint #{id}", id=case_id)
        parts.append(f"<div class='why'><b>{e(flag)}</b></div>")
    last = about.get("last_call")
    if last is not None:
        parts.append("<div class='meta'>" + e(t(
            "last: {at} {agent} {outcome} {note}", at=last["called_at"][:10], agent=last["agent"],
            outcome=outcome_label(last["outcome"]), note=last["note"] or "")) + "</div>")
    said = [scripts[task["task_id"]] for task in tasks if scripts.get(task["task_id"])]
    if said:
        parts.append(f"<div class='script'><p>{e(said[0]['greeting'])}</p></div>")
    worries: dict[str, None] = {}
    for task in tasks:
        details = []
        if len(visits) > 1 and task["visit_id"]:
            details.append(t("[{visit}]", visit=visit_label(task)))
        if task["provisional"]:
            details.append(t("(provisional)"))
        if task["overdue_days"]:
            details.append(t("{days} d overdue", days=task["overdue_days"]))
        if task["attempts"]:
            details.append(tn("({count} try)", "({count} tries)", task["attempts"]))
        when = call_time(task, day)
        parts.append(f"<div class='why'><b>#{task['task_id']} {e(task['purpose'])}</b> "
                     f"{e(' · '.join(details))}"
                     + (f" <span class='when'>{e(when)}</span>" if when else "") + "</div>")
        script = scripts.get(task["task_id"])
        if script:
            parts.append("<div class='script'>" + "".join(
                f"<p>▸ {e(q)}</p>" for q in script["questions"]) + "</div>")
            worries.update(dict.fromkeys(script["worries"].values()))   # each said once
    signs: dict[str, str] = {}   # each sign once, in the order the scripts list them
    for script in said:
        signs.update({s["id"]: s["words"] for s in script.get("signs", [])})
    if signs:
        parts.append("<div class='signs'><b>" + e(t("Warning signs")) + ":</b> " + "".join(
            f"<span data-sign='{e(sid)}'>☐ {e(words)}</span>" for sid, words in signs.items())
            + "</div>")
    if worries:
        parts.append("<div class='worries'>" + "".join(
            f"<p>· {e(a)}</p>" for a in worries) + "</div>")
    if said and said[0]['closing']:
        parts.append(f"<div class='script'><p>{e(said[0]['closing'])}</p></div>")
    parts.append(f"</div><div class='record'><div class='boxes'>{boxes}</div>"
                 "<div class='label'>" + e(t("Note:")) + "</div><div class='lines'>"
                 + "<div class='line'></div>" * NOTE_LINES
                 + f"</div><div class='end'>{e(pid)} ■</div></div></div>")
    return "".join(parts)


XLSX_COLUMNS = ("task_id", "patient_id", "name", "phone", "caller", "category", "touchpoint",
                "purpose",
                "due_date", "window", "call_at", "overdue_days", "attempts", "provisional",
                "project", "visit_date", "doctor", "consultant", "vip_tier")


def write_xlsx(path: Path, records: list[dict[str, Any]], day: str,
               categories: dict[str, str], share: dict[str, str]) -> None:
    """One row a task, in the user's language (`categories`: id -> label), with who calls
    the patient that day (`share`: patient -> agent) and columns to fill in: the outcome
    and the note."""
    from openpyxl import Workbook

    from followup_cli.sheet import call_time

    book = Workbook()
    sheet = book.active
    sheet.title = day
    sheet.append([label("xlsx", c) for c in XLSX_COLUMNS] + [t("Outcome"), t("Note:")])
    for r in records:
        shown = {**r, "category": categories.get(r["category"], r["category"]),
                 "window": label("window", r['window']), "call_at": call_time(r, day) or "",
                 "caller": share.get(r["patient_id"], ""),
                 "provisional": t("yes") if r["provisional"] else ""}
        sheet.append([safe_cell(shown.get(c)) for c in XLSX_COLUMNS] + ["", ""])
    sheet.freeze_panes = "A2"
    write_workbook(path, book)
