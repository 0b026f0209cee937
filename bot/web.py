"""HTTP transport: `POST /slack/events` for all Slack traffic, `GET /healthz`, `GET /metrics`
(Prometheus) and the leads' dashboard (every other path, bot/dashboard/), on waitress.

Every Slack request is bounded before anything else looks at it: its body is read only up to
`MAX_BODY_BYTES` (413 beyond), its signature is checked on the raw bytes (401 otherwise), and
only then is it decoded and parsed (400 for invalid UTF-8 or JSON nested deeper than Slack
ever sends). Refusals log a bounded summary of the request, never its body.
"""

import hashlib
import hmac
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from sqlalchemy.engine import Engine
from waitress import wasyncore
from waitress.server import create_server

from store.db import health_engine, ping

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
EVENTS_PATH = "/slack/events"
METRICS_PATH = "/metrics"
DASHBOARD_OFF = (
    "deskbot's dashboard is off: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
    "(docs/admin-guide.md, 'The web dashboard')."
)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Slack's payloads are small: an event carrying a message at Slack's 40,000-character limit
# (text plus its rich-text blocks, multi-byte characters) stays under 400 KB, commands and
# clicks are a few KB. 1 MiB leaves room for that and keeps an unsigned stranger's request
# from costing more than 1 MiB of memory.
MAX_BODY_BYTES = 1024 * 1024
# Slack's payloads nest a dozen levels (blocks in a view in a payload); deeper is not Slack.
MAX_JSON_DEPTH = 64
# Slack refuses to sign for more than five minutes: older requests are replays.
SIGNATURE_MAX_AGE = 5 * 60
# Waitress: enough connections that idle or half-open ones cannot lock out Slack and
# /healthz (the default of 100 could), polled rather than select()ed (select stops at
# 1,024 descriptors), and idle ones closed after 15 s instead of 120 s.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 15
CLEANUP_INTERVAL = 5
MAX_HEADER_BYTES = 64 * 1024


def signature_valid(
    secret: str, body: bytes, timestamp: str, signature: str, *, now: float
) -> bool:
    """Whether `signature` is Slack's v0 signature of the raw `body` at a fresh `timestamp`."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a parsed payload nests lists and objects deeper than `limit` (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, answering 400 to a body Bolt cannot even read instead of 500."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as error:
            # Bolt reads ids out of the payload before the signature is checked; a payload
            # shaped unlike Slack's breaks that. Nothing was done, so a 400 is the truth.
            _refused(request.environ, f"malformed payload ({type(error).__name__})")
            return BoltResponse(status=400, body="malformed payload")
        if too_deep(bolt_request.body):
            _refused(request.environ, "payload nested too deeply")
            return BoltResponse(status=400, body="payload nested too deeply")
        return self.app.dispatch(bolt_request)


def make_wsgi_app(
    app: App,
    engine: Engine,
    *,
    signing_secret: str | None = None,
    now: Callable[[], float] = time.time,
) -> WSGIApp:
    """The WSGI application deskbot serves (the secret defaults to the Bolt app's own)."""
    slack = _SlackHandler(app, path=EVENTS_PATH)
    # Bolt keeps the secret it was built with private; reading it here spares every
    # caller from passing the same secret twice.
    secret = signing_secret if signing_secret is not None else app._signing_secret
    health = health_engine(engine)  # never queued behind intake for a pooled connection
    runtime = getattr(app, "runtime", None)  # a bare Bolt app (the bench's) has no metrics
    metrics = getattr(runtime, "metrics", None)
    failed = metrics.database_error if metrics is not None else None
    dashboard = _dashboard(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            return _health(health, start_response, failed)
        if path == METRICS_PATH and metrics is not None:
            return _metrics(metrics.registry, environ, start_response)
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            refusal = _admit(environ, secret, now())
            if refusal is not None:
                status, reason = refusal
                _refused(environ, reason)
                return _plain(start_response, status, reason)
        if path != EVENTS_PATH:
            if dashboard is not None:
                return dashboard(environ, start_response)
            if path == "/":
                return _plain(start_response, "404 Not Found", DASHBOARD_OFF)
        return slack(environ, start_response)

    return wsgi


def _dashboard(app: App) -> WSGIApp | None:
    """The leads' dashboard, when the Slack app's client id and secret are configured."""
    runtime = getattr(app, "runtime", None)  # a bare Bolt app (bench baselines) has none
    if runtime is None or not runtime.deps.settings.dashboard_enabled:
        return None
    from bot.dashboard.app import create_dashboard  # Flask loads only when it is served

    return create_dashboard(runtime)


def _admit(environ: dict[str, Any], secret: str, now: float) -> tuple[str, str] | None:
    """Read the body (bounded) and check its signature; the refusal, or None to go on.

    On success the body read is put back as `wsgi.input`, so Bolt reads the same bytes.
    """
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared:
        if not (declared.isascii() and declared.isdigit()):
            return "400 Bad Request", "invalid Content-Length"
        if int(declared) > MAX_BODY_BYTES:
            return "413 Content Too Large", f"body over {MAX_BODY_BYTES} bytes"
    stream = environ.get("wsgi.input")
    # Without a length (chunked) read at most one byte past the limit: never more.
    body = stream.read(int(declared) if declared else MAX_BODY_BYTES + 1) if stream else b""
    if len(body) > MAX_BODY_BYTES:
        return "413 Content Too Large", f"body over {MAX_BODY_BYTES} bytes"
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not signature_valid(secret, body, timestamp, signature, now=now):
        return "401 Unauthorized", "invalid or missing signature"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "400 Bad Request", "body is not UTF-8"
    return None


def _refused(environ: dict[str, Any], reason: str) -> None:
    """Log a refused request in one bounded line: never its body, nor its headers' values."""
    logger.warning(
        "refused %s %s (%s bytes): %s",
        str(environ.get("REQUEST_METHOD", "?"))[:10],
        str(environ.get("PATH_INFO", "?"))[:100],
        str(environ.get("CONTENT_LENGTH") or "?")[:20],
        reason,
    )


def _plain(start_response: Callable[..., Any], status: str, reason: str) -> Iterable[bytes]:
    body = reason.encode()
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _metrics(
    registry: Any, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """Prometheus' text format (OpenMetrics when the scraper asks for it)."""
    from prometheus_client.exposition import choose_encoder

    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return _plain(start_response, "405 Method Not Allowed", "GET only")
    encode, content_type = choose_encoder(str(environ.get("HTTP_ACCEPT") or ""))
    body = encode(registry)
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body] if environ.get("REQUEST_METHOD") == "GET" else []


def _health(
    engine: Engine,
    start_response: Callable[..., Any],
    failed: Callable[[str], None] | None = None,
) -> Iterable[bytes]:
    try:
        healthy = ping(engine)
    except Exception as error:  # any failure to reach the database means "down", not a 500
        logger.warning("health check: database unreachable: %s", str(error)[:200])
        if failed is not None:  # the check's raw connection is outside SQLAlchemy's events
            failed(type(error).__name__)
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
        self._server = create_server(
            wsgi,
            host=host,
            port=port,
            threads=threads,
            ident="deskbot",
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=CHANNEL_TIMEOUT,
            cleanup_interval=CLEANUP_INTERVAL,
            asyncore_use_poll=True,
            max_request_body_size=MAX_BODY_BYTES,
            max_request_header_size=MAX_HEADER_BYTES,
        )
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
