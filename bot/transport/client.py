"""The Slack Web API client deskbot uses: kept-alive connections, retries on 429 and 5xx."""

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.transport.pool import ConnectionPool, PooledHandler

Sleep = Callable[[float], None]
MAX_RETRY_AFTER = 120.0


class _SleepingRetry(RetryHandler):
    """Retries the HTTP statuses `_retries` accepts, sleeping `_delay` seconds between."""

    def __init__(self, *, sleep: Sleep, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    def _retries(self, status: int) -> bool:
        raise NotImplementedError

    def _delay(self, state: RetryState, response: HttpResponse | None) -> float:
        raise NotImplementedError

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and self._retries(response.status_code)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait, then let the client send the request again."""
        state.next_attempt_requested = True
        self._sleep(self._delay(state, response))
        state.increment_current_attempt()


class RateLimitedRetry(_SleepingRetry):
    """Waits exactly as long as Slack's Retry-After header asks, then tries again."""

    def __init__(self, *, sleep: Sleep = time.sleep, max_retry_count: int = 5) -> None:
        super().__init__(sleep=sleep, max_retry_count=max_retry_count)

    def _retries(self, status: int) -> bool:
        return status == 429

    def _delay(self, state: RetryState, response: HttpResponse | None) -> float:
        # Capped so a malformed header cannot stall a worker for hours.
        return min(_retry_after(response), MAX_RETRY_AFTER)


class ServerErrorRetry(_SleepingRetry):
    """Retries 5xx answers with exponential backoff (0.5 s, 1 s, 2 s)."""

    def __init__(self, *, sleep: Sleep = time.sleep, max_retry_count: int = 3) -> None:
        super().__init__(sleep=sleep, max_retry_count=max_retry_count)

    def _retries(self, status: int) -> bool:
        return 500 <= status < 600

    def _delay(self, state: RetryState, response: HttpResponse | None) -> float:
        return 0.5 * 2**state.current_attempt


def _retry_after(response: HttpResponse | None) -> float:
    if response is None:
        return 1.0
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(float(values[0]), 0.0)
            except ValueError:
                return 1.0
    return 1.0


class CallObserver(Protocol):
    """Told of every Web API call and failed attempt (bot.metrics.Metrics is one)."""

    def call_finished(self, method: str, outcome: str) -> None:
        """A call ended: ok, error, ratelimited, server_error or network_error."""
        ...

    def attempt_failed(self, method: str, reason: str) -> None:
        """One HTTP attempt failed: ratelimited, server_error or connection."""
        ...

    def retried(self, method: str, reason: str) -> None:
        """An attempt is made again after a failure of `reason`."""
        ...


class PooledWebClient(WebClient):
    """A WebClient whose calls share kept-alive connections (see bot.transport.pool),
    telling an optional `observer` how each call and each attempt went."""

    def __init__(
        self,
        *args: Any,
        pool: ConnectionPool | None = None,
        observer: CallObserver | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.pool = pool or ConnectionPool()
        self.observer = observer
        self._opener_for: tuple[Any, ...] | None = None
        self._opener: urllib.request.OpenerDirector | None = None
        self._attempts = threading.local()  # the failure of this thread's previous attempt

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        """Make the call (slack_sdk retries inside it) and tell the observer how it ended."""
        observer = self.observer
        if observer is None:
            return super().api_call(api_method, **kwargs)
        self._attempts.failure = None
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            observer.call_finished(api_method, _outcome(error.response.status_code))
            raise
        except OSError:
            observer.call_finished(api_method, "network_error")
            raise
        observer.call_finished(api_method, "ok")
        return response

    def _perform_urllib_http_request_internal(
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        observer = self.observer
        if observer is None:
            return self._attempt(url, req)
        method = url.split("?", 1)[0].rsplit("/", 1)[-1]
        previous = getattr(self._attempts, "failure", None)
        if previous is not None:
            observer.retried(method, previous)
        self._attempts.failure = None
        try:
            return self._attempt(url, req)
        except urllib.error.HTTPError as error:
            failure = _outcome(error.code)
            if failure != "error":
                self._attempts.failure = failure
                observer.attempt_failed(method, failure)
            raise
        except OSError:
            self._attempts.failure = "connection"
            observer.attempt_failed(method, "connection")
            raise

    def _attempt(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        # The one slack_sdk method replaced (its urlopen makes a connection per call): it
        # opens `req` and returns status, headers and body as slack_sdk's own does; the
        # retry loop, HTTPError handling and response parsing around it stay slack_sdk's.
        if not url.lower().startswith("http"):
            raise SlackRequestError(f"Invalid URL detected: {url}")
        if self.proxy is not None and not isinstance(self.proxy, str):
            raise SlackRequestError(f"Invalid proxy detected: {self.proxy} must be a str value")
        resp = self._opener_now().open(req, timeout=self.timeout)
        body: bytes = resp.read()
        if resp.headers.get_content_type() == "application/gzip":  # admin.analytics.getFile
            return {"status": resp.code, "headers": resp.headers, "body": body}
        text = body.decode(resp.headers.get_content_charset() or "utf-8")
        if self._logger.level <= logging.DEBUG:
            self._logger.debug(
                f"Received the following response - status: {resp.code}, body: {text}"
            )
        return {"status": resp.code, "headers": resp.headers, "body": text}

    def _opener_now(self) -> urllib.request.OpenerDirector:
        # urlopen's handlers for http(s) (proxies from the environment unless `proxy`), built
        # again only if someone changes `proxy` or `ssl` on the client.
        settings = (self.proxy, self.ssl)
        if self._opener is None or self._opener_for != settings:
            proxies = {"http": self.proxy, "https": self.proxy} if self.proxy else None
            opener = urllib.request.OpenerDirector()
            for handler in (
                urllib.request.ProxyHandler(proxies),
                PooledHandler(self.pool, context=self.ssl),  # instead of HTTP(S)Handler
                urllib.request.HTTPDefaultErrorHandler(),  # HTTPError for non-2xx, as before
                urllib.request.HTTPRedirectHandler(),
                urllib.request.HTTPErrorProcessor(),
            ):
                opener.add_handler(handler)
            self._opener = opener
            self._opener_for = settings
        return self._opener


def _outcome(status: int) -> str:
    """What an HTTP status means for a Web API call (200 with ok false is an `error`)."""
    if status == 429:
        return "ratelimited"
    return "server_error" if status >= 500 else "error"


def with_pool(
    client: WebClient, pool: ConnectionPool, observer: CallObserver | None = None
) -> PooledWebClient:
    """A copy of `client` (token, team, URL, timeout, proxy, SSL, headers, retries) on `pool`."""
    return PooledWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers),
        pool=pool,
        observer=observer or getattr(client, "observer", None),
    )


def pooled_listener_clients(
    pool: ConnectionPool, observer: CallObserver | None = None
) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: listeners' `client` (Bolt makes a plain one per request) uses `pool`
    and tells `observer` how its calls went."""

    def middleware(
        context: BoltContext, next: Callable[[], BoltResponse | None]
    ) -> BoltResponse | None:
        context["client"] = with_pool(context.client, pool, observer)
        return next()

    return middleware


def build_web_client(
    token: str | None, *, base_url: str, sleep: Sleep = time.sleep
) -> PooledWebClient:
    """A pooled WebClient with deskbot's retry policy; `sleep` is injectable for tests."""
    return PooledWebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            # Connection errors before a request reached Slack, and lost answers to reads;
            # a call that may have reached Slack and is not safe to repeat raises
            # ResponseLost instead, which this never retries.
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitedRetry(sleep=sleep),
            ServerErrorRetry(sleep=sleep),
        ],
    )
