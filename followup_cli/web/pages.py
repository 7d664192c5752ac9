"""The workspace's pages: an agent's day, a call card, the supervisor's board. Each builds
plain values from the library (the same functions `due`, `log` and `patient` call), its
labels already in the request's language; the templates only lay them out."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.responses import JSONResponse, RedirectResponse, Response

from followup_cli import clock
from followup_cli.calls import MAX_NOTE_CHARS, OUTCOMES, REACHED, outcome_label
from followup_cli.errors import FollowupError
from followup_cli.i18n import t, tn
from followup_cli.web.app import (
    Ctx,
    Once,
    an_id,
    call_options,
    field_words,
    log_from,
    option,
    sheet_records,
    upload_words,
)


def window_labels() -> dict[str, str]:
    from followup_cli.labels import LABELS, label

    return {key: label("window", key) for key in LABELS["window"]}


def words(family: str) -> dict[str, str]:
    """A family of codes (labels.py) in the page's words: every code to its word."""
    from followup_cli.labels import LABELS, label

    return {key: label(family, key) for key in LABELS[family]}


def categories() -> dict[str, str]:
    return words("page.complaint.category")


def severities() -> dict[str, str]:
    said = words("page.complaint.severity")
    return {key: said[key] for key in ("low", "medium", "high")}   # the card's select, in order


def outcomes() -> list[dict[str, Any]]:
    """The outcome buttons, each with its keyboard shortcut (1–9)."""
    return [{"value": o, "label": outcome_label(o), "key": str(i)}
            for i, o in enumerate(OUTCOMES, start=1)]


def patient_rows(records: list[dict[str, Any]], day: str) -> list[dict[str, Any]]:
    """The sheet, one row per patient, in calling order, grouped under their window."""
    from followup_cli.sheet import call_time, in_calling_order, patient_window

    labels = window_labels()
    groups: list[dict[str, Any]] = []
    for tasks in in_calling_order(records):
        window = patient_window(tasks)
        if not groups or groups[-1]["window"] != window:
            groups.append({"window": window, "label": labels[window], "patients": []})
        first = tasks[0]
        groups[-1]["patients"].append({
            "patient_id": first["patient_id"], "name": first["name"], "phone": first["phone"],
            "task_id": first["task_id"], "vip": first["vip_tier"] or "",
            "overdue": max(task["overdue_days"] for task in tasks),
            "why": [task["purpose"] for task in tasks],
            "when": next((w for task in tasks if (w := call_time(task, day))), ""),
        })
    return groups


def calls_today(ctx: Ctx, agent: str | None = None) -> list[dict[str, Any]]:
    """Calls made and reached today, per agent. Only today's attempts (and the amended
    ones) are read, as the report reads a month: the calls view by its time alone would
    read every call ever logged (seconds on a clinic group's ledger, on every day page)."""
    from followup_cli.report import CALLS_IN_SPAN

    today = clock.today().isoformat()
    reached = ",".join(f":r{i}" for i in range(len(REACHED)))
    sql = (f"SELECT c.agent, count(*) AS calls, sum(c.outcome IN ({reached})) AS reached "
           f"FROM calls c WHERE {CALLS_IN_SPAN} AND c.called_at >= :start "
           "AND c.called_at < :end")
    params: dict[str, Any] = {f"r{i}": o for i, o in enumerate(sorted(REACHED))}
    params.update(start=today, end=today + "T99")
    if agent is not None:
        sql += " AND c.agent = :agent"
        params["agent"] = agent
    return [dict(r) for r in ctx.conn.execute(sql + " GROUP BY c.agent ORDER BY c.agent",
                                              params)]


def home(ctx: Ctx) -> Response:
    """An agent's day: open complaint cases on top, then their share of today's sheet
    (and what nobody was given) by window, overdue first, with the callback times."""
    assert ctx.user is not None
    if ctx.user["role"] == "supervisor" and "sheet" not in ctx.request.query_params:
        return RedirectResponse("/board", 303)
    day = clock.today()
    sheet = sheet_records(ctx, day, detailed=True)
    mine = calls_today(ctx, ctx.name)
    patients = len({r["patient_id"] for r in sheet.records})
    title = (t("My calls on {date}: {patients} patients", date=day.isoformat(), patients=patients)
             if ctx.user["role"] == "agent"
             else t("Call sheet for {date}: {patients} patients", date=day.isoformat(),
                    patients=patients))
    shown = flash(ctx)
    if ctx.request.query_params.get("next") == "none":   # "Next patient" found no one
        shown["warned"] = [*shown["warned"], t(
            "no other patient can be called now: the others wait for their retry or "
            "callback time")]
    return ctx.render(
        "day.html", title=title, day=day.isoformat(),
        groups=patient_rows(sheet.records, day.isoformat()),
        cases=[case_row(c) for c in sheet.cases], alerts=alert_rows(sheet.alerts),
        alert_form=alert_form(), back="/",
        done=mine[0]["calls"] if mine else 0, **shown)


def case_row(case: dict[str, Any]) -> dict[str, Any]:
    from followup_cli.complaints import TRANSITIONS, time_left

    statuses = words("page.complaint.status")
    left = case.get("minutes_left")
    return {"id": case["complaint_id"], "patient_id": case["patient_id"],
            "category": categories().get(case["category"], case["category"]),
            "severity": severities().get(case["severity"], case["severity"]),
            "next_due": (case.get("next_due_at") or "").replace("T", " ")[:16],
            "left": time_left(left) if left is not None else "",
            "late": bool(case.get("breached")), "status": statuses.get(case["status"], ""),
            "note": case.get("note", ""),
            "steps": [a for a in ("ack", "resolve", "close")
                      if case["status"] in TRANSITIONS[a][0]]}


def alert_rows(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open clinical alerts as `due` draws them on top: signs in the user's language,
    the doctor, the deadline, time left or BREACHED."""
    from followup_cli.alerts import TRANSITIONS, sign_words, time_left
    from followup_cli.i18n import current

    statuses = words("page.alert.status")
    urgencies = words("page.urgency")
    rows = []
    for a in alerts:
        left = time_left(a["minutes_left"]) if a["minutes_left"] is not None else ""
        if a["breached"]:
            left = (left + " " if left else "") + t("BREACHED")
        rows.append({"id": a["alert_id"], "patient_id": a["patient_id"],
                     "urgency": urgencies.get(a["urgency"], a["urgency"]),
                     "signs": sign_words(a, current()), "doctor": a["doctor"] or t("no doctor"),
                     "due": a["due_at"].replace("T", " ")[:16],
                     "status": statuses.get(a["status"], a["status"]), "left": left,
                     "breached": bool(a["breached"]), "doctor_name": a["doctor"] or "",
                     "steps": [s for s in ("ack", "close")
                               if a["status"] in TRANSITIONS[s][0]]})
    return rows


def alert_form() -> dict[str, Any]:
    """The words of an alert's answer form: its steps and what a close says was done."""
    from followup_cli.alerts import CLOSE_ACTIONS, action_label

    return {"steps": words("page.alert.step"),
            "done": {key: action_label(key) for key in CLOSE_ACTIONS}}


def alert_step(ctx: Ctx) -> Response:
    """A doctor's answer to an alert recorded from a page, as `alert ack` / `alert close`
    record it (the same function and rules; anyone who may run those may do it here): the
    doctor named on the form answered, the signed-in user closes an alert already
    answered. Back to the page it was sent from, saying what was recorded."""
    from followup_cli.alerts import act

    alert_id = ctx.request.path_params["alert_id"]
    action = str(ctx.data.get("action", ""))
    if action not in ("ack", "close"):
        raise FollowupError(t("unknown field {field}", field=option("action")))
    doctor = str(ctx.data.get("by", "")).strip()
    now = clock.now()
    try:
        act(ctx.conn, alert_id, action, by=doctor or None, note=str(ctx.data.get("note", "")),
            at=now, now=now, done=str(ctx.data.get("done", "")) if action == "close" else None,
            closer=ctx.name)
    except FollowupError as e:
        return ctx.render("error.html", 400, message=field_words(
            str(e), note=t("What the doctor said or did"), by=t("Doctor who answered"),
            action=t("What was done")), back=back_to(ctx))
    return RedirectResponse(f"{back_to(ctx)}?alert={alert_id}&step={action}", 303)


def back_to(ctx: Ctx) -> str:
    """The page a form was sent from (a path of this site only), else the day page."""
    import re

    back = str(ctx.data.get("back", ""))
    return back if re.fullmatch(r"/(board|call/\d{1,18}|patient/[^/?#\\]{1,100})?", back) \
        else "/"


def alert_note(ctx: Ctx) -> str:
    """What was recorded for ?alert=N&step=…, in the words `alert ack`/`close` print."""
    from followup_cli.alerts import answered_words, get_alert, summary

    value, step = an_id(ctx.request.query_params.get("alert")), ctx.request.query_params.get("step")
    if value is None or step not in ("ack", "close"):
        return ""
    try:
        alert = summary(get_alert(ctx.conn, value), clock.now())
    except FollowupError:
        return ""
    if alert["acknowledged_at"] is None or (step == "close" and alert["status"] != "closed"):
        return ""
    return " ".join(answered_words(alert, step))


def step_labels() -> dict[str, str]:
    return words("page.complaint.step")


def saved_note(ctx: Ctx) -> str:
    """"Call #N logged: outcome" after a save sent the agent on (?saved=N)."""
    value = an_id(ctx.request.query_params.get("saved"))
    if value is None:
        return ""
    # a correction (amend or void) is no new call: its own lines (flash) lead, saying so
    # the patient named (id and name) as a correction's flash names them
    row = ctx.conn.execute("SELECT a.outcome, a.patient_id, p.name FROM attempts a "
                           "JOIN patients p ON p.patient_id = a.patient_id "
                           "WHERE a.attempt_id = ? AND a.agent = ? AND a.correction IS NULL",
                           (value, ctx.name)).fetchone()
    if row is None:
        return ""
    return t("call #{id} with {patient} logged: {outcome}", id=value,
             patient=f"{row[1]} {row[2]}", outcome=outcome_label(row[0]))


def flash(ctx: Ctx) -> dict[str, Any]:
    """What the page says about the save (or the alert's answer) that sent its user here:
    "call #N logged", then what `followup log` prints about that call, said once."""
    said: list[str] = []
    warned: list[str] = []
    value = an_id(ctx.request.query_params.get("saved"))
    if value is not None:
        said, warned = ctx.web.flashes.take(ctx.name, value)
    return {"saved": saved_note(ctx) or alert_note(ctx), "said": said, "warned": warned}


def card_values(ctx: Ctx, task_id: int, *, reveal: bool = False) -> dict[str, Any]:
    """Everything the call card shows for `task_id`."""
    from followup_cli.complaints import open_cases
    from followup_cli.sheet import task_script, window_hours

    web, day, now = ctx.web, clock.today(), clock.now()
    record, script = task_script(ctx.conn, task_id, day, web.rules, web.scripts,
                                 clinic=web.clinic, caller=ctx.name)
    pid = record["patient_id"]
    phone = record["phone"]
    if reveal:
        from followup_cli import audit

        phone = ctx.conn.execute("SELECT phone FROM patients WHERE patient_id = ?",
                                 (pid,)).fetchone()[0]
        audit.record(ctx.conn, agent=ctx.name, action=f"serve: call {task_id} --reveal",
                     patient_ids=[pid], at=now)
    assert ctx.user is not None
    supervisor = ctx.user["role"] == "supervisor"
    # a call as it stands; amended, by whom and why (the amendment's logged_by and reason)
    last = [{"id": r["attempt_id"], "at": r["called_at"].replace("T", " ")[:16],
             "agent": r["agent"], "outcome": outcome_label(r["outcome"]), "note": r["note"],
             "mine": supervisor or r["agent"] == ctx.name,
             "amended": t("amended by {agent}: {reason}", agent=r["amender"],
                          reason=r["reason"]) if r["amended_by"] else ""}
            for r in ctx.conn.execute(
                "SELECT c.attempt_id, c.called_at, c.agent, c.outcome, c.note, c.amended_by, "
                "coalesce(m.logged_by, m.agent) AS amender, m.reason FROM calls c "
                "LEFT JOIN attempts m ON m.attempt_id = c.amended_by "
                "WHERE c.patient_id = ? ORDER BY c.called_at DESC, c.attempt_id DESC LIMIT 5",
                (pid,))]
    sheet = sheet_records(ctx, day)
    others = [r for r in sheet.records if r["patient_id"] == pid and r["task_id"] != task_id]
    windows = window_hours(web.cal.windows(day))
    from followup_cli.alerts import open_alerts
    from followup_cli.assign import assigned

    # a colleague's patient may be called (a team covers), but the card says whose it is
    owner = assigned(ctx.conn, day).get(pid)

    return {"alerts": alert_rows(open_alerts(ctx.conn, now, patient_id=pid)),
            "about": about_line(ctx, record),
            "alert_form": alert_form(), "back": f"/call/{task_id}", "task": record,
            "phone": phone, "script": script, "last": last, "others": others,
            "cases": [case_row(c) for c in open_cases(ctx.conn, now, patient_id=pid)],
            "outcomes": outcomes(), "categories": categories(), "severities": severities(),
            "min_note": web.min_note, "max_note": MAX_NOTE_CHARS,
            "any_hours": windows.get("any", ""),
            "hours": windows.get(record["window"], windows.get("any", "")),
            "window": window_labels().get(record["window"], ""), "revealed": reveal,
            "urgencies": words("page.urgency"),
            "next_url": next_patient(ctx, sheet.records, pid), "form": {},
            "earliest": now.strftime("%Y-%m-%dT%H:%M"), "once": secrets.token_urlsafe(16),
            "colleague": owner if owner and owner != ctx.name else "", **flash(ctx)}


def about_line(ctx: Ctx, record: dict[str, Any]) -> str:
    """What the card says the call is about: the visit it follows up; a birthday call, the
    birthday; a task of no visit (a complaint's call), nothing more than its purpose."""
    if record["visit_id"]:
        days = record["days_since_visit"]
        return t("Visit: {project} on {date} ({days} days ago), {doctor}",
                 project=record["project"] or "-", date=record["visit_date"] or "-",
                 days=days if days is not None else "-", doctor=record["doctor"] or "-")
    category = ctx.web.rules.categories.get(record["category"])
    if category is not None and category.kind == "birthday":
        row = ctx.conn.execute("SELECT nominal_date FROM tasks WHERE task_id = ?",
                               (record["task_id"],)).fetchone()
        if row and row[0]:
            return t("Birthday: {date}", date=row[0])
    return ""


def card(ctx: Ctx) -> Response:
    return ctx.render("card.html", **card_values(ctx, ctx.request.path_params["task_id"]))


def reveal(ctx: Ctx) -> Response:
    return ctx.render("card.html", **card_values(ctx, ctx.request.path_params["task_id"],
                                                 reveal=True))


NONE_CALLABLE = "/?next=none"


def next_patient(ctx: Ctx, records: list[dict[str, Any]], after: str) -> str:
    """The card of the patient after `after` in calling order (wrapping round) who may be
    called now: a task waiting for a later retry or callback time is skipped, as `due --now`
    skips it. None: the day page, saying so."""
    from followup_cli.sheet import in_calling_order, ready_at

    order = [tasks[0] for tasks in in_calling_order(ready_at(records, clock.now()))]
    ids = [r["patient_id"] for r in order]
    start = ids.index(after) + 1 if after in ids else 0
    for record in order[start:] + order[:start]:
        if record["patient_id"] != after:
            return f"/call/{record['task_id']}"
    return NONE_CALLABLE


def save_call(ctx: Ctx) -> Response:
    """Log the call from the card's form; then the next patient's card."""
    task_id = ctx.request.path_params["task_id"]
    form = {k: v for k, v in ctx.data.items() if k in ("outcome", "note", "satisfaction",
                                                         "nps", "at", "complaint_category",
                                                         "severity", "sign", "booked")}
    if "next" in ctx.data:   # the next patient, unless that drops what was typed here
        if not any(str(v).strip() for k, v in form.items() if k not in (
                "outcome", "complaint_category", "severity")):
            records = sheet_records(ctx, clock.today()).records
            return RedirectResponse(next_patient(ctx, records, card_patient(ctx, task_id)), 303)
        return card_again(ctx, task_id, form, 409, t(
            "what you typed on this card is not saved: pick an outcome to save it with the call, "
            "or clear it to go on to the next patient"))
    if form.get("outcome") == "do_not_call" and ctx.data.get("confirm") != "do_not_call":
        # one key must not end a patient's calls: the page asks once more
        return card_again(ctx, task_id, form, 409, t(
            "“{outcome}”: this patient will never be called again. Press it once more to confirm.",
            outcome=outcome_label("do_not_call")), confirm=True)
    def save() -> tuple[int, str, list[str], list[str]]:
        result = log_from(ctx, {**call_options(form), "task_id": task_id})
        records = sheet_records(ctx, clock.today()).records
        return (result.attempt_id, next_patient(ctx, records, result.patient_id),
                result.lines(web=True), list(result.warnings))

    once = str(ctx.data.get("once", ""))[:Once.LONGEST]
    try:   # the form's one-time token: sent twice (a double press), the call is logged once
        (attempt_id, target, said, warned), _ = (
            ctx.web.once.run(ctx.name, once, save) if once else (save(), True))
    except FollowupError as e:
        return card_again(ctx, task_id, form, 400, str(e))
    ctx.web.flashes.put(ctx.name, attempt_id, said, warned)
    joint = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joint}saved={attempt_id}", 303)


def card_again(ctx: Ctx, task_id: int, form: dict[str, Any], status: int, message: str,
               **extra: Any) -> Response:
    """The card once more, with what was typed on it kept and `message` on top."""
    values = card_values(ctx, task_id)
    sign = form.get("sign", [])
    values["form"] = {**form, "sign": sign if isinstance(sign, list) else [sign]}
    return ctx.render("card.html", status, message=message, **values, **extra)


def card_patient(ctx: Ctx, task_id: int) -> str:
    row = ctx.conn.execute("SELECT patient_id FROM tasks WHERE task_id = ?",
                           (task_id,)).fetchone()
    return str(row[0]) if row else ""


def correct_call(ctx: Ctx) -> Response:
    """Amend (outcome, note) or void a logged call, with a reason: an agent their own
    calls, a supervisor anyone's. The original stays on record (calls.correct)."""
    from followup_cli.calls import correct

    assert ctx.user is not None
    task_id = ctx.request.path_params["task_id"]
    attempt_id = ctx.request.path_params["attempt_id"]
    # the two ids must belong together: the call is one of the card's patient's (the card
    # lists that patient's calls), else a crafted URL corrects another patient's call
    row = ctx.conn.execute(
        "SELECT coalesce(c.agent, a.agent) AS agent FROM attempts a "
        "JOIN tasks k ON k.patient_id = a.patient_id "
        "LEFT JOIN calls c ON c.attempt_id = a.attempt_id "
        "WHERE a.attempt_id = ? AND k.task_id = ? AND a.correction IS NULL",
        (attempt_id, task_id)).fetchone()
    if row is None:
        return ctx.render("error.html", 404,
                          message=t("call #{id} is not a call of this card's patient",
                                    id=attempt_id))
    if ctx.user["role"] != "supervisor" and row["agent"] != ctx.name:
        return ctx.render("error.html", 403,
                          message=t("you can correct your own calls only (a supervisor, anyone's)"))
    action = str(ctx.data.get("action", ""))
    if action not in ("amend", "void"):   # never taken for an amendment
        return ctx.render("card.html", 400, **card_values(ctx, task_id), message=t(
            "{option} {value}: one of {choices}", option=t("Correct"), value=action[:20],
            choices=" / ".join((t("Amend to the above"), t("Void this call")))))
    fields = call_options({k: v for k, v in ctx.data.items() if k in ("outcome", "note")})
    try:
        result = correct(ctx.conn, ctx.web.cal, attempt_id, agent=ctx.name,
                         reason=str(ctx.data.get("reason", "")), now=clock.now(),
                         void=action == "void", outcome=fields.get("outcome"),
                         note=fields.get("note"), min_note=ctx.web.min_note)
    except FollowupError as e:
        return ctx.render("card.html", 400, message=str(e), **card_values(ctx, task_id))
    name = ctx.conn.execute("SELECT name FROM patients WHERE patient_id = ?",
                            (result.patient_id,)).fetchone()
    ctx.web.flashes.put(ctx.name, result.attempt_id, result.lines(
        correction=result.attempt_id,
        patient=f"{result.patient_id} {name[0]}" if name else result.patient_id),
        list(result.warnings))
    return RedirectResponse(f"/call/{task_id}?saved={result.attempt_id}", 303)


# --- the supervisor's board -----------------------------------------------------------

def board_figures(ctx: Ctx, day: date) -> dict[str, Any]:
    """Per agent: calls made and reached today, patients left on today's sheet; and the
    complaint cases still open."""
    from followup_cli.assign import assigned
    from followup_cli.complaints import open_cases
    from followup_cli.sheet import due_tasks

    records = due_tasks(ctx.conn, day, ctx.web.rules)
    shares = assigned(ctx.conn, day)
    left: dict[str, set[str]] = {}
    for r in records:
        left.setdefault(shares.get(r["patient_id"], ""), set()).add(r["patient_id"])
    made = {r["agent"]: r for r in calls_today(ctx)}
    agents = [r["username"] for r in ctx.conn.execute(
        "SELECT username FROM users WHERE role = 'agent' AND disabled = 0 ORDER BY username")]
    names = sorted(set(agents) | set(made) | {a for a in left if a})
    # patients held by a name that cannot sign in (disabled, or shared before accounts):
    # nobody will call them unless the supervisor moves them
    enabled = {r[0] for r in ctx.conn.execute("SELECT username FROM users WHERE disabled = 0")}
    rows = [{"agent": a, "calls": made.get(a, {}).get("calls", 0),
             "reached": made.get(a, {}).get("reached", 0) or 0,
             "left": len(left.get(a, ())),
             "stranded": bool(left.get(a)) and a not in enabled} for a in names]
    return {"day": day.isoformat(), "agents": rows, "unassigned": len(left.get("", ())),
            "patients": len({r["patient_id"] for r in records}),
            "complaints": len(open_cases(ctx.conn, clock.now())),
            "at": clock.now().strftime("%H:%M:%S")}


def board(ctx: Ctx, status: int = 200, message: str = "") -> Response:
    from followup_cli.alerts import open_alerts
    from followup_cli.complaints import open_cases

    figures = board_figures(ctx, clock.today())
    done = {"shared": t("today's sheet is shared out"), "moved": moved_note(ctx),
            "stepped": t("complaint case updated")}
    return ctx.render("board.html", status, figures=figures, message=message,
                      saved=done.get(ctx.request.query_params.get("done", ""), "")
                      or alert_note(ctx), alert_form=alert_form(), back="/board",
                      cases=[case_row(c) for c in open_cases(ctx.conn, clock.now())],
                      alerts=alert_rows(open_alerts(ctx.conn, clock.now())),
                      steps=step_labels(),
                      team=",".join(a["agent"] for a in figures["agents"]),
                      shift=on_shift_today(ctx, figures))


def moved_note(ctx: Ctx) -> str:
    """What a move did (?done=moved&patient=ID): which patient (id and name) is now on
    whose list today, as the ledger has it."""
    row = ctx.conn.execute(
        "SELECT p.patient_id, p.name, a.agent FROM assignments a "
        "JOIN patients p ON p.patient_id = a.patient_id WHERE a.day = ? AND a.patient_id = ?",
        (clock.today().isoformat(), ctx.request.query_params.get("patient", "")[:100])).fetchone()
    if row is None:
        return t("patient moved")
    return t("patient {patient} moved to {agent}", patient=f"{row[0]} {row[1]}", agent=row[2])


def on_shift_today(ctx: Ctx, figures: dict[str, Any]) -> list[str]:
    """Whom a patient can be moved to: once the day is shared, its agents only (as
    assign.move allows); before, any agent on the board. Never a name that cannot sign in
    (disabled, or no account): the move would be refused, or strand the patient again."""
    enabled = {r[0] for r in ctx.conn.execute("SELECT username FROM users WHERE disabled = 0")}
    shift = [r[0] for r in ctx.conn.execute(
        "SELECT DISTINCT agent FROM assignments WHERE day = ? ORDER BY agent",
        (figures["day"],))]
    return [a for a in shift or [a["agent"] for a in figures["agents"]] if a in enabled]


def on_board(action: Callable[[Ctx], Any], done: str) -> Callable[[Ctx], Response]:
    """A supervisor's action from the board: back to the board saying it was done (what
    the action returns, if anything, goes in the query: whom it was done to), or the
    board with the library's message."""
    from urllib.parse import urlencode

    def handler(ctx: Ctx) -> Response:
        try:
            said = action(ctx)
        except FollowupError as e:   # the complaint's --note is the board's "What was done"
            return board(ctx, 400, field_words(str(e), note=t("What was done")))
        return RedirectResponse(f"/board?{urlencode({'done': done, **(said or {})})}", 303)

    return handler


def _share(ctx: Ctx) -> None:
    from followup_cli.assign import on_shift, share_sheet
    from followup_cli.users import check_accounts

    names = on_shift([str(ctx.data.get("agents", ""))])
    check_accounts(ctx.conn, names)   # the workspace shares to people who can sign in
    share_sheet(ctx.conn, clock.today(), ctx.web.rules, names, by=ctx.name, now=clock.now())


def _move(ctx: Ctx) -> dict[str, str]:
    from followup_cli import ids
    from followup_cli.assign import move
    from followup_cli.text import agent_name
    from followup_cli.users import check_accounts

    agent = agent_name(str(ctx.data.get("agent", "")), "--to")
    check_accounts(ctx.conn, [agent])
    patient_id = str(ctx.data.get("patient_id", ""))
    move(ctx.conn, clock.today(), patient_id, agent, by=ctx.name, now=clock.now())
    return {"patient": ids.lookup_patient(ctx.conn, patient_id)}


def _step(ctx: Ctx) -> None:
    from followup_cli.complaints import act

    action = str(ctx.data.get("action", ""))
    if action not in step_labels():
        raise FollowupError(t("unknown field {field}", field=option("action")))
    now = clock.now()
    act(ctx.conn, ctx.request.path_params["case_id"], action, agent=ctx.name, at=now,
        note=str(ctx.data.get("note", "")), rules=ctx.web.rules, cal=ctx.web.cal, now=now)


share = on_board(_share, "shared")
move_patient = on_board(_move, "moved")
complaint_step = on_board(_step, "stepped")


def api_board(ctx: Ctx) -> Response:
    return JSONResponse(board_figures(ctx, clock.today()))


# --- patients: search and timeline ----------------------------------------------------

def patients(ctx: Ctx) -> Response:
    """Search by id, name or the end of a phone number (the query is never logged)."""
    from followup_cli.patients import search

    query = ctx.request.query_params.get("q", "")[:100]
    try:
        found = search(ctx.conn, query) if query else []
    except FollowupError as e:   # an id several patients have ignoring case: named by none;
        # too few of a phone's digits: the message says why, not "nobody found"
        return ctx.render("patients.html", 400, q=query, found=[], searched=False,
                          message=str(e))
    return ctx.render("patients.html", q=query, found=found, searched=bool(query))


def patient_page(ctx: Ctx) -> Response:
    """A patient's timeline: visits, planned calls and what became of them, calls made."""
    from followup_cli.patients import call_words, timeline

    states = {"planned": t("planned"), "due": t("due"), "missed": t("missed"),
              "done": t("done"), "unreachable": t("unreachable"),
              "cancelled": t("cancelled"), "backfill": t("backfill")}
    kinds = {"treated": t("treated"), "consult": t("consult"),
             "no_show": t("no-show"), "course_end": t("course end")}
    history = timeline(ctx.conn, ctx.request.path_params["patient_id"], clock.today(),
                       clock.now(), rules=ctx.web.rules)
    for visit in history["visits"]:
        visit["kind_label"] = kinds.get(visit["kind"], visit["kind"])
    for task in history["tasks"]:
        task["state_label"] = states.get(task["state"], task["state"])
    for call in history["calls"]:   # as `patient show` says them: a correction by its maker
        call["outcome_label"] = outcome_label(call["outcome"])
        call["at"] = call["called_at"].replace("T", " ")[:16]
        call["what"], call["who"] = call_words(call)
    from followup_cli.output.patient import alert_and_recheck_rows, backfill_note

    backfills = [(v["visit_id"], note) for v in history["visits"]
                 if (note := backfill_note(v))]
    still_open = [a for a in history["alerts"] if a["status"] != "closed"]
    # what `patient show` says of alerts (closed ones too) and booked re-checks
    return ctx.render("patient.html", h=history, backfills=backfills,
                      alerts_and_rechecks=sorted(alert_and_recheck_rows(history)
                                                 + alert_answer_rows(ctx, history["alerts"])),
                      cases=[case_row(c) for c in history["complaints"]],
                      alerts=alert_rows(still_open), alert_form=alert_form(),
                      back=f"/patient/{history['patient']['patient_id']}",
                      saved=alert_note(ctx))


def minute(stamp: str | None) -> str:
    """A stored time ("2026-11-30T13:04:36") as the pages show times: "2026-11-30 13:04"."""
    return (stamp or "").replace("T", " ")[:16]


def alert_answer_rows(ctx: Ctx, alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Each answer to the patient's alerts as `alert show` lists it: when, who
    acknowledged or closed it, what was done, and the note they gave."""
    from followup_cli.alerts import action_label, events

    return [(minute(e["at"]), t("Clinical alert") + f" #{a['alert_id']}",
             " · ".join(filter(None, (action_label(e["action"]), e["agent"], e["note"]))))
            for a in alerts for e in events(ctx.conn, a["alert_id"]) if e["action"] != "open"]


def audit_page(ctx: Ctx) -> Response:
    """Who was shown full numbers, the latest first (supervisors)."""
    from followup_cli.audit import action_words, entries

    rows = entries(ctx.conn)[::-1][:500]
    for row in rows:   # the command as recorded, said in words; the time to the minute
        row["action"] = action_words(row["action"])
        row["at"] = minute(row["at"])
    return ctx.render("audit.html", rows=rows)


# --- the month report -----------------------------------------------------------------

def report_page(ctx: Ctx) -> Response:
    """The month's figures: the same report function and numbers as `followup report`,
    in the tables its HTML report has (output/report_files.tables)."""
    from followup_cli.i18n import pick
    from followup_cli.output.report_files import About, figures, tables
    from followup_cli.report import month_report, parse_month, six_months

    month = ctx.request.query_params.get("month") or clock.today().strftime("%Y-%m")
    report = month_report(ctx.conn, month, clock.today(), min_note=ctx.web.min_note,
                          now=clock.now())
    info = About([], {cid: pick(c.label) for cid, c in ctx.web.rules.categories.items()})
    made = tables(report, info)
    dist = report["satisfaction_distribution"]
    trend = six_months(ctx.conn, parse_month(month)[0], clock.today(), min_note=ctx.web.min_note)
    return ctx.render("report.html", month=month, headline=made[0], tables=made[1:],
                      charts=[n for n in CHARTS if n in figures(report, trend)],
                      dist=[(score, dist[score]) for score in "54321"],
                      total=sum(dist.values()))


# --- import by upload: checked and previewed as a dry run, then imported ---------------

def import_summary_lines(summary: Any) -> list[str]:
    """What `followup import visits` prints about an import, in the same words."""
    from followup_cli.importing.visits import summary_lines

    return summary_lines(summary, summary.path.name if summary.path else "-")


def import_page(ctx: Ctx) -> Response:
    return ctx.render("import.html")


def _import(ctx: Ctx, path: Any, *, dry_run: bool) -> Any:
    from followup_cli.importing import import_visits

    return import_visits(ctx.conn, path, ctx.web.rules, ctx.web.cal, clock.today(),
                         user_map=ctx.web.import_map, dry_run=dry_run, now=clock.now())


def import_preview(ctx: Ctx) -> Response:
    """The upload checked as `import visits --dry-run` would: its summary, or the message
    that refuses it; then a button to import it."""
    if "error" in ctx.data or "upload" not in ctx.data:
        return ctx.render("import.html", 400,
                          message=ctx.data.get("error") or t("choose a file to import"))
    path = ctx.data["upload"]
    key = ctx.web.uploads.add(path, ctx.name)
    try:
        summary = _import(ctx, path, dry_run=True)
    except FollowupError as e:
        ctx.web.uploads.drop(key)
        return ctx.render("import.html", 400, message=upload_words(str(e), path))
    except BaseException:
        ctx.web.uploads.drop(key)
        raise
    return ctx.render("import.html",
                      lines=import_summary_lines(summary),
                      key=key, name=path.name)


def import_confirm(ctx: Ctx) -> Response:
    key = str(ctx.data.get("key", ""))
    path = ctx.web.uploads.get(key, ctx.name)
    if path is None:
        return ctx.render("import.html", 400,
                          message=t("the upload has expired or was imported already: upload it "
                                    "again"))
    try:
        summary = _import(ctx, path, dry_run=False)
    except FollowupError as e:
        return ctx.render("import.html", 400, message=upload_words(str(e), path))
    finally:
        ctx.web.uploads.drop(key)
    return ctx.render("import.html", lines=import_summary_lines(summary), done=True)



def report_chart(ctx: Ctx) -> Response:
    """One of the month report's charts as a PNG (the same charts `report --format html`
    draws), served from this origin: the page's CSP allows images from 'self' only."""
    from followup_cli.output.report_files import charts
    from followup_cli.report import month_report, parse_month, six_months

    name = ctx.request.path_params["name"]
    if name not in CHARTS:
        return ctx.render("error.html", 404, message=t("no such chart"))
    month = ctx.request.query_params.get("month") or clock.today().strftime("%Y-%m")
    today = clock.today()
    report = month_report(ctx.conn, month, today, min_note=ctx.web.min_note, now=clock.now())
    trend = six_months(ctx.conn, parse_month(month)[0], today, min_note=ctx.web.min_note)
    png = charts(report, trend).get(name)
    if png is None:   # a chart with nothing to show is left out
        return ctx.render("error.html", 404, message=t("no such chart"))
    return Response(png, media_type="image/png")


CHARTS = ("agents", "satisfaction", "complaints", "trend")


# --- SMS: the day's plan and its batch for the platform --------------------------------

SMS_TYPES = {"csv": ("text/csv; charset=utf-8", "csv"),
             "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      "xlsx"),
             "aliyun": ("application/json", "json"), "tencent": ("application/json", "json")}


def _sms_plan(ctx: Ctx, day: date, *, again: bool = False, reveal: bool = False,
              resend: bool = False) -> Any:
    """The day's messages as `sms plan` makes them, in the patients' language ([sms] lang)."""
    from followup_cli.sms import plan_birthdays_for, plan_day

    web = ctx.web
    plan_birthdays_for(ctx.conn, web.rules, web.cal, day, clock.today())
    return plan_day(ctx.conn, web.rules, web.sms_texts, web.sms_settings, day,
                    web.sms_settings.lang, again=again, reveal=reveal, resend=resend)


def sms_page(ctx: Ctx, status: int = 200, message: str = "") -> Response:
    """The day's SMS as `sms plan` shows them (numbers masked), and the export form."""
    from followup_cli.sms import EXPORT_FORMATS

    kinds = {"unreachable": t("three calls unanswered"), "reminder": t("reminder"),
             "birthday": t("birthday greeting")}   # as `sms plan` says them
    day = the_day(ctx)
    try:   # a day too far ahead is refused before anything is planned for it
        plan = _sms_plan(ctx, day)
    except FollowupError as e:
        return ctx.render("sms.html", 400, message=str(e), day=day.isoformat(), rows=[],
                          notes=[], formats=EXPORT_FORMATS, sent=0)
    rows = [{"patient_id": m["patient_id"], "name": m["name"], "phone": m["phone"],
             "why": [kinds.get(r["kind"], r["kind"]) for r in m["reasons"]], "text": m["text"],
             "length": tn("{length} chars / {count} part", "{length} chars / {count} parts",
                          m["parts"], length=m["length"])}
            for m in plan.messages]
    notes = []
    if plan.held:
        notes.append(t("{count} more are over the daily limit and left out", count=plan.held))
    if plan.sent:
        notes.append(t("{count} already exported for {date}", count=plan.sent,
                       date=day.isoformat()))
    return ctx.render("sms.html", status, message=message, day=day.isoformat(), rows=rows,
                      notes=notes, formats=EXPORT_FORMATS, sent=plan.sent)


def the_day(ctx: Ctx) -> date:
    value = ctx.data.get("date") or ctx.request.query_params.get("date")
    return clock.parse_day(str(value), option("date")) if value else clock.today()


def sms_export(ctx: Ctx) -> Response:
    """The day's batch as a download, as `sms export` writes it: full numbers, recorded in
    the audit log under the signed-in supervisor, each message queued once; the day
    exported again (another format) writes the messages already queued, recording
    nothing new."""
    import shutil
    import tempfile
    from datetime import datetime
    from pathlib import Path

    from followup_cli.output.sms_files import batch_name, export_day
    from followup_cli.sms import check_hours

    fmt = str(ctx.data.get("format", ""))
    if fmt not in SMS_TYPES:
        return sms_page(ctx, 400, t("choose a format: csv, xlsx, aliyun or tencent"))
    now = clock.now()
    day = the_day(ctx)
    config = ctx.web.sms_settings
    send_at = now if day == now.date() else datetime.combine(day, config.start)
    try:
        check_hours(config, send_at)
    except FollowupError as e:
        return sms_page(ctx, 400, field_words(str(e), at=t("Sent at")))
    media, _ = SMS_TYPES[fmt]
    folder = Path(tempfile.mkdtemp(prefix="followup-sms-"))
    output = folder / batch_name(day, fmt)
    try:
        done = export_day(ctx.conn, lambda **kw: _sms_plan(ctx, day, reveal=True, **kw), fmt,
                          output, config, day=day, send_at=send_at, now=now, agent=ctx.name,
                          batch=f"{fmt} {output.name}")
        if not done.messages:
            return sms_page(ctx, 400, t("no SMS to send for {date}", date=day.isoformat()))
        content = output.read_bytes()
    except FollowupError as e:
        return sms_page(ctx, 400, str(e))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(content, media_type=media, headers={
        "content-disposition": f'attachment; filename="{output.name}"'})
