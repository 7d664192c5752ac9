"""The words for codes the ledger stores (windows, statuses, figures …), by family:
the catalogue's msgids, so an extractor finds each one."""

from __future__ import annotations

from followup_cli.i18n import N_, NC_, t, tc

LABELS: dict[str, dict[str, str | tuple[str, str]]] = {
    "category": {   # categories planned by followup itself, not by the rules
        "recheck": N_("Missed re-check (booked on a call)"),
    },
    "complaint.category": {
        "attitude": N_("attitude"),
        "environment": N_("environment"),
        "other": N_("other"),
        "price": N_("price"),
        "result": N_("result"),
        "safety": N_("safety"),
        "service": N_("service"),
    },
    "complaint.col": {
        "action": N_("Action"),
        "at": N_("At"),
        "category": N_("Category"),
        "due": NC_("complaint.col", "Due"),
        "id": N_("Case"),
        "left": N_("Time left"),
        "next": N_("Next step"),
        "note": N_("Note"),
        "patient": N_("Patient"),
        "status": N_("Status"),
    },
    "complaint.done": {
        "ack": N_("complaint #{id} acknowledged"),
        "close": N_("complaint #{id} closed; follow-up calls planned at 2 days and 1 month"),
        "reopen": N_("complaint #{id} reopened"),
        "resolve": N_("complaint #{id}: solution recorded"),
    },
    "complaint.severity": {
        "high": N_("high"),
        "low": N_("low"),
        "medium": N_("medium"),
    },
    "complaint.state": {
        "broken": N_("broken"),
        "met": N_("met"),
        "overdue": N_("overdue"),
        "pending": N_("pending"),
    },
    "complaint.status": {
        "acknowledged": N_("acknowledged"),
        "closed": N_("closed"),
        "open": NC_("complaint.status", "open"),
        "resolved": N_("resolved"),
        "void": NC_("complaint.status", "void"),
    },
    "complaint.step": {
        "acknowledge": N_("acknowledge"),
        "close": N_("close"),
        "resolve": N_("solution"),
    },
    "doctor": {
        "anchor": N_("fingerprint of the logs: {anchor} (keep it elsewhere, e.g. with the month's "
                     "report; followup doctor --anchor FINGERPRINT later shows whether anything "
                     "before it was rewritten)"),
        "anchors": N_("fingerprints noted earlier that no longer hold (the logs before them were "
                      "rewritten)"),
        "bad": N_("the ledger has problems ({patients} patients, {visits} visits, {tasks} tasks, "
                  "{attempts} logged calls, {complaints} complaint cases):"),
        "bad_anchor": N_("--anchor {anchor}: not a fingerprint followup doctor gave"),
        "chains": N_("calls, events or audit rows changed behind followup's back (the first row "
                     "of each log)"),
        "complaints_disagreeing_with_history": N_("complaint cases whose status is not what their "
                                                  "history says"),
        "foreign_keys": N_("foreign keys broken"),
        "integrity": N_("integrity check failed"),
        "integrity_lines": N_("SQLite says: {first} ({more} more)"),
        "notices": N_("notices: {tasks} on provisional dates; {numbers} to fix"),
        "ok": N_("the ledger is sound: {patients} patients, {visits} visits, {tasks} tasks, "
                 "{attempts} logged calls, {complaints} complaint cases"),
        "orphan_tasks": N_("tasks with no visit"),
        "patients_disagreeing_with_events": N_("patients whose do-not-call or wrong-number flag "
                                               "is not what their events say"),
        "row_problem": N_("row {row} {problem}"),
        "tasks_disagreeing_with_calls": N_("tasks whose state disagrees with their calls"),
        "tasks_of_another_patient": N_("tasks whose patient is not their visit's patient"),
        "triggers": N_("the triggers that protect the logs are missing or altered"),
        "unreadable": N_("could not be read (the ledger is damaged)"),
        "alerts_disagreeing_with_history": N_("clinical alerts whose status is not what their "
                                              "history says"),
    },
    "explain": {
        "sms": N_("SMS: the messages exported for days in the period (sms_sent), and of "
                  "them queued (no receipt yet), delivered and failed, by category. An "
                  "SMS is not a call: it is never an attempt and never counts as reached."),
        "attempts": N_("Calls: calls made in the period (by call time); voided calls left out, "
                       "amended calls as amended."),
        "breakdowns": N_("Breakdowns: the same figures per agent (who last called), category, "
                         "project, doctor and consultant."),
        "change": N_("Change: against the month (or the same number of days) before."),
        "complaint_deadlines": N_("Complaint deadlines: for cases opened in the period, "
                                  "acknowledge in 24 h, solution in 48 h, close in 72 h: each "
                                  "met, broken, pending or overdue."),
        "complaints_closed": N_("Complaints closed: cases with a close in the period (even if "
                                "reopened since)."),
        "complaints_open_at_month_end": N_("Open at the end: cases not closed when the period "
                                           "ended."),
        "complaints_opened": N_("Complaints opened: cases opened in the period (void ones left "
                                "out)."),
        "completion_rate": N_("Completion rate = done ÷ due."),
        "conversion_rate": N_("Conversion rate = conversions ÷ consult visits with a reached "
                              "callback in the period."),
        "conversions": N_("Conversions: consult visits converted in the period by a treated visit "
                          "within 30 days after a reached callback; credited to that call's "
                          "agent."),
        "done": N_("Done: those tasks that were completed (reached, declined or complaint)."),
        "due": N_("Due: callback tasks whose due day falls in the period, up to today; backfill "
                  "and cancelled tasks (converted, do-not-call, reopened complaint) are left out."),
        "late_plans": N_("Plans made late: visits of the period that entered the ledger more than "
                         "a day after the visit (the plan should exist on the day)."),
        "missed": N_("Missed: not done and past expiry (the next touchpoint of the same visit "
                     "became due, or 7 days overdue)."),
        "notes_short": N_("Notes too short: reached calls whose note is under the minimum (20 "
                          "characters by default: a Chinese character, letter or digit counts as "
                          "one; punctuation and spaces do not)."),
        "nps": N_("NPS = % of 9–10 answers minus % of 0–6 answers (−100 to 100)."),
        "on_time": N_("On time: done on or before the due day."),
        "on_time_rate": N_("On-time rate = on time ÷ due."),
        "reach_rate": N_("Reach rate = reached ÷ calls."),
        "reached": N_("Reached: calls someone answered (reached, declined, callback requested, "
                      "do-not-call, complaint)."),
        "satisfaction_distribution": N_("Satisfaction distribution: how many gave each score 1–5."),
        "satisfaction_mean": N_("Satisfaction: the mean of the 1–5 scores given in the period."),
        "title": N_("How each figure is computed"),
        "unreachable": N_("Unreachable: tasks with 3 failed calls (no answer, busy, switched "
                          "off)."),
        "alerts_opened": N_("Clinical alerts: alerts opened in the period because a call "
                            "heard a warning sign, also by urgency."),
        "alerts_breached": N_("Alerts breached: of those, the ones a doctor first answered (ack"
                              " or close) after the deadline, or not yet and the deadline has "
                              "passed."),
        "alert_response_minutes_median": N_("Minutes to a doctor (median): from the call to a "
                                            "doctor's first "
                                            "answer, the median over the answered alerts."),
        "alert_response_minutes_worst": N_("Minutes to a doctor (worst): the longest of those. "
                                           "Each doctor "
                                           "has a row of their own."),
        "rechecks_booked": N_("Re-checks booked: re-checks patients agreed to on the period's "
                              "calls (--booked)."),
        "rechecks_kept": N_("Re-checks kept: of those, the ones an imported visit on the day "
                            "or within the grace (3 days by default) kept."),
        "rechecks_missed": N_("Re-checks missed: the grace passed with no visit; each came back"
                              " on the sheet as 'missed re-check: rebook'."),
        "recheck_kept_rate": N_("Re-check kept rate: kept ÷ (kept + missed); those still waiting "
                                "are left out; empty when there are none."),
    },
    "figure": {
        "sms_sent": N_("SMS sent"),
        "sms_queued": N_("Queued"),
        "sms_delivered": N_("Delivered"),
        "sms_failed": N_("Failed"),
        "attempts": N_("Calls"),
        "complaints_closed": N_("Complaints closed"),
        "complaints_opened": N_("Complaints opened"),
        "completion_rate": N_("Completion rate"),
        "conversion_rate": N_("Conversion rate"),
        "conversions": N_("Consult conversions"),
        "done": N_("Done"),
        "due": NC_("figure", "Due"),
        "late_plans": N_("Plans made late"),
        "missed": N_("Missed"),
        "notes_short": N_("Notes too short"),
        "nps": N_("NPS"),
        "on_time": N_("On time"),
        "on_time_rate": N_("On-time rate"),
        "reach_rate": N_("Reach rate"),
        "reached": N_("Reached"),
        "satisfaction_mean": N_("Satisfaction (mean)"),
        "unreachable": N_("Unreachable"),
        "alerts_opened": N_("Clinical alerts"),
        "alerts_breached": N_("Alerts breached"),
        "alert_response_minutes_median": N_("Minutes to a doctor (median)"),
        "alert_response_minutes_worst": N_("Minutes to a doctor (worst)"),
        "rechecks_booked": N_("Re-checks booked"),
        "rechecks_kept": N_("Re-checks kept"),
        "rechecks_missed": N_("Re-checks missed"),
        "recheck_kept_rate": N_("Re-check kept rate"),
    },
    "kind": {
        "consult": N_("consult"),
        "course_end": N_("course end"),
        "no_show": N_("no-show"),
        "treated": N_("treated"),
    },
    "patient.col": {
        "detail": N_("Detail"),
        "phone": N_("Phone"),
        "reported": N_("Reported"),
        "waiting": N_("Calls waiting"),
        "what": N_("What"),
        "when": N_("When"),
    },
    "patient.event": {
        "sms_off": N_("unsubscribed from SMS"),
        "sms_on": N_("SMS allowed again"),
        "allow_calls": N_("calls allowed again"),
        "do_not_call": NC_("patient.event", "do not call"),
        "phone_changed": N_("phone changed"),
        "wrong_number": N_("wrong number"),
    },
    "report.by": {
        "agent": N_("By agent"),
        "branch": N_("By branch"),
        "category": N_("By category"),
        "consultant": N_("By consultant"),
        "doctor": N_("By doctor"),
        "project": N_("By project"),
    },
    "report.col": {
        "agent": N_("Agent"),
        "branch": N_("Branch"),
        "category": N_("Category"),
        "change": N_("Change"),
        "consultant": N_("Consultant"),
        "count": N_("Answers"),
        "doctor": N_("Doctor"),
        "figure": N_("Figure"),
        "month": N_("Month"),
        "previous": N_("Last month"),
        "previous_period": N_("Previous period"),
        "project": N_("Project"),
        "score": N_("Score"),
        "step": N_("Deadline"),
        "this_period": N_("This period"),
        "value": N_("This month"),
    },
    "role": {   # a web workspace user's role (followup user)
        "agent": NC_("role", "agent"),
        "supervisor": NC_("role", "supervisor"),
    },
    "rules.col": {
        "id": N_("Category"),
        "kind": N_("Visit kind"),
        "match": N_("Matches"),
        "touchpoints": N_("Touchpoints (offset window holiday →later/←earlier purpose)"),
    },
    "state": {
        "backfill": N_("backfill"),
        "cancelled": N_("cancelled"),
        "done": N_("done"),
        "due": N_("due"),
        "missed": N_("missed"),
        "planned": N_("planned"),
        "unreachable": N_("unreachable"),
    },
    "status": {
        "backfill": N_("backfill"),
        "cancelled": N_("cancelled"),
        "done": N_("done"),
        "open": NC_("status", "open"),
        "unreachable": N_("unreachable"),
    },
    "window": {
        "afternoon": N_("afternoon window"),
        "any": N_("any calling window"),
        "evening": N_("evening window"),
    },
    "xlsx": {
        "caller": N_("Agent"),
        "attempts": N_("Tries"),
        "call_at": N_("Call at"),
        "category": N_("Category"),
        "consultant": N_("Consultant"),
        "doctor": N_("Doctor"),
        "due_date": NC_("xlsx", "Due"),
        "name": N_("Name"),
        "outcome": N_("Outcome"),
        "overdue_days": N_("Days overdue"),
        "patient_id": N_("Patient ID"),
        "phone": N_("Phone"),
        "project": N_("Project"),
        "provisional": N_("Provisional"),
        "purpose": N_("Why call"),
        "task_id": N_("Task"),
        "touchpoint": N_("Touchpoint"),
        "vip_tier": N_("VIP tier"),
        "visit_date": N_("Visit date"),
        "window": N_("Window"),
        "yes": N_("yes"),
    },
    # the pages' words for codes (a table cell, a button): words, never the code itself
    "page.alert.status": {
        "acknowledged": NC_("page.alert.status", "Doctor answered"),
        "closed": NC_("page.alert.status", "Closed"),
        "open": NC_("page.alert.status", "Open"),
    },
    "page.alert.step": {
        "ack": NC_("page.alert.step", "Record the answer"),
        "close": NC_("page.alert.step", "Close the alert"),
    },
    "page.complaint.category": {
        "attitude": NC_("page.complaint.category", "Staff attitude"),
        "environment": NC_("page.complaint.category", "Environment"),
        "other": NC_("page.complaint.category", "Other"),
        "price": NC_("page.complaint.category", "Price"),
        "result": NC_("page.complaint.category", "Treatment outcome"),
        "safety": NC_("page.complaint.category", "Safety"),
        "service": NC_("page.complaint.category", "Service"),
    },
    "page.complaint.severity": {
        "high": NC_("page.complaint.severity", "High"),
        "low": NC_("page.complaint.severity", "Low"),
        "medium": NC_("page.complaint.severity", "Medium"),
    },
    "page.complaint.status": {
        "acknowledged": NC_("page.complaint.status", "Acknowledged"),
        "closed": NC_("page.complaint.status", "Closed"),
        "open": NC_("page.complaint.status", "Open"),
        "resolved": NC_("page.complaint.status", "Solution given"),
        "void": NC_("page.complaint.status", "Void"),
    },
    "page.complaint.step": {
        "ack": NC_("page.complaint.step", "Acknowledge"),
        "close": NC_("page.complaint.step", "Close the case"),
        "resolve": NC_("page.complaint.step", "Record the solution"),
    },
    "page.urgency": {
        "routine": NC_("page.urgency", "Routine"),
        "today": NC_("page.urgency", "Same day"),
        "urgent": NC_("page.urgency", "Urgent"),
    },
}


def label(family: str, code: str, **values: object) -> str:
    """The word for `code` in `family`, in the current language; an unknown code as it
    is (a clinic's own category, say)."""
    entry = LABELS[family].get(code)
    if entry is None:
        return code
    if isinstance(entry, tuple):
        return tc(entry[0], entry[1], **values)
    return t(entry, **values)
