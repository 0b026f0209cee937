"""HTTP transport: `POST /slack/events` for all Slack traffic and `GET /healthz`, on waitress."""

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from waitress import wasyncore
from waitress.server import create_server

from store.db import ping

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, answering 400 to a body Bolt cannot even read instead of 500."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        except (TypeError, AttributeError, KeyError, ValueError) as error:
            # Bolt reads ids out of the payload before the signature is checked; a payload
            # shaped unlike Slack's breaks that. Nothing was done, so a 400 is the truth.
            logger.warning("rejected a malformed Slack payload: %r", error)
            return BoltResponse(status=400, body="malformed payload")
        return self.app.dispatch(bolt_request)


def make_wsgi_app(app: App, engine: Engine) -> WSGIApp:
    """The WSGI application deskbot serves."""
    slack = _SlackHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            return _health(engine, start_response)
        return slack(environ, start_response)

    return wsgi


def _health(engine: Engine, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        healthy = ping(engine)
    except SQLAlchemyError:
        logger.exception("health check: database unreachable")
        healthy = False
    status = "200 OK" if healthy else "503 Service Unavailable"
    body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class HttpServer:
    """A waitress server for the WSGI app, startable in a thread (tests, bench) or blocking."""

    def __init__(
        self, wsgi: WSGIApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 8
    ) -> None:
        self._server = create_server(wsgi, host=host, port=port, threads=threads, ident="deskbot")
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when asked for port 0)."""
        return int(self._server.effective_port)  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        """Base URL of the server on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        """Serve until interrupted."""
        self._server.run()

    def start(self) -> "HttpServer":
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.run, name="deskbot-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections, and release the port."""
        # Worker threads first: a worker finishing a response wakes the loop through the
        # trigger pipe, which must still be open when it does.
        self._server.task_dispatcher.shutdown()
        # Then close every channel (idle keep-alive ones too) on the loop's own thread, so
        # the loop never selects on a descriptor another thread just closed.
        server_map = self._server._map
        if self._thread is not None and self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(lambda: wasyncore.close_all(server_map))
            except OSError:
                # The trigger pipe is already gone (the loop closes it when it reads EOF
                # from it): nothing can wake the loop, so close the channels from here;
                # the loop ends once its map is empty.
                logger.warning("HTTP server trigger already closed; closing channels directly")
                wasyncore.close_all(server_map)
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(server_map)
