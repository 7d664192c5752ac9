"""SMS (短信): the messages a clinic sends when a call cannot.

followup never reaches an SMS platform and holds none of its keys. It plans the day's
messages from the ledger (calls three attempts could not make, members' birthdays,
reminders the clinic marked), prepares the batch the clinic's platform takes
(output/sms_files.py), records each message sent, and reads the delivery receipts back.

The texts are data (rules/sms.toml, overridden by the clinic's sms.toml next to the
ledger); the signature, unsubscribe line, sending hours and daily limit are the clinic's
settings ([sms] in followup.toml).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli import ids
from followup_cli.errors import FollowupError
from followup_cli.i18n import LANGS, speaking, t, tc
from followup_cli.phones import mask_phone
from followup_cli.text import agent_name, given

if TYPE_CHECKING:
    from followup_cli.calendar import ClinicCalendar
    from followup_cli.clinic_files import StrPath
    from followup_cli.rules import RulePack

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "rules", "sms.toml")
PLACEHOLDERS = ("name", "project", "date", "clinic", "doctor")
PLATFORMS = ("aliyun", "tencent")
EXPORT_FORMATS = ("csv", "xlsx", *PLATFORMS)
# a day's batch is exported in the days before it at the earliest; a day further ahead is a
# typo of the year (2030 for 2026), and its messages would sit queued for years
MAX_EXPORT_AHEAD_DAYS = 30


def check_export_day(day: date, today: date) -> None:
    """A day's batch is exported at most MAX_EXPORT_AHEAD_DAYS days before the day."""
    if day > today + timedelta(days=MAX_EXPORT_AHEAD_DAYS):
        raise FollowupError(t("{date} is more than {limit} days ahead: a day's SMS are "
                              "planned and exported at most {limit} days before it",
                              date=day.isoformat(), limit=MAX_EXPORT_AHEAD_DAYS))
# numbers one request may carry: SendBatchSms 100, Tencent SendSms 200
BATCH_LIMIT = {"aliyun": 100, "tencent": 200}
# the signature counts; one message holds 70 characters, a long one 67 a part
ONE_MESSAGE, PART = 70, 67
# wording Tencent's template review refuses on medical-aesthetic texts
TENCENT_REFUSED = ("医疗", "整形", "美容", "邀请到店")
# what a placeholder is counted as when a template's length is checked
SAMPLE = {"name": "王小明", "project": "双眼皮手术", "date": "12-01", "doctor": "王医生"}
# the touchpoint of the call a failed SMS puts on the sheet
SMS_FAILED = "sms_failed"
# reasons for a message, in the order they are merged into one
KINDS = ("unreachable", "reminder", "birthday")
# how far back a call made unreachable still gets its message
UNREACHABLE_DAYS = 7
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


class Template(NamedTuple):
    key: str
    text: dict[str, str]
    codes: dict[str, str]
    remind: bool = False
    promotional: bool = False

    def variables(self, lang: str) -> list[str]:
        """The placeholders of the text, in the order they appear (Tencent's {1} {2} …)."""
        return list(dict.fromkeys(_PLACEHOLDER.findall(self.text[lang])))


class Templates(NamedTuple):
    common: dict[str, Template]
    touchpoints: dict[tuple[str, str], Template]

    def of(self, category: str, touchpoint: str) -> Template | None:
        return self.touchpoints.get((category, touchpoint))


class Settings(NamedTuple):
    signature: str | None
    unsubscribe: dict[str, str]
    start: time
    end: time
    daily_limit: int
    max_parts: int
    tencent_app_id: str | None
    clinic: str | None = None   # [clinic] name: what {clinic} stands for
    lang: str = "zh"   # the patients' language, whoever prepares the batch


# --- the texts and the settings ------------------------------------------------------

def load_templates(clinic_file: StrPath | None = None) -> Templates:
    """The default texts, each replaced by the clinic's own where its file gives one."""
    from followup_cli.clinic_files import read_toml

    data = read_toml(DEFAULT_PATH)
    path: StrPath = DEFAULT_PATH
    if clinic_file is not None:
        path = clinic_file
        own = read_toml(clinic_file)
        for key, value in own.items():
            if key not in ("common", "touchpoints"):
                raise _fail(path, key, t("unknown table ({tables})", tables="common, touchpoints"))
            if not isinstance(value, dict):
                raise _fail(path, key, t("must be a table"))
        data["common"] = {**data.get("common", {}), **own.get("common", {})}
        touchpoints = {c: dict(v) for c, v in data.get("touchpoints", {}).items()}
        for category, table in own.get("touchpoints", {}).items():
            if not isinstance(table, dict):
                raise _fail(path, f"touchpoints.{category}", t("must be a table"))
            touchpoints.setdefault(category, {}).update(table)
        data["touchpoints"] = touchpoints
    common = {k: _template(path, f"common.{k}", k, v) for k, v in data["common"].items()}
    for key in ("unreachable", "combined"):
        if key not in common:
            raise _fail(path, f"common.{key}", t("missing"))
    if set(common["combined"].variables("zh")) != {"text"}:
        raise _fail(path, "common.combined.text", t("the combined text holds {text} only"))
    texts: dict[tuple[str, str], Template] = {}
    for category, table in data.get("touchpoints", {}).items():
        if not isinstance(table, dict):
            raise _fail(path, f"touchpoints.{category}", t("must be a table"))
        for tp, raw in table.items():
            texts[(category, tp)] = _template(path, f"touchpoints.{category}.{tp}",
                                                    f"{category}.{tp}", raw)
    return Templates(common, texts)


def is_sms_file(path: StrPath) -> bool:
    """An SMS texts file has [common] with unreachable, or texts under [touchpoints]."""
    from followup_cli.clinic_files import read_toml

    try:
        data = read_toml(path)
    except FollowupError:
        return False
    tps = data.get("touchpoints")
    return ("unreachable" in data.get("common", {}) or "combined" in data.get("common", {})
            or (isinstance(tps, dict) and any(isinstance(v, dict) and "text" in v
                for table in tps.values() if isinstance(table, dict)
                for v in table.values())))


def _fail(path: StrPath, where: str, reason: str) -> FollowupError:
    return FollowupError(t("{path}: {where}: {reason}", path=path, where=where, reason=reason))


def _template(path: StrPath, where: str, key: str, raw: Any) -> Template:
    if not isinstance(raw, dict):
        raise _fail(path, where, t("expected a table like {example}",
                                   example="{ text = { zh = …, en = … } }"))
    unknown = set(raw) - {"text", "code", "remind", "promotional"}
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}",
                    t("unknown key ({keys})", keys="text, code, remind, promotional"))
    text = raw.get("text")
    if not isinstance(text, dict) or set(text) != set(LANGS) or not all(
            isinstance(v, str) and given(v) for v in text.values()):
        raise _fail(path, f"{where}.text", t('expected { zh = "…", en = "…" }, both languages'))
    allowed = {"text"} if key == "combined" else set(PLACEHOLDERS)
    for lang, value in text.items():
        if "{}" in value or value.count("{") != value.count("}"):
            raise _fail(path, f"{where}.text.{lang}", t("broken placeholder"))
        unknown_names = [n for n in _PLACEHOLDER.findall(value) if n not in allowed]
        if unknown_names:
            raise _fail(path, f"{where}.text.{lang}",
                        t("unknown placeholder {name} (known: {known})",
                          name=f"{{{unknown_names[0]}}}", known=", ".join(sorted(allowed))))
    codes = raw.get("code", {})
    if not isinstance(codes, dict) or set(codes) - set(PLATFORMS) or not all(
            isinstance(v, str) and given(v) for v in codes.values()):
        raise _fail(path, f"{where}.code", t('expected { aliyun = "SMS_…", tencent = "…" }'))
    for flag in ("remind", "promotional"):
        if not isinstance(raw.get(flag, False), bool):
            raise _fail(path, f"{where}.{flag}", t("expected true or false"))
    return Template(key, dict(text), dict(codes), raw.get("remind", False),
                    raw.get("promotional", key.startswith("birthday.")))


def load_settings(config: dict[str, Any], path: StrPath) -> Settings:
    """[sms] of the clinic's followup.toml; every key has a default but the signature."""
    raw = config.get("sms", {})
    if not isinstance(raw, dict):
        raise _fail(path, "sms", t("must be a table"))
    unknown = set(raw) - {"signature", "unsubscribe", "hours", "daily_limit", "max_parts",
                          "tencent_app_id", "lang"}
    if unknown:
        raise _fail(path, f"sms.{sorted(unknown)[0]}", t(
            "unknown key ({keys})", keys="signature, unsubscribe, hours, daily_limit, "
            "max_parts, tencent_app_id, lang"))
    lang = raw.get("lang", "zh")
    if lang not in LANGS:
        raise _fail(path, "sms.lang", t("expected one of {choices}", choices=", ".join(LANGS)))
    clinic = config.get("clinic", {}).get("name") if isinstance(
        config.get("clinic"), dict) else None
    clinic = clinic if isinstance(clinic, str) and given(clinic) else None
    signature = raw.get("signature")
    if signature is None:
        signature = clinic
    elif not isinstance(signature, str) or not given(signature) or len(signature) > 20 \
            or any(c in signature for c in "【】[]"):
        raise _fail(path, "sms.signature", t("expected the signature's name, without 【】, "
                                             "at most 20 characters"))
    standard = {"zh": "回T退订", "en": "Reply T to opt out"}
    unsubscribe = raw.get("unsubscribe", standard)
    if isinstance(unsubscribe, str):   # one text: the language the messages are sent in
        unsubscribe = {**standard, lang: unsubscribe}
    if not isinstance(unsubscribe, dict) or set(unsubscribe) != set(LANGS) or not all(
            isinstance(v, str) and given(v) for v in unsubscribe.values()):
        raise _fail(path, "sms.unsubscribe", t('expected a text or { zh = "…", en = "…" }'))
    hours = raw.get("hours", "08:00-21:00")
    m = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*", hours) \
        if isinstance(hours, str) else None
    try:
        start, end = (time.fromisoformat(m.group(1).zfill(5)),
                      time.fromisoformat(m.group(2).zfill(5))) if m else (None, None)
    except ValueError:
        start = end = None
    if start is None or end is None or start >= end:
        raise _fail(path, "sms.hours", t("{value} is not hours like 08:00-21:00",
                                          value=repr(hours)))
    numbers = {}
    for key, fallback in (("daily_limit", 1000), ("max_parts", 2)):
        value = raw.get(key, fallback)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
            raise _fail(path, f"sms.{key}", t("expected a whole number from 1"))
        numbers[key] = value
    app_id = raw.get("tencent_app_id")
    if app_id is not None and (not isinstance(app_id, str) or not given(app_id)):
        raise _fail(path, "sms.tencent_app_id", t("expected the SmsSdkAppId as a text"))
    return Settings(signature, dict(unsubscribe), start, end, numbers["daily_limit"],
                    numbers["max_parts"], app_id, clinic, lang)


def parts(length: int) -> int:
    """The messages a text of `length` characters is sent as."""
    return 1 if length <= ONE_MESSAGE else -(-length // PART)


def signed(signature: str, body: str) -> str:
    """The text as the patient reads it: the signature leads."""
    return f"【{signature}】{body}"


def patients_signature(settings: Settings, lang: str) -> str:
    """The signature of a message in `lang`: [sms] signature, else [clinic] name, else the
    word for a clinic in the patients' language (never the interface's)."""
    if settings.signature:
        return str(settings.signature)
    with speaking(lang):
        return tc("sms", "Clinic")


def check(templates: Templates, settings: Settings, rules: RulePack) -> tuple[list[str], list[str]]:
    """What `rules check` says of the texts: (errors, warnings), each naming the text."""
    errors: list[str] = []
    warnings: list[str] = []
    entries = [(f"common.{k}", tpl) for k, tpl in templates.common.items() if k != "combined"]
    entries += [(f"touchpoints.{c}.{tp}", tpl) for (c, tp), tpl in templates.touchpoints.items()]
    known = {(c.id, tp.id) for c in rules.categories.values() for tp in c.touchpoints}
    defaults = load_templates()
    for where, tpl in entries:
        category, _, touchpoint = tpl.key.partition(".")
        if where.startswith("touchpoints.") and (category, touchpoint) not in known:
            if defaults.touchpoints.get((category, touchpoint)) == tpl:
                # a default text the clinic's rules have no call for: never sent, and the
                # clinic cannot edit the default file
                warnings.append(t("{where}: the rules have no such touchpoint (the text is "
                                  "never sent)", where=where))
            else:   # the clinic's own text: a typo in its touchpoint
                errors.append(t("{where}: the rules have no such touchpoint", where=where))
        for lang in LANGS:
            signature = patients_signature(settings, lang)
            body = _fill(tpl.text[lang], {**SAMPLE, "clinic": signature})
            length = len(signed(signature, body))
            if parts(length) > settings.max_parts:
                errors.append(t("{where}: {length} characters with the signature, sent as {parts} "
                                "messages (at most {limit})", where=f"{where}.text.{lang}",
                                length=length, parts=parts(length), limit=settings.max_parts))
            if tpl.promotional and settings.unsubscribe[lang] not in tpl.text[lang]:
                errors.append(t("{where}: a promotional text must carry the unsubscribe line "
                                "'{line}'", where=f"{where}.text.{lang}",
                                line=settings.unsubscribe[lang]))
            refused = [w for w in TENCENT_REFUSED if w in tpl.text[lang]]
            if refused:
                warnings.append(t("{where}: Tencent Cloud's review refuses wording like '{word}'",
                                  where=f"{where}.text.{lang}",
                                  word=refused[0]))
    return errors, warnings


def _fill(text: str, values: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


# --- unsubscribing -------------------------------------------------------------------

_SMS_OFF = """(SELECT e.action FROM patient_events e WHERE e.patient_id = {pid}
   AND e.action IN ('sms_off', 'sms_on') ORDER BY e.event_id DESC LIMIT 1) = 'sms_off'"""


def sms_off(conn: sqlite3.Connection, patient_id: str) -> bool:
    """Whether the patient unsubscribed: the latest sms_off / sms_on event decides."""
    return bool(conn.execute(f"SELECT {_SMS_OFF.format(pid='?')}", (patient_id,)).fetchone()[0])


def set_sms(conn: sqlite3.Connection, patient_id: str, *, off: bool, reason: str, agent: str,
            now: datetime) -> None:
    """The patient unsubscribes (`off`) or takes SMS again, on the record: who and why."""
    from followup_cli.ledger import transaction

    agent = agent_name(agent)
    patient_id = ids.lookup_patient(conn, patient_id)
    if not given(reason):
        raise FollowupError(t("give the reason with --reason"))
    with transaction(conn):
        if conn.execute("SELECT 1 FROM patients WHERE patient_id = ?",
                        (patient_id,)).fetchone() is None:
            raise FollowupError(t("there is no patient {patient_id}", patient_id=patient_id))
        if sms_off(conn, patient_id) == off:
            raise FollowupError(t("{patient_id} has already unsubscribed from SMS",
                                  patient_id=patient_id) if off
                                else t("{patient_id} has not unsubscribed from SMS",
                                       patient_id=patient_id))
        conn.execute("INSERT INTO patient_events (patient_id, at, agent, action, reason) "
                     "VALUES (?, ?, ?, ?, ?)", (patient_id, now.isoformat(timespec="seconds"),
                                                agent, "sms_off" if off else "sms_on",
                                                reason.strip()))


def unsubscribe_imported(conn: sqlite3.Connection, patient_ids: set[str], at: str,
                         source: str) -> int:
    """An export's 短信退订 = yes: each patient not yet unsubscribed is, as a patient
    event by the import. A 'no' changes nothing: only `patient sms-on` undoes a decision."""
    added = 0
    for pid in sorted(patient_ids):
        if not sms_off(conn, pid):
            conn.execute("INSERT INTO patient_events (patient_id, at, agent, action, reason) "
                         "VALUES (?, ?, 'import', 'sms_off', ?)", (pid, at, source))
            added += 1
    return added


# --- the day's messages --------------------------------------------------------------

class Plan(NamedTuple):
    day: date
    messages: list[dict[str, Any]]
    held: int             # over the daily limit: left for another day
    skipped: dict[str, int]
    sent: int             # messages of the day already recorded


_CANDIDATES = f"""
SELECT t.task_id, t.patient_id, t.visit_id, t.category, t.touchpoint, t.due_date, t.status,
       t.complaint_id, p.name, p.phone, p.phone_bad, p.do_not_call, v.project, v.doctor,
       {_SMS_OFF.format(pid='p.patient_id')} AS sms_off,
       (SELECT max(c.called_at) FROM calls c JOIN attempt_tasks x ON x.attempt_id =
        c.attempt_id WHERE x.task_id = t.task_id) AS last_call,
       EXISTS (SELECT 1 FROM sms_tasks st JOIN sms s ON s.sms_id = st.sms_id
                WHERE st.task_id = t.task_id AND (s.day <> :d OR NOT :again)) AS messaged
  FROM tasks t
  JOIN patients p ON p.patient_id = t.patient_id
  LEFT JOIN visits v ON v.visit_id = t.visit_id
 WHERE (t.status = 'unreachable' AND t.status_reason = 'failed_attempts'
        AND t.due_date > :oldest AND t.due_date <= :d)
    OR (t.due_date = :d AND (t.status = 'open' OR t.status = 'done'))
 ORDER BY t.patient_id, t.due_date, t.task_id
"""


def plan_day(conn: sqlite3.Connection, rules: RulePack, templates: Templates,
             settings: Settings, day: date, lang: str, *, again: bool = False,
             reveal: bool = False, resend: bool = False) -> Plan:
    """The messages of `day`, one per patient, in the order they are sent. With `again`,
    the day's messages already recorded are planned once more (a batch sent again); with
    `resend` too, a patient whose message of the day was delivered is left out (counted as
    sent): only what did not arrive goes once more."""
    params = {"d": day.isoformat(), "again": int(again),
              "oldest": (day - timedelta(days=UNREACHABLE_DAYS + 31)).isoformat()}
    sent_today = {r[0] for r in conn.execute("SELECT DISTINCT patient_id FROM sms WHERE day = ?",
                                             (day.isoformat(),))}
    delivered = {r[0] for r in conn.execute(
        "SELECT DISTINCT patient_id FROM sms WHERE day = ? AND status = 'delivered'",
        (day.isoformat(),))} if resend else set()
    skipped = dict.fromkeys(("do_not_call", "sms_off", "phone_bad", "not_mobile", "complaint",
                             "sent"), 0)
    reasons: dict[str, list[dict[str, Any]]] = {}
    rows: dict[str, sqlite3.Row] = {}
    for row in conn.execute(_CANDIDATES, params):
        kind = _reason(row, rules, templates, day)
        if kind is None or row["messaged"]:
            continue
        why = ("complaint" if row["complaint_id"] is not None
               or _kind_of(rules, row["category"]) == "complaint"
               else "do_not_call" if row["do_not_call"] else "sms_off" if row["sms_off"]
               else "phone_bad" if row["phone_bad"]
               else "not_mobile" if not _MOBILE.match(row["phone"])
               else "sent" if row["patient_id"] in sent_today and not again
               else "sent" if row["patient_id"] in delivered else None)
        if why is not None:
            skipped[why] += 1
            continue
        rows[row["patient_id"]] = row
        reasons.setdefault(row["patient_id"], []).append(
            {"kind": kind, "task_id": row["task_id"], "visit_id": row["visit_id"],
             "category": row["category"], "touchpoint": row["touchpoint"],
             "due_date": row["due_date"], "project": row["project"], "doctor": row["doctor"]})
    # what the patient reads is in the patients' language, whatever language the batch is
    # prepared in: the default signature, "your doctor", "your treatment" too
    with speaking(lang):
        signature = patients_signature(settings, lang)
        values_of = {"clinic": settings.clinic or signature}
        messages = [_message(rows[pid], found, templates, settings, signature, lang,
                             values_of, reveal) for pid, found in reasons.items()]
    messages.sort(key=lambda m: (KINDS.index(m["reasons"][0]["kind"]), m["patient_id"]))
    # a day's batch sent again counts once, as the report counts it
    sent = conn.execute("SELECT count(DISTINCT patient_id) FROM sms WHERE day = ?",
                        (day.isoformat(),)).fetchone()[0]
    room = max(settings.daily_limit - (0 if again else sent), 0)
    return Plan(day, messages[:room], max(len(messages) - room, 0), skipped, sent)


def plan_birthdays_for(conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar,
                       day: date, today: date) -> None:
    """Members' birthdays planned through `day`'s next year, as the call sheet tops them
    up: a day's greetings are there even if no sheet of that year was looked at yet. A day
    more than MAX_EXPORT_AHEAD_DAYS ahead is refused first, as its export is: looking at a
    typo of the year would plan birthdays for years."""
    from followup_cli import planning
    from followup_cli.ledger import transaction

    check_export_day(day, today)
    if planning.birthdays_planned_through(conn) < day.year + 1:
        with transaction(conn):
            planning.top_up_birthdays(conn, rules, cal, day, today)


def _kind_of(rules: RulePack, category: str) -> str | None:
    found = rules.categories.get(category)
    return found.kind if found is not None else None


def _reason(row: sqlite3.Row, rules: RulePack, templates: Templates, day: date) -> str | None:
    """Why this task may be messaged on `day`, if it may."""
    if row["touchpoint"] == SMS_FAILED:   # the call an SMS that failed asked for
        return None
    if row["status"] == "unreachable":
        last = row["last_call"]
        if last is None or not (day - timedelta(days=UNREACHABLE_DAYS)
                                < date.fromisoformat(last[:10]) <= day):
            return None
        return "unreachable"
    template = templates.of(row["category"], row["touchpoint"])
    if _kind_of(rules, row["category"]) == "birthday":
        return "birthday" if template is not None else None
    if template is not None and template.remind and row["status"] == "open":
        return "reminder"
    return None


def _template_for(reason: dict[str, Any], templates: Templates) -> Template:
    own = templates.of(reason["category"], reason["touchpoint"])
    if own is None:   # only an unreachable call goes without a text of its own
        return templates.common["unreachable"]
    return own


def _message(row: sqlite3.Row, found: list[dict[str, Any]], templates: Templates,
             settings: Settings, signature: str, lang: str, common_values: dict[str, str],
             reveal: bool) -> dict[str, Any]:
    """One patient's message of the day: its reasons merged in order while the text keeps
    within the settings' parts; the rest are left out (and planned no further)."""
    found.sort(key=lambda r: (KINDS.index(r["kind"]), r["due_date"], r["task_id"]))
    kept: list[tuple[dict[str, Any], Template, str]] = []
    left_out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for reason in found:
        template = _template_for(reason, templates)
        if template.key in seen:
            kept.append((reason, template, ""))   # the same text says it already
            continue
        values = {**common_values, "name": row["name"],
                  "project": reason["project"] or t("your treatment"),
                  "doctor": reason["doctor"] or t("your doctor"),
                  "date": reason["due_date"][5:]}
        body = _fill(template.text[lang], values)
        trial = [b for _, _, b in kept if b] + [body]
        if kept and parts(len(signed(signature, _joined(trial, lang)))) > settings.max_parts:
            left_out.append(_public(reason))
            continue
        seen.add(template.key)
        kept.append((reason, template, body))
    bodies = [b for _, _, b in kept if b]
    if len(bodies) == 1:
        lead = next(tpl for _, tpl, b in kept if b)
        reason = kept[0][0]
        values = {**common_values, "name": row["name"],
                  "project": reason["project"] or t("your treatment"),
                  "doctor": reason["doctor"] or t("your doctor"),
                  "date": reason["due_date"][5:]}
        variables = {name: values.get(name, "") for name in lead.variables(lang)}
        body = bodies[0]
    else:
        lead = templates.common["combined"]
        body = _joined(bodies, lang)
        variables = {"text": body}
        body = _fill(lead.text[lang], variables)
    text = signed(signature, body)
    return {
        "patient_id": row["patient_id"], "name": row["name"],
        "phone": row["phone"] if reveal else mask_phone(row["phone"]),
        "category": kept[0][0]["category"],
        "reasons": [_public(r) for r, _, _ in kept], "left_out": left_out,
        "template": lead.key, "codes": lead.codes, "variables": variables,
        "text": text, "length": len(text), "parts": parts(len(text)),
    }


def _joined(bodies: list[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(bodies)


def _public(reason: dict[str, Any]) -> dict[str, Any]:
    return {k: reason[k] for k in ("kind", "task_id", "category", "touchpoint")}


# --- sending: the batch recorded -----------------------------------------------------

def check_hours(settings: Settings, at: datetime) -> None:
    """A batch is sent inside the sending hours; outside them, the next start is named."""
    if settings.start <= at.time() < settings.end:
        return
    day = at.date() if at.time() < settings.start else at.date() + timedelta(days=1)
    raise FollowupError(t("--at {at} is outside the sending hours {start}–{end}; the next time is "
                          "{next}", at=at.strftime("%Y-%m-%d %H:%M"),
                          start=f"{settings.start:%H:%M}", end=f"{settings.end:%H:%M}",
                          next=f"{day.isoformat()} {settings.start:%H:%M}"))


def record_batch(conn: sqlite3.Connection, plan: Plan, full: list[dict[str, Any]], *,
                 batch: str, send_at: datetime, now: datetime, agent: str) -> list[int]:
    """Each message of `full` (the plan with full numbers) recorded as queued, under its
    key: patient and day, numbered when the day's batch is sent again. Runs inside the
    caller's transaction. Returns the new messages' ids."""
    agent = agent_name(agent)
    day = plan.day.isoformat()
    out = []
    for m in full:
        n = conn.execute("SELECT count(*) FROM sms WHERE patient_id = ? AND day = ?",
                         (m["patient_id"], day)).fetchone()[0]
        key = f"{m['patient_id']}/{day}" + (f"/{n + 1}" if n else "")
        sms_id = conn.execute(
            "INSERT INTO sms (sms_key, patient_id, day, category, template, text, length, "
            "parts, phone, batch, send_at, queued_at, agent, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')",
            (key, m["patient_id"], day, m["category"], m["template"], m["text"], m["length"],
             m["parts"], m["phone"], batch, send_at.isoformat(timespec="minutes"),
             now.isoformat(timespec="seconds"), agent)).lastrowid
        assert sms_id is not None
        for r in m["reasons"] + m["left_out"]:
            conn.execute("INSERT OR IGNORE INTO sms_tasks (sms_id, task_id, kind) "
                         "VALUES (?, ?, ?)", (sms_id, r["task_id"], r["kind"]))
        out.append(sms_id)
    return out


def queued_messages(conn: sqlite3.Connection, replanned: Plan) -> list[dict[str, Any]]:
    """The messages already queued for the day (each patient's last sending), as a batch
    file writes them: for a second file of the same batch (another format). `replanned` is
    the day planned again with full numbers; it gives each message its template's codes and
    variables, and must say what was queued: a text changed since is refused, as writing it
    would send what the ledger does not hold."""
    day = replanned.day.isoformat()
    fresh = {m["patient_id"]: m for m in replanned.messages}
    out = []
    for row in conn.execute("SELECT sms_id, patient_id, template, text, length, parts, phone "
                            "FROM sms WHERE sms_id IN (SELECT max(sms_id) FROM sms WHERE "
                            "day = ? GROUP BY patient_id) ORDER BY sms_id", (day,)):
        m = fresh.get(row["patient_id"])
        if m is None or m["template"] != row["template"] or m["text"] != row["text"]:
            changed = FollowupError(t("the SMS {key} of {date} queued before is not what the "
                                      "day plans now (its text or its patient changed)",
                                      key=row["sms_id"], date=day))
            changed.cli_hint = t("Add --again to send the day's messages as they are now")
            raise changed
        out.append({**m, "phone": row["phone"], "length": row["length"], "parts": row["parts"]})
    return out


# --- delivery receipts ---------------------------------------------------------------

class Receipt(NamedTuple):
    phone: str
    delivered: bool | None   # None: the platform has no answer yet
    detail: str
    at: str | None


# the headers and keys platforms use: phone, status, error, time
_PHONE_KEYS = ("phone", "phonenumber", "phonenum", "phone_number", "mobile", "手机号",
               "手机号码", "号码", "接收号码", "电话")
_STATUS_KEYS = ("status", "sendstatus", "reportstatus", "report_status", "success", "状态",
                "发送状态", "回执状态")
_DETAIL_KEYS = ("errcode", "err_code", "errmsg", "err_msg", "description", "reason",
                "失败原因", "错误码", "描述")
_TIME_KEYS = ("receivedate", "report_time", "userreceivetime", "user_receive_time",
              "time", "接收时间", "回执时间", "送达时间")
_DELIVERED = {"3", "success", "delivrd", "delivered", "成功", "发送成功", "已送达", "true",
              "ok", "0"}
_FAILED = {"2", "fail", "failed", "失败", "发送失败", "false", "undeliv"}
# no answer from the carrier yet (Alibaba's SendStatus 1, the console's 等待回执)
_PENDING = {"1", "pending", "waiting", "sending", "submitted", "等待回执", "发送中", "待回执"}
MAX_RECEIPT_CHARS = 50 << 20


def read_receipt(path: StrPath) -> list[Receipt]:
    """A delivery receipt: the console's CSV, or the status JSON (Alibaba's
    QuerySendDetails or receipt messages, Tencent's PullSmsSendStatus or callbacks). A row
    whose status followup cannot read is named (file and line): nothing is marked."""
    from followup_cli.output.files import protect

    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_RECEIPT_CHARS + 1)
    except FileNotFoundError:
        raise FollowupError(t("{path}: no such receipt file", path=path)) from None
    except OSError as e:
        raise FollowupError(t("{path}: cannot be read ({reason})", path=path,
                              reason=e.strerror)) from None
    if len(raw) > MAX_RECEIPT_CHARS:
        raise FollowupError(t("{path}: larger than {limit}, not a settings file", path=path,
                              limit="50 MB"))
    protect(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _unreadable(path, "-", t("not UTF-8 or GB18030")) from None
    records: list[tuple[str, Any]]
    if text.lstrip().startswith(("[", "{")):
        records = [(t("record {n}", n=n), r)
                   for n, r in enumerate(_json_records(path, text), start=1)]
    else:
        import csv
        import io

        reader = csv.DictReader(io.StringIO(text))
        records = []
        try:
            for record in reader:   # the line a record ends on, as an editor counts
                records.append((t("line {n}", n=reader.line_num), record))
        except csv.Error as e:   # a field past csv's limit, a quote left open
            raise _unreadable(path, t("line {n}", n=reader.line_num), str(e)) from None
    out = [_receipt(path, where, record) for where, record in records]
    if not out:
        raise _unreadable(path, "-", t("no rows"))
    return out


def _unreadable(path: StrPath, where: str, reason: str) -> FollowupError:
    return FollowupError(t("{path} ({where}): not a receipt followup can read: {reason}",
                           path=path, where=where, reason=reason))


def _json_records(path: StrPath, text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise _unreadable(path, t("line {n}", n=e.lineno), t("not JSON")) from None
    except RecursionError:   # nested deeper than any receipt
        raise _unreadable(path, "-", t("nested too deep")) from None
    if isinstance(data, dict):
        data = data.get("Response", data)
        for key in ("SmsSendDetailDTOs", "PullSmsSendStatusSet"):
            if key in data:
                data = data[key]
                break
        if isinstance(data, dict):
            data = data.get("SmsSendDetailDTO", [data])
    if not isinstance(data, list):
        raise _unreadable(path, "-", t("expected a list of receipts"))
    return data


def _receipt(path: StrPath, where: str, record: Any) -> Receipt:
    from followup_cli.phones import normalise_phone

    if not isinstance(record, dict):
        raise _unreadable(path, where, t("expected a record"))
    fields = {re.sub(r"\s+", "", str(k)).casefold(): v for k, v in record.items()
              if k is not None}

    def first(keys: tuple[str, ...]) -> Any:
        return next((fields[k] for k in keys if fields.get(k) not in (None, "")), None)

    phone, status = first(_PHONE_KEYS), first(_STATUS_KEYS)
    if not any(k in fields for k in _PHONE_KEYS):
        raise _unreadable(path, where, t("no phone column (such as 手机号码 or PhoneNumber)"))
    if not any(k in fields for k in _STATUS_KEYS):
        raise _unreadable(path, where, t("no status column (such as 发送状态 or SendStatus)"))
    if phone is None:
        raise _unreadable(path, where, t("the phone is empty"))
    if status is None:
        raise _unreadable(path, where, t("the status is empty"))
    try:
        number = normalise_phone(str(phone))
    except ValueError:
        raise _unreadable(path, where, t("not a phone number")) from None
    value = str(status).strip().casefold()
    if value in _DELIVERED:
        delivered: bool | None = True
    elif value in _FAILED:
        delivered = False
    elif value in _PENDING:
        delivered = None
    else:   # never guessed: a status read wrong would mark a message wrongly
        raise _unreadable(path, where, t("unknown status {status} (known: {known})",
                                         status=str(status).strip()[:40],
                                         known="成功/发送成功, 失败/发送失败, 等待回执, "
                                               "SUCCESS, FAIL, 1/2/3"))
    detail = first(_DETAIL_KEYS)
    at = first(_TIME_KEYS)
    return Receipt(number, delivered, str(detail)[:200] if detail is not None else "",
                   str(at)[:32] if at is not None else None)


def apply_receipts(conn: sqlite3.Connection, cal: ClinicCalendar, receipts: list[Receipt],
                   now: datetime) -> dict[str, int]:
    """Each receipt marks the latest message sent to its number (a day sent again: the
    last sending); a failed one puts its patient on the sheet (a call, "SMS failed"). A
    receipt read again changes nothing: its messages are no longer queued."""
    from followup_cli import planning
    from followup_cli.ledger import transaction

    counts = dict.fromkeys(("delivered", "failed", "pending", "already", "unknown"), 0)
    stamp = now.isoformat(timespec="seconds")
    with transaction(conn):
        for receipt in receipts:
            row = conn.execute("SELECT sms_id, patient_id, category, status FROM sms "
                               "WHERE phone = ? ORDER BY sms_id DESC LIMIT 1",
                               (receipt.phone,)).fetchone()
            if row is None or row["status"] != "queued":
                counts["unknown" if row is None else "already"] += 1
                continue
            if receipt.delivered is None:
                counts["pending"] += 1
                continue
            status = "delivered" if receipt.delivered else "failed"
            conn.execute("UPDATE sms SET status = ?, status_at = ?, status_detail = ? "
                         "WHERE sms_id = ?", (status, receipt.at or stamp, receipt.detail,
                                              row["sms_id"]))
            counts[status] += 1
            if receipt.delivered:
                continue
            lead = conn.execute(
                "SELECT t.visit_id FROM sms_tasks st JOIN tasks t ON t.task_id = st.task_id "
                "WHERE st.sms_id = ? ORDER BY st.rowid LIMIT 1", (row["sms_id"],)).fetchone()
            due, provisional = cal.move(now.date(), "later")
            expires = planning.expiry(due, None).isoformat()
            conn.execute(planning.INSERT_TASK, (
                f"sms/{row['sms_id']}", row["patient_id"], lead["visit_id"] if lead else None,
                row["category"], SMS_FAILED, 0, now.date().isoformat(), due.isoformat(), "any",
                "later", expires, expires, int(provisional), "open", now.date().isoformat(),
                None))
    return counts


# --- what the ledger holds -----------------------------------------------------------

def patient_messages(conn: sqlite3.Connection, patient_id: str) -> list[dict[str, Any]]:
    """Every SMS recorded for the patient, in the order sent."""
    return [dict(r) for r in conn.execute(
        "SELECT sms_id, day, category, template, text, parts, send_at, queued_at, agent, "
        "status, status_at, status_detail FROM sms WHERE patient_id = ? "
        "ORDER BY send_at, sms_id", (patient_id,))]


def figures(conn: sqlite3.Connection, start: str, end: str,
            category: str | None = None) -> dict[str, Any]:
    """The messages of days in [start, end): sent, and by status, overall and by category.
    A day's message sent again counts once, by its best sending. A message is never
    a call: none of this counts as reached."""
    # each patient-day by its best sending: delivered over failed over queued (a copy sent
    # again does not undo the delivery or the failure a receipt recorded for the first)
    rows = conn.execute(
        "SELECT category, status, count(*) AS n FROM (SELECT category, status, row_number() "
        "OVER (PARTITION BY patient_id, day ORDER BY CASE status WHEN 'delivered' THEN 0 "
        "WHEN 'failed' THEN 1 ELSE 2 END, sms_id DESC) AS pick FROM sms "
        "WHERE day >= ? AND day < ?) WHERE pick = 1 AND (? IS NULL OR category = ?) "
        "GROUP BY category, status",
        (start, end, category, category)).fetchall()
    by: dict[str, dict[str, int]] = {}
    for r in rows:
        entry = by.setdefault(r["category"], dict.fromkeys(
            ("sent", "queued", "delivered", "failed"), 0))
        entry[r["status"]] += r["n"]
        entry["sent"] += r["n"]
    total = {k: sum(e[k] for e in by.values()) for k in ("sent", "queued", "delivered", "failed")}
    return {"sms_sent": total["sent"], "sms_queued": total["queued"],
            "sms_delivered": total["delivered"], "sms_failed": total["failed"],
            "sms_by_category": dict(sorted(by.items()))}
