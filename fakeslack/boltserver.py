"""BoltHTTPServer: serves a slack_bolt App over HTTP/1.1 keep-alive so SlackDriver can reach it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    path: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        if split.path != self.server.path:
            self._reply(404, {}, b"not found")
            return
        request = BoltRequest(
            body=body,
            query=split.query,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        response = self.server.app.dispatch(request)
        self._reply(response.status, response.first_headers(), response.body.encode("utf-8"))

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet in test output."""


class BoltHTTPServer:
    """Runs `app.dispatch` behind a threaded HTTP server on 127.0.0.1:ephemeral."""

    def __init__(self, app: App, path: str = "/slack/events") -> None:
        self._app = app
        self._path = path
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> BoltHTTPServer:
        """Start serving in a daemon thread; returns self."""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self._app
        self._httpd.path = self._path
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="bolt-http",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The events URL to give SlackDriver(app_url=...)."""
        if self._httpd is None:
            raise RuntimeError("BoltHTTPServer is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self._path}"

    def stop(self) -> None:
        """Stop accepting requests."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> BoltHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
