"""The ledger: one SQLite file holding patients, visits, planned tasks and the call log.

`open_ledger` is the only way in: it creates the file readable by its owner only,
sets WAL, foreign keys and a busy timeout, and applies pending migrations.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from followup_cli.errors import LedgerError
from followup_cli.i18n import t
from followup_cli.ledger.migrations import LATEST, migrate

if TYPE_CHECKING:
    from followup_cli.files import StrPath

BUSY_TIMEOUT_MS = 10_000


def default_path() -> str:
    """`$FOLLOWUP_DB`, else `$XDG_DATA_HOME/followup/ledger.db` (~/.local/share/followup)."""
    env = os.environ.get("FOLLOWUP_DB")
    if env:
        return env
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    return os.path.join(base, "followup", "ledger.db")


def open_ledger(path: StrPath, *, create_dirs: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the ledger at `path`, migrated to the latest schema.

    The connection is in autocommit mode: write through `transaction()`.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    if not os.path.exists(folder):
        if not create_dirs:
            raise LedgerError(t("ledger.no_dir", path=folder))
        os.makedirs(folder, mode=0o700)
    if not os.path.exists(path):
        # create it private before SQLite writes a byte of personal data into it
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as e:
        conn.close()
        raise LedgerError(t("ledger.not_sqlite", path=path)) from e
    if version > LATEST:
        conn.close()
        raise LedgerError(t("ledger.newer", path=path, found=version, known=LATEST))
    if version < LATEST:
        if version > 0:
            # an older ledger with data: keep a copy of it as it was before upgrading
            copy_to(conn, f"{path}.before-v{LATEST}.bak")
        migrate(conn)
    for suffix in ("-wal", "-shm"):
        side = path + suffix
        if os.path.exists(side):
            os.chmod(side, 0o600)
    return conn


def copy_to(conn: sqlite3.Connection, target: StrPath) -> None:
    """SQLite's online backup into a file readable by its owner only: consistent while
    others keep writing, and renamed into place so a half-written copy never carries
    the final name."""
    partial = f"{os.fspath(target)}.partial"
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        dest = sqlite3.connect(partial)
        try:
            conn.backup(dest)
        finally:
            dest.close()
        os.replace(partial, target)
    except BaseException:   # a failed or interrupted copy leaves no part of it behind
        if os.path.exists(partial):
            os.remove(partial)
        raise


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[None]:
    """One write transaction: all of it lands, or none of it.

    IMMEDIATE takes the write lock up front, so two agents logging at once wait for
    each other (busy timeout) instead of failing half-way with "database is locked".
    Inside an open transaction it nests as a savepoint.
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
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
