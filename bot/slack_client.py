"""The Slack Web API client deskbot uses: retries on 429 (Retry-After) and 5xx."""

import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

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


def build_web_client(token: str | None, *, base_url: str, sleep: Sleep = time.sleep) -> WebClient:
    """A WebClient with deskbot's retry policy; `sleep` is injectable for tests."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitedRetry(sleep=sleep),
            ServerErrorRetry(sleep=sleep),
        ],
    )
