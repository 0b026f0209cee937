"""SlackDriver: plays Slack's side of HTTP mode, sending signed requests to a running Bolt app.

Thread-safe and built for load: each thread keeps its own keep-alive HTTP connection.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from .state import micros_to_ts

# Errors meaning a reused keep-alive connection was closed by the server while idle.
_STALE_CONNECTION = (
    http.client.RemoteDisconnected,
    http.client.CannotSendRequest,
    BrokenPipeError,
    ConnectionResetError,
    ConnectionAbortedError,
)


@dataclass
class Response:
    """What the app answered; headers have lower-cased names."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    ts: str | None = None

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body)


class SlackDriver:
    """Signs and POSTs Events API, slash command and interactivity requests."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        team_id: str = "T0HOME",
        api_app_id: str = "A0DESK",
        clock: Callable[[], float] = time.time,
        *,
        bot_user_id: str = "UBOT",
        team_domain: str = "home",
        response_url_base: str = "https://hooks.slack.com/commands",
        ts_factory: Callable[[], str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        split = urlsplit(app_url)
        # Checked on first request, not here: a driver with app_url="" still mints ts values.
        self._host = split.hostname or ""
        self._port = split.port or 80
        self._path = split.path + (f"?{split.query}" if split.query else "")
        self._url_ok = split.scheme == "http" and bool(split.hostname)
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.team_domain = team_domain
        self.response_url_base = response_url_base.rstrip("/")
        self._ts_factory = ts_factory
        self._timeout = timeout
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._ts_micros = 1_763_900_000 * 1_000_000
        self._local = threading.local()
        self._conns: list[http.client.HTTPConnection] = []

    # --- ids and timestamps ----------------------------------------------------------

    def _next_seq(self) -> int:
        with self._lock:
            return next(self._seq)

    def next_ts(self) -> str:
        """A fresh message ts: strictly increasing, 100µs apart unless ts_factory is set."""
        if self._ts_factory is not None:
            return self._ts_factory()
        with self._lock:
            self._ts_micros += 100
            return micros_to_ts(self._ts_micros)

    # --- transport -------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int) -> dict[str, str]:
        """Slack v0 signature headers for a body sent at `timestamp`."""
        base = f"v0:{timestamp}:".encode() + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        if not self._url_ok:
            raise ValueError(f"app_url must be http://host:port/path, got {self.app_url!r}")
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        self._local.conn = conn
        with self._lock:
            self._conns.append(conn)
        return conn, False

    def close_thread_connection(self) -> None:
        """Close this thread's keep-alive connection (call it before a short-lived thread ends)."""
        self._drop_connection()

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> Response:
        """POST bytes with exactly these headers (plus Content-Length); no signing."""
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                conn.request("POST", self._path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except _STALE_CONNECTION:
                self._drop_connection()
                # Only a reused idle connection may have been closed under us; retry once.
                if not reused or attempt == 2:
                    raise
                continue
            except Exception:
                self._drop_connection()
                raise
            if resp.will_close:
                self._drop_connection()
            return Response(
                status=resp.status,
                body=data.decode("utf-8", "replace"),
                headers={k.lower(): v for k, v in resp.getheaders()},
            )
        raise AssertionError("unreachable")

    def _post_signed(self, body: bytes, content_type: str, extra: dict[str, str]) -> Response:
        headers = {"Content-Type": content_type, **self.sign(body, int(self.clock())), **extra}
        return self.post_raw(body, headers)

    @property
    def connection_count(self) -> int:
        """How many keep-alive connections are open (one per thread that sent something)."""
        with self._lock:
            return len(self._conns)

    def close(self) -> None:
        """Close every thread's keep-alive connection."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    # --- Events API ------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        event_time: int | None = None,
        retry_num: int | None = None,
        is_ext_shared_channel: bool = False,
        *,
        retry_reason: str = "http_timeout",
    ) -> Response:
        """Wrap an event in an event_callback envelope and POST it."""
        envelope = {
            "token": "fake-verification-token",
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{self._next_seq():08d}",
            "event_time": event_time if event_time is not None else int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": is_ext_shared_channel,
            "event_context": f"4-fake-{uuid.uuid4().hex[:16]}",
        }
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post_signed(json.dumps(envelope).encode(), "application/json", extra)

    def message(
        self,
        channel: str = "C1",
        user: str = "U1",
        text: str = "hi",
        ts: str | None = None,
        thread_ts: str | None = None,
        team: str | None = "",
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
        bot_id: str | None = None,
        **extra: Any,
    ) -> Response:
        """Send a message event from a human (or a bot, with bot_id); returns Response with .ts.

        team="" (default) means the driver's team_id; team=None leaves team, user_team and
        source_team out of the event, so the app has to look the user up.
        """
        ts = ts or self.next_ts()
        if team == "":
            team = self.team_id
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user, "text": text}
        if bot_id is None:
            event["client_msg_id"] = str(uuid.uuid4())
            if text:
                # Real clients send the text as rich_text too; parsers may read either.
                section = {
                    "type": "rich_text_section",
                    "elements": [{"type": "text", "text": text}],
                }
                event["blocks"] = [{"type": "rich_text", "block_id": "fk1", "elements": [section]}]
        else:
            event["bot_id"] = bot_id
            event["bot_profile"] = {"id": bot_id, "name": "other-bot", "team_id": team or ""}
        if files is not None:
            event["files"] = files
            event["upload"] = False
            subtype = subtype or "file_share"
        if subtype is not None:
            event["subtype"] = subtype
        event["ts"] = ts
        if team is not None:
            event.update(team=team, user_team=team, source_team=team)
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        event.update(event_ts=ts, channel_type="channel")
        event.update(extra)
        resp = self.event(event)
        resp.ts = ts
        return resp

    def channel_sharing(self, channel: str, team: str, *, shared: bool) -> Response:
        """Send `channel_shared` (another organization joined) or `channel_unshared`."""
        event: dict[str, Any] = {"type": "channel_shared", "connected_team_id": team}
        if not shared:  # the keys of Slack's own samples (../shared/slack/events/)
            event = {"type": "channel_unshared", "previously_connected_team_id": team}
            event["is_ext_shared"] = False
        event.update(channel=channel, event_ts=self.next_ts())
        return self.event(event, is_ext_shared_channel=shared)

    # --- slash commands and interactivity --------------------------------------------

    def new_response_url(self, kind: str = "act") -> str:
        """A fresh response_url under response_url_base (to know it before sending)."""
        return self._response_url(kind)

    def _response_url(self, kind: str) -> str:
        n = self._next_seq()
        return f"{self.response_url_base}/{self.team_id}/{kind}{n}/{uuid.uuid4().hex[:24]}"

    def _trigger_id(self) -> str:
        return f"{self._next_seq()}.{int(self.clock())}.{uuid.uuid4().hex}"

    def command(
        self,
        command: str,
        text: str = "",
        user: str = "U1",
        channel: str = "C1",
        user_name: str | None = None,
        *,
        channel_name: str | None = None,
        response_url: str | None = None,
    ) -> Response:
        """Send a slash command invocation, form-encoded like Slack does."""
        fields = {
            "token": "fake-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": channel_name or channel.lower(),
            "user_id": user,
            "user_name": user_name or user.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or self._response_url("cmd"),
            "trigger_id": self._trigger_id(),
        }
        body = urlencode(fields).encode()
        return self._post_signed(body, "application/x-www-form-urlencoded", {})

    def action(self, payload: dict[str, Any]) -> Response:
        """Send an interactivity payload (block_actions, view_submission, ...) as given."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._post_signed(body, "application/x-www-form-urlencoded", {})

    def block_action_payload(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user: str = "U1",
        channel: str = "C1",
        message_ts: str | None = None,
        block_id: str = "fk-actions",
        message: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        action_type: str = "button",
    ) -> dict[str, Any]:
        """Build a block_actions payload for a click on a message button."""
        message_ts = message_ts or self.next_ts()
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": f"{self.clock():.6f}",
        }
        if value is not None:
            action["value"] = value
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        if thread_ts is not None:
            container["thread_ts"] = thread_ts
        return {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": user.lower(),
                "name": user.lower(),
                "team_id": self.team_id,
            },
            "api_app_id": self.api_app_id,
            "token": "fake-verification-token",
            "container": container,
            "trigger_id": self._trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel.lower()},
            "message": message
            or {"type": "message", "ts": message_ts, "text": "", "user": self.bot_user_id},
            "state": {"values": {}},
            "response_url": self._response_url("act"),
            "actions": [action],
        }

    def block_action(self, action_id: str, value: str | None = None, **kwargs: Any) -> Response:
        """Send a block_actions click built by block_action_payload."""
        return self.action(self.block_action_payload(action_id, value, **kwargs))
