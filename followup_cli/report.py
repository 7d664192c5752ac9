"""The supervisor's report over a period (a month by default): over the tasks due in it up
to today (backfill and cancelled left out) and the calls made in it. Every figure is
defined in EXPLAINED, which `followup report --explain` prints."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from followup_cli.calls import FAILED, MIN_NOTE_CHARS, REACHED, note_length
from followup_cli.errors import FollowupError
from followup_cli.i18n import t

HEADLINE = ("due", "done", "on_time", "completion_rate", "on_time_rate", "missed", "unreachable",
            "attempts", "reached", "reach_rate", "satisfaction_mean", "nps",
            "complaints_opened", "complaints_closed", "conversions", "conversion_rate",
            "notes_short", "late_plans", "alerts_opened", "alerts_breached",
            "alert_response_minutes_median", "alert_response_minutes_worst", "rechecks_booked",
            "rechecks_kept", "rechecks_missed", "recheck_kept_rate")
# what a doctor's row adds: the alerts routed to them
ALERT_FIGURES = ("alerts_opened", "alerts_breached", "alert_response_minutes_median",
                 "alert_response_minutes_worst")
BREAKDOWNS = ("agent", "category", "project", "doctor", "consultant")
CONVERSION_DAYS = 30
# the figures `--explain` defines, in the order it prints them
EXPLAINED = (*HEADLINE, "satisfaction_distribution", "complaint_deadlines",
             "complaints_open_at_month_end", "sms", "breakdowns", "change")


def parse_month(value: str) -> tuple[date, date]:
    """'2026-11' -> (first day, first day of the next month), in clock.in_range."""
    from followup_cli.clock import FIRST_YEAR, LAST_YEAR, in_range

    try:
        year, month = (int(p) for p in value.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise FollowupError(t("--month {value}: expected YYYY-MM", value=value)) from None
    if not in_range(start):
        raise FollowupError(t("{option} {value}: the year must be {first} to {last}",
                              option="--month", value=value,
                              first=FIRST_YEAR, last=LAST_YEAR))
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The month before a month; otherwise the same number of days just before."""
    if start.day == 1 and end.day == 1 and (end - start).days in range(28, 32):
        before = start - timedelta(days=1)
        return before.replace(day=1), start
    # a period of millennia: the one before starts with the calendar (nothing is there)
    return start - min(end - start, start - date.min), start


# The calls view reports an amended call at its amended time, which no index can find
# directly: the calls whose recorded time is in the span (attempts_called), plus every
# amended call (few), are the only candidates.
CALLS_IN_SPAN = """c.attempt_id IN (
    SELECT attempt_id FROM attempts WHERE called_at >= :start AND called_at < :end
    UNION ALL
    SELECT corrects FROM attempts WHERE corrects > 0 AND correction = 'amend')"""


def _grouped(rows: list[Any], key: str) -> dict[Any, list[Any]]:
    """The rows by their `key`, in their order: one pass, however many groups."""
    groups: dict[Any, list[Any]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _task_figures(rows: list[sqlite3.Row], today: date) -> dict[str, Any]:
    due, done, on_time, missed, unreachable = len(rows), 0, 0, 0, 0
    day = today.isoformat()
    for r in rows:   # one pass: a report reads every task of the period several times
        status = r["status"]
        if status == "done":
            done += 1
            on_time += r["done_at"][:10] <= r["due_date"]
        elif status == "open":
            missed += r["expires_on"] <= day
        elif status == "unreachable":
            unreachable += 1
    return {
        "due": due, "done": done, "on_time": on_time,
        "completion_rate": _rate(done, due), "on_time_rate": _rate(on_time, due),
        "missed": missed, "unreachable": unreachable,
    }


def _short_notes(rows: list[sqlite3.Row], min_note: int) -> set[int]:
    """The reached calls whose note says less than `min_note` characters (counted once)."""
    return {r["attempt_id"] for r in rows
            if r["outcome"] == "reached" and note_length(r["note"]) < min_note}


def _call_figures(rows: list[sqlite3.Row], short: set[int]) -> dict[str, Any]:
    attempts = len(rows)
    reached = sum(r["outcome"] in REACHED for r in rows)
    scores = [r["satisfaction"] for r in rows if r["satisfaction"] is not None]
    nps_scores = [r["nps"] for r in rows if r["nps"] is not None]
    nps = None
    if nps_scores:
        promoters = sum(s >= 9 for s in nps_scores)
        detractors = sum(s <= 6 for s in nps_scores)
        nps = round(100 * (promoters - detractors) / len(nps_scores), 1)
    return {
        "attempts": attempts, "reached": reached, "reach_rate": _rate(reached, attempts),
        "failed": sum(r["outcome"] in FAILED for r in rows),
        "satisfaction_mean": round(sum(scores) / len(scores), 2) if scores else None,
        "satisfaction_distribution": {str(k): scores.count(k) for k in range(1, 6)},
        "nps": nps, "nps_responses": len(nps_scores),
        "nps_promoters": sum(s >= 9 for s in nps_scores),
        "nps_detractors": sum(s <= 6 for s in nps_scores),
        "notes_short": sum(r["attempt_id"] in short for r in rows),
    }


def month_report(conn: sqlite3.Connection, month: str, today: date, **kw: Any) -> dict[str, Any]:
    start, end = parse_month(month)
    report = period_report(conn, start, end, today, **kw)
    report["month"] = month
    return report


def period_report(conn: sqlite3.Connection, start: date, end: date, today: date, *,
                  min_note: int = MIN_NOTE_CHARS, agent: str | None = None,
                  category: str | None = None, compare: bool = True,
                  now: datetime | None = None, breakdowns: bool = True) -> dict[str, Any]:
    """Every figure of [start, end), per agent, category, project, doctor and consultant,
    and the change against the period before. `now` (on `today`): the moment a complaint
    deadline still running is judged at (else the end of `today`).

    Tasks nobody has called belong to no agent: their figures are under `nobody`, so the
    agents' figures and `nobody` add up to the clinic's. Without `breakdowns`, the clinic's
    figures only (the period before, which is compared by its headline)."""
    # a period still running is reported up to today: tomorrow's tasks are not late yet
    span: dict[str, Any] = {"start": start.isoformat(),
                            "end": min(end, today + timedelta(days=1)).isoformat(),
                            "agent": agent, "category": category}
    # the visit's project, doctor and consultant only for the breakdowns
    visit = ("v.project, v.doctor, v.consultant FROM tasks t LEFT JOIN visits v ON "
             "v.visit_id = t.visit_id" if breakdowns else "NULL AS project FROM tasks t")
    tasks = conn.execute(
        "SELECT t.task_id, t.category, t.status, t.due_date, t.done_at, t.expires_on, t.agent,"
        f" {visit} WHERE t.due_date >= :start AND t.due_date < :end "
        "AND t.status NOT IN ('backfill', 'cancelled') "
        "AND (:agent IS NULL OR t.agent = :agent) "
        "AND (:category IS NULL OR t.category = :category)", span).fetchall()
    calls = conn.execute(
        "SELECT c.attempt_id, c.agent, c.outcome, c.note, c.satisfaction, c.nps FROM calls c "
        f"WHERE {CALLS_IN_SPAN} AND c.called_at >= :start AND c.called_at < :end "
        "AND (:agent IS NULL OR c.agent = :agent) AND (:category IS NULL OR EXISTS ("
        "SELECT 1 FROM attempt_tasks x JOIN tasks y ON y.task_id = x.task_id "
        "WHERE x.attempt_id = c.attempt_id AND y.category = :category))", span).fetchall()
    converted = _conversions(conn, span)
    consults_reached = conn.execute(
        f"""SELECT count(DISTINCT t.visit_id) FROM calls c
              JOIN attempt_tasks x ON x.attempt_id = c.attempt_id
              JOIN tasks t ON t.task_id = x.task_id
             WHERE {CALLS_IN_SPAN} AND t.category = 'consult'
               AND c.called_at >= :start AND c.called_at < :end
               AND c.outcome IN ({','.join(repr(o) for o in sorted(REACHED))})
               AND (:agent IS NULL OR c.agent = :agent)""", span).fetchone()[0]
    late = conn.execute(
        "SELECT count(*) FROM visits WHERE visit_date >= :start AND visit_date < :end AND "
        "entered_on > date(visit_date, '+1 day') AND category IS NOT NULL", span).fetchone()[0]

    report: dict[str, Any] = {"from": start.isoformat(), "to": (end - timedelta(days=1))
                              .isoformat(), "as_of": today.isoformat(),
                              "filters": {"agent": agent, "category": category}}
    report.update(_task_figures(tasks, today))
    short = _short_notes(calls, min_note)
    report.update(_call_figures(calls, short))
    report.update(complaint_figures(conn, start, end, today, now))
    report["conversions"] = len(converted)
    report["consults_reached"] = consults_reached
    report["conversion_rate"] = _rate(len(converted), consults_reached)
    report["late_plans"] = late
    from followup_cli.sms import figures as sms_figures

    # messages are not calls: nothing here counts as an attempt or as reached
    report.update(sms_figures(conn, span["start"], end.isoformat(), category))
    if breakdowns:
        _breakdowns(report, tasks, calls, converted, short, today)
    report.update(_clinical_figures(conn, start, end, today, now, report))
    if compare:
        from followup_cli.ledger.chain import anchor

        report["fingerprint"] = anchor(conn)
        before = period_report(conn, *previous_period(start, end), today, min_note=min_note,
                               agent=agent, category=category, compare=False,
                               breakdowns=False)
        report["previous"] = {k: before[k] for k in HEADLINE}
        report["change"] = {
            k: (round(report[k] - before[k], 4)
                if isinstance(report[k], (int, float)) and isinstance(before[k], (int, float))
                else None)
            for k in HEADLINE}
    return report


def _breakdowns(report: dict[str, Any], tasks: list[sqlite3.Row], calls: list[sqlite3.Row],
                converted: list[Any], short: set[int], today: date) -> None:
    """The figures per agent (and of the tasks nobody dialled), category, project, doctor
    and consultant, into `report`."""
    by_agent = {}
    tasks_of, calls_of = _grouped(tasks, "agent"), _grouped(calls, "agent")
    converted_by = _grouped(converted, "agent")
    for name in sorted(n for n in set(tasks_of) | set(calls_of) if n):
        figures = _task_figures(tasks_of.get(name, []), today)
        figures.update(_call_figures(calls_of.get(name, []), short))
        figures["conversions"] = len(converted_by.get(name, []))
        by_agent[name] = figures
    report["by_agent"] = by_agent
    report["nobody"] = _task_figures([r for r in tasks if not r["agent"]], today)
    for key in BREAKDOWNS[1:]:
        groups = _grouped(tasks, key)
        report[f"by_{key}"] = {name: _task_figures(groups[name], today)
                               for name in sorted(n for n in groups if n)}


def _clinical_figures(conn: sqlite3.Connection, start: date, end: date, today: date,
                      now: datetime | None, report: dict[str, Any]) -> dict[str, Any]:
    """Alerts opened in the period (judged at `now`, else the end of `today`: a deadline
    missed stays missed) and re-checks booked on its calls, of the agent filtered on if
    any. Each doctor's row of `report` gets the figures of the alerts routed to them."""
    from followup_cli import alerts, rechecks

    judged = now or datetime.combine(today, datetime.max.time()).replace(microsecond=0)
    agent = (report.get("filters") or {}).get("agent")
    figures = alerts.figures(conn, start.isoformat(), end.isoformat(), judged, agent)
    by_doctor = figures.pop("by_doctor")
    doctors = report.setdefault("by_doctor", {})
    for name in sorted(set(doctors) | set(by_doctor)):
        row = doctors.setdefault(name, _task_figures([], today))
        row.update({k: by_doctor.get(name, {}).get(k, 0 if k in ("alerts_opened",
                    "alerts_breached") else None) for k in ALERT_FIGURES})
    report["by_doctor"] = dict(sorted(doctors.items()))
    figures.update(rechecks.figures(conn, start.isoformat(), end.isoformat(), today, agent))
    return figures


def _conversions(conn: sqlite3.Connection, span: dict[str, Any]) -> list[sqlite3.Row]:
    """Consult visits converted in the period by a treated visit within 30 days after a
    reached callback on the consult, credited to that call's agent."""
    rows = conn.execute(
        f"""SELECT c.visit_id, c.consultant,
                   (SELECT a.agent FROM calls a JOIN attempt_tasks at
                       ON at.attempt_id = a.attempt_id JOIN tasks t ON t.task_id = at.task_id
                     WHERE t.visit_id = c.visit_id AND a.outcome IN
                           ({','.join(repr(o) for o in sorted(REACHED))})
                       AND a.called_at < v.visit_date
                       AND date(a.called_at, '+{CONVERSION_DAYS} days') >= v.visit_date
                     ORDER BY a.called_at DESC LIMIT 1) AS agent
              FROM visits c JOIN visits v ON v.visit_id = c.converted_by
             WHERE v.visit_date >= :start AND v.visit_date < :end""", span).fetchall()
    agent = span.get("agent")
    return [r for r in rows if r["agent"] is not None and (agent is None or r["agent"] == agent)]


def complaint_figures(conn: sqlite3.Connection, start: date, end: date,
                      today: date, now: datetime | None = None) -> dict[str, Any]:
    """Cases opened and closed in the period, each deadline of the period's cases met or
    broken, and the cases still open when the period ended. A deadline is judged at the
    period's end, or at `now` while the period runs: one still ahead is pending."""
    from followup_cli.complaints import deadlines

    last = min(end - timedelta(days=1), today)
    period_end = (now if now is not None and now.date() == last
                  else datetime.combine(last, datetime.max.time()))
    span = {"start": start.isoformat(), "end": end.isoformat()}
    opened = conn.execute("SELECT * FROM complaints WHERE status != 'void' AND "
                          "opened_at >= :start AND opened_at < :end", span).fetchall()
    # closed in the period, even if reopened since: the close is on the case's record
    closed = conn.execute(
        "SELECT count(DISTINCT e.complaint_id) FROM complaint_events e JOIN complaints c "
        "ON c.complaint_id = e.complaint_id WHERE c.status != 'void' AND e.action = 'close' "
        "AND e.at >= :start AND e.at < :end", span).fetchone()[0]
    still_open = conn.execute(
        "SELECT count(*) FROM complaints WHERE status != 'void' AND opened_at < :end AND "
        "(closed_at IS NULL OR closed_at >= :end)", span).fetchone()[0]
    states: dict[str, dict[str, int]] = {
        step: {"met": 0, "broken": 0, "pending": 0, "overdue": 0}
        for step in ("acknowledge", "resolve", "close")}
    for case in opened:
        for mark in deadlines(case):
            states[mark.step][mark.state(period_end.replace(microsecond=0))] += 1
    return {"complaints_opened": len(opened), "complaints_closed": closed,
            "complaints_open_at_month_end": still_open, "complaint_deadlines": states}


SUMMED = ("due", "done", "on_time", "missed", "unreachable", "attempts", "reached", "failed",
          "nps_responses", "nps_promoters", "nps_detractors", "notes_short",
          "complaints_opened", "complaints_closed", "complaints_open_at_month_end",
          "conversions", "consults_reached", "late_plans", "sms_sent", "sms_queued",
          "sms_delivered", "sms_failed", "alerts_opened", "alerts_breached",
          "rechecks_booked", "rechecks_kept", "rechecks_missed")


def branch_labels(paths: list[str], names: list[str | None]) -> list[str]:
    """Each branch's label: the clinic's own name if its settings give one, else the
    folder of its ledger (north/ledger.db: north); for ledgers in one folder, the file's
    name, then both; labels that are still the same are numbered."""
    import os

    def ways(path: str) -> tuple[str, str, str]:
        folder = os.path.basename(os.path.dirname(os.path.abspath(path))) or "-"
        stem = os.path.splitext(os.path.basename(path))[0]
        return folder, stem, f"{folder}/{stem}"

    labels = [name or ways(path)[0] for path, name in zip(paths, names, strict=True)]
    for way in (1, 2):
        clash = {label for label in labels if labels.count(label) > 1}
        labels = [ways(path)[way] if label in clash and not name else label
                  for path, name, label in zip(paths, names, labels, strict=True)]
    repeated = {label for label in labels if labels.count(label) > 1}
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        if label in repeated:
            seen[label] = seen.get(label, 0) + 1
            label = f"{label} ({seen[label]})"
        out.append(label)
    return out


def group_report(branches: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A clinic group: each branch's ledger reported on its own, then added up. Rates and
    means are recomputed from the summed counts, never averaged."""
    first = next(iter(branches.values()))
    total: dict[str, Any] = {k: first[k] for k in ("from", "to", "as_of", "filters")}
    if "month" in first:
        total["month"] = first["month"]
    for key in SUMMED:
        total[key] = sum(r[key] for r in branches.values())
    dist = {str(k): sum(r["satisfaction_distribution"][str(k)] for r in branches.values())
            for k in range(1, 6)}
    scored = sum(dist.values())
    total["satisfaction_distribution"] = dist
    total["satisfaction_mean"] = (round(sum(int(k) * n for k, n in dist.items()) / scored, 2)
                                  if scored else None)
    total["nps"] = (round(100 * (total["nps_promoters"] - total["nps_detractors"])
                          / total["nps_responses"], 1) if total["nps_responses"] else None)
    total["completion_rate"] = _rate(total["done"], total["due"])
    total["on_time_rate"] = _rate(total["on_time"], total["due"])
    total["reach_rate"] = _rate(total["reached"], total["attempts"])
    total["conversion_rate"] = _rate(total["conversions"], total["consults_reached"])
    decided = total["rechecks_kept"] + total["rechecks_missed"]
    total["recheck_kept_rate"] = _rate(total["rechecks_kept"], decided)
    total["alerts_by_urgency"] = {u: sum(r["alerts_by_urgency"][u] for r in branches.values())
                                  for u in ("urgent", "today", "routine")}
    worst = [r["alert_response_minutes_worst"] for r in branches.values()
             if r["alert_response_minutes_worst"] is not None]
    total["alert_response_minutes_worst"] = max(worst) if worst else None
    # a median of medians is no median: a group's is given only when one branch has any
    medians = [r["alert_response_minutes_median"] for r in branches.values()
               if r["alert_response_minutes_median"] is not None]
    total["alert_response_minutes_median"] = medians[0] if len(medians) == 1 else None
    total["complaint_deadlines"] = {
        step: {state: sum(r["complaint_deadlines"][step][state] for r in branches.values())
               for state in ("met", "broken", "pending", "overdue")}
        for step in ("acknowledge", "resolve", "close")}
    nobody = {k: sum(r["nobody"][k] for r in branches.values())
              for k in ("due", "done", "on_time", "missed", "unreachable")}
    total["nobody"] = {**nobody, "completion_rate": _rate(nobody["done"], nobody["due"]),
                       "on_time_rate": _rate(nobody["on_time"], nobody["due"])}
    total["by_branch"] = {name: {k: r[k] for k in HEADLINE} for name, r in branches.items()}
    total["fingerprints"] = {name: r.get("fingerprint") for name, r in branches.items()}
    return total


class Branch(NamedTuple):
    """One ledger of a report: its path, its clinic's name, its minimum note length."""

    path: str
    clinic: str | None
    min_note: int


def distinct_ledgers(paths: list[str]) -> list[str]:
    """The ledgers of a group report, each there and each once: one file reached by two
    names (a symlink, a hard link, `./x` and `x`) would be counted twice."""
    import os

    seen: dict[tuple[int, int], int] = {}
    for i, path in enumerate(paths):
        try:
            info = os.stat(os.path.realpath(path))
        except FileNotFoundError:
            from followup_cli.ledger import missing

            raise missing(path) from None
        # by position, not by identity: `w.db` given twice may be one (interned) string
        at = seen.setdefault((info.st_dev, info.st_ino), i)
        if at != i:
            first = paths[at]
            raise FollowupError(t("{first} and {second} are the same ledger: give each branch's "
                                  "--db once", first=first, second=path))
    return paths


def branches_report(branches: list[Branch], start: date, end: date, today: date, *,
                    month: str | None = None, agent: str | None = None,
                    category: str | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """The report of one ledger, or of a clinic group branch by branch (`now`: see
    period_report)."""
    from followup_cli.ledger import open_ledger

    labels = branch_labels([b.path for b in branches], [b.clinic for b in branches])
    reports = {}
    origins: dict[str, str] = {}
    agents: set[str] = set()
    for label, branch in zip(labels, branches, strict=True):
        conn = open_ledger(branch.path)
        try:
            # a copy of a ledger (a backup) starts its logs with the very same entry: two
            # branches that do are one clinic's calls counted twice
            origin = conn.execute("SELECT hash FROM chain ORDER BY seq LIMIT 1").fetchone()
            if origin is not None and len(branches) > 1:
                first = origins.setdefault(origin[0], branch.path)
                if first != branch.path:
                    raise FollowupError(t("{first} and {second} are copies of one ledger (a "
                                          "backup?): give each branch's --db once", first=first,
                                          second=branch.path))
            reports[label] = period_report(conn, start, end, today, min_note=branch.min_note,
                                           agent=agent, category=category, now=now)
            if agent is not None:
                agents |= agents_in(conn, start, min(end, today + timedelta(days=1)))
        finally:
            conn.close()
        if month:
            reports[label]["month"] = month
    if agent is not None and agent not in agents:
        # a misspelt name would report an empty period as if nobody had worked in it
        raise FollowupError(t("no agent named {agent} in the period; agents: {agents}",
                              agent=agent, agents=", ".join(sorted(agents)) or "-"))
    return group_report(reports) if len(reports) > 1 else next(iter(reports.values()))


def agents_in(conn: sqlite3.Connection, start: date, end: date) -> set[str]:
    """The agents with a task due or a call made in [start, end)."""
    span = {"start": start.isoformat(), "end": end.isoformat()}
    rows = conn.execute(
        "SELECT agent FROM tasks WHERE due_date >= :start AND due_date < :end AND agent IS NOT "
        "NULL UNION SELECT c.agent FROM calls c WHERE "
        f"{CALLS_IN_SPAN} AND c.called_at >= :start AND c.called_at < :end", span)
    return {r[0] for r in rows if r[0]}


def six_months(conn: sqlite3.Connection, first: date, today: date, *, min_note: int,
               agent: str | None = None, category: str | None = None) -> list[dict[str, Any]]:
    """The headline rates of the six months ending with the month of `first`."""
    months = []
    year, month = first.year, first.month
    for _ in range(6):
        months.append(f"{year}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    out = []
    for label in reversed(months):
        start, end = parse_month(label)
        figures = period_report(conn, start, end, today, min_note=min_note, agent=agent,
                                category=category, compare=False)
        out.append({"label": label, **{k: figures[k] for k in (
            "completion_rate", "on_time_rate", "reach_rate")}})
    return out
