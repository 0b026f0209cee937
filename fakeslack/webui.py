"""A browser client for the fake workspace: static page, JSON views of the state, live updates.

Served by the fake's own HTTP server (set `fake.ui = WebUI(...)`) on every path outside
/api/ and /respond/. The page (fakeslack/web/) is plain HTML/CSS/JS. It reads the state
through GET /client/* and acts through POST /client/* (Humans does the Slack side), and
learns about changes over Server-Sent Events (GET /client/stream).
"""

from __future__ import annotations

import copy
import json
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from .humans import Humans, Target
from .interactions import close_modal, message_shortcut, open_modal, submit_modal
from .state import ApiError, ts_to_micros

if TYPE_CHECKING:
    from .server import FakeSlack

logger = logging.getLogger(__name__)

_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
HEARTBEAT_SECONDS = 10.0


class _Replier(Protocol):
    def reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None: ...


@dataclass
class Directory:
    """What the page shows about people: display names of organizations, roles to pick."""

    team_names: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)  # user id -> "customer", "agent"...
    default_user: str | None = None
    title: str = "Slack"
    # The clock the workspace runs on (epoch seconds) and how fast it runs, when it is not
    # the wall clock (the demo's accelerated time): the page shows it.
    now: Callable[[], float] | None = None
    speed: Callable[[], float] | None = None
    # The app's message shortcuts (callback id -> name), offered in each message's menu.
    shortcuts: dict[str, str] = field(default_factory=dict)
    # The port of the app's web dashboard on this host, linked from the sidebar when set.
    dashboard_port: int | None = None


class WebUI:
    """Routes the page's requests to the fake's state and to Humans."""

    def __init__(self, fake: FakeSlack, humans: Humans, directory: Directory) -> None:
        self.fake = fake
        self.humans = humans
        self.directory = directory
        self.ws = fake.workspace
        self.closed = False
        self._get = {
            "/client/workspace": self._workspace,
            "/client/channel": self._channel,
            "/client/home": self._home,
            "/client/clock": self._clock,
            "/client/modal": lambda params: {"view": open_modal(self.humans, params["user"])},
        }
        self._post = {
            "/client/post": self._do_post,
            "/client/react": self._do_react,
            "/client/action": self._do_action,
            "/client/home": self._do_home,
            "/client/modal/submit": self._do_submit,
            "/client/modal/close": self._do_close,
            "/client/shortcut": self._do_shortcut,
        }

    # --- dispatch --------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler, path: str, query: str, body: bytes) -> None:
        """Answer one request of the page."""
        replier: _Replier = handler  # type: ignore[assignment]
        params = dict(parse_qsl(query))
        try:
            if handler.command == "GET" and path == "/client/stream":
                self._stream(handler, params)
            elif handler.command == "GET" and path.startswith("/files/"):
                self._file(replier, path.removeprefix("/files/"))
            elif handler.command == "GET" and path in self._get:
                self._json(replier, 200, self._get[path](params))
            elif handler.command == "POST" and path in self._post:
                args = json.loads(body or b"{}")
                self._json(replier, 200, self._post[path](args) or {"ok": True})
            elif handler.command == "GET":
                self._static(replier, path)
            else:
                self._json(replier, 404, {"ok": False, "error": "not_found"})
        except ApiError as error:
            self._json(replier, 400, {"ok": False, "error": error.error, "why": error.violations})
        except (ValueError, KeyError, TypeError) as error:
            self._json(replier, 400, {"ok": False, "error": "bad_request", "why": [str(error)]})

    def _json(self, replier: _Replier, status: int, data: Any) -> None:
        replier.reply(
            status, {"Cache-Control": "no-store"}, json.dumps(data).encode(), "application/json"
        )

    def _static(self, replier: _Replier, path: str) -> None:
        name = "index.html" if path in ("/", "/index.html") else path.removeprefix("/static/")
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in _TYPES:
            replier.reply(404, {}, b"not found", "text/plain")
            return
        resource = resources.files("fakeslack").joinpath("web", name)
        if not resource.is_file():
            replier.reply(404, {}, b"not found", "text/plain")
            return
        replier.reply(200, {"Cache-Control": "no-cache"}, resource.read_bytes(), _TYPES[suffix])

    def _file(self, replier: _Replier, file_id: str) -> None:
        """The bytes of a shared file, for the page's file shares (e.g. uploaded charts).

        Messages sharing a file should point their `url_private` at `/files/<id>`; the
        bytes come from the fake's file store (`fake.files`, where uploads are kept).
        """
        shared = getattr(self.fake, "files", None) or []
        found = next((f for f in shared if getattr(f, "id", None) == file_id), None)
        content = getattr(found, "content", None)
        if found is None or content is None:
            replier.reply(404, {}, b"no such file", "text/plain")
            return
        name = str(getattr(found, "filename", "") or "")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        replier.reply(200, {"Cache-Control": "max-age=3600"}, bytes(content), kind)

    # --- reading ---------------------------------------------------------------------

    def _workspace(self, params: dict[str, str]) -> dict[str, Any]:
        with self.ws.lock:
            users = [
                {
                    "id": u["id"],
                    "name": u["name"],
                    "real_name": u["real_name"],
                    "team_id": u["team_id"],
                    "team_name": self.directory.team_names.get(u["team_id"], u["team_id"]),
                    "external": u["team_id"] != self.ws.team_id,
                    "is_bot": u["is_bot"],
                    "role": self.directory.roles.get(u["id"], "bot" if u["is_bot"] else ""),
                }
                for u in self.ws.users.values()
            ]
            channels = [
                {
                    "id": c["id"],
                    "name": c["name"],
                    "is_ext_shared": c["is_ext_shared"],
                    "is_private": c["is_private"],
                    "topic": c["topic"]["value"],
                }
                for c in self.ws.channels.values()
                if not c["is_im"]
            ]
            bot = self.ws.users.get(self.ws.bot_user_id, {})
        return {
            "title": self.directory.title,
            "team": {
                "id": self.ws.team_id,
                "name": self.ws.team_name,
                "domain": self.ws.team_domain,
            },
            "bot": {"id": self.ws.bot_user_id, "name": bot.get("name", "app")},
            "users": users,
            "channels": channels,
            "commands": sorted(self.humans.commands),
            "shortcuts": [
                {"callback_id": k, "name": v} for k, v in self.directory.shortcuts.items()
            ],
            "default_user": self.directory.default_user,
            "dashboard_port": self.directory.dashboard_port,
            "revision": self.fake.revision,
        }

    def _channel(self, params: dict[str, str]) -> dict[str, Any]:
        """A channel's messages (threads included) and the ephemerals `user` may see."""
        user = params["user"]
        channel = params["channel"]
        with self.ws.lock:
            if channel == "app":
                channel = self.ws.open_dm(user)
            if channel not in self.ws.channels:
                raise ApiError("channel_not_found", f"no channel {channel!r}")
            if not self._may_read(user, channel):
                raise ApiError("not_in_channel", f"{user} cannot read {channel}")
            messages = sorted(
                self.ws.messages.get(channel, {}).values(), key=lambda m: _order(m["ts"])
            )
            ephemerals = [
                e for e in self.ws.ephemerals if e["channel"] == channel and e["user"] == user
            ]
            return {
                "channel": channel,
                "messages": copy.deepcopy(messages),
                "ephemerals": copy.deepcopy(ephemerals),
                "revision": self.fake.revision,
            }

    def _clock(self, params: dict[str, str]) -> dict[str, Any]:
        """The workspace's time, for pages that show an accelerated clock."""
        if self.directory.now is None:
            return {"now": None, "speed": 1.0}
        speed = self.directory.speed() if self.directory.speed else 1.0
        return {"now": self.directory.now(), "speed": speed}

    def _home(self, params: dict[str, str]) -> dict[str, Any]:
        with self.ws.lock:
            return {"view": copy.deepcopy(self.ws.home_views.get(params["user"]))}

    def _may_read(self, user: str, channel: str) -> bool:
        """People from another organization see only channels shared with them."""
        info = self.ws.channels[channel]
        if info["is_im"]:
            return info.get("user") == user
        person = self.ws.users.get(user)
        if person is None:
            return False
        return person["team_id"] == self.ws.team_id or bool(info["is_ext_shared"])

    # --- acting ----------------------------------------------------------------------

    def _check_may_read(self, user: str, channel: str) -> str:
        with self.ws.lock:
            channel_id = self.ws.open_dm(user) if channel == "app" else channel
            if channel_id not in self.ws.channels or not self._may_read(user, channel_id):
                raise ApiError("not_in_channel", f"{user} cannot write in {channel}")
            return channel_id

    def _do_post(self, args: dict[str, Any]) -> dict[str, Any]:
        user, text = str(args["user"]), str(args.get("text") or "").strip()
        channel = self._check_may_read(user, str(args["channel"]))
        if not text:
            raise ApiError("no_text", "nothing to send")
        if text.startswith("/"):
            shown = self.humans.command(user, channel, text)
            return {"ok": True, "command": True, "shown": shown}
        message = self.humans.post(user, channel, text, args.get("thread_ts") or None)
        return {"ok": True, "ts": message["ts"]}

    def _do_react(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args["user"])
        channel = self._check_may_read(user, str(args["channel"]))
        added = self.humans.react(user, channel, str(args["ts"]), str(args["name"]))
        return {"ok": True, "added": added}

    def _do_action(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args["user"])
        if args.get("view_id"):
            target = Target(view_id=str(args["view_id"]))
        else:
            channel = self._check_may_read(user, str(args["channel"]))
            target = Target(
                channel=channel, ts=str(args["ts"]), ephemeral=bool(args.get("ephemeral"))
            )
        status = self.humans.press(
            user,
            target,
            block_id=str(args["block_id"]),
            action_id=str(args["action_id"]),
            value=args.get("value"),
        )
        return {"ok": status == 200, "status": status}

    def _do_home(self, args: dict[str, Any]) -> dict[str, Any]:
        self.humans.open_home(str(args["user"]))
        return {"ok": True}

    def _do_submit(self, args: dict[str, Any]) -> dict[str, Any]:
        values = args.get("values") or {}
        return submit_modal(self.humans, str(args["user"]), str(args["view_id"]), values)

    def _do_close(self, args: dict[str, Any]) -> dict[str, Any]:
        close_modal(self.humans, str(args["user"]), str(args["view_id"]))
        return {"ok": True}

    def _do_shortcut(self, args: dict[str, Any]) -> dict[str, Any]:
        user, callback_id = str(args["user"]), str(args["callback_id"])
        channel = self._check_may_read(user, str(args["channel"]))
        if callback_id not in self.directory.shortcuts:
            raise ApiError("not_found", f"no message shortcut {callback_id!r}")
        status = message_shortcut(self.humans, user, channel, str(args["ts"]), callback_id)
        return {"ok": status == 200, "status": status}

    # --- live updates ----------------------------------------------------------------

    def _stream(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        """Server-Sent Events: one `data: <revision>` line whenever the state changes."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.close_connection = True
        last = -1
        try:
            while not self.closed:
                revision = self.fake.wait_revision(last, HEARTBEAT_SECONDS)
                if revision != last:
                    handler.wfile.write(f"data: {revision}\n\n".encode())
                    last = revision
                else:
                    handler.wfile.write(b": still here\n\n")
                handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the page went away


def _order(ts: str) -> int:
    return ts_to_micros(ts) or 0
