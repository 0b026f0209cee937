"""What every dashboard view reaches: the built deskbot's services, and names for ids."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app
from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.config import DeskConfig
from bot.dashboard.auth import SlackSignIn
from bot.kpi.service import KpiService
from bot.people import Directory
from bot.ranges import DateRange
from bot.settings import Settings
from bot.suggestions import SuggestionService
from store import names
from store.db import read_scope

EXTENSION = "deskbot"
blueprint = Blueprint("dashboard", __name__)  # every page registers on it


@dataclass(frozen=True)
class Desk:
    """The dashboard's handle on deskbot: settings, services, database, clock."""

    settings: Settings
    desk: DeskConfig
    people: Directory
    kpi: KpiService
    suggestions: SuggestionService
    engine: Engine
    clock: Clock
    sign_in: SlackSignIn

    @property
    def workspace_id(self) -> str:
        """The installing workspace: the only one whose people may sign in."""
        return self.people.identity.workspace_id

    @property
    def zone(self) -> ZoneInfo:
        """The team's timezone: pages show times in it."""
        return ZoneInfo(self.kpi.timezone)

    def local(self, moment: datetime | None) -> str:
        """A moment as the team reads it: `2026-11-03 10:15`."""
        return "" if moment is None else moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def span(self, date_range: DateRange) -> str:
        """The local days a range covers: `2026-11-02 to 2026-11-06`."""
        first = date_range.start.astimezone(self.zone).date()
        last = (date_range.end - timedelta(microseconds=1)).astimezone(self.zone).date()
        return str(first) if first == last else f"{first} to {last}"

    def names(self, kind: str, ids: Iterable[str | None]) -> dict[str, str]:
        """id -> name as remembered from Slack (ids never named are left out)."""
        wanted = [i for i in ids if i]
        if not wanted:
            return {}
        with read_scope(self.engine) as session:
            return names.known_names(session, kind=kind, slack_ids=wanted)


def desk() -> Desk:
    """The Desk of the dashboard serving this request."""
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]
