"""The ledger: one SQLite file holding patients, visits, planned tasks and the call log.

`open_ledger` is the only way in: it refuses what is not a plain file, keeps the file
readable by its owner only, sets WAL, foreign keys and a busy timeout, and applies pending
migrations. `transaction()` is the only way to write: it waits out another followup's
write, and turns SQLite's "busy", "full", "read-only" into a FollowupError.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from followup_cli import checkpoint
from followup_cli.errors import LedgerError
from followup_cli.i18n import N_, t
from followup_cli.ledger import chain
from followup_cli.ledger.migrations import LATEST, migrate

if TYPE_CHECKING:
    from followup_cli.clinic_files import StrPath

# A write waits for another followup's write (an import can hold the ledger for minutes)
# in steps of BUSY_TIMEOUT_MS, saying so after the first, for at most WAIT_LIMIT_S
# ($FOLLOWUP_WAIT_LIMIT, in seconds), then gives up having written nothing.
BUSY_TIMEOUT_MS = 1_000
WAIT_LIMIT_S = 600.0


def _quiet() -> None:
    pass


# what the CLI shows while a write waits (the library itself never prints)
on_wait: Callable[[], object] = _quiet
# the ledger opened last, for a message about an error met outside `transaction()`
last_opened = "-"


def default_path() -> str:
    """`$FOLLOWUP_DB`, else `$XDG_DATA_HOME/followup/ledger.db` (~/.local/share/followup)."""
    env = os.environ.get("FOLLOWUP_DB")
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return os.path.join(base, "followup", "ledger.db")


def missing(path: StrPath) -> LedgerError:
    """What a reading command says of a ledger file that is not there (it creates none: a
    typo in --db would otherwise leave an empty ledger behind)."""
    import shlex

    return LedgerError(t("the ledger {path} does not exist: create it with followup --db {path} "
                         "init, or import visits into it with followup --db {path} import visits "
                         "FILE (init --demo makes a demo clinic to try)",
                         path=shlex.quote(os.fspath(path))))


def open_ledger(path: StrPath, *, create_dirs: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the ledger at `path`, migrated to the latest schema.

    The connection is in autocommit mode: write through `transaction()`.
    """
    from followup_cli.output.files import protect

    global last_opened
    path = last_opened = os.fspath(path)
    protect(path, ledger=True)   # no output file may ever be written over it
    folder = os.path.dirname(path) or "."
    if not os.path.exists(folder):
        if not create_dirs:
            raise LedgerError(t("the ledger's folder does not exist: {path}", path=folder))
        os.makedirs(folder, mode=0o700)
    if not os.path.exists(path):
        # create it private before SQLite writes a byte of personal data into it
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    _check_file(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    chain.register(conn)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        conn.close()
        known = None if _code(e) == sqlite3.SQLITE_NOTADB else explained(e, path)
        raise known or LedgerError(t("{path} is not a followup ledger (not an SQLite "
                                     "file)", path=path)) from e
    if version > LATEST:
        conn.close()
        raise LedgerError(t("{path} has ledger schema {found}, newer than this followup "
                            "({known}): upgrade followup", path=path, found=version, known=LATEST))
    if version < LATEST:
        if version > 0:
            # an older ledger with data: keep a copy of it as it was before upgrading
            copy_to(conn, f"{path}.before-v{LATEST}.bak")
        migrate(conn)
    _owner_only(path)
    return conn


def _check_file(path: str) -> None:
    """A ledger is a plain file: /dev/null would lose every write (and SQLite would put its
    side files in /dev), a FIFO would block forever, a folder is a typo. A file of ours
    readable by others (an empty file someone made first) becomes owner-only."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise LedgerError(t("{path} is not a plain file: it cannot be a ledger", path=path))
    _owner_only(path)


def _owner_only(path: str) -> None:
    """The ledger and its -wal/-shm files readable by their owner only, whoever created
    them (SQLite gives side files the ledger's mode; older ones may predate that)."""
    for name in (path, path + "-wal", path + "-shm"):
        try:
            info = os.stat(name)
            if info.st_uid == os.geteuid() and info.st_mode & 0o077:
                os.chmod(name, 0o600)
        except OSError:   # absent, or on a read-only disk: a write will say so
            pass


def copy_to(conn: sqlite3.Connection, target: StrPath) -> None:
    """SQLite's online backup into a file readable by its owner only: consistent while
    others keep writing, and renamed into place so a half-written copy never carries
    the final name."""
    import tempfile

    target = os.fspath(target)
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(target) or ".", suffix=".partial",
                                   prefix=f".{os.path.basename(target)}.")
    os.close(fd)
    try:
        dest = sqlite3.connect(partial)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        os.replace(partial, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(partial)
        if isinstance(e, (OSError, sqlite3.OperationalError)):   # a full disk
            from followup_cli.output.files import not_written

            raise LedgerError(not_written(target, e if isinstance(e, OSError)
                                          else OSError(0, str(e)))) from None
        raise


def backup_to(conn: sqlite3.Connection, target: StrPath) -> str | None:
    """`copy_to`, then SQLite's first word on damage in the copy (quick_check), or None."""
    copy_to(conn, target)
    copy = sqlite3.connect(target)
    try:
        found = [r[0] for r in copy.execute("PRAGMA quick_check(1)")]
    except sqlite3.DatabaseError as e:
        return str(e)
    finally:
        copy.close()
    return None if found == ["ok"] else str(found[0])


# The threads of one process that write (the web server's, a connection each) take turns
# here, each let in the moment the one before it ends. Left to SQLite's busy handler they
# sleep in steps of up to 100 ms and may wake to find the ledger taken again (8 agents over
# HTTP: a call now and then waited most of a second). Other processes' writers (the CLI,
# an import) are still waited for by SQLite. Re-entrant: a thread that opens a second
# connection's transaction inside its own meets SQLite's lock, as it did before.
_WRITERS = threading.RLock()


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[None]:
    """One write transaction: all of it lands, or none of it.

    IMMEDIATE takes the write lock up front, so two agents logging at once wait for
    each other instead of failing half-way with "database is locked"; a long import is
    waited out too (`_begin`). Inside an open transaction it nests as a savepoint.
    A ledger that is full, read-only or unreadable raises a LedgerError (nothing written).
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT nested")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        conn.execute("RELEASE nested")
        return
    started = time.monotonic()
    # the wait for this process's other writers counts against the wait limit; past it,
    # on to SQLite's lock and its message (a thread stuck inside a write)
    turn = immediate and _WRITERS.acquire(timeout=_wait_limit())
    try:
        _begin(conn, immediate, started)
        try:
            yield
            checkpoint.reached("commit")
            conn.execute("COMMIT")
            checkpoint.reached("committed")
        except BaseException as e:
            if conn.in_transaction:   # SQLite rolls back by itself on some errors (disk full)
                conn.execute("ROLLBACK")
            known = explained(e, _path_of(conn)) if isinstance(e, sqlite3.Error) else None
            if known is not None:
                raise known from e
            raise
    finally:
        if turn:
            _WRITERS.release()


def _begin(conn: sqlite3.Connection, immediate: bool, started: float) -> None:
    """BEGIN, waiting for another writer in steps of the busy timeout, up to the limit
    (counted from `started`)."""
    told = False
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            return
        except sqlite3.OperationalError as e:
            if _code(e) != sqlite3.SQLITE_BUSY or time.monotonic() - started >= _wait_limit():
                known = explained(e, _path_of(conn))
                if known is None:
                    raise
                raise known from e
        if not told:
            on_wait()
            told = True


def _wait_limit() -> float:
    try:
        return float(os.environ.get("FOLLOWUP_WAIT_LIMIT", WAIT_LIMIT_S))
    except ValueError:
        return WAIT_LIMIT_S


def _code(e: sqlite3.Error) -> int:
    return (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF


# SQLite's primary result codes a user can cause (a busy, full, read-only or damaged
# ledger) -> the message; anything else is followup's bug
_EXPLAINED = {
    sqlite3.SQLITE_BUSY: N_("the ledger {path} stayed busy (another followup is writing): nothing "
                            "was recorded, try again"),
              sqlite3.SQLITE_FULL: N_("the disk holding the ledger {path} is full: nothing was "
                                      "recorded; free some space and try again"),
    sqlite3.SQLITE_READONLY: N_("the ledger {path} cannot be written (a read-only file or "
                                "folder): nothing was recorded"),
              sqlite3.SQLITE_CANTOPEN: N_("cannot open the ledger {path} (or its -wal/-shm files "
                                          "beside it): is its folder or disk read-only?"),
    sqlite3.SQLITE_IOERR: N_("a disk error while reading or writing the ledger {path}: nothing "
                             "was recorded"), sqlite3.SQLITE_CORRUPT: N_("the ledger {path} is "
                                                                         "damaged beyond what "
                                                                         "SQLite can read: "
                                                                         "restore it from a "
                                                                         "backup"),
    sqlite3.SQLITE_NOTADB: N_("the ledger {path} is damaged beyond what SQLite can read: restore "
                              "it from a backup"), sqlite3.SQLITE_PERM: N_("the ledger {path} "
                                                                           "cannot be written (a "
                                                                           "read-only file or "
                                                                           "folder): nothing was "
                                                                           "recorded"),
}


def explained(e: sqlite3.Error, path: str) -> LedgerError | None:
    """The LedgerError saying what SQLite's error means for the user, or None."""
    key = _EXPLAINED.get(_code(e))
    return None if key is None else LedgerError(t(key, path=path))


def _path_of(conn: sqlite3.Connection) -> str:
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        return "-"


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
