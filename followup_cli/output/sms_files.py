"""An SMS batch as the clinic's platform takes it: a console spreadsheet (CSV or .xlsx:
the phone, then one column per variable), Alibaba Cloud's SendBatchSms requests or
Tencent Cloud's SendSms requests (JSON). Built whole in memory; written by output/files.py.
The numbers are in full: the file is readable by its owner only."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NamedTuple

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.sms import BATCH_LIMIT, Settings, check_export_day

ALIYUN_VERSION = "2017-05-25"
TENCENT_VERSION = "2021-01-11"
FILE_KIND = {"csv": "csv", "xlsx": "xlsx", "aliyun": "json", "tencent": "json"}


def check_codes(fmt: str, messages: list[dict[str, Any]], settings: Settings) -> None:
    """A platform sends an approved template by its code and signs with the clinic's
    signature: say which is missing before anything is recorded."""
    if fmt in ("aliyun", "tencent"):
        if not settings.signature:
            raise FollowupError(t("no SMS signature yet: set signature under [sms] in "
                                  "followup.toml"))
        for m in messages:
            if fmt not in m["codes"]:
                raise FollowupError(t("text {template} has no {platform} template code: set code "
                                      "in sms.toml", platform=fmt, template=m["template"]))
    if fmt == "tencent" and not settings.tencent_app_id:
        raise FollowupError(t("no Tencent SmsSdkAppId yet: set tencent_app_id under [sms] in "
                              "followup.toml"))


def _template_name(m: dict[str, Any], fmt: str) -> str:
    return m["codes"].get(fmt) or m["codes"].get("aliyun") or m["template"]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def aliyun(messages: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """SendBatchSms requests: one template each, at most 100 numbers; the numbers, one
    signature per number and one variables object per number, as JSON texts."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for m in messages:
        groups.setdefault(m["codes"]["aliyun"], []).append(m)
    requests = []
    for code, group in groups.items():
        for part in _chunks(group, BATCH_LIMIT["aliyun"]):
            requests.append({
                "PhoneNumberJson": _json([m["phone"] for m in part]),
                "SignNameJson": _json([settings.signature] * len(part)),
                "TemplateCode": code,
                "TemplateParamJson": _json([m["variables"] for m in part]),
            })
    return {"Action": "SendBatchSms", "Version": ALIYUN_VERSION, "Requests": requests}


def tencent(messages: list[dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """SendSms requests: one template and one set of positional variables each ({1} {2} …
    in the order the text names them), at most 200 numbers (+86, E.164)."""
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for m in messages:
        values = tuple(str(v) for v in m["variables"].values())
        groups.setdefault((m["codes"]["tencent"], values), []).append(m)
    requests = []
    for (code, values), group in groups.items():
        for part in _chunks(group, BATCH_LIMIT["tencent"]):
            requests.append({
                "PhoneNumberSet": [f"+86{m['phone']}" for m in part],
                "SmsSdkAppId": settings.tencent_app_id,
                "SignName": settings.signature,
                "TemplateId": code,
                "TemplateParamSet": list(values),
            })
    return {"Action": "SendSms", "Version": TENCENT_VERSION, "Requests": requests}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def console_rows(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The console's upload: the phone, then one column per variable (of every template
    in the batch, in the order first met), then the template."""
    columns = ["phone"]
    for m in messages:
        columns += [v for v in m["variables"] if v not in columns]
    columns.append("template")
    rows = [{"phone": m["phone"], **m["variables"], "template": _template_name(m, "aliyun")}
            for m in messages]
    return columns, rows


def write_batch(fmt: str, path: Any, messages: list[dict[str, Any]],
                settings: Settings) -> None:
    """The batch in `fmt`, written whole (or not at all) to `path`."""
    from followup_cli.output.files import write_text, write_workbook
    from followup_cli.output.formats import json_text, safe_cell, save

    if fmt == "csv":
        columns, rows = console_rows(messages)
        save("csv", path, rows, columns)
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.remove(book.active)
        groups: dict[str, list[dict[str, Any]]] = {}
        for m in messages:
            groups.setdefault(_template_name(m, "aliyun"), []).append(m)
        for name, group in groups.items():
            # one sheet per template: a console takes one template an upload
            sheet = book.create_sheet(_sheet_title(name, book.sheetnames))
            columns = ["phone", *group[0]["variables"]]
            sheet.append(columns)
            for m in group:
                sheet.append([m["phone"], *(safe_cell(str(v)) for v in m["variables"].values())])
        write_workbook(path, book)
    else:
        data = aliyun(messages, settings) if fmt == "aliyun" else tencent(messages, settings)
        write_text(path, json_text(data), kind="json")


def _sheet_title(name: str, taken: list[str]) -> str:
    title = "".join("_" if c in "[]:*?/\\" else c for c in name)[:28] or "sms"
    n, out = 1, title
    while out in taken:
        n += 1
        out = f"{title}~{n}"
    return out


class Exported(NamedTuple):
    """What an export wrote: the messages, and whether they were queued already."""

    messages: list[dict[str, Any]]
    reused: bool
    held: int = 0   # over the daily limit, left out


def batch_name(day: date, fmt: str) -> str:
    """The batch file's name as a download: sms-2026-11-30.csv, sms-2026-11-30-aliyun.json
    (a platform's JSON names the platform)."""
    kind = FILE_KIND[fmt]
    return f"sms-{day.isoformat()}{'' if kind == fmt else '-' + fmt}.{kind}"


def export_day(conn: sqlite3.Connection, plan_of: Callable[..., Any], fmt: str,
               output: Any, settings: Settings, *, day: date, send_at: datetime,
               now: datetime, agent: str, batch: str, again: bool = False) -> Exported:
    """The day's batch in `fmt` to `output` (the file holds full numbers), as `sms export`
    and the web's SMS page both make it. `plan_of(again=, resend=)` plans the day. Each
    message is queued once, in one transaction with the audit record and the file: a day
    exported already (another format) writes its queued messages and records nothing new;
    `again` queues once more what did not arrive. No messages: nothing is written."""
    from followup_cli import audit
    from followup_cli.ledger import transaction
    from followup_cli.sms import queued_messages, record_batch

    check_export_day(day, now.date())
    action = f"sms export --date {day.isoformat()} --format {fmt}"
    plan = plan_of(again=again, resend=again)
    if not plan.messages and plan.sent and not again:
        messages, reused = queued_messages(conn, plan_of(again=True, resend=False)), True
    else:
        messages, reused = plan.messages, False
    if not messages:
        return Exported([], False, plan.held)
    check_codes(fmt, messages, settings)
    with transaction(conn):
        if not reused:
            record_batch(conn, plan, messages, batch=batch, send_at=send_at, now=now,
                         agent=agent)
        audit.record(conn, agent=agent, action=action,
                     patient_ids=[m["patient_id"] for m in messages], at=now)
        write_batch(fmt, output, messages, settings)   # fails: nothing recorded
    return Exported(messages, reused, plan.held)
