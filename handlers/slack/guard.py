"""The leak guard: the single choke point every bot post goes through.

Internal content (notes, assignment chatter, SLA information, activity, ticket cards)
may be posted only where no other organization can read it. Before posting, the guard
asks Slack whether the target channel is shared with another organization
(`is_ext_shared`, cached) and refuses internal content there, whoever asked. When Slack
cannot answer, it assumes the channel is shared: a missing note is better than a leak.
The cached answer is dropped when Slack says the channel was shared or unshared
(handlers/channels.py).
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.ports import Audience  # defined with the port; imported from here too

logger = logging.getLogger(__name__)

API_METHODS = ("conversations.info", "chat.postMessage", "chat.update", "chat.postEphemeral")
SHARED_CACHE_TTL = timedelta(minutes=10)


class LeakGuard:
    """Posts, updates and ephemerals, refusing internal content in shared channels."""

    def __init__(
        self, client: WebClient, clock: Clock, *, is_agent: Callable[[str], bool] | None = None
    ) -> None:
        self._client = client
        self._clock = clock
        self._is_agent = is_agent or (lambda _user: False)
        self._lock = threading.Lock()
        self._shared: dict[str, tuple[bool, datetime]] = {}

    def is_shared(self, channel_id: str) -> bool:
        """Whether people from another organization can read the channel (cached)."""
        now = self._clock()
        with self._lock:
            cached = self._shared.get(channel_id)
        if cached is not None and now - cached[1] < SHARED_CACHE_TTL:
            return cached[0]
        try:
            info = self._client.conversations_info(channel=channel_id).get("channel") or {}
        except (SlackApiError, OSError) as error:  # OSError: the connection or its answer lost
            # Fail closed and remember nothing: the next post asks again.
            reason = error.response.get("error") if isinstance(error, SlackApiError) else error
            logger.warning(
                "conversations.info failed for %s (%s); treating it as shared", channel_id, reason
            )
            return True
        shared = bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared"))
        with self._lock:
            self._shared[channel_id] = (shared, now)
        return shared

    def forget(self, channel_id: str) -> None:
        """Drop the cached answer (the channel was shared or unshared)."""
        with self._lock:
            self._shared.pop(channel_id, None)

    def post(self, *, audience: Audience, channel: str, text: str, **kwargs: Any) -> Any | None:
        """chat.postMessage if the audience may read it there; None when refused."""
        if not self._allowed(audience, channel):
            return None
        return self._client.chat_postMessage(channel=channel, text=text, **kwargs)

    def update(
        self, *, audience: Audience, channel: str, ts: str, text: str, **kwargs: Any
    ) -> Any | None:
        """chat.update if the audience may read it there; None when refused."""
        if not self._allowed(audience, channel):
            return None
        return self._client.chat_update(channel=channel, ts=ts, text=text, **kwargs)

    def ephemeral(self, *, channel: str, user: str, text: str, **kwargs: Any) -> Any:
        """chat.postEphemeral: only `user` sees it, so internal content is fine for agents.

        Callers pass only agents as `user` for internal content; customers get only
        customer-facing text (enforced by the handlers' permission check).
        """
        return self._client.chat_postEphemeral(channel=channel, user=user, text=text, **kwargs)

    def upload(self, *, audience: Audience, channel: str, **kwargs: Any) -> Any | None:
        """files_upload_v2 if the audience may read it there (a user id means their DM)."""
        if not self._allowed(audience, channel):
            return None
        if _is_user(channel):
            channel = str(self._client.conversations_open(users=channel)["channel"]["id"])
        return self._client.files_upload_v2(channel=channel, **kwargs)

    def _allowed(self, audience: Audience, channel: str) -> bool:
        if audience is Audience.INTERNAL and _is_user(channel):
            # A direct message: internal content only ever goes to one of our agents.
            if self._is_agent(channel):
                return True
            logger.warning("refused to DM internal content to non-agent %s", channel)
            return False
        if audience is Audience.INTERNAL and self.is_shared(channel):
            logger.warning("refused to post internal content into shared channel %s", channel)
            return False
        return True


def _is_user(channel: str) -> bool:
    """Whether a post target is a user id (the post becomes a DM)."""
    return channel[:1] in ("U", "W")
