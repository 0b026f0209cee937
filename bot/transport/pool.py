"""Keep-alive HTTP for the Slack Web API: a thread-safe pool of http.client connections.

slack_sdk's WebClient sends each call through urllib, which opens a new connection (and,
against Slack, a new TLS handshake) per call and asks the server to close it. `PooledHandler`
is a urllib handler that sends the same request over a kept-alive connection instead, so
everything urllib and slack_sdk do around it (proxies, redirects, HTTPError for non-2xx,
retry handlers, response parsing) stays theirs.

Failures on a connection taken from the pool (see `PooledHandler._send`):
- An idle connection the server has closed (or written to) is noticed before use and
  dropped; nothing was sent on it.
- If sending on a reused connection fails, the request was not completely written: the
  server cannot have acted on it, so it is sent again once on a fresh connection.
- If the request was written and the connection ended before any byte of an answer, the
  server closed it as the request arrived (its idle timeout) or took the request and then
  failed: the two cannot be told apart. Calls that are safe to repeat (reads) are sent
  again once on a fresh connection; any other call (chat.postMessage...) raises
  `ResponseLost`, which deskbot's retry handlers do not retry, so it is never sent twice.
  The same holds on a fresh connection: there, a read's lost answer is left to
  slack_sdk's connection-error retry, and any other call raises `ResponseLost` too.
Failures to connect or to send on a fresh connection, timeouts and failures after an answer
began are raised as urllib raises them, and slack_sdk's retry handlers decide as they
always did.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.response import addinfourl

# Slack methods whose repetition changes nothing: reads, and writes that set a whole state.
_REPEATABLE_ACTIONS = frozenset(
    {"info", "list", "history", "replies", "members", "test", "lookupByEmail", "conversations"}
)
# A reaction added or removed twice answers already_reacted / no_reaction, which the
# callers take as done.
_REPEATABLE_METHODS = frozenset(
    {"chat.update", "views.publish", "apps.connections.open", "reactions.add", "reactions.remove"}
)
# Below the idle timeouts of common load balancers (60 s and more), so that a pooled
# connection is rarely closed by the server at the moment it is reused.
IDLE_SECONDS = 30.0
MAX_IDLE_PER_HOST = 16

Key = tuple[str, str, str | None, str | None]


class ResponseLost(ConnectionError):
    """A call that is not safe to repeat was sent, and its connection closed unanswered."""


def _method(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def repeatable(url: str) -> bool:
    """Whether sending this Web API call twice has the same effect as sending it once."""
    method = _method(url)
    action = method.rsplit(".", 1)[-1]
    return (
        method in _REPEATABLE_METHODS
        or action in _REPEATABLE_ACTIONS
        or (action.startswith("get") and "." in method)
    )


def _peer_closed(sock: socket.socket) -> bool:
    """True if an idle connection is readable: the server closed it or sent stray bytes."""
    try:
        if hasattr(select, "poll"):  # select() fails on descriptors above 1023
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class ConnectionPool:
    """Idle keep-alive connections per server, shared by threads; each use is exclusive."""

    def __init__(
        self,
        *,
        idle_seconds: float = IDLE_SECONDS,
        max_idle_per_host: int = MAX_IDLE_PER_HOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._idle_seconds = idle_seconds
        self._max_idle = max_idle_per_host
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: dict[Key, list[tuple[http.client.HTTPConnection, float]]] = {}
        self.opened = 0  # connections made so far (for tests and diagnostics)

    def take(
        self,
        key: Key,
        make: Callable[[], http.client.HTTPConnection],
        timeout: float | None,
        *,
        fresh: bool = False,
    ) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection to `key`'s server (reused: True) or a new one (False)."""
        if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            timeout = socket.getdefaulttimeout()
        now = self._clock()
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if fresh or not idle:
                    self.opened += 1
                    break
                # The most recently used one is the least likely to have been closed.
                conn, since = idle.pop()
            if now - since < self._idle_seconds and conn.sock and not _peer_closed(conn.sock):
                conn.timeout = timeout
                conn.sock.settimeout(timeout)
                return conn, True
            conn.close()
        conn = make()
        conn.timeout = timeout
        return conn, False

    def give_back(self, key: Key, conn: http.client.HTTPConnection) -> None:
        """Keep a connection whose last answer was read completely for the next call."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._max_idle:
                idle.append((conn, self._clock()))
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection (connections in use close when they are returned)."""
        with self._lock:
            idle = [conn for conns in self._idle.values() for conn, _ in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()


class PooledHandler(urllib.request.AbstractHTTPHandler):
    """Opens http:// and https:// requests over the pool's kept-alive connections."""

    def __init__(self, pool: ConnectionPool, *, context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self._pool = pool
        self._context = context

    http_request = urllib.request.AbstractHTTPHandler.do_request_
    https_request = urllib.request.AbstractHTTPHandler.do_request_

    def http_open(self, req: urllib.request.Request) -> addinfourl:
        """Send a request over a pooled connection (urllib calls this for http://)."""
        return self._send(req)

    def https_open(self, req: urllib.request.Request) -> addinfourl:
        """Send a request over a pooled connection (urllib calls this for https://)."""
        return self._send(req)

    def _send(self, req: urllib.request.Request) -> addinfourl:
        if not req.host:
            raise URLError("no host given")
        # As urllib's do_open builds them, minus its `Connection: close`.
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}
        tunnel = getattr(req, "_tunnel_host", None)  # set by urllib's ProxyHandler for https
        proxy_auth = headers.pop("Proxy-Authorization", None) if tunnel else None
        key: Key = (req.type, req.host, tunnel, proxy_auth)
        chunked = req.has_header("Transfer-encoding")
        for last_try in (False, True):
            conn, reused = self._pool.take(
                key, lambda: self._connect(req, tunnel, proxy_auth), req.timeout, fresh=last_try
            )
            try:
                conn.request(
                    req.get_method(), req.selector, req.data, headers, encode_chunked=chunked
                )
            except OSError as error:
                conn.close()
                if reused and not last_try:
                    continue  # not completely written: the server cannot have acted on it
                raise URLError(error) from error  # as urllib reports a failed send
            try:
                response = conn.getresponse()
            except TimeoutError:
                conn.close()  # the server may still be working on it: never sent again here
                raise
            except (http.client.RemoteDisconnected, ConnectionResetError) as error:
                conn.close()
                if not repeatable(req.full_url):
                    raise ResponseLost(  # the method only: a URL may carry arguments
                        f"{_method(req.full_url)}: connection closed before an answer; not "
                        "sent again because the server may have acted on it"
                    ) from error
                if last_try or not reused:
                    raise  # a fresh connection's read is retried by slack_sdk's handler
                continue  # a read: asking again on a fresh connection is harmless
            except BaseException:
                conn.close()  # as urllib does: a half-read answer leaves the connection unusable
                raise
            try:
                body = response.read()
            except BaseException:
                conn.close()
                raise
            if response.will_close or conn.sock is None:
                conn.close()
            else:
                self._pool.give_back(key, conn)
            answer = addinfourl(io.BytesIO(body), response.headers, req.full_url, response.status)
            answer.msg = response.reason  # urllib's error processor reads the reason here
            return answer
        raise AssertionError("unreachable: the last try returns or raises")

    def _connect(
        self, req: urllib.request.Request, tunnel: str | None, proxy_auth: str | None
    ) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if req.type == "https":
            conn = http.client.HTTPSConnection(req.host, timeout=req.timeout, context=self._context)
        else:
            conn = http.client.HTTPConnection(req.host, timeout=req.timeout)
        if tunnel:
            conn.set_tunnel(
                tunnel, headers={"Proxy-Authorization": proxy_auth} if proxy_auth else {}
            )
        return conn
