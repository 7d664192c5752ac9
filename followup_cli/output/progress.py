"""A progress bar for a long import, drawn by rich on a terminal only.

Drawn on stderr when it is a terminal that can move its cursor, for a file large enough
to take a while; never in a pipe, a file, captured output or JSON (stdout is not touched).
The bar is drawn past the terminal sanitiser (output/terminal.py): its cursor movements
are its own, and the one text in it from outside, the file's name, is cleaned here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from followup_cli.i18n import t

MIN_BYTES = 1_000_000   # ~10,000 rows: about a second of importing; less needs no bar


def wanted(stream: Any) -> bool:
    """Whether to draw a bar on `stream`: a terminal that can move its cursor."""
    try:
        terminal = bool(stream.isatty())
    except (AttributeError, ValueError):   # closed, or no isatty
        return False
    return terminal and os.environ.get("TERM", "") not in ("dumb", "unknown")


@contextmanager
def import_progress(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A function to call with the number of rows read so far, while the block runs; None
    when no bar is wanted (not a terminal, a small file)."""
    stream = sys.stderr
    try:
        size = path.stat().st_size
    except OSError:   # the import says what is wrong with the file
        size = 0
    if size < MIN_BYTES or not wanted(stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from followup_cli.output.terminal import clean

    total = _rows(path)
    bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(file=getattr(stream, "raw", stream), highlight=False),
                   transient=True, redirect_stdout=False, redirect_stderr=False)
    with bar:
        task = bar.add_task(clean(t("Importing {file}", file=path.name)), total=total)
        yield lambda done: bar.update(task, completed=min(done, total) if total else done)


def _rows(path: Path) -> int | None:
    """About how many rows a CSV has (its lines but the header); None for a workbook."""
    from followup_cli.importing.files import XLSX

    if path.suffix.casefold() in XLSX:
        return None
    lines = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 1)
