"""`followup serve`: the ledger's library behind a few server-rendered pages and a JSON API.

Every request opens the ledger, finds its session (a cookie whose hash the ledger keeps),
speaks its user's language, and calls the same library functions the CLI calls; every
write is one transaction of that library. Pages work without JavaScript; static/app.js
adds keyboard shortcuts, a note counter and the board's live figures.

Defences: sessions server-side and revocable (HttpOnly, SameSite=Strict cookie), a CSRF
token on every write, cross-site POSTs refused by their Origin / Sec-Fetch-Site, failed
sign-ins throttled, security headers on every response, and nothing a request carried
(names, phones, notes) in the log or an error page.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from followup_cli import clock
from followup_cli.errors import FollowupError, NotFound
from followup_cli.i18n import LANGS, N_, current, speaking, t, tc, tn

if TYPE_CHECKING:
    import sqlite3

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from followup_cli.calendar import ClinicCalendar
    from followup_cli.rules import RulePack
    from followup_cli.scripts import Scripts

HERE = Path(__file__).parent
COOKIE = "followup_session"
MAX_BODY = 64 * 1024      # a call as JSON; anything larger is refused unread (413)
# a page's form: a full note (4,000 Chinese characters are 36 KB url-encoded) with room,
# and a pasted note far over the note's limit still read, so that the card comes back
# with it kept and the library's message ("at most 4000 characters"), never lost
MAX_FORM = 1024 * 1024
LOGGED_PATH = 200          # characters of a path the log shows (a path can be any length)
log = logging.getLogger("followup.web")
access = logging.getLogger("followup.web.access")

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; frame-ancestors 'none'; "
     b"form-action 'self'; base-uri 'none'; object-src 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),   # pages hold patient data: the browser keeps none
    (b"cross-origin-opener-policy", b"same-origin"),
]


class Guard:
    """Outermost: security headers on every response, and an exception becomes a bare 500
    whose log line names only its type and path (its text may hold a patient's data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        status = 500
        clock_started = time.perf_counter()

        async def with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name.decode()] = value.decode()
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception as e:
            if os.environ.get("FOLLOWUP_DEBUG"):   # as the CLI: a developer sees the traceback
                raise
            log.error("internal error (%s) on %s %s", type(e).__name__, scope.get("method"),
                      logged_path(scope))
            if not started:
                await PlainTextResponse(t("internal error: nothing was done, the ledger is not "
                                          "half-written"), 500)(scope, receive, with_headers)
        finally:
            # the access log: method, path and status, never the query string (a search
            # may hold a patient's name or phone)
            client = scope.get("client")
            access.info("%s %s %s %d %.0f ms", client[0] if client else "-", scope.get("method"),
                        logged_path(scope), status, (time.perf_counter() - clock_started) * 1000)


def logged_path(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    return path if len(path) <= LOGGED_PATH else path[:LOGGED_PATH] + "…"


class HostCheck:
    """A request must name this server in its Host header (DNS rebinding: a page of
    evil.example whose name is made to point at 127.0.0.1 would otherwise talk to the
    workspace as a same-origin page). Any IP address that reaches the bound address is
    fine (a rebinding needs a name); a name must be localhost on a loopback or all-address
    bind, the bound name, or one given with `serve --allow-host`."""

    def __init__(self, app: ASGIApp, bound: str, names: tuple[str, ...] = ()) -> None:
        self.app = app
        self.bound = bound.strip("[]").lower()
        self.names = {n.strip().strip("[]").lower() for n in names} | {self.bound}

    def allowed(self, header: str) -> bool:
        import ipaddress
        import re

        found = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::\d{1,5})?|([^:\[\]]+)(?::\d{1,5})?",
                             header.strip())
        if found is None:
            return False
        name = (found[1] or found[2]).lower().rstrip(".")
        wildcard = self.bound in ("0.0.0.0", "::", "")
        loopback = self.bound == "localhost" or _is_loopback(self.bound)
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return name in self.names or (name == "localhost" and (wildcard or loopback))
        if wildcard:
            return True
        if loopback:
            return address.is_loopback
        return name == self.bound

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k == b"host"), "")
            if not self.allowed(host):
                scope = {**scope, "app": self.app}   # the refusal is a page of the workspace
                page = await run_in_threadpool(
                    refused, Request(scope), scope["path"].startswith("/api/"), 400, N_(
                        "refused: this server is not known by the name the request was sent "
                        "to; open it by its address, or start serve with --allow-host NAME"))
                await page(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Throttle:
    """Failed sign-ins: after NAME_LIMIT failures within WINDOW seconds for one name, from
    any address, or IP_LIMIT from one address, whatever the names, sign-in is refused
    until the oldest ages out: guessing one colleague's password from many addresses and
    trying many names from one (password spraying) are both slowed. A name's failures are
    forgotten when it signs in, or when its account changes (`user passwd`, `user add`:
    `account` is a fingerprint of it), so a new password lifts its lock."""

    NAME_LIMIT, IP_LIMIT, WINDOW = 5, 10, 900.0

    def __init__(self) -> None:
        self.failures: dict[tuple[str, ...], deque[float]] = {}
        self.accounts: dict[str, str] = {}
        self.lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        name = name.strip().casefold()
        return [(("name", name), self.NAME_LIMIT), (("ip", address), self.IP_LIMIT)]

    def _account(self, name: str, account: str) -> None:
        """Forget a name's failures if its account changed since they were counted."""
        name = name.strip().casefold()
        if self.accounts.get(name, account) != account:
            self.failures.pop(("name", name), None)
        self.accounts[name] = account

    def wait(self, name: str, address: str, account: str = "") -> int:
        """Seconds to wait before trying again (0: go ahead)."""
        now = time.monotonic()
        longest = 0.0
        with self.lock:
            self._account(name, account)
            for key, limit in self._keys(name, address):
                times = self.failures.get(key)
                while times and now - times[0] > self.WINDOW:
                    times.popleft()
                if times and len(times) >= limit:
                    longest = max(longest, self.WINDOW - (now - times[-limit]))
        return int(longest) + 1 if longest else 0

    def failed(self, name: str, address: str, account: str = "") -> None:
        now = time.monotonic()
        with self.lock:
            if len(self.failures) > 10_000:   # bounded: forget what has aged out
                self.failures = {k: v for k, v in self.failures.items()
                                 if v and now - v[-1] <= self.WINDOW}
                self.accounts = {k[1]: self.accounts[k[1]] for k in self.failures
                                 if k[0] == "name" and k[1] in self.accounts}
            self._account(name, account)
            for key, _ in self._keys(name, address):
                self.failures.setdefault(key, deque()).append(now)

    def passed(self, name: str, address: str) -> None:
        with self.lock:
            self.failures.pop(("name", name.strip().casefold()), None)


class Flashes:
    """What a save said (the call's effect, what it set going, its warnings), kept for the
    page the save sends its user on to, which says it once. Per user and call; bounded."""

    KEPT = 1000

    def __init__(self) -> None:
        self.kept: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
        self.lock = threading.Lock()

    def put(self, user: str, attempt_id: int, said: list[str], warned: list[str]) -> None:
        with self.lock:
            while len(self.kept) >= self.KEPT:
                self.kept.pop(next(iter(self.kept)))
            self.kept[(user, attempt_id)] = (said, warned)

    def take(self, user: str, attempt_id: int) -> tuple[list[str], list[str]]:
        with self.lock:
            return self.kept.pop((user, attempt_id), ([], []))


class Once:
    """One-time keys of writes (the call form's token, an API call's Idempotency-Key): the
    first request with a key does the write; a repeat, even one sent while the first is
    still being answered, records nothing and is given the first one's answer. A key whose
    write failed is free again. Per user; in memory (the one server process); bounded."""

    KEPT = 10_000
    LONGEST = 200   # characters of a key

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], Any] = {}
        self.lock = threading.Lock()

    def run(self, user: str, key: str, work: Callable[[], Any]) -> tuple[Any, bool]:
        """`work()`'s answer and True; or, for a key used before, the first answer and
        False."""
        slot = (user, key)
        while True:
            with self.lock:
                found = self.kept.get(slot)
                if found is None:
                    event = threading.Event()
                    self.kept[slot] = event
                    break
            if not isinstance(found, threading.Event):
                return found, False
            found.wait(30)   # the first is being written: its answer is this one's
        try:
            answer = work()
        except BaseException:
            with self.lock:
                self.kept.pop(slot, None)
            event.set()
            raise
        with self.lock:
            while len(self.kept) >= self.KEPT:
                oldest = next(iter(self.kept))
                if isinstance(self.kept[oldest], threading.Event):
                    break
                self.kept.pop(oldest)
            self.kept[slot] = answer
        event.set()
        return answer, True


class Clinic(NamedTuple):
    """The ledger and the clinic's files, read once when the server starts (by the
    command, which knows where they are: the web side never reads the CLI's options)."""

    path: str
    rules: RulePack
    cal: ClinicCalendar
    scripts: Scripts
    clinic: str | None
    min_note: int
    import_map: dict[str, str] = {}
    alerts: Any = None   # alerts.Settings of followup.toml (None: the defaults)
    sms_texts: Any = None      # sms.Templates of sms.toml (None: the defaults)
    sms_settings: Any = None   # sms.Settings of followup.toml's [sms] (None: the defaults)


class Web:
    """What every request shares: the clinic, the throttle, the templates."""

    def __init__(self, clinic: Clinic, *, secure: bool = False) -> None:
        self.path = clinic.path
        self.secure = secure
        self.rules = clinic.rules
        self.cal = clinic.cal
        self.scripts = clinic.scripts
        self.clinic = clinic.clinic
        self.min_note = clinic.min_note
        self.import_map = clinic.import_map
        self.alert_settings = clinic.alerts
        self.sms_texts, self.sms_settings = clinic.sms_texts, clinic.sms_settings
        if self.sms_texts is None or self.sms_settings is None:
            from followup_cli.sms import load_settings, load_templates

            self.sms_texts = self.sms_texts or load_templates(None)
            self.sms_settings = self.sms_settings or load_settings({}, "followup.toml")
        self.throttle = Throttle()
        self.uploads = Uploads(uploads_folder(clinic.path))
        self.flashes = Flashes()
        self.once = Once()
        self.local = threading.local()
        # every {{ }} output passes the terminal's sanitiser: a control character or a
        # text-direction override in a name or note shows as a visible stand-in, never
        # reorders what the agent reads (JSON answers keep the text whole)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True, finalize=_shown)
        self.env.globals.update(t=t, tc=tc, tn=tn)   # the CLI's catalogue, the same calls
        from followup_cli.text import capfirst

        self.env.filters["capfirst"] = capfirst   # headings and flashes: "Call #3 logged"

    @contextmanager
    def ledger(self) -> Iterator[sqlite3.Connection]:
        """The ledger for one request. Each worker thread keeps its connection (opening
        one costs more than logging a call); a ledger replaced on disk is opened anew, a
        ledger gone is an error (never recreated empty)."""
        import os

        from followup_cli.ledger import open_ledger

        try:
            identity = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise FollowupError(t("the ledger {path} has no visits yet: run followup import visits "
                                  "FILE, or followup init --demo to try the demo clinic",
                                  path=self.path)) from None
        kept = getattr(self.local, "conn", None)
        if kept is None or self.local.identity != identity:
            if kept is not None:
                kept.close()
            self.local.conn, self.local.identity = open_ledger(self.path), identity
        conn: sqlite3.Connection = self.local.conn
        try:
            yield conn
        finally:
            if conn.in_transaction:   # never left holding the write lock
                conn.execute("ROLLBACK")


def _shown(value: Any) -> Any:
    from followup_cli.output.terminal import clean

    return clean(value) if isinstance(value, str) else value


class Ctx(NamedTuple):
    """One request being answered: its ledger connection, user (None: not signed in),
    the form or JSON it sent, and the language it is answered in."""

    request: Request
    web: Web
    conn: sqlite3.Connection
    user: dict[str, Any] | None
    data: dict[str, Any]

    @property
    def api(self) -> bool:
        """Whether this is a JSON call (its messages name the JSON keys)."""
        return self.request.url.path.startswith("/api/")

    @property
    def name(self) -> str:
        return str(self.user["username"]) if self.user else ""

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        if values.get("message"):
            values["message"] = field_words(str(values["message"]))
        page = self.web.env.get_template(template).render(
            user=self.user, csrf=self.user["csrf"] if self.user else "", lang=current(),
            langs=LANGS, **values)
        return HTMLResponse(page, status)


Handler = Callable[[Ctx], Response]

# the CLI options the library's messages name, longest first, and the field that stands
# for each on a page (and its key in a JSON call)
OPTION_FIELDS = [
    (r"followup assign --agents", "agents"),
    (r"--agents", "agents"),
    (r"--outcome\s*[（(]-o[)）]", "outcome"),
    (r"--outcome", "outcome"),
    (r"--note", "note"),
    (r"--at", "at"),
    (r"--month", "month"),
    (r"--reason", "reason"),
    (r"--sign", "signs"),
    (r"--booked", "booked"),
    (r"--by", "by"),
    (r"--action", "action"),
    (r"--complaint-category", "complaint_category"),
    (r"--severity", "severity"),
    (r"--satisfaction", "satisfaction"),
    (r"--nps", "nps"),
    (r"--date", "date"),
    (r"--patient-id", "patient_id"),
    (r"--patient", "patient_id"),
    (r"--task-id", "task_id"),
    (r"--to", "agent"),
]


def option(key: str) -> str:
    """The option that stands for a field of a form or a JSON call in a message the web
    makes itself: `field_words` then names it as the page or the API does."""
    return "--" + key.replace("_", "-")


def field_label(field: str) -> str:
    """The words of a field on the workspace's pages."""
    labels = {"agents": t("Agents on shift (comma-separated)"), "outcome": t("Outcome"),
              "note": tc("web", "Note"), "at": t("Call back at"), "month": t("Month"),
              "reason": t("Reason (required)"), "signs": t("Warning signs"),
              "booked": t("Re-check booked for"), "by": t("Doctor who answered"),
              "action": t("What was done"), "complaint_category": t("Complaint category"),
              "severity": t("Complaint severity"), "satisfaction": t("Satisfaction 1–5"),
              "nps": t("Would recommend 0–10"), "date": tc("web", "Date"),
              "patient_id": tc("web.col", "Patient"), "task_id": t("Task"),
              "agent": tc("web.col", "Agent")}
    return labels.get(field, field)


def field_words(message: str, *, api: bool = False, **words: str) -> str:
    """A library message said on the web: the CLI options it names (--note, --at,
    --outcome, --month …) become the words of the page's fields, quoted (`words` overrides
    a field's word on one page), or the JSON call's keys for the API. Every option a
    message the web can show names is in OPTION_FIELDS (tests/test_web_words.py)."""
    import re

    if "-" not in message:
        return message
    zh = current() == "zh"
    for pattern, field in OPTION_FIELDS:
        label = words.get(field) or field_label(field)
        said = field if api else (f"「{label}」" if zh else f"“{label}”")
        around = " ?" if zh and not api else ""   # 「…」 needs no spaces beside it
        message = re.sub(around + pattern + r"(?![\w-])" + around, said, message)
    if not api:   # the field's words say what the CLI's gloss after the option said
        from followup_cli.text import glosses

        for gloss in glosses():
            # "“Call back at”, the time to call back, is …": the gloss and its commas go
            message = re.sub(r"([」”])\s*[:：,，]?\s*" + re.escape(gloss) + r"(?:[,，](?=\s))?",
                             r"\1", message)
    return message


LANG_COOKIE = "followup_lang"   # the language picked before signing in (not a secret)


def choose_lang(request: Request, user: dict[str, Any] | None) -> str:
    """The signed-in user's saved choice; else the one picked on this browser (?lang= on
    the sign-in page, kept in a cookie); else Chinese, as the CLI. Never the browser's
    Accept-Language: a page changing language with the computer it is read on is not
    what its user chose."""
    if user and user.get("lang") in LANGS:
        return str(user["lang"])
    for asked in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if asked in LANGS:
            return str(asked)
    return "zh"


def keep_lang(response: Response, lang: str, web: Web) -> Response:
    """The language picked, remembered on this browser (pages said before the session is
    known, a next sign-in)."""
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True,
                        samesite="strict", secure=web.secure, path="/")
    return response


def same_origin(request: Request) -> bool:
    """A POST sent by a page of another site is refused: the browser says where it came
    from. Sec-Fetch-Site first (every current browser sends it; under our no-referrer
    policy Chrome sends `Origin: null` even from our own pages), else the Origin. A script
    with neither still needs the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


def _no_constant(name: str) -> Any:
    raise ValueError(name)   # NaN and Infinity are not JSON


def declared_length(request: Request) -> int:
    """The Content-Length a request declares (0 if none or not a number)."""
    value = request.headers.get("content-length", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


class TooLarge(Exception):
    """A request's body over its limit (read no further)."""


async def read_body(request: Request, limit: int) -> dict[str, Any] | None:
    """The form or JSON object sent; None if it is not one; TooLarge over `limit` bytes."""
    if declared_length(request) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    kind = content_type(request)
    try:
        if kind == "application/json":
            data = json.loads(bytes(body) or b"{}", parse_constant=_no_constant)
            return data if isinstance(data, dict) else None
        form: dict[str, Any] = {}
        for key, value in parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True):
            if key in form:   # a key sent again (checkboxes of one name): all its values
                kept = form[key]
                form[key] = [*kept, value] if isinstance(kept, list) else [kept, value]
            else:
                form[key] = value
        return form
    except (ValueError, UnicodeDecodeError):
        return None


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def route(path: str, handler: Handler, *, methods: tuple[str, ...] = ("GET",),
          role: str | None = "any", api: bool = False) -> Route:
    """`handler` behind the checks: role None is public; "any" needs a session;
    "supervisor" a supervisor's. Every POST but the sign-in carries the CSRF token."""

    async def endpoint(request: Request) -> Response:
        data: dict[str, Any] = {}
        if request.method == "POST":
            if not same_origin(request):
                return await run_in_threadpool(refused, request, api, 403,
                                               N_("refused: the request came from another site"))
            if api and content_type(request) != "application/json":
                return await run_in_threadpool(refused, request, api, 415,
                                               N_("send JSON (Content-Type: application/json)"))
            limit = MAX_BODY if api else MAX_FORM
            try:
                body = await read_body(request, limit)
            except TooLarge:
                return await run_in_threadpool(
                    refused, request, api, 413, N_("the request is too large: at most {size} KB"),
                    size=limit // 1024)
            if body is None:
                return await run_in_threadpool(refused, request, api, 400,
                               N_("the request's content cannot be read (too large or malformed)"))
            data = body
        return await run_in_threadpool(answer, request, handler, data, role, api)

    return Route(path, endpoint, methods=list(methods))


MAX_UPLOAD = 64 * 1024 * 1024   # a clinic's month of visits is a few MB
UPLOAD_KINDS = {".csv": "csv", ".xlsx": "xlsx"}
UPLOAD_KEPT = 3600.0   # seconds an upload waits for its import to be confirmed
UPLOAD_PREFIX = "followup-upload-"


def uploads_folder(ledger: str) -> Path:
    """Where uploads wait: an owner-only folder beside the ledger (the same disk, the same
    care as the ledger), not the shared /tmp."""
    path = Path(ledger)
    return path.parent / f"{path.name}.uploads"


class Uploads:
    """Exports uploaded for an import (whole patient exports), each in a folder of its own
    readable by the server's user only, known by a random key. Kept only while needed:
    dropped when imported, when its check fails, when its user uploads another, after
    UPLOAD_KEPT seconds, and all of them when the server starts and stops."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kept: dict[str, tuple[Path, str, float]] = {}
        self.lock = threading.Lock()

    def place(self) -> Path:
        """A new private folder for one upload."""
        import tempfile

        self.folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.folder, 0o700)
        return Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=self.folder))

    def add(self, path: Path, owner: str) -> str:
        key = secrets.token_urlsafe(16)
        with self.lock:
            self._expire()
            for old in [k for k, (_, who, _) in self.kept.items() if who == owner]:
                _remove_upload(self.kept.pop(old)[0])   # a newer upload replaces it
            self.kept[key] = (path, owner, time.monotonic())
        return key

    def get(self, key: str, owner: str) -> Path | None:
        with self.lock:
            self._expire()
            found = self.kept.get(key)
        return found[0] if found is not None and found[1] == owner else None

    def drop(self, key: str) -> None:
        with self.lock:
            found = self.kept.pop(key, None)
        if found is not None:
            _remove_upload(found[0])

    def expire(self) -> None:
        with self.lock:
            self._expire()

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, _, at) in self.kept.items() if now - at > UPLOAD_KEPT]:
            _remove_upload(self.kept.pop(key)[0])

    def clear(self) -> None:
        """Every upload gone: those kept, and any a stopped server left behind."""
        import shutil

        with self.lock:
            self.kept.clear()
        if self.folder.is_dir():
            for left in self.folder.glob(UPLOAD_PREFIX + "*"):
                shutil.rmtree(left, ignore_errors=True)


def _remove_upload(path: Path) -> None:
    import shutil

    shutil.rmtree(path.parent, ignore_errors=True)


def upload_words(message: str, path: Path) -> str:
    """A message about an upload names the file the user sent, never the server's folder."""
    return message.replace(str(path), path.name).replace(str(path.parent), "")


def upload_route(path: str, handler: Handler) -> Route:
    """A supervisor's file upload (multipart): the session is checked before the body is
    read; the file is kept in a private folder under its own name (the messages name it)."""

    async def endpoint(request: Request) -> Response:
        if not same_origin(request):
            return await run_in_threadpool(refused, request, False, 403,
                                           N_("refused: the request came from another site"))
        if declared_length(request) > MAX_UPLOAD:
            return await run_in_threadpool(refused, request, False, 413,
                                           N_("the file is too large (64 MB at most)"))
        user = await run_in_threadpool(_session_user, request)
        if user is None or user["role"] != "supervisor":
            return await run_in_threadpool(refused, request, False, 403,
                                           N_("only a supervisor can do this"))
        from starlette.datastructures import UploadFile
        from starlette.formparsers import MultiPartException

        data: dict[str, Any] = {}
        try:
            async with request.form(max_files=1, max_fields=5) as form:
                data["csrf"] = str(form.get("csrf") or "")
                upload = form.get("file")
                if isinstance(upload, UploadFile) and upload.filename:
                    # checked here, before `answer` speaks: in the user's language too
                    data["upload"] = await run_in_threadpool(
                        _keep_upload, upload, request.app.state.web.uploads,
                        choose_lang(request, user))
        except MultiPartException:
            return await run_in_threadpool(refused, request, False, 400,
                           N_("the request's content cannot be read (too large or malformed)"))
        except FollowupError as e:
            data["error"] = str(e)
        return await run_in_threadpool(answer, request, handler, data, "supervisor", False)

    return Route(path, endpoint, methods=["POST"])


def _session_user(request: Request) -> dict[str, Any] | None:
    from followup_cli.users import session_of

    web: Web = request.app.state.web
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    with web.ledger() as conn:
        return session_of(conn, token, clock.now())


def _keep_upload(upload: Any, uploads: Uploads, lang: str) -> Path:
    """The uploaded file written whole into a new private folder, under its base name;
    refused in `lang`, its user's language."""
    with speaking(lang):
        return _keep_upload_as(upload, uploads)


def _keep_upload_as(upload: Any, uploads: Uploads) -> Path:
    from followup_cli.output.files import writing

    name = os.path.basename(str(upload.filename).replace("\\", "/")).strip() or "upload"
    kind = UPLOAD_KINDS.get(os.path.splitext(name)[1].casefold())
    if kind is None:
        raise FollowupError(t("{name}: only .csv or .xlsx files can be imported", name=name[:80]))
    try:
        target = uploads.place() / name
    except OSError as e:
        raise FollowupError(t("cannot keep the upload beside the ledger ({folder}): {reason}",
                              folder=uploads.folder,
                              reason=e.strerror or type(e).__name__)) from None
    written = 0
    try:
        with writing(target, "wb", kind=kind) as out:
            while chunk := upload.file.read(1 << 20):
                written += len(chunk)
                if written > MAX_UPLOAD:
                    raise FollowupError(t("the file is too large (64 MB at most)"))
                out.write(chunk)
    except BaseException:
        _remove_upload(target)
        raise
    return target


def refused(request: Request, api: bool, status: int, key: str, **values: Any) -> Response:
    """A request refused before it is read, said in its user's language."""
    return error_page(request, status, lambda: t(key, **values), api=api)


def error_page(request: Request, status: int, say: Callable[[], str], *,
               api: bool = False, headers: dict[str, str] | None = None) -> Response:
    """A request answered with an error outside `answer` (refused before it is read, no
    such page, a method the page does not take): a page in its user's language with the
    way back home, or the API's JSON error."""
    try:
        user = _session_user(request)
    except FollowupError:   # the ledger unavailable: the browser's pick, else Chinese
        user = None
    with speaking(choose_lang(request, user)):
        text = say()
        if api or request.url.path.startswith("/api/"):
            return JSONResponse({"error": text}, status, headers=headers)
        web: Web = request.app.state.web
        page = web.env.get_template("error.html").render(
            user=user, csrf=user["csrf"] if user else "", lang=current(), langs=LANGS,
            message=text, back="/")
    return HTMLResponse(page, status, headers=headers)


async def no_such_page(request: Request, exc: Exception) -> Response:
    """404 and 405 (Starlette's), as the workspace's own error page."""
    status = int(getattr(exc, "status_code", 404))
    say = (lambda: t("this page does not take that request (method not allowed)")) \
        if status == 405 else (lambda: t("there is no such page"))
    return await run_in_threadpool(error_page, request, status, say,
                                   headers=getattr(exc, "headers", None))


def answer(request: Request, handler: Handler, data: dict[str, Any], role: str | None,
           api: bool) -> Response:
    try:
        return _answer(request, handler, data, role, api)
    except FollowupError as e:   # the ledger itself: gone, damaged, full, busy too long
        log.error("ledger unavailable on %s %s", request.method, logged_path(request.scope))
        text = str(e)
        return error_page(request, 503, lambda: text, api=api)


def _answer(request: Request, handler: Handler, data: dict[str, Any], role: str | None,
            api: bool) -> Response:
    web: Web = request.app.state.web
    with web.ledger() as conn:
        token = request.cookies.get(COOKIE, "")
        from followup_cli.users import session_of

        user = session_of(conn, token, clock.now()) if token else None
        with speaking(choose_lang(request, user)):
            ctx = Ctx(request, web, conn, user, data)
            if role is not None:
                if user is None:
                    if api:
                        return JSONResponse({"error": t("sign in first")}, 401)
                    return RedirectResponse("/login", 303)
                if role == "supervisor" and user["role"] != "supervisor":
                    return error(ctx, 403, t("only a supervisor can do this"))
                if request.method == "POST":
                    sent = request.headers.get("x-csrf-token") or str(data.get("csrf", ""))
                    if not secrets.compare_digest(sent.encode(), str(user["csrf"]).encode()):
                        return error(ctx, 403,
                                     t("the page is stale or not ours (no valid CSRF token): "
                                       "reload it and try again"))
            try:
                return handler(ctx)
            except NotFound as e:   # the page's address names nothing
                return error(ctx, 404, str(e))
            except FollowupError as e:   # the library's messages name no personal data
                return error(ctx, 400, str(e))


def error(ctx: Ctx, status: int, message: str) -> Response:
    if ctx.request.url.path.startswith("/api/"):
        return JSONResponse({"error": field_words(message, api=True)}, status)
    return ctx.render("error.html", status, message=message)


# --- sign-in, sign-out, language ------------------------------------------------------

def login_page(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return RedirectResponse("/", 303)
    chosen = ctx.request.query_params.get("lang") in LANGS   # picked here, by the link
    page = ctx.render("login.html", chosen=chosen)
    return keep_lang(page, current(), ctx.web) if chosen else page


def login(ctx: Ctx) -> Response:
    from followup_cli.users import authenticate, start_session

    name, password = str(ctx.data.get("username", "")), str(ctx.data.get("password", ""))
    address = ctx.request.client.host if ctx.request.client else "-"
    from followup_cli.users import account_stamp

    account = account_stamp(ctx.conn, name)
    # a script (JSON sent, or asked for) is answered JSON, a browser the sign-in page
    wants_json = (content_type(ctx.request) == "application/json"
                  or "application/json" in ctx.request.headers.get("accept", ""))

    def refuse(status: int, message: str, **headers: str) -> Response:
        if wants_json:
            return JSONResponse({"error": message}, status, headers=headers)
        page = ctx.render("login.html", status, message=message)
        page.headers.update(headers)
        return page

    wait = ctx.web.throttle.wait(name, address, account)
    if wait:
        return refuse(429, tn("too many failed sign-ins: try again in {count} minute",
                              "too many failed sign-ins: try again in {count} minutes",
                              -(-wait // 60)), **{"Retry-After": str(wait)})
    user = authenticate(ctx.conn, name, password)
    if user is None:
        ctx.web.throttle.failed(name, address, account)
        log.info("sign-in refused from %s", address)
        return refuse(401, t("wrong user name or password"))
    ctx.web.throttle.passed(name, address)
    from followup_cli.users import end_session

    old = ctx.request.cookies.get(COOKIE)
    if old:   # a new sign-in never keeps a session someone else may have set
        end_session(ctx.conn, old)
    token = start_session(ctx.conn, user["username"], clock.now())
    lang = user["lang"]
    chosen = str(ctx.data.get("lang", ""))   # a language picked on this sign-in page, now
    picked = chosen if chosen in LANGS else ctx.request.cookies.get(LANG_COOKIE)
    if picked in LANGS and (chosen in LANGS or lang not in LANGS):
        # what the user just chose wins over what they chose before; a browser's earlier
        # pick only stands in for a choice never made
        from followup_cli.users import set_lang

        set_lang(ctx.conn, user["username"], picked)
        lang = picked
    lang = lang if lang in LANGS else (picked if picked in LANGS else current())
    if wants_json:   # a script: who it is signed in as, and the token its writes send
        from followup_cli.users import session_of

        session = session_of(ctx.conn, token, clock.now())
        assert session is not None
        answer: Response = JSONResponse({"user": user["username"], "role": user["role"],
                                         "csrf": session["csrf"], "lang": lang})
    else:
        answer = RedirectResponse("/", 303)
    response = keep_lang(answer, lang, ctx.web)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=ctx.web.secure,
                        path="/")
    return response


def logout(ctx: Ctx) -> Response:
    from followup_cli.users import end_session

    end_session(ctx.conn, ctx.request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=ctx.web.secure)
    return response


def choose_language(ctx: Ctx) -> Response:
    from followup_cli.users import set_lang

    lang = str(ctx.data.get("lang", ""))
    set_lang(ctx.conn, ctx.name, lang)
    return keep_lang(RedirectResponse("/", 303), lang, ctx.web)


def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def no_icon(request: Request) -> Response:
    return Response(status_code=204)   # browsers ask for one; there is none to fetch


# --- the JSON API ---------------------------------------------------------------------

def api_session(ctx: Ctx) -> Response:
    assert ctx.user is not None
    return JSONResponse({"username": ctx.name, "role": ctx.user["role"],
                         "csrf": ctx.user["csrf"], "lang": current()})


def the_date(value: str | None) -> date:
    return clock.parse_day(value, option("date")) if value else clock.today()


def sheet_records(ctx: Ctx, day: date, *, detailed: bool = False) -> Any:
    """The call sheet of `day` as `due` makes it: an agent's share (and what nobody was
    given); a supervisor's whole sheet, or one agent's with ?agent=."""
    from followup_cli.sheet import call_sheet

    assert ctx.user is not None
    agent = ctx.name if ctx.user["role"] == "agent" else (
        ctx.request.query_params.get("agent") or None)
    web = ctx.web
    return call_sheet(ctx.conn, web.rules, web.cal, day, clock.now(), agent=agent,
                      scripts=web.scripts if detailed else None, clinic=web.clinic,
                      caller=ctx.name)


def api_sheet(ctx: Ctx) -> Response:
    from followup_cli.sheet import sheet_record

    sheet = sheet_records(ctx, the_date(ctx.request.query_params.get("date")))
    return JSONResponse([sheet_record(r) for r in sheet.records])


CALL_FIELDS = {"task_id": int, "patient_id": str, "outcome": str, "note": str,
               "satisfaction": int, "nps": int, "at": str, "complaint_category": str,
               "severity": str, "signs": list, "sign": list, "booked": str}


def json_fields(data: dict[str, Any], fields: Mapping[str, type]) -> None:
    """A JSON call's fields: each one of `fields`, of its JSON type (a number a number, not
    "7"; text text), or a message naming the field (never echoing what was sent)."""
    for key, value in data.items():
        kind = fields.get(key)
        if kind is None and key != "csrf":
            raise FollowupError(t("unknown field {field}", field=key[:40]))
        if value is None:
            continue
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise FollowupError(t("{field} must be a whole number", field=key))
        if kind is list and not (isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(i, str) for i in value))):
            raise FollowupError(t("{field} must be text", field=key))
        if kind in (str, None) and not isinstance(value, str):
            raise FollowupError(t("{field} must be text", field=key))


def call_options(data: dict[str, Any]) -> dict[str, Any]:
    """The `log` options of a JSON call or a form: each of the type `log` reads, or a
    message naming the field (never echoing a note)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "csrf":
            continue
        kind = CALL_FIELDS.get(key)
        if kind is None:
            raise FollowupError(t("unknown field {field}", field=key[:40]))
        if value is None or value == "":
            continue
        if kind is list:   # warning signs: ids or Chinese words, one or a list
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, str) for item in items):
                raise FollowupError(t("{field} must be text", field=option(key)))
            out["signs"] = [*out.get("signs", []), *(i for i in items if i.strip())]
        elif kind is int:
            number = whole_number(value)
            if number is None:
                raise FollowupError(t("{field} must be a whole number", field=option(key)))
            out[key] = number
        elif not isinstance(value, str):
            raise FollowupError(t("{field} must be text", field=option(key)))
        else:
            out[key] = value
    return out


class IdConvertor(Convertor[int]):
    """A row id in a page's address: ASCII digits, at most 18 of them (always within
    SQLite's 64-bit integers); a longer one matches no page and is answered 404, never
    handed to SQLite (OverflowError) or to int() (a 20,000-digit ValueError)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


def an_id(value: str | None) -> int | None:
    """A row id a query string carries (?saved=, ?alert=): as IdConvertor reads a path's."""
    import re

    return int(value) if value and re.fullmatch(IdConvertor.regex, value) else None


def whole_number(value: Any) -> int | None:
    """An int as JSON or a form sends it ("7" or 7), within SQLite's range; else None."""
    import re

    # ASCII digits only: "²" is a digit to str.isdigit, and int("²") raises
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,19}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -2**63 <= value < 2**63 else None


def log_from(ctx: Ctx, options: dict[str, Any]) -> Any:
    """Log a call as `followup log` does, the signed-in user its agent."""
    from followup_cli.calls import log_call, parse_outcome
    from followup_cli.complaints import SEVERITIES, parse_category, parse_severity
    from followup_cli.labels import label

    if not options.get("outcome"):
        raise FollowupError(t("{field} is required: {choices}", field=option("outcome"),
                              choices=choice_words(ctx, dict(outcomes_said()))))
    if not options.get("task_id") and not options.get("patient_id"):
        raise FollowupError(t("give {task} or {patient} (one of them)", task=option("task_id"),
                              patient=option("patient_id")))
    outcome = chosen(ctx, options["outcome"], parse_outcome, dict(outcomes_said()), "outcome")
    category = chosen(ctx, options.get("complaint_category", "other"), parse_category,
                      categories_said(), "complaint_category")
    severity = chosen(ctx, options.get("severity", "medium"), parse_severity,
                      {k: label("complaint.severity", k) for k in SEVERITIES},
                      "severity")
    now = clock.now()
    at = options.get("at")
    signs, booked = options.get("signs") or (), options.get("booked")
    return log_call(
        ctx.conn, ctx.web.cal, outcome=outcome, when=now, agent=ctx.name,
        task_id=options.get("task_id"), patient_id=options.get("patient_id"),
        note=options.get("note", ""), satisfaction=options.get("satisfaction"),
        nps=options.get("nps"),
        at=clock.parse_datetime(at, option("at")) if at else None,
        logged_at=now, min_note=ctx.web.min_note,
        complaint_category=category, severity=severity,
        signs=signs, booked=booked,
        scripts=ctx.web.scripts if signs else None,
        settings=ctx.web.alert_settings if signs or booked is not None else None)


def outcomes_said() -> list[tuple[str, str]]:
    from followup_cli.calls import OUTCOMES, outcome_label

    return [(o, outcome_label(o)) for o in OUTCOMES]


def categories_said() -> dict[str, str]:
    from followup_cli.complaints import CATEGORIES
    from followup_cli.labels import label

    return {k: label("complaint.category", k) for k in CATEGORIES}


def choice_words(ctx: Ctx, said: dict[str, str]) -> str:
    """The choices of a field: a JSON call's codes, a page's words."""
    if ctx.api:
        return ", ".join(said)
    return ("、" if current() == "zh" else ", ").join(said.values())


def chosen(ctx: Ctx, value: str, parse: Callable[[str], str], said: dict[str, str],
           field: str) -> str:
    """`value` read by the library's `parse` (codes and words in either language); if it
    is none of them, a message naming the field and its choices as the page shows them
    (the CLI's message lists its codes and aliases)."""
    try:
        return parse(value)
    except FollowupError:
        if ctx.api:
            raise
        raise FollowupError(t("{option} {value}: one of {choices}", option=option(field),
                              value=value[:40], choices=choice_words(ctx, said))) from None


def api_calls(ctx: Ctx) -> Response:
    """Log a call (201 with its attempt_id). With an `Idempotency-Key` header, a repeat of
    the key records nothing and is answered 200 with the first call's answer."""
    json_fields(ctx.data, CALL_FIELDS)
    options = call_options(ctx.data)
    key = ctx.request.headers.get("idempotency-key")
    if key is None:
        return JSONResponse(call_answer(log_from(ctx, options)), 201)
    if not key.strip() or len(key) > Once.LONGEST:
        raise FollowupError(t("the Idempotency-Key header must be 1 to {max} characters",
                              max=Once.LONGEST))
    sent = json.dumps(options, sort_keys=True, ensure_ascii=False)
    (body, first_sent), first = ctx.web.once.run(
        ctx.name, key, lambda: (call_answer(log_from(ctx, options)), sent))
    if not first and first_sent != sent:
        return JSONResponse({"error": t("this Idempotency-Key was used for another call "
                                        "(#{id}): a new call needs a new key",
                                        id=body["attempt_id"])}, 422)
    return JSONResponse(body, 201 if first else 200)


def call_answer(result: Any) -> dict[str, Any]:
    return {"attempt_id": result.attempt_id, "patient_id": result.patient_id,
            "outcome": result.outcome, "task_ids": result.task_ids,
            "effect": result.effect, **result.effect_values,
            **({"complaint_id": result.complaint_id} if result.complaint_id else {}),
            "said": result.lines(web=True), "warnings": list(result.warnings)}


def api_report(ctx: Ctx) -> Response:
    from followup_cli.report import month_report

    month = ctx.request.query_params.get("month") or clock.today().strftime("%Y-%m")
    return JSONResponse(month_report(ctx.conn, month, clock.today(), min_note=ctx.web.min_note,
                                     now=clock.now()))


ASSIGN_FIELDS = {"patient_id": str, "agent": str, "date": str}


def api_assign(ctx: Ctx) -> Response:
    """A supervisor moves a patient of a day's sheet (`date`, default today) to an agent
    (`assign --move`)."""
    from followup_cli.assign import move

    json_fields(ctx.data, ASSIGN_FIELDS)
    patient, agent = ctx.data.get("patient_id"), ctx.data.get("agent")
    if not isinstance(patient, str) or not isinstance(agent, str):
        raise FollowupError(t("patient_id and agent are needed"))
    from followup_cli.text import agent_name
    from followup_cli.users import check_accounts

    agent = agent_name(agent, "agent")
    day, today = the_date(ctx.data.get("date")), clock.today()
    if day < today:   # a past day's calls are made: sharing them again changes nothing
        raise FollowupError(t("{option} {value} is before today ({today}): only today's "
                              "sheet or a later one is shared", option=option("date"),
                              value=day.isoformat(), today=today.isoformat()))
    check_accounts(ctx.conn, [agent])
    move(ctx.conn, day, patient, agent, by=ctx.name, now=clock.now())
    return JSONResponse({"patient_id": patient, "agent": agent})


# --- pages ----------------------------------------------------------------------------

def build() -> list[Route | Mount]:
    from followup_cli.web import pages

    return [
        Route("/healthz", healthz),
        Route("/favicon.ico", no_icon),
        route("/login", login_page, role=None),
        route("/login", login, methods=("POST",), role=None),
        route("/logout", logout, methods=("POST",)),
        route("/lang", choose_language, methods=("POST",)),
        route("/", pages.home),
        route("/call/{task_id:id}", pages.card),
        route("/call/{task_id:id}", pages.save_call, methods=("POST",)),
        route("/call/{task_id:id}/reveal", pages.reveal, methods=("POST",)),
        route("/call/{task_id:id}/correct/{attempt_id:id}", pages.correct_call,
              methods=("POST",)),
        route("/patients", pages.patients),
        route("/patient/{patient_id}", pages.patient_page),
        route("/audit", pages.audit_page, role="supervisor"),
        route("/report", pages.report_page, role="supervisor"),
        route("/report/chart/{name}.png", pages.report_chart, role="supervisor"),
        route("/sms", pages.sms_page, role="supervisor"),
        route("/sms/export", pages.sms_export, methods=("POST",), role="supervisor"),
        route("/board", pages.board, role="supervisor"),
        route("/board/share", pages.share, methods=("POST",), role="supervisor"),
        route("/board/move", pages.move_patient, methods=("POST",), role="supervisor"),
        route("/board/complaint/{case_id:id}", pages.complaint_step, methods=("POST",),
              role="supervisor"),
        route("/alert/{alert_id:id}", pages.alert_step, methods=("POST",)),
        route("/import", pages.import_page, role="supervisor"),
        upload_route("/import", pages.import_preview),
        route("/import/confirm", pages.import_confirm, methods=("POST",), role="supervisor"),
        route("/api/session", api_session, api=True),
        route("/api/sheet", api_sheet, api=True),
        route("/api/calls", api_calls, methods=("POST",), api=True),
        route("/api/report", api_report, role="supervisor", api=True),
        route("/api/board", pages.api_board, role="supervisor", api=True),
        route("/api/assign", api_assign, methods=("POST",), role="supervisor", api=True),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(clinic: Clinic, *, secure: bool = False, host: str = "127.0.0.1",
               allow_hosts: tuple[str, ...] = ()) -> Guard:
    """The workspace, answering requests sent to `host` (the bound address) or to one of
    `allow_hosts` (HostCheck)."""
    web = Web(clinic, secure=secure)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Uploads left by a server that stopped are removed at start; while serving,
        expired ones every minute; at a clean stop, all."""
        import asyncio

        await run_in_threadpool(web.uploads.clear)

        async def sweep() -> None:
            while True:
                await asyncio.sleep(60)
                await run_in_threadpool(web.uploads.expire)

        sweeping = asyncio.create_task(sweep())
        try:
            yield
        finally:
            sweeping.cancel()
            await run_in_threadpool(web.uploads.clear)

    app = Starlette(routes=build(), lifespan=lifespan,
                    exception_handlers={404: no_such_page, 405: no_such_page})
    app.state.web = web
    return Guard(HostCheck(app, host, allow_hosts))


# uvicorn's own access log is off (it prints query strings); Guard writes one that names
# the method, path and status: a path holds a task number or a patient id at most
LOG_CONFIG: dict[str, Any] = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(message)s"}},
    "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "plain",
                         "stream": "ext://sys.stderr"}},
    "loggers": {"uvicorn": {"handlers": ["err"], "level": "INFO"},
                "uvicorn.access": {"handlers": ["err"], "level": "INFO", "propagate": False},
                "followup.web": {"handlers": ["err"], "level": "INFO"}},
}


def check_tls(cert: Path, key: Path) -> None:
    """The certificate and key `serve --cert/--key` was given: each there and readable, in
    PEM, and one pair; said now, naming the file, before anything claims to be listening."""
    import ssl

    for option, path, marker, what in (
            ("--cert", cert, b"-----BEGIN CERTIFICATE-----", N_("a certificate")),
            ("--key", key, b"PRIVATE KEY-----", N_("a private key"))):
        try:
            head = path.read_bytes()[:1 << 20]
        except OSError as e:
            raise FollowupError(t("{option} {path}: {reason}", option=option, path=path,
                                  reason=e.strerror or type(e).__name__)) from None
        if marker not in head:
            raise FollowupError(t("{option} {path} is not {what} in PEM (are --cert and --key "
                                  "swapped?)", option=option, path=path, what=t(what)))
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, ValueError) as e:
        reason = getattr(e, "reason", None) or type(e).__name__
        raise FollowupError(t("--cert {cert} and --key {key} are not one pair ({reason}): give "
                              "the private key of this certificate", cert=cert, key=key,
                              reason=reason)) from None


def listening_socket(host: str, port: int) -> Any:
    """The server's socket, bound now, so an address in use or unknown is said plainly
    (exit 2) before anything claims to be listening."""
    import socket

    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FollowupError(t("--host {host} is not a valid address: give an IP address of this "
                              "machine, localhost, or 0.0.0.0 for the clinic's network",
                              host=host[:100])) from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family)
        # said to be TCP: the connections it accepts inherit the protocol, and asyncio
        # turns Nagle off (TCP_NODELAY) only on sockets that say so; else every answer
        # sent in two writes waited for the browser's delayed ACK (40 ms on Linux, up to
        # 200 ms on Windows), and 8 agents over HTTP made at most ~160 calls a second
        return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP,
                             fileno=sock.detach())
    except OSError as e:   # in use, no permission, not an address of this machine
        import errno

        reason = (e.strerror or type(e).__name__).split(" (while attempting")[0]
        if e.errno == errno.EADDRINUSE:
            raise FollowupError(t("cannot listen on {address}: {reason} (a port in use: choose "
                                  "another --port)", address=f"{host}:{port}",
                                  reason=reason)) from None
        raise FollowupError(t("cannot listen on {address}: {reason}", address=f"{host}:{port}",
                              reason=reason)) from None


def serve(clinic: Clinic, sock: Any, *, cert: Any = None, key: Any = None,
          host: str = "127.0.0.1", allow_hosts: tuple[str, ...] = ()) -> None:
    """Answer on `sock` (listening_socket, bound to `host`) until stopped."""
    import uvicorn

    config = uvicorn.Config(create_app(clinic, secure=cert is not None, host=host,
                                       allow_hosts=allow_hosts),
                            ssl_certfile=str(cert) if cert else None,
                            ssl_keyfile=str(key) if key else None, log_config=LOG_CONFIG,
                            access_log=False, server_header=False, proxy_headers=False,
                            timeout_graceful_shutdown=10)
    uvicorn.Server(config).run(sockets=[sock])
