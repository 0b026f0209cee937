"""FakeSlack: a stateful fake of the Slack Web API (plus Socket Mode) for tests.

Point `slack_sdk.WebClient(base_url=fake.api_url)` at it. Every HTTP attempt is recorded in
`fake.calls`; anything a real Slack would reject as a client bug (unknown method, missing
argument, broken Block Kit limit, wrong token) also lands in `fake.errors`, which tests
should assert is empty.
"""

from __future__ import annotations

import copy
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .api_chat import CHAT_METHODS
from .api_files import FileStore, file_methods
from .api_info import INFO_METHODS
from .apiargs import APP_TOKEN_METHODS, Handler, token_error
from .blockkit import validate_blocks
from .faults import FaultInjection
from .httpserver import HTTPServer, parse_args
from .openid import CLIENT_ID, CLIENT_SECRET, OPENID_METHODS, OpenIdProvider
from .readers import StateReaders
from .socketmode import SocketModeControls, SocketModeServer
from .state import ApiError, Call, Workspace


class FakeSlack(SocketModeControls, FaultInjection, StateReaders):
    """A fake Slack workspace serving the Web API over HTTP and Socket Mode over ws://."""

    def __init__(
        self,
        team_id: str = "T0HOME",
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_domain: str = "home",
        *,
        app_id: str = "A0DESK",
        team_name: str = "Home",
        bot_name: str = "deskbot",
        now: Callable[[], float] | None = None,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        self.team_id = team_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._ws = Workspace(
            team_id=team_id,
            team_domain=team_domain,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            now=now,
        )
        self._ws.add_user(bot_user_id, bot_name, is_bot=True)
        # Sign in with Slack for the app's web pages (the dashboard).
        self.openid = OpenIdProvider(
            self._ws,
            client_id=client_id,
            client_secret=client_secret,
            now=now or time.time,
            issuer=lambda: self.base_url,
        )
        self._methods: dict[str, Handler] = {**CHAT_METHODS, **INFO_METHODS}
        self._files = FileStore()
        self._methods.update(file_methods(self._files, lambda: self.base_url))
        self._cond = threading.Condition()  # guards the records below; notified on each
        self._calls: list[Call] = []
        self._errors: list[str] = []
        self._responded: list[dict[str, Any]] = []
        self._init_faults()
        self._touches = 0  # changes made by people (see `revision`)
        self._response_hooks: dict[str, Callable[[dict[str, Any]], None]] = {}
        # Serves every path outside /api/ and /respond/ when set (the demo's web client).
        self.ui: Any = None
        self._socket = SocketModeServer(app_id=app_id, on_error=self._record_error)
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(
        self, *, port: int = 0, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> FakeSlack:
        """Start the HTTP (HTTPS with `tls`) and websocket servers on `host`; returns self."""
        self._httpd = HTTPServer(self, port, tls=tls, host=host)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeslack-http",
            daemon=True,
        )
        self._thread.start()
        self._socket.start()
        return self

    def stop(self) -> None:
        """Stop both servers (HTTP first, so a client cannot fetch a new ws URL meanwhile)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._socket.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://HOST:PORT, or https:// when started with TLS (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("FakeSlack is not started")
        scheme = "https" if self._httpd.tls else "http"
        host, port = self._httpd.server_address[:2]  # bound to every interface: ask locally
        return f"{scheme}://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"

    @property
    def connections_accepted(self) -> int:
        """HTTP connections accepted since start (a keep-alive client makes few)."""
        return self._httpd.accepted if self._httpd is not None else 0

    def close_idle_connections(self, settle: float = 1.0) -> int:
        """Close connections kept alive between requests (an idle timeout); returns how many.

        Requests being answered get up to `settle` seconds to finish first.
        """
        if self._httpd is None:
            return 0
        return self._httpd.close_connections(idle_only=True, settle=settle)

    @property
    def api_url(self) -> str:
        """The base_url to give slack_sdk.WebClient, ending in /api/."""
        return f"{self.base_url}/api/"

    @property
    def response_url_base(self) -> str:
        """Prefix for response_url values whose POSTs land in fake.responded."""
        return f"{self.base_url}/respond"

    # --- directory setup -------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_ext_shared: bool = False,
        is_private: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a channel; extra keys override fields of the conversations.info object."""
        with self._ws.lock:
            return copy.deepcopy(
                self._ws.add_channel(
                    channel_id, name, is_ext_shared=is_ext_shared, is_private=is_private, **extra
                )
            )

    def add_user(
        self,
        user_id: str,
        name: str,
        team_id: str | None = None,
        is_bot: bool = False,
        real_name: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Register a user (team_id defaults to the home team) for users.info."""
        with self._ws.lock:
            return copy.deepcopy(
                self._ws.add_user(
                    user_id, name, team_id=team_id, is_bot=is_bot, real_name=real_name, **extra
                )
            )

    def add_team(self, team_id: str, name: str, domain: str | None = None) -> None:
        """Register another organization (a Slack Connect partner) for team.info."""
        with self._ws.lock:
            self._ws.teams[team_id] = {"id": team_id, "name": name, "domain": domain or name}

    def add_usergroup(self, group_id: str, handle: str, users: list[str], **extra: Any) -> None:
        """Register (or rename) a user group for usergroups.list and usergroups.users.list."""
        with self._ws.lock:
            self._ws.add_usergroup(group_id, handle, users, **extra)

    def seed_message(
        self,
        channel: str,
        ts: str,
        user: str,
        text: str,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Put a human message into the channel history (for conversations.replies)."""
        with self._ws.lock:
            return copy.deepcopy(self._ws.seed_message(channel, ts, user, text, thread_ts, **extra))

    def next_ts(self) -> str:
        """A fresh ts from the fake's clock (share it with SlackDriver for one timeline)."""
        return self._ws.clock.next()

    @property
    def workspace(self) -> Workspace:
        """The live workspace state (hold `workspace.lock` while reading or changing it)."""
        return self._ws

    # --- records -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Snapshot of every HTTP attempt, in arrival order (failed ones included)."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Successful (HTTP 200, ok true) calls of one method."""
        return [c for c in self.calls if c.method == method and c.ok]

    @property
    def errors(self) -> list[str]:
        """Client bugs seen so far, each naming the method and the broken rule."""
        with self._cond:
            return list(self._errors)

    @property
    def responded(self) -> list[dict[str, Any]]:
        """Bodies POSTed to response_url values under response_url_base, with their url."""
        with self._cond:
            return copy.deepcopy(self._responded)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5) -> bool:
        """Wait until `predicate()` is true (checked on each record and every 50 ms)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Short slices so predicates over state outside the fake are noticed too.
                self._cond.wait(min(remaining, 0.05))
            return True

    def wait_calls(self, method: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Wait until `count` successful calls of `method` exist; return them (maybe fewer)."""
        self.wait_for(lambda: len(self.calls_to(method)) >= count, timeout)
        return self.calls_to(method)

    @property
    def revision(self) -> int:
        """A number that changes with every API call and every change made by a person."""
        with self._cond:
            return self._revision_now()

    def _revision_now(self) -> int:
        return len(self._calls) + len(self._responded) + self._touches

    def touch(self) -> None:
        """Note a change made outside the Web API (a person posted, reacted, clicked)."""
        with self._cond:
            self._touches += 1
            self._cond.notify_all()

    def wait_revision(self, after: int, timeout: float) -> int:
        """Wait until the revision differs from `after` (or the timeout); return it."""
        with self._cond:
            self._cond.wait_for(lambda: self._revision_now() != after, timeout)
            return self._revision_now()

    def on_response(self, url: str, hook: Callable[[dict[str, Any]], None]) -> None:
        """Call `hook(body)` when the app POSTs to this response_url (after recording it)."""
        with self._cond:
            self._response_hooks[urlsplit(url).path] = hook

    def reset(self) -> None:
        """Forget calls, errors, messages, reactions, views, acks and faults; keep the directory."""
        with self._cond:
            self._calls.clear()
            self._errors.clear()
            self._responded.clear()
            self._reset_faults()
            self._response_hooks.clear()
        self._files.clear()
        self.openid.reset()
        with self._ws.lock:
            self._ws.clear_activity()
        self._socket.reset()

    # --- request handling (called from server threads) ------------------------------

    def _record_error(self, message: str) -> None:
        with self._cond:
            self._errors.append(message)
            self._cond.notify_all()

    def _run_method(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": self._socket.issue_url()}
        handler = self._methods.get(method)
        if handler is None:
            raise ApiError("unknown_method", "unknown method", req_method=method)
        with self._ws.lock:
            return handler(self._ws, args)

    def serve_api(
        self, method: str, query: str, body: bytes, ctype: str, token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one Web API request and record it; returns (status, headers, json)."""
        status, headers = 200, {}
        args: dict[str, Any] = {}
        try:
            args = parse_args(query, body, ctype)
            token = token or args.get("token")
            args.pop("token", None)  # never keep secrets in fake.calls
            fault = self._take_fault(method)
            if fault is not None:
                status, retry_after = fault
                if status == 429:
                    headers["Retry-After"] = str(retry_after)
                    response: dict[str, Any] = {"ok": False, "error": "ratelimited"}
                else:
                    response = {"ok": False, "error": "internal_error"}
            elif method in OPENID_METHODS:  # client credentials or a user token, not the bot's
                response = self.openid.serve(method, args, token)
            else:
                if method not in self._methods and method not in APP_TOKEN_METHODS:
                    raise ApiError("unknown_method", "unknown method", req_method=method)
                auth_error = token_error(method, token, bot=self.bot_token, app=self.app_token)
                if auth_error is not None:
                    raise auth_error
                response = self._run_method(method, args)
        except ApiError as exc:
            response = {"ok": False, "error": exc.error, **exc.extra}
            for violation in exc.violations:
                self._record_error(f"{method}: {violation}")
        except ValueError as exc:
            response = {"ok": False, "error": "invalid_form_data"}
            self._record_error(f"{method}: unreadable request body: {exc}")
        with self._cond:
            self._calls.append(Call(method, args, status, copy.deepcopy(response)))
            self._cond.notify_all()
        return status, headers, response

    def serve_upload(self, path: str, body: bytes) -> tuple[int, str]:
        """Accept the bytes POSTed to an upload URL from files.getUploadURLExternal."""
        problem = self._files.receive(path.rsplit("/", 1)[-1], body)
        if problem is not None:
            self._record_error(f"upload: {problem}")
            return 404 if "unknown" in problem else 400, problem
        with self._cond:
            self._cond.notify_all()
        return 200, "OK - " + str(len(body))

    def serve_response_url(self, url: str, body: bytes, ctype: str) -> tuple[int, str]:
        """Accept a response_url POST (as Bolt's respond() sends) and validate its blocks."""
        try:
            payload = parse_args("", body, ctype or "application/json")
        except ValueError as exc:
            self._record_error(f"response_url: unreadable body: {exc}")
            return 400, "invalid_payload"
        problems = validate_blocks(payload["blocks"]) if "blocks" in payload else []
        for problem in problems:
            self._record_error(f"response_url: {problem}")
        with self._cond:
            self._responded.append({"url": url, "body": payload})
            hook = None if problems else self._response_hooks.get(urlsplit(url).path)
            self._cond.notify_all()
        if hook is not None:
            hook(payload)
            self.touch()
        return (400, "invalid_blocks") if problems else (200, "ok")
