"""Reading the clinic's TOML files (rules, scripts, calendar, settings) with one kind of
error: the file, and what is wrong with it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import t


def read_toml(path: Path, *, missing: str = "rules.no_file") -> dict[str, Any]:
    """The file's tables; `missing` is the message key for a file that is not there."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FollowupError(t(missing, path=path)) from None
    except UnicodeDecodeError:
        raise FollowupError(t("rules.toml", path=path, reason="not UTF-8")) from None
    except OSError as e:   # a directory, no permission
        raise FollowupError(t("file.unreadable", path=path, reason=e.strerror)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise FollowupError(t("rules.toml", path=path, reason=e)) from None
