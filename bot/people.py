"""Who is who: agents, leads and customers, with cached lookups of Slack's directory."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config import DeskConfig

logger = logging.getLogger(__name__)

GROUP_CACHE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Identity:
    """The workspace deskbot is installed in and its own bot user."""

    workspace_id: str
    bot_user_id: str
    bot_id: str | None = None


class Directory:
    """Answers 'is this user an agent?' and 'which organization is this user from?'.

    Lookups go through injected callables (the wiring passes Slack Web API calls), are
    cached, and degrade to the config's explicit lists when Slack cannot answer.
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
        self._user_teams: dict[str, str] = {}
        self._group_members: frozenset[str] = frozenset()
        self._group_fetched_at: datetime | None = None

    @property
    def identity(self) -> Identity:
        """The installing workspace and bot user."""
        return self._identity

    def is_lead(self, user_id: str) -> bool:
        """Whether the user is a lead (leads are agents too)."""
        return user_id in self._desk.leads

    def is_agent(self, user_id: str, *, team_id: str | None = None) -> bool:
        """Whether the user works tickets; people from other organizations never do.

        Without a `team_id` the user's organization is looked up (cached), so a Slack
        Connect guest listed as an agent by mistake still cannot work tickets.
        """
        if (team_id or self.team_of(user_id)) != self._identity.workspace_id:
            return False
        if user_id in self._desk.agents or user_id in self._desk.leads:
            return True
        return user_id in self._usergroup_members()

    def agent_pool(self) -> list[str]:
        """Every agent who takes tickets, in a stable order: the config's list, then the group.

        Leads are agents but only in the pool when listed under `agents` themselves.
        """
        listed = list(dict.fromkeys(self._desk.agents))
        return listed + sorted(set(self._usergroup_members()) - set(listed))

    def team_of(self, user_id: str, *, hint: str | None = None) -> str:
        """The user's organization (Slack team id), from the event if it says, else Slack."""
        if hint:
            return hint
        with self._lock:
            cached = self._user_teams.get(user_id)
        if cached is not None:
            return cached
        team = self._fetch_user_team(user_id) or self._identity.workspace_id
        with self._lock:
            self._user_teams[user_id] = team
        return team

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
