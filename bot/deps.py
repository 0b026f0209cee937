"""The services handlers share, built once by `create_app`."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.config import DeskConfig
from bot.csat import CsatService
from bot.daily_digest import DailyDigestService
from bot.events import Dispatcher
from bot.intake.inbox import Inbox
from bot.intake.service import IntakeService
from bot.orgs import OrgNames
from bot.people import Directory
from bot.routing.service import RoutingService
from bot.settings import Settings
from bot.sla.sweeper import SlaSweeper
from bot.suggestions import SuggestionService
from bot.tickets.duplicates import DuplicateFinder
from bot.tickets.merge import TicketMerger
from bot.tickets.workflow import TicketWorkflow

if TYPE_CHECKING:  # the guard is Slack I/O; only its type is named here
    from handlers.slack.guard import LeakGuard


@dataclass(frozen=True)
class Deps:
    """Everything a handler module needs; passed to each `register(app, deps)`."""

    settings: Settings
    desk: DeskConfig
    engine: Engine
    clock: Clock
    people: Directory
    intake: IntakeService
    workflow: TicketWorkflow
    suggestions: SuggestionService
    guard: "LeakGuard"
    sweeper: SlaSweeper
    csat: CsatService
    routing: RoutingService
    merger: TicketMerger
    duplicates: DuplicateFinder
    orgs: OrgNames
    digest: DailyDigestService
    inbox: Inbox
    events: Dispatcher  # `TicketChanged` after commit; the Slack effects subscribe to it
