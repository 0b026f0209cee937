"""`create_app`: builds the Bolt app with its database, Slack client, clock and listeners.

The only module of bot/ that imports handlers/: it wires the Slack side into the services
and hands the CLI, the demo and the job table what they need as `app.runtime`.
"""

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import logs
from bot.clock import Clock, utc_now
from bot.config import ConfigError
from bot.csat import CsatService
from bot.daily_digest import DailyDigestService
from bot.deps import Deps
from bot.events import Dispatcher
from bot.intake.inbox import Inbox
from bot.intake.service import IntakeService
from bot.kpi.service import KpiService
from bot.mentions import NameNotResolved, UserNames
from bot.metrics import Metrics
from bot.names.resolve import PAGE, SlackDirectory, all_pages, resolve_config
from bot.orgs import CachedNames, NameRecorder, OrgNames
from bot.people import Directory, Identity
from bot.routing.service import RoutingService
from bot.runtime import Runtime
from bot.settings import Settings
from bot.sla.planner import SlaPlanner
from bot.sla.sweeper import SlaSweeper
from bot.suggestions import SuggestionService
from bot.tickets.duplicates import DuplicateFinder
from bot.tickets.merge import TicketMerger
from bot.tickets.workflow import TicketWorkflow
from bot.transport.client import PooledWebClient, build_web_client, pooled_listener_clients
from handlers import declared_commands, declared_events, register_all
from handlers.csat import post_survey
from handlers.digest import send_daily_digest
from handlers.messages import finish_unfinished_tickets
from handlers.routing import announce_routing
from handlers.sla import send_digest
from handlers.slack.guard import LeakGuard
from handlers.slack.inputs import DeskApp
from handlers.slack.pipeline import IntakePipeline
from knowledge.articles import SAMPLE_ARTICLES, SAMPLE_KB, articles_folder
from knowledge.library import KnowledgeBase, default_embedder
from knowledge.semantic import encoder_notice
from store import names
from store.db import is_unique_violation, make_engine, session_scope
from store.events import record_event

logger = logging.getLogger(__name__)


class SetupError(Exception):
    """deskbot cannot start: a required setting is missing or Slack refused the token."""


def check_credentials(settings: Settings) -> None:
    """Fail early, with directions, when the Slack credentials are missing."""
    where = "See docs/admin-guide.md, 'Create the Slack app and run it for real'."
    if settings.slack_bot_token is None:
        raise SetupError(f"SLACK_BOT_TOKEN is not set. {where}")
    if settings.slack_signing_secret is None and not settings.socket_mode:
        raise SetupError(
            "SLACK_SIGNING_SECRET is not set (needed over HTTP; set SLACK_APP_TOKEN instead "
            f"to connect over Socket Mode). {where}"
        )


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    engine: Engine | None = None,
    clock: Clock = utc_now,
    listener_executor: Executor | None = None,
) -> DeskApp:
    """Build the deskbot Bolt app; nothing is served until a transport runs it."""
    # Known from here on: any log line or traceback that quotes a secret shows a placeholder.
    for secret in (
        settings.slack_signing_secret,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.deskbot_session_secret,
    ):
        logs.remember_secret(secret.get_secret_value() if secret else None)
    if client is None:
        check_credentials(settings)
        assert settings.slack_bot_token is not None
        client = build_web_client(
            settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
        )
    metrics = Metrics()
    if isinstance(client, PooledWebClient):
        client.observer = metrics  # before the first call: start-up calls count too
    engine = engine or make_engine(settings.database_url)
    metrics.watch_engine(engine)
    identity = _identify(client)
    settings = resolve_names(settings, client)  # from here on, the config holds IDs only
    people = Directory(
        settings.desk,
        identity,
        clock=clock,
        fetch_user_team=lambda user_id: _user_team(client, user_id),
        fetch_group_members=lambda group_id: _group_members(client, group_id),
    )
    planner = SlaPlanner(settings.desk, clock)
    inbox = Inbox(engine, clock)
    metrics.watch_inbox(inbox.backlog, clock)
    # SQLite writes one transaction at a time; PostgreSQL overlaps a few.
    pipeline = IntakePipeline(
        inbox, workers=1 if engine.dialect.name == "sqlite" else 4, metrics=metrics
    )
    guard = LeakGuard(client, clock, is_agent=people.is_agent)
    csat = CsatService(
        engine,
        clock,
        settings.desk.csat,
        is_agent=people.is_agent,
        send=lambda survey, ticket: post_survey(guard, survey, ticket),
    )
    routing = RoutingService(
        engine,
        clock,
        settings.desk,
        planner,
        workspace_id=identity.workspace_id,
        pool=people.agent_pool,
        is_member=people.is_member,
        # `deps` is bound below, before anything can route a ticket.
        announce=lambda notice: announce_routing(deps, notice),
    )
    events = Dispatcher()
    deps = Deps(
        settings=settings,
        desk=settings.desk,
        clock=clock,
        people=people,
        intake=IntakeService(
            engine, clock, planner, group_window=settings.desk.intake.group_window
        ),
        workflow=TicketWorkflow(
            engine, clock, planner, observers=[csat.observe, routing.observe], events=events
        ),
        suggestions=SuggestionService(
            engine,
            knowledge_base(settings.desk.knowledge_dir, clock),
            clock,
            settings.desk.suggestions,
        ),
        guard=guard,
        sweeper=SlaSweeper(
            engine,
            planner,
            settings.desk,
            clock,
            send=lambda recipient, text: send_digest(guard, recipient, text),
            events=events,
        ),
        csat=csat,
        routing=routing,
        merger=TicketMerger(engine, clock, planner, observers=[routing.observe], events=events),
        duplicates=DuplicateFinder(engine, clock),
        orgs=OrgNames(
            identity.workspace_id,
            clock=clock,
            fetch=lambda team: _team_name(client, team),
            remember=_remembering(engine, clock, names.ORG),
        ),
        digest=DailyDigestService(
            engine,
            settings.desk,
            clock,
            send=lambda channel, report: send_daily_digest(guard, channel, report),
        ),
        inbox=inbox,
        kpi=KpiService(engine, settings.desk, clock),
        pipeline=pipeline,
        events=events,
        user_names=UserNames(clock=clock, fetch=lambda: _list_users(client)),
    )
    deps.suggestions.load_examples()
    # Names are remembered as tickets change, so `deskbot kpi` and exports show them offline.
    events.subscribe(
        NameRecorder(
            orgs=deps.orgs,
            users=CachedNames(
                clock=clock,
                fetch=lambda user: _user_name(client, user),
                remember=_remembering(engine, clock, names.USER),
            ),
            channels=CachedNames(
                clock=clock,
                fetch=lambda channel: _channel_name(client, channel),
                remember=_remembering(engine, clock, names.CHANNEL),
            ),
        )
    )
    runtime = Runtime(
        deps=deps,
        engine=engine,
        pipeline=pipeline,
        pull_inbox=lambda: pipeline.pull(client),
        finish_unfinished_tickets=lambda now: finish_unfinished_tickets(deps, client, now=now),
        slack_commands=frozenset(declared_commands()),
        slack_events=frozenset(declared_events()),
        metrics=metrics,
    )
    app = DeskApp(
        client=client,
        signing_secret=(
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else "socket-mode-does-not-sign"
        ),
        runtime=runtime,
        seen_before=lambda signature: _seen_before(engine, clock, signature),
        process_before_response=False,
        listener_executor=listener_executor,
        logger=logging.getLogger("deskbot.bolt"),
    )
    if isinstance(client, PooledWebClient):
        # Before any listener: Bolt gives each request a fresh, unpooled client otherwise.
        app.use(pooled_listener_clients(client.pool, client.observer))
    pipeline.attach(app)  # keeps events before any listener runs, whatever the order below
    register_all(app, deps)
    return app


def knowledge_base(configured: Path | None, clock: Clock) -> KnowledgeBase:
    """The knowledge base the bot serves; says at start whether it matches by meaning."""
    folder = knowledge_folder(configured)
    embedder = default_embedder(folder)
    if folder is not None:
        # One line either way: an operator sees whether the encoder package is installed.
        level = logging.INFO if embedder is not None else logging.WARNING
        logger.log(level, encoder_notice(embedder.encoder if embedder is not None else None))
    return KnowledgeBase(folder, clock=clock, embedder=embedder)


def knowledge_folder(configured: Path | None) -> Path | None:
    """Where the articles are (`knowledge.articles.articles_folder`), said once at start."""
    folder = articles_folder(configured)
    if folder is None:
        logger.warning(
            "no knowledge_dir set: no articles are suggested (`knowledge_dir: %s` serves the "
            "sample articles)",
            SAMPLE_KB,
        )
    elif folder == SAMPLE_ARTICLES:
        logger.info("knowledge base: the sample articles (knowledge_dir: %s)", SAMPLE_KB)
    else:
        logger.info("knowledge base: %s", folder)
    return folder


def resolve_names(settings: Settings, client: WebClient) -> Settings:
    """The settings with every `#channel`, `@person` and `@group` of the config as its ID."""
    directory = SlackDirectory(client)
    try:
        desk = resolve_config(settings.desk, directory, source=str(settings.deskbot_config))
    except ConfigError as error:
        raise SetupError(str(error)) from None
    for found in directory.resolutions.values():
        logger.info("%s: %s", settings.deskbot_config, found)
    return settings.model_copy(update={"desk": desk}) if directory.resolutions else settings


def _identify(client: WebClient) -> Identity:
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        raise SetupError(f"Slack rejected the bot token: {error.response.get('error')}") from None
    return Identity(
        workspace_id=auth["team_id"], bot_user_id=auth["user_id"], bot_id=auth.get("bot_id")
    )


def _seen_before(engine: Engine, clock: Clock, signature: str) -> bool:
    """Remember a request signature; True if it was already remembered (a replay)."""
    key = "sig:" + hashlib.sha256(signature.encode()).hexdigest()[:56]
    try:
        with session_scope(engine) as session:
            record_event(session, event_id=key, event_type="signature", received_at=clock())
    except IntegrityError as error:
        if is_unique_violation(error):
            return True
        raise
    return False


def _user_team(client: WebClient, user_id: str) -> str | None:
    """The user's team id, or None when Slack cannot say (the Directory then fails closed)."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        # Expected in an outage or for a vanished user: one line, no traceback.
        logger.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        return None
    except OSError as error:  # the connection failed or its answer was lost
        logger.warning("users.info failed for %s: %s", user_id, type(error).__name__)
        return None
    team = user.get("team_id")
    return team if isinstance(team, str) and team else None


def _list_users(client: WebClient) -> list[dict[str, Any]]:
    """Everyone in the workspace (users.list, every page), for typed names."""
    try:
        return list(all_pages(client.users_list, "members", limit=PAGE))
    except SlackApiError as error:
        logger.warning("users.list failed: %s", error.response.get("error"))
        raise NameNotResolved(
            "Slack did not say who is who just now: mention them instead, like `@ana`."
        ) from None


def _team_name(client: WebClient, team_id: str) -> str | None:
    # A missing name is shown as the id: one warning line, not a traceback.
    try:
        return (client.team_info(team=team_id).get("team") or {}).get("name")
    except SlackApiError as error:
        logger.warning(
            "team.info failed for %s (%s); showing its id", team_id, error.response.get("error")
        )
        return None


def _user_name(client: WebClient, user_id: str) -> str | None:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        logger.warning(
            "users.info failed for %s (%s); showing its id", user_id, error.response.get("error")
        )
        return None
    profile = user.get("profile") or {}
    return profile.get("display_name") or user.get("real_name") or user.get("name")


def _channel_name(client: WebClient, channel_id: str) -> str | None:
    try:
        channel = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        logger.warning(
            "conversations.info failed for %s (%s); showing its id",
            channel_id,
            error.response.get("error"),
        )
        return None
    name = channel.get("name")
    return f"#{name}" if name else None


def _remembering(engine: Engine, clock: Clock, kind: str) -> Callable[[str, str], None]:
    """Store each name found, for the reports that run without Slack."""

    def remember(slack_id: str, name: str) -> None:
        with session_scope(engine) as session:
            names.remember_name(session, kind=kind, slack_id=slack_id, name=name, at=clock())

    return remember


def _group_members(client: WebClient, group_id: str) -> list[str] | None:
    try:
        return list(client.usergroups_users_list(usergroup=group_id).get("users") or [])
    except SlackApiError:
        logger.exception("usergroups.users.list failed for %s; keeping the last known", group_id)
        return None
