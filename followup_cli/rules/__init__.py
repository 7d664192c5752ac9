"""Rules are data: the default pack (default.toml) and a clinic's own file, read into
immutable records. Validation names the file, the table and the key that is wrong.

Records on the path of every command are NamedTuples, not dataclasses: `dataclasses`
loads `inspect` and writes each class's methods at start-up, a tenth of `due`'s time."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.text import given

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "default.toml")
VISIT_KINDS = ("treated", "consult", "no_show", "course_end")
KINDS = (*VISIT_KINDS, "birthday", "complaint")
WINDOWS = ("any", "afternoon", "evening")
MOVES = ("later", "earlier")
RISKS = ("high", "medium", "low")
_OFFSET = re.compile(r"^(\d{1,3})([dm])$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Touchpoint(NamedTuple):
    id: str
    offset: str
    days: int
    months: int
    window: str
    move: str
    purpose: dict[str, str]


class Category(NamedTuple):
    id: str
    label: dict[str, str]
    kind: str
    match: tuple[str, ...]
    touchpoints: tuple[Touchpoint, ...]
    min_tier: str | None = None


class RulePack(NamedTuple):
    categories: dict[str, Category]
    order: tuple[str, ...]
    risk_applies_to: frozenset[str]
    risk_to_category: dict[str, str]
    tiers: tuple[str, ...]
    sources: tuple[str, ...]

    def categorise(self, kind: str, project: str, risk: str | None = None) -> str:
        """The category of a visit: the kind decides first, then the project name, then risk."""
        if kind != "treated":
            return self.by_kind(kind).id
        folded = project.casefold()
        category = self.order[-1]
        for cid in self.order:
            if any(word.casefold() in folded for word in self.categories[cid].match):
                category = cid
                break
        if risk and category in self.risk_applies_to and risk in self.risk_to_category:
            category = self.risk_to_category[risk]
        return category

    def by_kind(self, kind: str) -> Category:
        for category in self.categories.values():
            if category.kind == kind:
                return category
        raise KeyError(kind)

    def labels(self) -> dict[str, str]:
        """Every category a task can have, id -> its name in the user's language: the
        rules' own, then those followup plans itself (rechecks.CATEGORY: a booked re-check
        that was missed), which `--category` takes too."""
        from followup_cli.i18n import pick
        from followup_cli.labels import LABELS, label

        named = {cid: pick(c.label) for cid, c in self.categories.items()}
        for cid in LABELS["category"]:
            named.setdefault(cid, label("category", cid))
        return named

    @property
    def fallback(self) -> str:
        return self.order[-1]

    def birthday_applies(self, tier: str | None) -> bool:
        try:
            birthday = self.by_kind("birthday")
        except KeyError:
            return False
        if not tier or tier not in self.tiers or birthday.min_tier is None:
            return False
        return self.tiers.index(tier) >= self.tiers.index(birthday.min_tier)


def load_rules(clinic_file: StrPath | None = None) -> RulePack:
    """The default pack, overridden and extended by a clinic's file if given."""
    data = _read(DEFAULT_PATH)
    sources = [DEFAULT_PATH]
    where: StrPath = DEFAULT_PATH
    if clinic_file is not None:
        where = clinic_file
        data = _merge(data, _read(clinic_file), clinic_file)
        sources.append(str(clinic_file))
    return _build(data, where, tuple(sources))


def _read(path: StrPath) -> dict[str, Any]:
    from followup_cli.clinic_files import read_toml

    return read_toml(path)


def _fail(path: StrPath, where: str, reason: str) -> FollowupError:
    return FollowupError(t("{path}: {where}: {reason}", path=path, where=where, reason=reason))


def _merge(base: dict[str, Any], clinic: dict[str, Any], path: StrPath) -> dict[str, Any]:
    merged = dict(base)
    for key, value in clinic.items():
        if key == "version":
            continue
        if key not in ("matching", "risk", "tiers", "categories"):
            raise _fail(path, key, t("unknown table ({tables})",
                                     tables="matching, risk, tiers, categories"))
        if not isinstance(value, dict):
            raise _fail(path, key, t("must be a table"))
        if key == "categories":
            categories = dict(base.get("categories", {}))
            for cid, table in value.items():
                if not isinstance(table, dict):
                    raise _fail(path, f"categories.{cid}", t("must be a table"))
                categories[cid] = {**categories.get(cid, {}), **table}
            merged["categories"] = categories
        else:
            merged[key] = {**base.get(key, {}), **value}
    return merged


def _text_pair(path: StrPath, where: str, value: Any) -> dict[str, str]:
    if isinstance(value, str):
        return {"zh": value, "en": value}
    if not isinstance(value, dict) or not value or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(path, where, t('expected a text or { zh = "…", en = "…" }'))
    return dict(value)


def _str_list(path: StrPath, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and given(v) for v in value):
        raise _fail(path, where, t("expected a list of non-empty texts"))
    return tuple(value)


def _touchpoint(path: StrPath, where: str, raw: Any) -> Touchpoint:
    if not isinstance(raw, dict):
        raise _fail(path, where, t("expected a table like {example}",
                                   example="{ offset = …, purpose = … }"))
    unknown = set(raw) - {"id", "offset", "window", "move", "purpose"}
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}",
                    t("unknown key ({keys})", keys="id, offset, window, move, purpose"))
    offset = raw.get("offset")
    m = _OFFSET.match(offset) if isinstance(offset, str) else None
    if not m or not isinstance(offset, str):
        raise _fail(path, f"{where}.offset", t("{value} is not an offset like 0d, 6d, 1m, 12m",
                                                value=repr(offset)))
    number, unit = int(m.group(1)), m.group(2)
    window = raw.get("window", "any")
    if window not in WINDOWS:
        raise _fail(path, f"{where}.window", t("{value} is not one of {choices}",
                                                value=repr(window), choices=", ".join(WINDOWS)))
    move = raw.get("move", "later")
    if move not in MOVES:
        raise _fail(path, f"{where}.move", t("{value} is not one of {choices}",
                                              value=repr(move), choices=", ".join(MOVES)))
    if "purpose" not in raw:
        raise _fail(path, f"{where}.purpose", t("missing: why the call is made"))
    tid = raw.get("id", offset)
    if not isinstance(tid, str) or not given(tid):
        raise _fail(path, f"{where}.id", t("expected a non-empty text"))
    return Touchpoint(
        id=tid, offset=offset, days=number if unit == "d" else 0,
        months=number if unit == "m" else 0, window=window, move=move,
        purpose=_text_pair(path, f"{where}.purpose", raw["purpose"]),
    )


def _category(path: StrPath, cid: str, raw: dict[str, Any]) -> Category:
    where = f"categories.{cid}"
    if not _ID.match(cid):
        raise _fail(path, where, t("a category id is lower-case letters, digits and _"))
    unknown = set(raw) - {"label", "kind", "match", "touchpoints", "min_tier"}
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}",
                    t("unknown key ({keys})", keys="label, kind, match, touchpoints, min_tier"))
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(path, f"{where}.kind", t("{value} is not one of {choices}", value=repr(kind),
                                              choices=", ".join(KINDS)))
    raw_tps = raw.get("touchpoints")
    if not isinstance(raw_tps, list):
        raise _fail(path, f"{where}.touchpoints", t("expected a list of touchpoints"))
    touchpoints = tuple(
        _touchpoint(path, f"{where}.touchpoints[{i}]", tp) for i, tp in enumerate(raw_tps)
    )
    ids = [tp.id for tp in touchpoints]
    if len(set(ids)) != len(ids):
        raise _fail(path, f"{where}.touchpoints", t("two touchpoints have the same id/offset"))
    min_tier = raw.get("min_tier")
    if min_tier is not None and not isinstance(min_tier, str):
        raise _fail(path, f"{where}.min_tier", t("expected a tier name"))
    return Category(
        id=cid, label=_text_pair(path, f"{where}.label", raw.get("label", cid)), kind=kind,
        match=_str_list(path, f"{where}.match", raw.get("match", [])),
        touchpoints=touchpoints, min_tier=min_tier,
    )


def _build(data: dict[str, Any], path: StrPath, sources: tuple[str, ...]) -> RulePack:
    unknown = set(data) - {"version", "matching", "risk", "tiers", "categories"}
    if unknown:
        raise _fail(path, sorted(unknown)[0], t("unknown table ({tables})",
                                                tables="matching, risk, tiers, categories"))
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, dict) or not raw_categories:
        raise _fail(path, "categories", t("no categories"))
    categories = {cid: _category(path, cid, raw) for cid, raw in raw_categories.items()}
    order = _str_list(path, "matching.order", data.get("matching", {}).get("order"))
    if not order:
        raise _fail(path, "matching.order", t("empty: the last category takes every other "
                                               "project"))
    for cid in order:
        if cid not in categories:
            raise _fail(path, "matching.order", t("{value} is not a category", value=repr(cid)))
        if categories[cid].kind != "treated":
            raise _fail(path, "matching.order", t("{value} is not a category of kind {kind}",
                                                   value=repr(cid), kind="treated"))
    for kind in ("consult", "no_show", "course_end"):
        if not any(c.kind == kind for c in categories.values()):
            raise _fail(path, "categories", t("no category of kind {kind}", kind=kind))
    risk = data.get("risk", {})
    applies = frozenset(_str_list(path, "risk.applies_to", risk.get("applies_to", [])))
    risk_map: dict[str, str] = {}
    for level in RISKS:
        if level in risk:
            if not isinstance(risk[level], str) or risk[level] not in categories:
                raise _fail(path, f"risk.{level}", t("{value} is not a category",
                                                      value=repr(risk[level])))
            risk_map[level] = risk[level]
    for cid in applies:
        if cid not in categories:
            raise _fail(path, "risk.applies_to", t("{value} is not a category", value=repr(cid)))
    tiers = _str_list(path, "tiers.order", data.get("tiers", {}).get("order", []))
    for c in categories.values():
        if c.kind == "birthday" and c.min_tier is not None and c.min_tier not in tiers:
            raise _fail(path, f"categories.{c.id}.min_tier",
                        t("{value} is not in {key}", value=repr(c.min_tier), key="tiers.order"))
    return RulePack(categories=categories, order=order, risk_applies_to=applies,
                    risk_to_category=risk_map, tiers=tiers, sources=sources)
