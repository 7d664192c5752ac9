"""Sheets a clinic can print or open in Excel: an A4 HTML page (one block per patient
that never splits across pages, the script, boxes to tick, room for the note) and an
.xlsx workbook. Files are created readable by their owner only."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from followup_cli.calls import OUTCOMES, outcome_label
from followup_cli.i18n import t
from followup_cli.output.files import write_workbook
from followup_cli.render import safe_cell

CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; font-size: 10.5pt; color: #111; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
.complaints { border: 1.5px solid #b00; padding: 2mm 3mm; margin-bottom: 4mm; }
.patient { border: 1px solid #444; border-radius: 2mm; padding: 3mm 4mm; margin: 0 0 4mm;
           break-inside: avoid; page-break-inside: avoid; }
.head { display: flex; justify-content: space-between; font-weight: bold; }
.meta { color: #333; margin: 1mm 0 2mm; }
.why { margin: 1mm 0; }
.script { font-size: 9.5pt; margin: 1mm 0 2mm 3mm; }
.script p { margin: 0.6mm 0; }
.boxes span { margin-right: 4mm; white-space: nowrap; }
.note { border-bottom: 1px solid #888; height: 7mm; }
.end { font-size: 7pt; color: #999; text-align: right; }
"""


def sheet_html(patients: list[list[dict[str, Any]]], *, title: str,
               scripts: dict[int, dict[str, Any]], context: dict[str, Any],
               cases: list[dict[str, Any]]) -> str:
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
             f"<style>{CSS}</style></head><body><h1>{e(title)}</h1>"]
    if cases:
        parts.append(f"<div class='complaints'><b>{e(t('complaint.title', count=len(cases)))}"
                     "</b><ul>")
        for c in cases:
            step = t(f"complaint.step.{c['next_step']}") if c["next_step"] else ""
            parts.append(f"<li>#{c['complaint_id']} {e(c['patient_id'])} · "
                         f"{e(t('complaint.status.' + c['status']))} · {e(step)} "
                         f"{e((c['next_due_at'] or '').replace('T', ' ')[:16])}"
                         f"{' · ' + e(t('complaint.breached')) if c['breached'] else ''}</li>")
        parts.append("</ul></div>")
    boxes = "".join(f"<span>☐ {e(outcome_label(o))}</span>" for o in OUTCOMES)
    for number, tasks in enumerate(patients, start=1):
        first = next((task for task in tasks if task["visit_id"]), tasks[0])
        pid = first["patient_id"]
        about = context.get(pid, {})
        meta = " · ".join(filter(None, (
            first["project"], first["doctor"], first["consultant"],
            t("due.days_since", days=first["days_since_visit"])
            if first["days_since_visit"] is not None else None, first["vip_tier"])))
        parts.append(f"<div class='patient' data-patient='{e(pid)}'><div class='head'>"
                     f"<span>{number}. {e(first['name'])} ({e(pid)})</span>"
                     f"<span>{e(first['phone'])}</span></div><div class='meta'>{e(meta)}</div>")
        for case_id in about.get("complaints", []):
            parts.append(f"<div class='why'><b>{e(t('due.complaint_mark', id=case_id))}"
                         "</b></div>")
        last = about.get("last_call")
        if last is not None:
            parts.append("<div class='meta'>" + e(t(
                "due.last_call", at=last["called_at"][:10], agent=last["agent"],
                outcome=outcome_label(last["outcome"]), note=last["note"] or "")) + "</div>")
        for task in tasks:
            overdue = (" · " + t("due.overdue_days", days=task["overdue_days"])
                       if task["overdue_days"] else "")
            parts.append(f"<div class='why'><b>#{task['task_id']} {e(task['purpose'])}</b>"
                         f"{e(overdue)}</div>")
            script = scripts.get(task["task_id"])
            if script:
                parts.append("<div class='script'>")
                parts.append(f"<p>{e(script['greeting'])}</p>")
                for q in script["questions"]:
                    parts.append(f"<p>▸ {e(q)}</p>")
                for a in script["worries"].values():
                    parts.append(f"<p>· {e(a)}</p>")
                parts.append(f"<p>{e(script['closing'])}</p></div>")
        parts.append(f"<div class='boxes'>{boxes}</div>"
                     f"<div>{e(t('print.note'))}</div><div class='note'></div>"
                     f"<div class='note'></div><div class='end'>{e(pid)} ■</div></div>")
    parts.append("</body></html>")
    return "".join(parts)


XLSX_COLUMNS = ("task_id", "patient_id", "name", "phone", "category", "touchpoint", "purpose",
                "due_date", "window", "overdue_days", "attempts", "provisional", "project",
                "doctor", "consultant", "vip_tier")


def write_xlsx(path: Path, records: list[dict[str, Any]], title: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([t(f"xlsx.{c}") for c in XLSX_COLUMNS] + [t("xlsx.outcome"), t("print.note")])
    for r in records:
        sheet.append([safe_cell(r.get(c)) for c in XLSX_COLUMNS] + ["", ""])
    sheet.freeze_panes = "A2"
    write_workbook(path, book)
