"""Every user-facing text exists in Chinese and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from followup_cli.i18n import MESSAGES


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages(key: str) -> None:
    zh, en = MESSAGES[key]
    assert zh.strip() and en.strip()
    assert placeholders(zh) == placeholders(en), key
