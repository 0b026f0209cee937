"""The services handlers share, built once by `create_app`."""

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import DeskConfig
from bot.csat import CsatService
from bot.daily_digest import DailyDigestService
from bot.events import Dispatcher
from bot.intake.inbox import Inbox
from bot.intake.service import IntakeService
from bot.kpi.service import KpiService
from bot.mentions import UserNames
from bot.orgs import OrgNames
from bot.people import Directory
from bot.ports import KeptEvents, Poster
from bot.routing.service import RoutingService
from bot.settings import Settings
from bot.sla.sweeper import SlaSweeper
from bot.suggestions import SuggestionService
from bot.tickets.duplicates import DuplicateFinder
from bot.tickets.merge import TicketMerger
from bot.tickets.workflow import TicketWorkflow


@dataclass(frozen=True)
class Deps:
    """Everything a handler module needs; passed to each `register(app, deps)`.

    No engine: listeners reach the database only through the services here.
    """

    settings: Settings
    desk: DeskConfig
    clock: Clock
    people: Directory
    intake: IntakeService
    workflow: TicketWorkflow
    suggestions: SuggestionService
    guard: Poster
    sweeper: SlaSweeper
    csat: CsatService
    routing: RoutingService
    merger: TicketMerger
    duplicates: DuplicateFinder
    orgs: OrgNames
    digest: DailyDigestService
    inbox: Inbox
    kpi: KpiService
    pipeline: KeptEvents
    events: Dispatcher  # `TicketChanged` after commit; the Slack effects subscribe to it
    user_names: UserNames  # plain `@name`s typed in commands, to user ids
