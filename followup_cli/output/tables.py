"""Boxed tables for the terminal: the one way every command draws one. Without rich: the
call sheet opens every shift and must appear at once (rich costs ~45 ms to import and
~0.7 ms a row).

The look is rich's heavy-head box, and columns are fitted to the terminal the way rich
fits them: the widest foldable columns give way first. Chinese characters count two
cells; long text wraps at spaces and folds inside words. No markup is read from the
cells, so a note with [brackets] prints as written.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple


class Dim(str):
    """A line of a cell printed faint on a colour terminal (a script prompt)."""


class Column(NamedTuple):
    header: str
    right: bool = False     # numbers line up on the right
    fold: bool = True       # False: never wrapped (short numbers)


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide (CJK) characters two, combining marks none."""
    if text.isascii():
        return len(text)
    return _cell_width(text)


@lru_cache(maxsize=8192)   # a sheet repeats its prompts, purposes and doctors
def _cell_width(text: str) -> int:
    return sum(map(_char_width, text))


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


_WORD = re.compile(r"\s*\S+\s*")
# Folded Chinese text breaks between any two characters, but a run of other characters
# in it (a date, a time, a number) moves to the next line whole if it fits one
_WIDE = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_PIECE = re.compile(rf"[{_WIDE}]|[^{_WIDE}]+")


@lru_cache(maxsize=4096)
def wrap(line: str, width: int) -> tuple[str, ...]:
    """One line in lines of at most `width` cells: words move to the next line whole,
    a word wider than the column is folded (a date inside it is kept whole)."""
    if cell_width(line) <= width:
        return (line,)
    lines: list[str] = []
    current, position = "", 0
    for word in _WORD.findall(line):
        needed = cell_width(word.rstrip())
        if width - position >= needed:
            current += word
            position += cell_width(word)
        elif needed > width:
            if current:
                lines.append(current)
            *full, current = _chop(word, width)
            lines.extend(full)
            position = cell_width(current)
        else:
            lines.append(current)
            current, position = word, cell_width(word)
    lines.append(current)
    return tuple(kept.rstrip() for kept in lines)


def _chop(word: str, width: int) -> list[str]:
    lines, current, position = [], "", 0
    for piece in _PIECE.findall(word):
        whole = cell_width(piece)
        if 1 < whole <= width and position + whole > width and current:
            lines.append(current)   # a date that fits a line starts the next one
            current, position = "", 0
        for ch in piece:
            w = _char_width(ch)
            if w > width:
                continue   # a wide character in a one-cell column cannot be shown (nor rich)
            if position + w > width and current:
                lines.append(current)
                current, position = "", 0
            current += ch
            position += w
    lines.append(current)
    return lines


def fit(widths: list[int], foldable: list[bool], room: int) -> list[int]:
    """Column widths (padding included) reduced to `room`: the widest foldable column
    gives way down to the next widest, then those share what is left (as rich does)."""
    widths = list(widths)
    excess = sum(widths) - room
    while excess > 0 and any(foldable):
        widest = max(w for w, f in zip(widths, foldable, strict=True) if f)
        second = max((w for w, f in zip(widths, foldable, strict=True) if f and w != widest),
                     default=0)
        if widest == second:
            break
        shares = [1 if f and w == widest else 0 for w, f in zip(widths, foldable, strict=True)]
        widths = _reduce(excess, shares, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - room
    if excess > 0:   # last resort: every column gives way evenly
        widths = _reduce(excess, [1] * len(widths), widths, widths)
    return widths


def _reduce(total: int, shares: list[int], limits: list[int], values: list[int]) -> list[int]:
    shares = [s if limit else 0 for s, limit in zip(shares, limits, strict=True)]
    remaining_shares, remaining = sum(shares), total
    out = []
    for share, limit, value in zip(shares, limits, values, strict=True):
        if share and remaining_shares > 0:
            cut = min(limit, round(share * remaining / remaining_shares))
            out.append(value - cut)
            remaining -= cut
            remaining_shares -= share
        else:
            out.append(value)
    return out


def paragraph(text: str, width: int | None = None) -> str:
    """A line of text wrapped to the terminal, ready to print."""
    width = terminal_width() if width is None else width
    return "\n".join(piece for line in text.split("\n") for piece in wrap(line, width)) + "\n"


def terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else 80: shutil.get_terminal_size's rule,
    without loading shutil (and the compression modules it loads) for one number."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


def use_colour() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


Cell = str | Sequence[str]


def draw(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, title: str = "",
         lines_between: bool = False, width: int | None = None,
         colour: bool | None = None) -> str:
    """The table as text, `width` cells wide at most (default: the terminal's)."""
    width = terminal_width() if width is None else width
    colour = use_colour() if colour is None else colour
    cells = [[_lines(cell) for cell in row] for row in rows]
    natural = [2 + max([cell_width(c.header)] + [cell_width(line) for row in cells
                                                  for line in row[i]])
               for i, c in enumerate(columns)]
    widths = fit(natural, [c.fold for c in columns], width - len(columns) - 1)
    inner = [max(w - 2, 1) for w in widths]

    def rule(left: str, fill: str, mid: str, right: str) -> str:
        return left + mid.join(fill * w for w in widths) + right

    def row_lines(row: list[list[str]], bar: str, header: bool = False) -> list[str]:
        wrapped = [[piece if not isinstance(line, Dim) else Dim(piece)
                    for line in cell for piece in wrap(line, inner[i])]
                   for i, cell in enumerate(row)]
        height = max(len(cell) for cell in wrapped)
        if header:   # headers sit on the line above the body, as rich draws them
            wrapped = [[""] * (height - len(cell)) + cell for cell in wrapped]
        out = []
        for n in range(height):
            parts = []
            for i, cell in enumerate(wrapped):
                text = cell[n] if n < len(cell) else ""
                pad = " " * (inner[i] - cell_width(text))
                shown = _style(text, header, colour)
                parts.append(" " + (pad + shown if columns[i].right else shown + pad) + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    out = [("\x1b[3m" + title + "\x1b[0m" if colour else title)] if title else []
    out.append(rule("┏", "━", "┳", "┓"))
    out += row_lines([[c.header] for c in columns], "┃", header=True)
    out.append(rule("┡", "━", "╇", "┩"))
    for n, row in enumerate(cells):
        if n and lines_between:
            out.append(rule("├", "─", "┼", "┤"))
        out += row_lines(row, "│")
    out.append(rule("└", "─", "┴", "┘"))
    return "\n".join(out) + "\n"


def _lines(cell: Cell) -> list[str]:
    if isinstance(cell, str):
        return [Dim(line) if isinstance(cell, Dim) else line for line in cell.split("\n")]
    return [part for line in cell for part in _lines(line)]


def _style(text: str, header: bool, colour: bool) -> str:
    if not colour or not text:
        return text
    if header:
        return "\x1b[1m" + text + "\x1b[0m"
    if isinstance(text, Dim):
        return "\x1b[2m" + text + "\x1b[0m"
    return text


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]],
               title: str | None = None, right: Sequence[str] = ()) -> None:
    """Plain rows as a table of `columns` (key, header); the `right` keys are numbers."""
    cells = [["" if row.get(key) is None else str(row.get(key)) for key, _ in columns]
             for row in rows]
    sys.stdout.write(draw([Column(header, right=key in right) for key, header in columns],
                          cells, title=title or ""))
