"""HTTP plumbing of the fake: request argument parsing and the threaded server/handler."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .server import FakeSlack

# Form-encoded requests carry these as JSON strings; decode them so handlers and
# recorded calls see the same structure a JSON body would give.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")


def parse_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge query-string and body arguments (JSON or form-encoded); body wins."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if body:
        if kind == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("JSON body must be an object")
            args.update(decoded)
        elif kind in ("application/x-www-form-urlencoded", ""):
            args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        else:
            raise ValueError(f"unsupported Content-Type {content_type!r}")
    for key in _JSON_ARGS:
        if isinstance(args.get(key), str):
            # An undecodable value stays a string; validation then reports it.
            with contextlib.suppress(ValueError):
                args[key] = json.loads(args[key])
    return args


class HTTPServer(ThreadingHTTPServer):
    """Threaded HTTP/1.1 keep-alive server on 127.0.0.1:ephemeral serving a FakeSlack.

    It counts the connections it accepts and knows which are idle (kept alive between
    requests), so tests can see connection reuse and close idle connections as a real
    server's idle timeout does; `server_close` ends every connection, idle or not.
    """

    daemon_threads = True
    # The default backlog of 5 refuses connections when a test fires many calls at once
    # (a client without keep-alive opens a new connection per call).
    request_queue_size = 128

    def __init__(
        self,
        fake: FakeSlack,
        port: int = 0,
        *,
        tls: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        # Before binding: a port in use calls server_close() from the base __init__.
        self._conn_lock = threading.Condition()
        self._open: dict[socket.socket, bool] = {}  # connection -> busy with a request
        self.accepted = 0
        self.tls = tls
        super().__init__((host, port), _Handler)
        self.fake = fake

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection; with TLS its handshake runs later, on its handler's thread."""
        conn, address = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, address

    def process_request(self, request: Any, client_address: Any) -> None:
        """Count and track each accepted connection, then serve it on its own thread."""
        with self._conn_lock:
            self.accepted += 1
            self._open[request] = False
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection when its handler is done with it."""
        with self._conn_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def set_busy(self, request: socket.socket, busy: bool) -> None:
        """Mark a connection as serving a request (True) or waiting for the next (False)."""
        with self._conn_lock:
            if request in self._open:
                self._open[request] = busy
                self._conn_lock.notify_all()

    def close_connections(self, *, idle_only: bool, settle: float = 0.0) -> int:
        """Close kept-alive connections (only those between requests if `idle_only`).

        With `settle`, first wait up to that many seconds for requests being answered to
        finish: a client can hold its answer a moment before the handler counts the
        connection as idle again.
        """
        with self._conn_lock:
            self._conn_lock.wait_for(lambda: not any(self._open.values()), timeout=settle)
            chosen = [conn for conn, busy in self._open.items() if not (idle_only and busy)]
        for conn in chosen:
            # shutdown, not close: the handler thread blocked reading it sees end-of-file
            # and finishes (closing the socket) on its own.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        return len(chosen)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client goes away (reset, broken pipe); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stop listening and end every open connection, so no client waits on a dead fake."""
        super().server_close()
        self.close_connections(idle_only=False)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for clients that reuse connections
    # Headers and body go out in two writes; with Nagle on, a kept-alive client's delayed
    # ACK of the first would hold the second back 40 ms.
    disable_nagle_algorithm = True
    server: HTTPServer

    def setup(self) -> None:
        """Set up the connection's streams, after the TLS handshake if it is HTTPS."""
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def parse_request(self) -> bool:
        """Called once a request line has arrived: the connection is busy until answered."""
        self.server.set_busy(self.connection, True)
        return super().parse_request()

    def handle_one_request(self) -> None:
        """Serve one request, then count the connection as idle (waiting for the next)."""
        try:
            super().handle_one_request()
        finally:
            self.server.set_busy(self.connection, False)

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        if self.headers.get("Transfer-Encoding"):
            # Bodies are read by Content-Length only; guessing would misread the next request.
            self.close_connection = True
            self._reply(411, {}, b"length required", "text/plain")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-request: nothing to act on
            self.close_connection = True
            return
        ctype = self.headers.get("Content-Type", "")
        fake = self.server.fake
        if split.path.startswith("/api/"):
            auth = self.headers.get("Authorization", "")
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            if auth.lower().startswith("basic "):
                token = auth  # client credentials: openid.connect.token reads them
            status, headers, payload = fake.serve_api(
                split.path[len("/api/") :], split.query, body, ctype, token
            )
            if status == 0:  # a dropped connection: the client sees no answer at all
                self.close_connection = True
                return
            self._reply(status, headers, json.dumps(payload).encode(), "application/json")
        elif split.path.startswith("/upload/"):
            status, text = fake.serve_upload(split.path, body)
            self._reply(status, {}, text.encode(), "text/plain")
        elif split.path.startswith("/respond/"):
            status, text = fake.serve_response_url(self.path, body, ctype)
            self._reply(status, {}, text.encode(), "text/plain")
        elif split.path.startswith("/openid/"):
            fake.openid.handle(self, self.command, split.path, split.query, body)
        elif fake.ui is not None:
            fake.ui.handle(self, split.path, split.query, body)
        else:
            self._reply(404, {}, b"not found", "text/plain")

    do_GET = do_POST

    def reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
        """Send a complete response (also used by the demo's web client)."""
        self._reply(status, headers, body, ctype)

    def _reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read fake.calls instead of access logs."""
