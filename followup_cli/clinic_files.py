"""Reading the clinic's TOML files (rules, scripts, calendar, settings) with one kind of
error: the file, and what is wrong with it.

Every call sheet reads the rules and the call scripts. Python's TOML reader is written in
Python: loading it and parsing the two default files costs about a fifth of `due`. So
each file's tables are also kept as JSON (read in C) in the user's cache folder, next to
the exact text they were parsed from. The cache is used only when the file's text is
the same, character for character, so an edited file is never read stale, whatever its
timestamps say; a cache that is missing, unreadable or unwritable costs one parse.
Files with TOML dates (a calendar) are not cached: JSON has no dates.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from typing import TYPE_CHECKING, Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import N_, t

if TYPE_CHECKING:
    from os import PathLike

    # a path as text or as a Path: the commands an agent runs all day use text, because
    # pathlib costs a sixth of the call sheet to load (it loads urllib and ipaddress)
    StrPath = str | PathLike[str]

# the clinic's rules, scripts, calendar and settings are a few kilobytes: a file far
# larger is the wrong file (or /dev/zero, which would be read for ever)
MAX_TOML_CHARS = 1 << 20


def read_toml(path: StrPath, *, missing: str = N_("rules file not found: "
                                                  "{path}")) -> dict[str, Any]:
    """The file's tables; `missing` is the message key for a file that is not there."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read(MAX_TOML_CHARS + 1)
    except FileNotFoundError:
        raise FollowupError(t(missing, path=path)) from None
    except UnicodeDecodeError:
        raise FollowupError(t("{path}: TOML syntax error: {reason}", path=path,
                              reason=t("not UTF-8"))) from None
    except OSError as e:   # a directory, no permission
        raise FollowupError(t("{path}: cannot be read ({reason})", path=path,
                              reason=e.strerror)) from None
    if len(text) > MAX_TOML_CHARS:
        raise FollowupError(t("{path}: larger than {limit}, not a settings "
                              "file", path=path, limit="1 MB"))
    from followup_cli.output.files import protect

    protect(path)   # a clinic's rules or settings are never an output file
    where = os.path.abspath(path)
    cached = _cached(where, text)
    if cached is not None:
        return cached
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise FollowupError(t("{path}: TOML syntax error: {reason}", path=path, reason=e)) from None
    _remember(where, text, data)
    return data


def cache_file(where: str) -> str:
    """The cache entry of the file at absolute path `where`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "followup", f"toml-{zlib.crc32(where.encode()):08x}.json")


def _cached(where: str, text: str) -> dict[str, Any] | None:
    try:
        with open(cache_file(where), encoding="utf-8") as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("path") != where or entry.get("text") != text:
        return None
    data = entry.get("data")
    return data if isinstance(data, dict) else None


def _remember(where: str, text: str, data: dict[str, Any]) -> None:
    try:
        content = json.dumps({"path": where, "text": text, "data": data}, ensure_ascii=False)
    except (TypeError, ValueError):   # dates, times: JSON cannot hold them
        return
    target = cache_file(where)
    partial = f"{target}.{os.getpid()}.partial"
    try:
        # the clinic's settings: readable by their owner only, like every file followup writes
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(partial, target)   # readers see the old entry or the new one, never half
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(partial)
