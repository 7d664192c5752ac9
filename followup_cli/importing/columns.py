"""An export's headers mapped to the ledger's columns: the aliases clinics' systems use,
`--map HEADER=column`, headers compared normalised; and headers shown without personal
data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from followup_cli.errors import FollowupError
from followup_cli.i18n import t, tn
from followup_cli.ids import normalise_id

# canonical column -> (required, recognised headers)
COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "patient_id": (True, ("客户编号", "患者ID", "患者编号", "档案号", "会员号", "门诊号",
                          "病历号", "客户ID")),
    "name": (True, ("姓名", "客户姓名", "患者姓名", "顾客姓名")),
    "phone": (True, ("电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式")),
    "visit_date": (True, ("就诊日期", "到诊日期", "治疗日期", "日期", "就诊时间", "到诊时间",
                          "治疗时间", "消费日期")),
    "project": (True, ("项目", "治疗项目", "消费项目", "项目名称", "就诊项目")),
    "status": (False, ("状态", "到诊状态", "成交状态", "就诊状态")),
    "visit_id": (False, ("单号", "就诊号", "流水号", "就诊单号", "订单号")),
    "department": (False, ("科室", "就诊科室")),
    "doctor": (False, ("医生", "主治医生", "接待医生", "治疗医生", "手术医生")),
    "consultant": (False, ("咨询师", "现场咨询", "网络咨询", "咨询顾问")),
    "risk": (False, ("风险等级", "风险")),
    "birthday": (False, ("生日", "出生日期")),
    "vip_tier": (False, ("会员等级", "卡级", "会员卡级")),
    "no_callback": (False, ("无需回访", "不回访")),
    "sms_off": (False, ("短信退订", "拒收短信", "退订短信")),
    # yes/no kind columns some systems export instead of a status
    "arrived": (False, ("是否到诊", "是否到院")),
    "converted": (False, ("是否成交", "是否消费", "是否治疗")),
}
REQUIRED = [c for c, (req, _) in COLUMNS.items() if req]


def column_words(column: str) -> str:
    """A column as a reader knows it: the first headers that export it (手机号, not phone)."""
    return "/".join(COLUMNS[column][1][:3])


def norm_header(header: str) -> str:
    """A header as it is matched: normalised like an id (ｖｉｓｉｔ＿ｉｄ is visit_id), no
    spaces inside, case folded."""
    return re.sub(r"\s+", "", normalise_id(str(header))).casefold()


def parse_map(items: Iterable[str]) -> dict[str, str]:
    """`--map 预约到院时间=visit_date` items into {normalised header: column}."""
    out: dict[str, str] = {}
    for item in items:
        header, sep, column = item.partition("=")
        column = column.strip()
        if not sep or not header.strip() or column not in COLUMNS:
            raise FollowupError(t("--map {value}: expected HEADER=column, column one of {columns}",
                                  value=item, columns=", ".join(COLUMNS)))
        out[norm_header(header)] = column
    return out


def map_headers(path: Path, headers: list[str], user_map: dict[str, str]) -> dict[str, list[int]]:
    """Canonical column -> the header indexes that feed it."""
    known = {norm_header(a): c for c, (_, aliases) in COLUMNS.items() for a in aliases}
    known.update({c.casefold(): c for c in COLUMNS})
    found = {norm_header(h) for h in headers}
    # a first row that has none of the headers followup or --map knows may well be a
    # patient's row (a file without its header row): none of it is shown
    is_header_row = bool(found & (known.keys() | user_map.keys()))
    for header in user_map:
        if header not in found:
            raise FollowupError(t("{path}: the --map header '{header}' is not in the file. "
                                  "Headers found: {headers}", path=path, header=header,
                                  headers=shown_headers(headers, is_header_row)))
    known.update(user_map)
    mapping: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        column = known.get(norm_header(header))
        if column is None:
            continue
        if mapping.get(column) and column != "converted":
            first = headers[mapping[column][0]]
            raise FollowupError(t("{path}: column {column} appears twice (headers {a} and {b})",
                                  path=path, column=column, a=first,
                                  b=header))
        mapping.setdefault(column, []).append(i)
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        unknown = [h for h in headers if h.strip() and norm_header(h) not in known
                   and is_header_row and _header_like(h)]
        example = unknown[0] if unknown else t("HEADER")
        fix = " ".join(f"--map {example if i == 0 else '…'}={c}" for i, c in enumerate(missing))
        # the columns as a clinic's export heads them (the web cannot give --map: how to
        # map a header is the command line's hint)
        refused = FollowupError(tn("{path}: a required column is missing: {columns}. Headers "
                                   "found: {headers}",
                                   "{path}: required columns are missing: {columns}. Headers "
                                   "found: {headers}", len(missing),
                                   path=path, columns="、".join(map(column_words, missing)),
                                   headers=shown_headers(headers, is_header_row)))
        refused.cli_hint = t("If one of them is the column needed, add: {fix}", fix=fix)
        raise refused
    return mapping


def _header_like(header: str) -> bool:
    """A cell that may be shown as a header: short, and no run of three digits (a phone,
    a date, an id number are data)."""
    return len(header) <= 30 and not re.search(r"\d{3}", normalise_id(header))


def shown_headers(headers: list[str], is_header_row: bool = True) -> str:
    """The headers as a message may show them: header-like cells, the others by their
    column number; of a first row that is no header row, only how many columns it has."""
    if not is_header_row:
        return t("none: the first row does not look like a header row (columns 1..{count}); does "
                 "the file lack its header row?", count=len(headers))
    return "、".join(h if _header_like(h) else t("column {n}", n=i)
                    for i, h in enumerate(headers, start=1) if h.strip())


def ignored_headers(headers: list[str], mapping: dict[str, list[int]]) -> list[str]:
    """The file's columns the import does not read, as `shown_headers` shows them."""
    used = {i for indexes in mapping.values() for i in indexes}
    return [h if _header_like(h) else t("column {n}", n=i + 1)
            for i, h in enumerate(headers) if i not in used and h.strip()]
