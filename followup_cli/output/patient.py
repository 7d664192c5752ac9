"""What `patient show` and the web's patient page both say of a patient's clinical alerts,
booked re-checks and backfilled calls: rows built once from the timeline (patients.timeline)."""

from __future__ import annotations

from typing import Any

from followup_cli.i18n import t, tc, tn


def backfill_note(visit: dict[str, Any]) -> str:
    """The visit's calls already past when it came in, or ""."""
    if not visit.get("backfill"):
        return ""
    return tn("{count} call already past when the visit came in (backfill, left out of the "
              "figures)", "{count} calls already past when the visit came in (backfill, left "
              "out of the figures)", visit["backfill"])


def alert_and_recheck_rows(history: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The patient's clinical alerts (open or not) and booked re-checks as (when, what,
    detail) rows: the doctor's answer, what was done, the time left or BREACHED."""
    from followup_cli.alerts import action_label, sign_words, time_left
    from followup_cli.i18n import current

    statuses = {"open": tc("alert.status", "open"),
                "acknowledged": tc("alert.status", "acknowledged"),
                "closed": tc("alert.status", "closed")}
    rows = []
    for a in history.get("alerts", []):
        answer = (f"{a['acknowledged_by']} {a['acknowledged_at'].replace('T', ' ')[:16]}"
                  if a["acknowledged_at"] else "")
        # a doctor's answer still awaited: the time left, as alert list and the sheet say it
        left = (t("{left} left", left=time_left(a["minutes_left"]))
                if a["minutes_left"] is not None and not a["breached"] else "")
        rows.append((a["opened_at"].replace("T", " ")[:16],
                     t("Clinical alert") + f" #{a['alert_id']}",
                     " · ".join(filter(None, (
                         sign_words(a, current()), a["doctor"], statuses[a["status"]], answer,
                         action_label(a["action"]) if a["action"] else "", left,
                         t("BREACHED") if a["breached"] else "")))))
    states = {"booked": t("booked"), "kept": t("kept"),
              "missed": tc("recheck.state", "missed"),
              "dropped": tc("recheck.state", "dropped")}
    for r in history.get("rechecks", []):
        rows.append((r["booked_at"].replace("T", " ")[:16],
                     t("Re-check") + f" {r['booked_for']}",
                     " · ".join(filter(None, (r["agent"], states[r["state"]],
                                              r["kept_visit_id"] or "")))))
    return rows
