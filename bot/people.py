"""Who is who: agents, leads and customers, with cached lookups of Slack's directory.

Identity fails closed: a user whose organization Slack cannot tell us is nobody's agent
or lead, and is not remembered as anything; only real answers are cached (for a while),
and a failed lookup is asked again after a short pause.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import DeskConfig

logger = logging.getLogger(__name__)

GROUP_CACHE_TTL = timedelta(minutes=5)
TEAM_CACHE_TTL = timedelta(hours=1)  # a person rarely changes organization; bounded anyway
TEAM_RETRY_AFTER = timedelta(minutes=1)  # when Slack could not answer, ask again after this
# What a message from a user Slack could not place is recorded under (a customer of an
# organization not known yet); the correcting job fills in the real team later.
UNKNOWN_TEAM = "unknown"


@dataclass(frozen=True)
class Identity:
    """The workspace deskbot is installed in and its own bot user."""

    workspace_id: str
    bot_user_id: str
    bot_id: str | None = None


class Directory:
    """Answers 'is this user an agent?' and 'which organization is this user from?'.

    Lookups go through injected callables (the wiring passes Slack Web API calls). A user
    lookup answers the user's team id, or None when Slack could not say (not cached).
    """

    def __init__(
        self,
        desk: DeskConfig,
        identity: Identity,
        *,
        clock: Clock,
        fetch_user_team: Callable[[str], str | None],
        fetch_group_members: Callable[[str], list[str] | None],
    ) -> None:
        self._desk = desk
        self._identity = identity
        self._clock = clock
        self._fetch_user_team = fetch_user_team
        self._fetch_group_members = fetch_group_members
        self._lock = threading.Lock()
        self._user_teams: dict[str, tuple[str, datetime]] = {}
        self._failed: dict[str, datetime] = {}
        self._group_members: frozenset[str] = frozenset()
        self._group_fetched_at: datetime | None = None

    @property
    def identity(self) -> Identity:
        """The installing workspace and bot user."""
        return self._identity

    def is_member(self, user_id: str, *, team_id: str | None = None) -> bool:
        """Whether the user is verified to belong to the installing workspace."""
        return (team_id or self.team_of(user_id)) == self._identity.workspace_id

    def is_lead(self, user_id: str) -> bool:
        """Whether the user is a listed lead of our own workspace (leads are agents too)."""
        return user_id in self._desk.leads and self.is_member(user_id)

    def is_agent(self, user_id: str, *, team_id: str | None = None) -> bool:
        """Whether the user works tickets; people from other or unknown organizations never do.

        Without a `team_id` the user's organization is looked up (cached), so a Slack
        Connect guest listed as an agent by mistake still cannot work tickets.
        """
        if not self.is_member(user_id, team_id=team_id):
            return False
        if user_id in self._desk.agents or user_id in self._desk.leads:
            return True
        return user_id in self._usergroup_members()

    def agent_pool(self) -> list[str]:
        """Every agent who takes tickets, in a stable order: the config's list, then the group.

        Leads are agents but only in the pool when listed under `agents` themselves; only
        verified members of the installing workspace are in it (an outsider's DMs fail).
        """
        listed = list(dict.fromkeys(self._desk.agents))
        pool = listed + sorted(set(self._usergroup_members()) - set(listed))
        return [agent for agent in pool if self.is_member(agent)]

    def team_of(self, user_id: str, *, hint: str | None = None) -> str | None:
        """The user's organization (Slack team id), from the event if it says, else Slack.

        None when Slack could not answer: unknown, which grants nothing.
        """
        if hint:
            return hint
        now = self._clock()
        with self._lock:
            cached = self._user_teams.get(user_id)
            failed_at = self._failed.get(user_id)
        if cached is not None and now - cached[1] < TEAM_CACHE_TTL:
            return cached[0]
        if failed_at is not None and now - failed_at < TEAM_RETRY_AFTER:
            return None  # Slack failed a moment ago: do not hammer it on every message
        team = self._fetch_user_team(user_id)
        with self._lock:
            if team:
                self._user_teams[user_id] = (team, now)
                self._failed.pop(user_id, None)
            else:
                self._user_teams.pop(user_id, None)
                self._failed[user_id] = now
        return team or None

    def _usergroup_members(self) -> frozenset[str]:
        group = self._desk.agents_usergroup
        if group is None:
            return frozenset()
        now = self._clock()
        with self._lock:
            fresh = self._group_fetched_at and now - self._group_fetched_at < GROUP_CACHE_TTL
            if fresh:
                return self._group_members
        fetched = self._fetch_group_members(group)
        with self._lock:
            if fetched is not None:  # None: Slack could not answer, keep what we knew
                self._group_members = frozenset(fetched)
            self._group_fetched_at = now
            return self._group_members
