"""Call scripts (话术): data in rules/scripts.toml, overridden by a clinic's scripts.toml
next to the ledger; filled with the patient's details for one task."""

from __future__ import annotations

import os
import re
import string
from typing import TYPE_CHECKING, Any, NamedTuple

from followup_cli.errors import FollowupError
from followup_cli.i18n import LANGS, t
from followup_cli.rules import RulePack
from followup_cli.text import given

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath

DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "rules", "scripts.toml")
COMMON = ("greeting", "identity", "closing", "not_convenient")
PLACEHOLDERS = {"name", "project", "doctor", "days", "next", "clinic", "agent"}
# how soon a doctor must answer a warning sign, most pressing first (the times are settings)
URGENCIES = ("urgent", "today", "routine")
Text = dict[str, str]


class Sign(NamedTuple):
    """A warning sign an agent listens for: its id, its words, how soon a doctor must answer."""

    id: str
    text: Text
    urgency: str


class Scripts(NamedTuple):
    common: dict[str, Text]
    worries: dict[str, Text]
    touchpoints: dict[tuple[str, str], tuple[tuple[Text, ...], tuple[str, ...]]]
    # a category's own common texts ([common.no_show]): a visit that did not happen is
    # not checked as "you had X with us", nor wished a smooth recovery
    by_category: dict[str, dict[str, Text]]
    signs: dict[str, Sign] = {}
    touchpoint_signs: dict[tuple[str, str], tuple[str, ...]] = {}


def load_scripts(clinic_file: StrPath | None = None) -> Scripts:
    data = _read(DEFAULT_PATH)
    path: StrPath = DEFAULT_PATH
    if clinic_file is not None:
        path = clinic_file
        own = _read(clinic_file)
        for key in own:
            if key not in ("common", "worries", "touchpoints", "signs"):
                raise _fail(path, key, t("unknown table ({tables})",
                                         tables="common, worries, touchpoints, signs"))
        for key in ("common", "worries", "signs"):
            data[key] = {**data.get(key, {}), **own.get(key, {})}
        for category, texts in own.get("common", {}).items():   # [common.CATEGORY]: by text
            if category not in COMMON and isinstance(texts, dict):
                data["common"][category] = {**_default_common(category), **texts}
        touchpoints = {c: dict(v) for c, v in data.get("touchpoints", {}).items()}
        for category, table in own.get("touchpoints", {}).items():
            if not isinstance(table, dict):
                raise _fail(path, f"touchpoints.{category}", t("must be a table"))
            for tp, raw in table.items():
                before = touchpoints.get(category, {}).get(tp)
                # a clinic's own questions keep the default warning signs unless it lists its own
                if isinstance(raw, dict) and "signs" not in raw and isinstance(before, dict) \
                        and "signs" in before:
                    raw = {**raw, "signs": before["signs"]}
                touchpoints.setdefault(category, {})[tp] = raw
        data["touchpoints"] = touchpoints
    return _build(data, path)


def _read(path: StrPath) -> dict[str, Any]:
    from followup_cli.clinic_files import read_toml

    return read_toml(path)


def _fail(path: StrPath, where: str, reason: str) -> FollowupError:
    return FollowupError(t("{path}: {where}: {reason}", path=path, where=where, reason=reason))


def _text(path: StrPath, where: str, value: Any) -> Text:
    if not isinstance(value, dict) or set(value) != set(LANGS) or not all(
            isinstance(v, str) and given(v) for v in value.values()):
        raise _fail(path, where, t('expected { zh = "…", en = "…" }, both languages'))
    for lang, text in value.items():
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        except ValueError as e:
            raise _fail(path, f"{where}.{lang}", t("broken placeholder: {reason}",
                                                       reason=e)) from None
        unknown = names - PLACEHOLDERS
        if unknown:
            raise _fail(path, f"{where}.{lang}", t(
                "unknown placeholder {name} (known: {known})",
                name=f"{{{sorted(unknown)[0]}}}", known=", ".join(sorted(PLACEHOLDERS))))
    return dict(value)


def _default_common(category: str) -> dict[str, Any]:
    found = _read(DEFAULT_PATH).get("common", {}).get(category)
    return dict(found) if isinstance(found, dict) else {}


def _sign(path: StrPath, sid: str, raw: Any) -> Sign:
    where = f"signs.{sid}"
    if not re.match(r"^[a-z][a-z0-9_]*$", sid):
        raise _fail(path, where, t("a sign id is lower-case letters, digits and _"))
    if not isinstance(raw, dict) or "urgency" not in raw:
        raise _fail(path, where, t('expected { zh = "…", en = "…", urgency = "…" }'))
    if raw["urgency"] not in URGENCIES:
        raise _fail(path, f"{where}.urgency",
                    t("{value} is not one of {choices}", value=repr(raw["urgency"]),
                      choices=", ".join(URGENCIES)))
    text = _text(path, where, {k: v for k, v in raw.items() if k != "urgency"})
    return Sign(sid, {lang: words.strip() for lang, words in text.items()}, raw["urgency"])


def _signs(path: StrPath, raw: Any) -> dict[str, Sign]:
    """The signs, each known by its id and its Chinese words: no two may share either."""
    if not isinstance(raw, dict):
        raise _fail(path, "signs", t("must be a table"))
    signs = {sid: _sign(path, sid, value) for sid, value in raw.items()}
    said: dict[str, str] = {}
    for sign in signs.values():
        for words in (sign.id, sign.text["zh"].casefold()):
            if words in said and said[words] != sign.id:
                raise _fail(path, f"signs.{sign.id}.zh",
                            t("the same words as sign '{other}': --sign could not tell them "
                              "apart", other=said[words]))
            said[words] = sign.id
    return signs


def _build(data: dict[str, Any], path: StrPath) -> Scripts:
    table = data.get("common", {})
    common = {k: _text(path, f"common.{k}", table.get(k)) for k in COMMON}
    by_category = {}
    for category, texts in table.items():
        if category in COMMON:
            continue
        where = f"common.{category}"
        if not isinstance(texts, dict) or not texts or set(texts) - set(COMMON):
            raise _fail(path, where, t("expected a category's own {keys}",
                                       keys=", ".join(COMMON)))
        by_category[category] = {k: _text(path, f"{where}.{k}", v) for k, v in texts.items()}
    worries = {k: _text(path, f"worries.{k}", v) for k, v in data.get("worries", {}).items()}
    signs = _signs(path, data.get("signs", {}))
    touchpoints = {}
    touchpoint_signs = {}
    for category, table in data.get("touchpoints", {}).items():
        for tp, raw in table.items():
            where = f"touchpoints.{category}.{tp}"
            if not isinstance(raw, dict) or set(raw) - {"questions", "worries", "signs"}:
                raise _fail(path, where, t("expected questions = [...], worries = [...] and "
                                           "signs = [...]"))
            listed = raw.get("signs", [])
            if not isinstance(listed, list):
                raise _fail(path, f"{where}.signs", t("expected a list of sign ids"))
            for i, key in enumerate(listed):
                if not isinstance(key, str) or key not in signs:
                    raise _fail(path, f"{where}.signs[{i}]", t("{value} is not in [{table}]",
                                                                value=repr(key), table="signs"))
            if len(set(listed)) != len(listed):
                raise _fail(path, f"{where}.signs", t("a sign is listed twice"))
            touchpoint_signs[(category, tp)] = tuple(listed)
            questions = raw.get("questions", [])
            if not isinstance(questions, list) or not questions:
                raise _fail(path, f"{where}.questions", t("at least one question"))
            named = raw.get("worries", [])
            for i, key in enumerate(named):
                if key not in worries:
                    raise _fail(path, f"{where}.worries[{i}]", t("{value} is not in [{table}]",
                                                                  value=repr(key),
                                                                  table="worries"))
            touchpoints[(category, tp)] = (
                tuple(_text(path, f"{where}.questions[{i}]", q) for i, q in enumerate(questions)),
                tuple(named))
    return Scripts(common=common, worries=worries, touchpoints=touchpoints,
                   by_category=by_category, signs=signs, touchpoint_signs=touchpoint_signs)


def missing(scripts: Scripts, rules: RulePack) -> list[str]:
    """Touchpoints of the rules that have no script."""
    return [f"{c.id}.{tp.id}" for c in rules.categories.values() for tp in c.touchpoints
            if (c.id, tp.id) not in scripts.touchpoints]


def without_signs(scripts: Scripts, rules: RulePack) -> list[str]:
    """Touchpoints of the rules whose script lists no warning sign to listen for."""
    return [f"{c.id}.{tp.id}" for c in rules.categories.values() for tp in c.touchpoints
            if not scripts.touchpoint_signs.get((c.id, tp.id))]


def signs_of(scripts: Scripts, category: str, touchpoint: str) -> list[Sign]:
    """The warning signs of one touchpoint, in the order its script lists them."""
    return [scripts.signs[key] for key in scripts.touchpoint_signs.get((category, touchpoint), ())]


def unknown(value: Any) -> bool:
    """A placeholder's value that is not known for this task (a complaint's or a birthday's
    task has no visit, so no days since it): a line saying it would read "您是天前…"."""
    return value is None or str(value).strip() in ("", "-")


def fill(text: Text, lang: str, values: dict[str, Any]) -> str | None:
    """The text with its placeholders filled; None when one of them is not known for this
    task: such a line is not said at all."""
    names = re.findall(r"\{(\w+)\}", text[lang])
    if any(name in values and unknown(values[name]) for name in names):
        return None
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text[lang])


def _line(texts: list[Text], lang: str, values: dict[str, Any]) -> str:
    """The first of `texts` (a category's own, then the common one) that can be said in
    full; "" when none can (the renderers leave an empty line out)."""
    for text in texts:
        said = fill(text, lang, values)
        if said is not None:
            return said
    return ""


def script_for(scripts: Scripts, category: str, touchpoint: str, lang: str,
               values: dict[str, Any]) -> dict[str, Any]:
    """The whole script of one call, filled, in the order an agent uses it."""
    questions, worry_keys = scripts.touchpoints.get((category, touchpoint), ((), ()))
    own = scripts.by_category.get(category, {})

    def common(key: str) -> str:
        return _line([own[key], scripts.common[key]] if key in own else [scripts.common[key]],
                     lang, values)

    worries = {key: fill(scripts.worries[key], lang, values) for key in worry_keys}
    return {
        "greeting": common("greeting"),
        "identity": common("identity"),
        "purpose": values.get("purpose", ""),
        "questions": [q for q in (fill(q, lang, values) for q in questions) if q is not None],
        "worries": {key: said for key, said in worries.items() if said is not None},
        "signs": [{"id": sign.id, "words": sign.text[lang], "zh": sign.text["zh"],
                   "en": sign.text["en"], "urgency": sign.urgency}
                  for sign in signs_of(scripts, category, touchpoint)],
        "closing": common("closing"),
        "not_convenient": common("not_convenient"),
    }


def script_values(record: dict[str, Any], clinic: str | None, agent: str) -> dict[str, Any]:
    """What the placeholders of a script stand for, for this task."""
    return {
        "name": record["name"], "project": record["project"] or t("your treatment"),
        "doctor": record["doctor"] or t("your doctor"),
        "days": record["days_since_visit"],   # None without a visit: its lines are not said
        "next": record.get("next_due") or t("your next check"),
        "clinic": clinic or t("our clinic"), "agent": agent or t("your care adviser"),
        "purpose": record["purpose"],
    }


def filled_script(scripts: Scripts, record: dict[str, Any], lang: str, clinic: str | None,
                agent: str) -> dict[str, Any]:
    """The whole script of the task `record` (a row of the sheet), filled for its patient."""
    return script_for(scripts, record["category"], record["touchpoint"], lang,
                      script_values(record, clinic, agent))


def filled_scripts(scripts: Scripts, records: list[dict[str, Any]], lang: str,
                   clinic: str | None, agent: str,
                   share: dict[str, str] | None = None) -> dict[int, dict[str, Any]]:
    """The script of each task (a row of the sheet), by task id, said by the patient's
    agent in `share` (else `agent`). A patient's tasks are one call with one closing: a
    treatment's (which names the next call and wishes a good recovery) over a no-show's,
    a consultation's or a birthday's own."""
    share = share or {}
    filled = {r["task_id"]: filled_script(scripts, r, lang, clinic,
                                          share.get(r["patient_id"], agent))
              for r in records}

    def own_closing(record: dict[str, Any]) -> bool:
        return "closing" in scripts.by_category.get(record["category"], {})

    closing: dict[str, str] = {}
    for r in sorted(records, key=own_closing):   # stable: in sheet order otherwise
        closing.setdefault(r["patient_id"], filled[r["task_id"]]["closing"])
    return {r["task_id"]: {**filled[r["task_id"]], "closing": closing[r["patient_id"]]}
            for r in records}


def prompt(scripts: Scripts, record: dict[str, Any], lang: str, clinic: str | None,
           agent: str) -> str | None:
    """The first question of the task's script that can be said in full, filled: the prompt
    printed on the sheet."""
    questions, _ = scripts.touchpoints.get((record["category"], record["touchpoint"]), ((), ()))
    values = script_values(record, clinic, agent)
    return next((said for q in questions if (said := fill(q, lang, values)) is not None), None)


def is_scripts_file(path: StrPath) -> bool:
    """A scripts file has [common], [worries] or [touchpoints]; a rules file has none."""
    from followup_cli.clinic_files import read_toml

    try:
        data = read_toml(path)   # read once, and at most MAX_TOML_CHARS of it
    except FollowupError:
        return False  # let the rules loader report it with its location
    return bool({"common", "worries", "touchpoints", "signs"} & set(data))
