"""Fake Socket Mode endpoint: a websockets sync server that pushes envelopes and collects acks."""

from __future__ import annotations

import itertools
import json
import logging
import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

ENVELOPE_TYPES = ("events_api", "slash_commands", "interactive")


class SocketModeServer:
    """Accepts Socket Mode clients holding a ticket from apps.connections.open."""

    def __init__(self, *, app_id: str, on_error: Callable[[str], None]) -> None:
        self._app_id = app_id
        self._on_error = on_error
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._conns: list[ServerConnection] = []
        self._hellos = 0  # connections that ever completed the handshake
        self._retiring: list[ServerConnection] = []  # told to disconnect, awaiting successor
        self._pushed: set[str] = set()
        self._acks: dict[str, dict[str, Any]] = {}
        self._seq = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> None:
        """Listen on 127.0.0.1 with an ephemeral port in a daemon thread."""
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            # The builtin slack_sdk client offers no extensions; skip negotiation entirely.
            compression=None,
            close_timeout=2,
            logger=self._logger(),
        )
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fakeslack-socket", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _logger() -> logging.Logger:
        # websockets narrates every open/close at INFO; keep warnings and errors only.
        logger = logging.getLogger("fakeslack.socket")
        logger.setLevel(logging.WARNING)
        return logger

    def stop(self) -> None:
        """Close client connections and the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset(self) -> None:
        """Forget acks; connections stay up."""
        with self._cond:
            # Pushed ids are kept: a late ack for an earlier test's envelope is not a bug.
            self._acks.clear()

    def issue_url(self) -> str:
        """Mint a ticket and return the ws:// URL apps.connections.open hands out."""
        ticket = str(uuid.uuid4())
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self._app_id}"

    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        ticket = parse_qs(split.query).get("ticket", [""])[0]
        with self._cond:
            known = ticket in self._tickets
        if split.path == "/link/" and known:
            return None
        self._on_error(f"socket: connection with unknown ticket or path {request.path!r}")
        return conn.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")

    def _handle(self, conn: ServerConnection) -> None:
        with self._cond:
            count = len(self._conns) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "applink-fakeslack",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }
        try:
            conn.send(json.dumps(hello))
            with self._cond:
                # Only count the connection once hello went out, as Slack does.
                self._conns.append(conn)
                self._hellos += 1
                retiring, self._retiring = self._retiring, []
                self._cond.notify_all()
            for old in retiring:
                # Like Slack, hang up the replaced connection once its successor is up; this
                # also unblocks slack_sdk's reconnect, which waits for the old socket's read.
                threading.Thread(target=old.close, daemon=True).start()
            for raw in conn:
                self._on_frame(raw)
        except ConnectionClosed:
            pass  # the client went away; nothing left to read
        finally:
            with self._cond:
                if conn in self._conns:
                    self._conns.remove(conn)
                self._cond.notify_all()

    def _on_frame(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            self._on_error(f"socket: client sent a non-JSON frame: {raw[:200]!r}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            self._on_error(f"socket: client frame without envelope_id: {message!r}")
            return
        with self._cond:
            if envelope_id not in self._pushed:
                self._on_error(f"socket: ack for an envelope never pushed: {envelope_id}")
            elif envelope_id in self._acks:
                self._on_error(f"socket: envelope acked twice: {envelope_id}")
            self._acks[envelope_id] = message
            self._cond.notify_all()

    def wait_connected(self, timeout: float, connects: int = 1) -> bool:
        """Wait until a client is connected and `connects` handshakes happened in total."""
        with self._cond:
            return self._cond.wait_for(
                lambda: bool(self._conns) and self._hellos >= connects, timeout=timeout
            )

    def drop_clients(self, code: int = 1001, reason: str = "") -> None:
        """Close every client connection from the server side with a close frame."""
        with self._cond:
            conns = list(self._conns)
        for conn in conns:
            conn.close(code, reason)

    def _latest(self) -> ServerConnection:
        with self._cond:
            if not self._conns:
                raise RuntimeError("no Socket Mode client is connected to the fake")
            return self._conns[-1]

    def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send one envelope to the newest connection and return its envelope_id."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        envelope_id = envelope_id or f"{next(self._seq):08d}-fake-{uuid.uuid4().hex[:12]}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            # Slack lets only commands and interactivity answer through the ack.
            "accepts_response_payload": envelope_type != "events_api",
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        with self._cond:
            self._pushed.add(envelope_id)
        self._latest().send(json.dumps(envelope))
        return envelope_id

    def push_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does before recycling a connection."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "fakeslack"}}
        conn = self._latest()
        with self._cond:
            self._retiring.append(conn)
        conn.send(json.dumps(message))

    def wait_ack(self, envelope_id: str, timeout: float) -> dict[str, Any] | None:
        """Return the client's ack for an envelope, waiting up to `timeout` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: envelope_id in self._acks, timeout=timeout)
            return self._acks.get(envelope_id)

    def acks(self) -> dict[str, dict[str, Any]]:
        """Return a snapshot of all acks by envelope_id."""
        with self._cond:
            return dict(self._acks)


class SocketModeControls:
    """The Socket Mode side of FakeSlack's API: connect, push envelopes, read acks."""

    _socket: SocketModeServer

    def wait_socket_connected(self, timeout: float = 10, connects: int = 1) -> bool:
        """Wait until a Socket Mode client is connected (and `connects` hellos were sent)."""
        return self._socket.wait_connected(timeout, connects)

    def drop_socket_clients(self, code: int = 1001, reason: str = "") -> None:
        """Close client connections with a close frame (the builtin client then reconnects).

        Also the quick way to end a test: a slack_sdk builtin client blocks up to 3 s in
        close() on its socket read unless the server hangs up first.
        """
        self._socket.drop_clients(code, reason)

    def push_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send an events_api / slash_commands / interactive envelope; return its id."""
        return self._socket.push(
            envelope_type,
            payload,
            envelope_id=envelope_id,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )

    def push_disconnect(self, reason: str = "refresh_requested") -> None:
        """Tell the connected client to reconnect (Slack's "disconnect" message)."""
        self._socket.push_disconnect(reason)

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any] | None:
        """The ack ({"envelope_id", "payload"?}) sent back for an envelope, or None on timeout."""
        return self._socket.wait_ack(envelope_id, timeout)

    @property
    def socket_acks(self) -> dict[str, dict[str, Any]]:
        """Snapshot of all Socket Mode acks by envelope_id."""
        return self._socket.acks()
