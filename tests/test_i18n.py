"""Every message the code says has its Chinese text in the zh_CN catalogue, with the same
placeholders; the catalogue holds nothing the code no longer says. The messages are found
the way an extractor finds them (Babel, with followup's keywords), so a message built by
an f-string, which no extractor can find, has no Chinese text and fails here."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from followup_cli.i18n import LOCALEDIR, N_, set_lang, t, tc, tn

ROOT = Path(__file__).parent.parent / "followup_cli"
# t(message), tn(singular, plural, n), tc(context, message), N_/NC_ mark one for later
KEYWORDS = {"t": None, "tn": (1, 2), "tc": ((1, "c"), 2), "N_": None, "NC_": ((1, "c"), 2)}


PLURAL: set[tuple[str | None, str]] = set()   # said through tn: a plural entry is needed


def extracted() -> dict[tuple[str | None, str], tuple[str, int]]:
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2")],
            keywords=KEYWORDS,
            comment_tags=(), strip_comment_tags=True):
        msgid = message[0] if isinstance(message, tuple) else message
        if not msgid:   # t(variable): the message was marked where it was written
            continue
        if isinstance(message, tuple):
            PLURAL.add((context, msgid))
        found[(context, msgid)] = (filename, lineno)
    return found


def catalogue():  # noqa: ANN201
    with open(Path(LOCALEDIR) / "zh_CN" / "LC_MESSAGES" / "followup.po", "rb") as f:
        return read_po(f)


CODE = extracted()
ZH = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m for m in catalogue() if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_extractor_finds_the_messages() -> None:
    assert len(CODE) > 400
    assert (None, "unknown outcome {value}; one of: {choices}") in CODE
    assert ("task status", "open") in CODE or ("status", "open") in CODE


@pytest.mark.parametrize("ident", sorted(CODE, key=str))
def test_every_message_has_its_chinese_text(ident: tuple[str | None, str]) -> None:
    where = "{}:{}".format(*CODE[ident])
    assert ident in ZH, f"{where}: no Chinese text for {ident!r} in followup.po"
    message = ZH[ident]
    if ident in PLURAL:   # else gettext's ngettext finds no Chinese and says it in English
        assert message.pluralizable, f"{where}: followup.po has no plural entry for {ident!r}"
    texts = message.string if isinstance(message.string, tuple) else (message.string,)
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    for text in texts:
        assert text.strip(), f"{where}: empty Chinese text for {ident!r}"
        assert placeholders(text) == placeholders(ids[0]), where


def test_no_message_guesses_its_plural() -> None:
    """"1 part(s)", "1 day(s) overdue": a count is said through tn, which picks the form."""
    guessed = sorted(f"{CODE[k][0]}:{CODE[k][1]}: {k[1]}" for k in CODE if "(s)" in k[1])
    assert not guessed, guessed


def test_the_catalogue_holds_only_what_the_code_says() -> None:
    unused = sorted((k for k in ZH if k not in CODE), key=str)
    assert not unused, f"followup.po has texts no code says: {unused[:10]}"


def test_both_languages_at_run_time() -> None:
    try:
        set_lang("zh")
        assert t("Calls") != "Calls"
        assert tn("{count} patient", "{count} patients", 1) == "1 位患者"
        assert tn("{count} patient", "{count} patients", 5) == "5 位患者"
        set_lang("en")
        assert t("Calls") == "Calls"
        assert tn("{count} patient", "{count} patients", 1) == "1 patient"
        assert tn("{count} patient", "{count} patients", 2) == "2 patients"
        assert N_("x") == "x"
        assert tc("task status", "open") == "open"
    finally:
        set_lang(None)


def test_help_is_in_the_users_language(cli) -> None:
    zh = cli("--lang", "zh", "log", "--help")
    assert zh.code == 0
    assert "选项" in zh.out and "通话内容（已接通或投诉时至少 20 个字）" in zh.out
    assert "What was said" not in zh.out
    assert "显示本帮助并退出" in zh.out and "Show this message" not in zh.out
    sub = cli("--lang", "zh", "complaint", "ack", "--help")
    assert "显示本帮助并退出" in sub.out and "Show this message" not in sub.out
    en = cli("--lang", "en", "log", "--help")
    assert "Options" in en.out and "What was said" in en.out and "通话内容" not in en.out
    top = cli("--lang", "zh", "--help")
    assert "显示回访清单" in top.out and "Show the call sheet" not in top.out


def has_chinese(text: str | None) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text or "")


def test_every_command_and_option_help_is_translated() -> None:
    from followup_cli.cli import build_app, click_command

    set_lang("zh")
    try:
        root = click_command(build_app())
        seen = 0

        def walk(cmd, path: str) -> None:  # noqa: ANN001
            nonlocal seen
            assert has_chinese(cmd.help), f"{path}: command help is not Chinese"
            for param in cmd.params:
                if getattr(param, "help", None):
                    seen += 1
                    assert has_chinese(param.help), f"{path} {param.name}: {param.help!r}"
            for name, sub in getattr(cmd, "commands", {}).items():
                walk(sub, f"{path} {name}")

        walk(root, "followup")
        assert seen > 80
    finally:
        set_lang(None)


@pytest.mark.parametrize(("line", "zh", "en"), [
    (["log", "--bogus"], "没有这个选项：--bogus", "no such option: --bogus"),
    (["log", "1", "--note"], "--note 后面要给一个值", "--note needs a value"),
    (["nosuch"], "没有这个命令", "No such command"),
    (["complaint", "show"], "必须给出", "is required"),
    # the parameter types' own reasons, which typer says in English only
    (["log", "abc", "-o", "未接"], "TASK_ID 的值无效：'abc' 不是整数",
     "invalid value for TASK_ID: 'abc' is not a whole number"),
    (["init", "--patients", "abc"], "'abc' 不是整数", "'abc' is not a whole number"),
    (["init", "--demo", "--patients", "5"], "5 不在范围 10<=x<=",
     "5 is not in the range 10<=x<="),
    (["backup", "."], "'.' 是文件夹，不是文件", "'.' is a folder, not a file"),
    (["due", "--today", "x", "y"], "多余的参数：x y", "unexpected extra arguments: x y"),
])
def test_usage_errors_in_the_users_language(cli, line: list[str], zh: str, en: str) -> None:
    for lang, expected in (("zh", zh), ("en", en)):
        result = cli("--lang", lang, *line)
        assert result.code == 2, (lang, result.err)
        assert expected in result.err, (lang, result.err)
        assert "Traceback" not in result.err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_help_pages_show_meaningful_metavars_and_defaults_as_words(cli, lang: str) -> None:
    """Help showed `<str>`, `<file>`, a parameter's Python name (`target`, `file`) and
    defaults as codes (`[默认：other]`)."""
    import re

    from typer._click import Context

    from followup_cli.cli import build_app, click_command

    set_lang(lang)
    try:
        root = click_command(build_app())

        def walk(cmd, path: str) -> None:  # noqa: ANN001
            ctx = Context(cmd, info_name=cmd.name)
            for param in cmd.params:
                if getattr(param, "is_flag", False) or not param.expose_value:
                    continue
                shown = param.make_metavar(ctx)
                assert re.fullmatch(r"[A-Z0-9_|=\[\]:.\-zhen]+", shown) and not shown.startswith(
                    "<"), f"{path} {param.name}: {shown}"
                assert shown != param.name, f"{path} {param.name}: {shown}"
            for name, sub in getattr(cmd, "commands", {}).items():
                walk(sub, f"{path} {name}")

        walk(root, "followup")
    finally:
        set_lang(None)
    log = " ".join(cli("--lang", lang, "log", "--help").out.split())
    assert {"zh": "[默认：其他/other]", "en": "[default: other]"}[lang] in log
    assert {"zh": "[默认：较重/medium]", "en": "[default: medium]"}[lang] in log
    assert "<str>" not in log and "--booked YYYY-MM-DD[THH:MM]" in log
    backup = cli("--lang", lang, "backup", "--help").out
    assert "{FILE}" in backup and "target" not in backup
