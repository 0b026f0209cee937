"""Names for ids: "#12 (Acme Corp)" reads better than "#12 (T0ACME)".

Organizations, people and channels are looked up in Slack once and cached; each name
found is also handed to `remember`, which stores it so the CLI and exports, which have
no Slack client, show names too. A failed lookup shows the id and is asked again later.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.events import TicketChanged
from bot.people import UNKNOWN_TEAM

logger = logging.getLogger(__name__)

RETRY_AFTER = timedelta(hours=1)  # an id Slack would not name is asked again later
Remember = Callable[[str, str], None]  # (id, name)


class CachedNames:
    """Names of one kind of Slack id, looked up once and cached."""

    def __init__(
        self,
        *,
        clock: Clock,
        fetch: Callable[[str], str | None],
        remember: Remember | None = None,
    ) -> None:
        self._clock = clock
        self._fetch = fetch
        self._remember = remember
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._failed: dict[str, datetime] = {}

    def name(self, slack_id: str) -> str:
        """The name, or the id itself when Slack cannot say."""
        now = self._clock()
        with self._lock:
            known = self._names.get(slack_id)
            failed_at = self._failed.get(slack_id)
        if known is not None:
            return known
        if failed_at is not None and now - failed_at < RETRY_AFTER:
            return slack_id
        fetched = self._fetch(slack_id)
        with self._lock:
            if fetched:
                self._names[slack_id] = fetched
                self._failed.pop(slack_id, None)
            else:
                self._failed[slack_id] = now
        if fetched and self._remember is not None:
            try:
                self._remember(slack_id, fetched)
            except Exception:  # a name is a nicety: never fail the caller for it
                logger.warning("could not store the name of %s", slack_id, exc_info=True)
        return fetched or slack_id


class OrgNames(CachedNames):
    """Names of Slack organizations (team ids)."""

    def __init__(
        self,
        workspace_id: str,
        *,
        clock: Clock,
        fetch: Callable[[str], str | None],
        remember: Remember | None = None,
    ) -> None:
        super().__init__(clock=clock, fetch=fetch, remember=remember)
        self.workspace_id = workspace_id

    def name(self, slack_id: str) -> str:
        """The organization's name, or its team id when Slack cannot say."""
        if slack_id == UNKNOWN_TEAM:
            return "unknown organization"  # not a team id: nothing to ask Slack
        return super().name(slack_id)


class NameRecorder:
    """Resolves (and so remembers) the names a changed ticket mentions: its channel, its
    organization, its assignee and first responder, and whoever acted."""

    def __init__(self, *, orgs: CachedNames, users: CachedNames, channels: CachedNames) -> None:
        self._orgs = orgs
        self._users = users
        self._channels = channels

    def __call__(self, event: TicketChanged) -> None:
        """Subscribe this to TicketChanged: cached ids cost nothing."""
        ticket = event.ticket
        self._channels.name(ticket.channel_id)
        if ticket.customer_team_id:
            self._orgs.name(ticket.customer_team_id)
        for user_id in {ticket.assignee_id, ticket.first_responder_id, event.actor_id}:
            if user_id:
                self._users.name(user_id)
