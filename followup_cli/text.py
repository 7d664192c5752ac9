"""Text as a reader sees it. A note, a reason or a name made of spaces, zero-width
characters, a byte-order mark or control characters looks empty on every screen: each
check that a text is given, or long enough, counts only what is left without them."""

from __future__ import annotations

# blank yet printable (Hangul fillers, a braille blank, invisible combining marks and
# variation selectors): default-ignorable characters outside categories Cc and Cf
BLANK = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
                   + "".join(map(chr, range(0xFE00, 0xFE10))))


def _seen(ch: str) -> bool:
    import unicodedata

    return not (ch.isspace() or ch in BLANK
                or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp")
                or 0xE0100 <= ord(ch) <= 0xE01EF)   # variation selectors supplement


def visible(text: str) -> str:
    """`text` without whitespace and invisible characters (zero-width, BOM, bidi marks,
    control characters)."""
    if text.isprintable() and BLANK.isdisjoint(text):   # the usual case, read in C
        return text.replace(" ", "")
    return "".join(ch for ch in text if _seen(ch))


def visible_length(text: str) -> int:
    """Characters a reader counts: a Chinese character is one, spaces and invisible
    characters are none."""
    return len(visible(text))


def given(text: str | None) -> bool:
    """Whether a required text was really given: something is left to read."""
    return bool(text) and bool(visible(text or ""))


AGENT_MAX = 40   # a name, not a paragraph: it heads columns and greets patients


# between names given in one option (`--agents 王芳,李娜`): ASCII and full-width commas and
# semicolons, and 、 (a Chinese keyboard's defaults)
NAME_SEPARATORS = "[,，;；、]"


def agent_names(value: str, option: str = "--agent") -> list[str]:
    """The names given in one option, as recorded: split on NAME_SEPARATORS, surrounding
    spaces dropped, empty pieces (a trailing comma) dropped, each checked (`agent_name`).
    Every option that takes names reads them here."""
    import re

    return [_one_name(piece, option) for piece in re.split(NAME_SEPARATORS, value or "")
            if given(piece)]


def agent_name(name: str, option: str = "--agent") -> str:
    """The name of who calls, as recorded: given, without control characters, at most
    AGENT_MAX characters; surrounding spaces and separators (`王芳，`) dropped.
    FollowupError naming `option` otherwise, or when it holds several names."""
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import t

    names = agent_names(name, option)
    if len(names) > 1:
        raise FollowupError(t("{option} takes one name ({names} given)", option=option,
                              names="、".join(names)))
    return names[0] if names else _one_name("", option)


def _one_name(name: str, option: str) -> str:
    from followup_cli.errors import FollowupError
    from followup_cli.i18n import t

    name = name.strip()
    if (not given(name) or len(name) > AGENT_MAX
            or any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in name)):
        raise FollowupError(t("the agent's name must be visible text of at most {max} characters, "
                              "without control characters ({option})", max=AGENT_MAX,
                              option=option))
    return name


def capfirst(text: str) -> str:
    """`text` starting with a capital: an English heading or message said on its own ("call
    #3 logged" is a clause a CLI line begins with). Only an English word is raised: a text
    in Chinese, or one that begins with what the user gave (a file name `empty.csv`, an id
    `p1001`, a code `no_answer`), is as it is."""
    from followup_cli.i18n import current

    first = text.split(" ", 1)[0].rstrip(":,;").replace("-", "").replace("'", "")
    if current() != "en" or not (first.isascii() and first.isalpha() and first.islower()):
        return text
    return text[:1].upper() + text[1:]



def glosses() -> list[str]:
    """What a CLI message says an option is, right after naming it ("--at, the time to
    call back"), in the current language: a page names the option by its field's words
    instead and leaves these out (web.app.field_words), else it says the field twice."""
    from followup_cli.i18n import t

    return [t("the time to call back"), t("what the doctor said or did"), t("what was done"),
            t("the doctor who answered")]
