"""The one place where text from the ledger meets the terminal.

A name, note or agent typed by anyone may hold terminal control characters: ESC [2J
clears the screen, ESC ]0;… BEL sets the window title, a bare CR overwrites a line.
`run()` puts `SafeStream` in front of stdout and stderr, so whatever any command prints
(typer.echo, tables, messages, rich) is neutralised on its way out: each control
character becomes a visible stand-in of the same width (␛ for ESC, � for C1 controls),
so tables stay aligned and the reader sees that something odd was there. Text-direction
overrides are neutralised too: they can make a line read differently from what it holds.

Only on a colour terminal do the style sequences our own tables use (SGR: ESC [ … m)
pass; nothing else that moves the cursor, clears or titles the screen ever does.
"""

from __future__ import annotations

import io
import re
from typing import Any, TextIO

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides
_KEEP = {0x09, 0x0A}
_TABLE: dict[int, str] = {c: chr(0x2400 + c) for c in range(0x20) if c not in _KEEP}
_TABLE[0x7F] = "\u2421"
_TABLE.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_TABLE.update({c: "\ufffd" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_STYLE = re.compile(r"(\x1b\[[0-9;]*m)")


def clean(text: str) -> str:
    """`text` with every terminal control character replaced by a visible stand-in."""
    return text.translate(_TABLE)


def clean_styled(text: str) -> str:
    """Like `clean`, but SGR style sequences (colour, bold, faint) are kept."""
    if "\x1b" not in text:
        return text.translate(_TABLE)
    return "".join(part if n % 2 else part.translate(_TABLE)
                   for n, part in enumerate(_STYLE.split(text)))


class SafeStream(io.TextIOBase):
    """A text stream in front of another that writes only neutralised text."""

    def __init__(self, raw: TextIO):
        self.raw = raw
        self._clean = clean_styled if _isatty(raw) else clean

    def write(self, text: str) -> int:  # type: ignore[override]
        self.raw.write(self._clean(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return _isatty(self.raw)

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.raw, "errors", None)

    def __getattr__(self, name: str) -> Any:   # anything else a library asks of a stream
        if name == "buffer":   # bytes would pass unchecked: writers get the text stream
            raise AttributeError(name)
        return getattr(self.raw, name)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
