"""The one writer of files: every file followup writes (`-O`, `--skip-bad`, `backup`)
goes through `writing`.

A file is written whole or not at all: into a temporary file beside the target,
readable by its owner only, then renamed over the target, so a full disk or a crash
leaves the old file (or none), never a 0-byte or half file.

Some files must never be written over, whatever the user types: a ledger this process
has opened, its side files (-wal, -shm, -journal, its upgrade copies .bak) and the clinic's
files beside it (rules.toml, calendar.toml, scripts.toml, followup.toml), the file being
read, any existing SQLite database (another branch's ledger, a backup), and anything that
is not a plain file (a folder, a device, a pipe). They are compared as the same file after
resolving links, so `./ledger.db`, `../x/ledger.db` or a symlink to it are all the ledger.
And a file's name must say what it holds: a CSV is written to a .csv file, a backup to a
.db file, never `-O rules.toml`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import t

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath

# files opened in this process that no output may replace (real paths)
_protected: set[str] = set()
SIDE_FILES = ("-wal", "-shm", "-journal")
# how SQLite files begin: a database, and a write-ahead log (two byte orders)
_MAGIC = (b"SQLite format 3\x00", b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


# the clinic's own files, kept beside its ledger
CLINIC_FILES = ("rules.toml", "calendar.toml", "scripts.toml", "followup.toml")
# what each kind of output file may be called
SUFFIXES = {"csv": (".csv", ".txt"), "json": (".json",), "html": (".html", ".htm"),
            "xlsx": (".xlsx",), "db": (".db", ".sqlite", ".sqlite3", ".bak"),
            "toml": (".toml",)}


def protect(path: StrPath, *, ledger: bool = False) -> None:
    """Never write over `path` (a file being read; with `ledger`, a ledger opened and the
    clinic's files beside it) in this process."""
    real = os.path.realpath(os.fspath(path))
    _protected.add(real)
    if ledger:
        folder = os.path.dirname(real)
        _protected.update(os.path.join(folder, name) for name in CLINIC_FILES)


def check_target(path: StrPath, kind: str | None = None) -> str:
    """The real path to write `path` to, a file of `kind` (a key of SUFFIXES); FollowupError
    if it is something that matters or its name says it holds something else."""
    shown = os.fspath(path)
    if shown in ("", ".") or shown.endswith(os.sep):
        raise FollowupError(t("a file name is needed (not empty)"))
    if shown == "-":
        raise FollowupError(t("-O needs a file name; without -O the output goes to the terminal"))
    if kind is not None and not shown.casefold().endswith(SUFFIXES[kind]):
        raise FollowupError(t("{path}: a {kind} file's name should end in {suffixes} (so that no "
                              "other file of the clinic's is written over)", path=shown, kind=kind,
                              suffixes=" ".join(SUFFIXES[kind])))
    if os.path.exists(shown) and not os.path.isfile(shown):   # /dev/stdout, a pipe, a folder
        raise FollowupError(t("{path}: not a plain file (a folder, a device or a pipe): not "
                              "written", path=shown))
    real = os.path.realpath(shown)
    for kept in _protected:
        if real == kept or (real.startswith(kept) and (
                real[len(kept):] in SIDE_FILES or real.endswith(".bak")
                or real.endswith(".partial"))):
            raise FollowupError(t("{path}: this is the ledger, one of its side files or the file "
                                  "being read; not written over: choose another name", path=shown))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        folder = os.path.dirname(real)
        if not os.path.isdir(folder):
            raise FollowupError(t("no such folder: {path}",
                                  path=os.path.dirname(shown) or ".")) from None
        return real
    if not stat.S_ISREG(info.st_mode):
        raise FollowupError(t("{path}: not a plain file (a folder, a device or a pipe): not "
                              "written", path=shown))
    if any(os.path.samefile(real, kept) for kept in _protected if os.path.exists(kept)):
        raise FollowupError(t("{path}: this is the ledger, one of its side files or the file "
                              "being read; not written over: choose another name", path=shown))
    with open(real, "rb") as f:
        head = f.read(16)
    if head.startswith(_MAGIC):
        raise FollowupError(t("{path}: an existing SQLite database (a ledger or a backup) is "
                              "never written over: choose another name, or delete it yourself "
                              "first", path=shown))
    return real


@contextmanager
def writing(path: StrPath, mode: str = "w", *, kind: str | None = None) -> Iterator[IO[Any]]:
    """An open file whose content becomes `path` when the block ends without error.

    Text is UTF-8 with newlines as written. Links are followed: the file they point to
    is replaced, the link stays.
    """
    import tempfile

    real = check_target(path, kind)
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(real),
                                   prefix=f".{os.path.basename(real)}.", suffix=".partial")
    try:
        with (os.fdopen(fd, mode) if "b" in mode
              else os.fdopen(fd, mode, encoding="utf-8", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, real)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(partial)
        if isinstance(e, OSError):   # a full disk, a quota: say which file was not written
            raise FollowupError(not_written(path, e)) from None
        raise


def not_written(path: StrPath, error: OSError) -> str:
    return t("{path}: not written ({reason})", path=os.fspath(path),
             reason=error.strerror or type(error).__name__)


def write_text(path: StrPath, text: str, *, kind: str) -> None:
    with writing(path, kind=kind) as f:
        f.write(text)


def write_workbook(path: StrPath, book: Any) -> None:
    """An openpyxl workbook, made whole in memory first: openpyxl left to write into a
    file that fails part-way (a full disk) prints a traceback as it is collected."""
    import io

    data = io.BytesIO()
    book.save(data)
    with writing(path, "wb", kind="xlsx") as f:
        f.write(data.getvalue())
