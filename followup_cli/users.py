"""The people who sign in to `followup serve`: agents and supervisors, their argon2
password hashes, and their sessions, kept in the ledger so they can be ended.

The user's name is the agent recorded on their calls and reveals. A session is a random
token in an HttpOnly cookie; the ledger keeps only its SHA-256, with the CSRF token that
every write of that session must carry."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from followup_cli.errors import FollowupError
from followup_cli.i18n import LANGS, t
from followup_cli.ledger import transaction
from followup_cli.text import agent_name

ROLES = ("agent", "supervisor")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024     # argon2 hashes any length: a megabyte "password" is an attack
IDLE_LIMIT = timedelta(hours=10)   # a working day idle ends a session
_TOUCH_EVERY = timedelta(minutes=1)   # seen_at is written at most this often


def _hasher():  # noqa: ANN202 - argon2 is imported by the commands that need it only
    from argon2 import PasswordHasher

    return PasswordHasher()


def user_name(name: str) -> str:
    """A user's name: an agent's name (as recorded on calls) without spaces in it."""
    name = agent_name(name, "NAME")
    if any(ch.isspace() for ch in name):
        raise FollowupError(t("a user's name has no spaces"))
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise FollowupError(t("a password has {min} to {max} characters", min=MIN_PASSWORD,
                              max=MAX_PASSWORD))
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise FollowupError(t("{option} {value}: one of {choices}", option="--role", value=role,
                              choices="/".join(ROLES)))
    return role


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def get_user(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT username, role, disabled, lang, created_at, updated_at "
                       "FROM users WHERE username = ?", (name,)).fetchone()
    return None if row is None else dict(row)


def existing(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    user = get_user(conn, user_name(name))
    if user is None:
        missing = FollowupError(t("no user {name}", name=name))
        missing.cli_hint = t("See the team with followup user list")
        raise missing
    return user


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str,
             now: datetime) -> None:
    name, role = user_name(name), check_role(role)
    digest = _hasher().hash(check_password(password))   # before the write lock is taken
    with transaction(conn):
        if get_user(conn, name) is not None:
            raise FollowupError(t("user {name} exists already (followup user passwd changes a "
                                  "password)", name=name))
        conn.execute("INSERT INTO users (username, role, password_hash, created_at, "
                     "updated_at) VALUES (?, ?, ?, ?, ?)",
                     (name, role, digest, _stamp(now), _stamp(now)))


def set_password(conn: sqlite3.Connection, name: str, password: str, now: datetime) -> None:
    """A new password; the user's sessions end (whoever knew the old one is signed out)."""
    user = existing(conn, name)
    digest = _hasher().hash(check_password(password))
    with transaction(conn):
        conn.execute("UPDATE users SET password_hash = ?, disabled = 0, updated_at = ? "
                     "WHERE username = ?", (digest, _stamp(now), user["username"]))
        conn.execute("DELETE FROM sessions WHERE username = ?", (user["username"],))


def disable(conn: sqlite3.Connection, name: str, now: datetime) -> bool:
    """The user can no longer sign in, and is signed out everywhere; their calls stay.
    False if they were disabled already (nothing changes)."""
    user = existing(conn, name)
    if user["disabled"]:
        return False
    with transaction(conn):
        conn.execute("UPDATE users SET disabled = 1, updated_at = ? WHERE username = ?",
                     (_stamp(now), user["username"]))
        conn.execute("DELETE FROM sessions WHERE username = ?", (user["username"],))
    return True


def without_account(conn: sqlite3.Connection, names: list[str]) -> list[str]:
    """Those of `names` who cannot sign in: no account by that name, or a disabled one."""
    enabled = {r[0] for r in conn.execute("SELECT username FROM users WHERE disabled = 0")}
    return [name for name in names if name not in enabled]


def check_accounts(conn: sqlite3.Connection, names: list[str]) -> None:
    """Patients are given to people who can sign in and call them: every name an enabled
    account (an agent's or a supervisor's)."""
    missing = without_account(conn, names)
    if missing:
        refused = FollowupError(t("{names}: no enabled account by this name, so nobody could "
                                  "sign in to call these patients", names="、".join(missing)))
        refused.cli_hint = t("See the team with followup user list")   # the web has no such
        raise refused


def set_lang(conn: sqlite3.Connection, name: str, lang: str) -> None:
    if lang not in LANGS:
        raise FollowupError(t("{option} {value}: one of {choices}", option="lang", value=lang,
                              choices="/".join(LANGS)))
    with transaction(conn):
        conn.execute("UPDATE users SET lang = ? WHERE username = ?", (lang, name))


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        "SELECT username, role, disabled, lang, created_at, updated_at, "
        "(SELECT max(seen_at) FROM sessions s WHERE s.username = u.username) AS last_seen "
        "FROM users u ORDER BY role DESC, username")]


# verified against when the name is unknown, so a wrong name takes as long as a wrong
# password (nobody learns the team's names by timing the sign-in)
_DUMMY: list[str] = []


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> dict[str, Any] | None:
    """The user, if `password` is theirs and they are not disabled; else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    row = conn.execute("SELECT username, role, password_hash, disabled, lang FROM users "
                       "WHERE username = ?", (name.strip(),)).fetchone()
    if not _DUMMY:
        _DUMMY.append(hasher.hash(secrets.token_urlsafe(12)))
    try:
        hasher.verify(row["password_hash"] if row is not None else _DUMMY[0],
                      password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    return {k: row[k] for k in ("username", "role", "lang")}


def account_stamp(conn: sqlite3.Connection, name: str) -> str:
    """A fingerprint of the account `name` (its password hash and state; "" if there is
    none) that changes when `user passwd` or `user add` changes it: the sign-in throttle
    forgets a name's failures when it changes."""
    row = conn.execute("SELECT password_hash, disabled FROM users WHERE username = ?",
                       (name.strip(),)).fetchone()
    return "" if row is None else _digest(f"{row[0]}|{row[1]}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: sqlite3.Connection, name: str, now: datetime) -> str:
    """A new session of `name`: its cookie token (the ledger keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute("INSERT INTO sessions (token_hash, username, csrf, created_at, seen_at) "
                     "VALUES (?, ?, ?, ?, ?)", (_digest(token), name, secrets.token_urlsafe(32),
                                                _stamp(now), _stamp(now)))
    return token


def session_of(conn: sqlite3.Connection, token: str, now: datetime) -> dict[str, Any] | None:
    """The live session of a cookie token, with its user; None if unknown, ended, idle
    too long or its user disabled. Using a session keeps it alive."""
    if not token or len(token) > 100:
        return None
    row = conn.execute(
        "SELECT s.token_hash, s.username, s.csrf, s.seen_at, u.role, u.lang, u.disabled "
        "FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = ?",
        (_digest(token),)).fetchone()
    if row is None:
        return None
    seen = datetime.fromisoformat(row["seen_at"])
    if row["disabled"] or now - seen > IDLE_LIMIT:
        with transaction(conn):
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (row["token_hash"],))
        return None
    if now - seen > _TOUCH_EVERY:
        with transaction(conn):
            conn.execute("UPDATE sessions SET seen_at = ? WHERE token_hash = ?",
                         (_stamp(now), row["token_hash"]))
    return {k: row[k] for k in ("username", "role", "lang", "csrf")}


def end_session(conn: sqlite3.Connection, token: str) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))


DEMO_SUPERVISOR = "主管"


def demo_team(conn: sqlite3.Connection, agents: list[str], now: datetime) -> dict[str, str]:
    """On a demo ledger only: a supervisor and the demo's agents (the names on its calls),
    each with a new random password, returned to be printed. A real ledger is refused."""
    from followup_cli.ledger import get_setting

    if get_setting(conn, "demo") is None:
        raise FollowupError(t("--demo is for a demo ledger only (made by followup init --demo): on "
                              "a real ledger add users with followup user add"))
    team = {DEMO_SUPERVISOR: "supervisor", **{a: "agent" for a in agents}}
    passwords = {name: secrets.token_urlsafe(9) for name in team}
    hashed = {name: _hasher().hash(pw) for name, pw in passwords.items()}
    with transaction(conn):
        for name, role in team.items():
            conn.execute(
                "INSERT INTO users (username, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET "
                "password_hash = excluded.password_hash, disabled = 0, "
                "updated_at = excluded.updated_at",
                (name, role, hashed[name], _stamp(now), _stamp(now)))
            conn.execute("DELETE FROM sessions WHERE username = ?", (name,))
    return passwords
