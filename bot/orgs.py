"""Organization names for cards: "#12 (acme)" reads better than "#12 (T0ACME)"."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.people import UNKNOWN_TEAM

logger = logging.getLogger(__name__)

RETRY_AFTER = timedelta(hours=1)  # an organization Slack would not name is asked again later


class OrgNames:
    """Names of Slack organizations (team ids), looked up once and cached."""

    def __init__(
        self, workspace_id: str, *, clock: Clock, fetch: Callable[[str], str | None]
    ) -> None:
        self._workspace_id = workspace_id
        self._clock = clock
        self._fetch = fetch
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._failed: dict[str, datetime] = {}

    def name(self, team_id: str) -> str:
        """The organization's name, or its team id when Slack cannot say."""
        if team_id == UNKNOWN_TEAM:
            return "unknown organization"  # not a team id: nothing to ask Slack
        now = self._clock()
        with self._lock:
            known = self._names.get(team_id)
            failed_at = self._failed.get(team_id)
        if known is not None:
            return known
        if failed_at is not None and now - failed_at < RETRY_AFTER:
            return team_id
        fetched = self._fetch(team_id)
        with self._lock:
            if fetched:
                self._names[team_id] = fetched
                self._failed.pop(team_id, None)
            else:
                self._failed[team_id] = now
        return fetched or team_id
