"""User-facing text in Chinese and English, through gettext.

The code says every message in English (`t("…")`, `tn(…)` for counts, `tc(context, …)`
where one English word means two things); the Chinese texts are the zh_CN catalogue,
followup_cli/locale/zh_CN/LC_MESSAGES/followup.po, compiled to a .mo when followup is
built (setup.py) and before the tests run (tests/conftest.py). tests/test_i18n.py fails
on a message without its Chinese text.

The language is `--lang`, else `FOLLOWUP_LANG`, else the locale, else Chinese.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

DOMAIN = "followup"
LOCALEDIR = os.path.join(os.path.dirname(__file__), "locale")   # no pathlib: the fast path

LANGS = ("zh", "en")
_lang: str | None = None


_catalogues: dict[str, gettext.NullTranslations] = {}
# the language of one web request (`followup serve` answers several users at once)
_speaking: ContextVar[str | None] = ContextVar("followup_lang", default=None)


def set_lang(lang: str | None) -> None:
    """--lang, or None: read the environment again (every command starts here)."""
    global _lang
    _lang = lang


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Everything said inside the block is in `lang` (this thread or task only)."""
    token = _speaking.set(lang)
    try:
        yield
    finally:
        _speaking.reset(token)


def current() -> str:
    global _lang
    scoped = _speaking.get()
    if scoped:
        return scoped
    if _lang:
        return _lang
    _lang = _from_environment()   # t() runs hundreds of times for one sheet
    return _lang


def _from_environment() -> str:
    env = os.environ.get("FOLLOWUP_LANG", "")
    if env in LANGS:
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value.startswith("en"):
            return "en"
        if value.startswith("zh"):
            return "zh"
    return "zh"


def catalogue() -> gettext.NullTranslations:
    """The current language's translations (English: the messages as written)."""
    lang = current()
    found = _catalogues.get(lang)
    if found is None:
        found = _catalogues[lang] = _load(lang)
    return found


LOCALES = {"zh": "zh_CN"}   # --lang -> the catalogue's folder


def mo_file(lang: str) -> str:
    return os.path.join(LOCALEDIR, LOCALES[lang], "LC_MESSAGES", f"{DOMAIN}.mo")


def _load(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    try:
        with open(mo_file(lang), "rb") as f:
            return gettext.GNUTranslations(f)
    except FileNotFoundError:
        from followup_cli.errors import FollowupError

        raise FollowupError("followup's Chinese messages are not built (followup.mo is "
                            "missing): install followup with pip, or in a source checkout run "
                            "`python build_catalogue.py` / 中文消息目录未编译：请用 pip 安装 "
                            "followup，或在源码目录运行 python build_catalogue.py") from None


_STOPS = (".", "?", "!", "。", "？", "！")


def _fill(text: str, values: dict[str, object]) -> str:
    """`text` with its {placeholders} filled; a value that ends its own sentence ("does the
    file lack its header row?") stands in for the stop the message puts after it, so no
    message reads "?." or ".." or "？。"."""
    for name, value in values.items():
        if isinstance(value, str) and value.endswith(_STOPS):
            for stop in (".", "。"):
                text = text.replace("{" + name + "}" + stop, "{" + name + "}")
    return text.format(**values)


def t(message: str, **values: object) -> str:
    """`message` in the current language, its {placeholders} filled from `values`."""
    text = catalogue().gettext(message)
    return _fill(text, values) if values else text


def tn(singular: str, plural: str, n: int, **values: object) -> str:
    """The form of the message for the count `n`, which fills its `{count}`."""
    return _fill(catalogue().ngettext(singular, plural, n), {"count": n, **values})


def tc(context: str, message: str, **values: object) -> str:
    """`message` as meant in `context` (an English word with two Chinese ones)."""
    text = catalogue().pgettext(context, message)
    return _fill(text, values) if values else text


def N_(message: str) -> str:
    """Marks a message said later through `t` (an extractor finds it here)."""
    return message


def NC_(context: str, message: str) -> tuple[str, str]:
    """Marks a message with its context, said later through `tc`."""
    return context, message


def pick(pair: dict[str, str]) -> str:
    """The text of a {zh, en} table from rule data, in the current language."""
    return pair.get(current()) or pair.get("zh") or next(iter(pair.values()), "")
