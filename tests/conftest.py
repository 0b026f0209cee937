"""Fixtures: one database per run (SQLite, or PostgreSQL via TEST_DATABASE_URL), the fake
Slack server, and `deskbot`: the real app served over HTTP and driven with signed requests.
"""

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import store.models  # noqa: F401  (table metadata for the reset)
from bot.app import create_app
from bot.config import DeskConfig, parse_config
from bot.settings import Settings
from bot.transport.client import build_web_client
from bot.web import HttpServer, make_wsgi_app
from fakeslack import FakeSlack, SlackDriver
from fakeslack.openid import CLIENT_ID, CLIENT_SECRET
from store.db import make_engine, migrate
from store.kpi.triggers import facts
from tests.support.harness import SIGNING_SECRET, DrainableExecutor, MutableClock, RunningBot

HOME = "T0HOME"
ACME = "T0ACME"
HELP = "C0HELP"  # shared with the customer organization ACME (Slack Connect)
INTERNAL_HELP = "C0ITHELP"
SHARED_TRIAGE = "C0ACMEESC"  # another channel shared with ACME
TRIAGE = "C0TRIAGE"
LEADS = "C0LEADS"
RANDOM = "C0RANDOM"
AGENT = "UAGENT1"
AGENT2 = "UAGENT2"
GROUP_AGENT = "UAGENT3"
LEAD = "ULEAD1"
CUSTOMER = "UCUST1"
CUSTOMER2 = "UCUST2"
COLLEAGUE = "UINT1"  # an employee of the installing workspace asking for help
SUPPORT_GROUP = "S0SUPPORT"

DEFAULT_CONFIG: dict[str, Any] = {
    "support_channels": [HELP, INTERNAL_HELP],
    "triage_channel": TRIAGE,
    "leads_channel": LEADS,
    "agents": [AGENT, AGENT2],
    "agents_usergroup": SUPPORT_GROUP,
    "leads": [LEAD],
    # Most tests open several tickets from one customer microseconds apart; grouping
    # them into one conversation is tested on its own (tests/scenarios/test_grouping.py).
    "intake": {"group_window": None},
    "knowledge_dir": "sample",  # production serves no articles unless a folder is set
}


def pytest_report_header() -> str:
    """Say which database this run uses."""
    return f"deskbot test database: {_database_url().split('@')[-1]}"


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or ""


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """In-process CLI runs set up logging; give every test the logging it started with."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The run's database, migrated from scratch with Alembic."""
    url = _database_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'deskbot.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        SQLModel.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The database, emptied before the test; its KPI facts must match its rows after it."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    yield engine
    with engine.connect() as connection:
        stale = facts.drift(connection)
    # Every write path (ORM, Core, raw SQL) must leave ticket_fact and its rollups in step.
    assert not any(stale.values()), f"KPI facts out of step: {stale}"


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    """One fake Slack for the run, with a workspace, a customer org, channels and users."""
    fake = started_fake()
    yield fake
    fake.stop()


def started_fake() -> FakeSlack:
    """A started fake Slack holding the test workspace (the caller stops it)."""
    fake = FakeSlack(team_id=HOME, bot_user_id="UBOT", bot_id="BBOT", team_domain="home")
    fake.start()
    _populate(fake)
    return fake


def _populate(fake: FakeSlack) -> None:
    fake.add_channel(HELP, "help-acme", is_ext_shared=True)
    fake.add_channel(SHARED_TRIAGE, "acme-escalations", is_ext_shared=True)
    for channel, name in [
        (INTERNAL_HELP, "it-help"),
        (TRIAGE, "support-triage"),
        (LEADS, "support-leads"),
        (RANDOM, "random"),
    ]:
        fake.add_channel(channel, name)
    for user, name in [(AGENT, "ana"), (AGENT2, "ben"), (GROUP_AGENT, "cho"), (LEAD, "lee")]:
        fake.add_user(user, name, team_id=HOME)
    fake.add_user(COLLEAGUE, "ivan", team_id=HOME)
    fake.add_user(CUSTOMER, "carla", team_id=ACME)
    fake.add_user(CUSTOMER2, "dmitri", team_id=ACME)
    fake.add_usergroup(SUPPORT_GROUP, "support", [GROUP_AGENT])
    fake.add_team(ACME, "acme")


@pytest.fixture
def fake(slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack, emptied; the test fails if the app made an invalid call."""
    slack_server.reset()
    yield slack_server
    assert slack_server.errors == [], f"invalid Slack API usage: {slack_server.errors}"


@pytest.fixture
def clock() -> MutableClock:
    """Injected time."""
    return MutableClock()


def make_settings(config: dict[str, Any] | DeskConfig, api_url: str, db_url: str) -> Settings:
    """Settings as `deskbot run` would build them, pointed at the fake."""
    desk = config if isinstance(config, DeskConfig) else parse_config(config)
    return Settings(
        slack_bot_token="xoxb-test",  # type: ignore[arg-type]
        slack_signing_secret=SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=api_url,
        database_url=db_url,
        desk=desk,
        slack_client_id=CLIENT_ID,  # the dashboard's Sign in with Slack, against the fake
        slack_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
    )


@pytest.fixture
def start_deskbot(
    fake: FakeSlack, db: Engine, clock: MutableClock
) -> Iterator[Callable[..., RunningBot]]:
    """Start deskbot (real Bolt app, real HTTP server) with an optional config override."""
    started: list[RunningBot] = []

    def start(config: dict[str, Any] | None = None, **overrides: Any) -> RunningBot:
        settings = make_settings(
            {**DEFAULT_CONFIG, **(config or {}), **overrides},
            fake.api_url,
            db.url.render_as_string(hide_password=False),
        )
        sleeps: list[float] = []
        client = build_web_client("xoxb-test", base_url=fake.api_url, sleep=sleeps.append)
        executor = DrainableExecutor()
        app = create_app(
            settings, client=client, engine=db, clock=clock, listener_executor=executor
        )
        server = HttpServer(make_wsgi_app(app, db), host="127.0.0.1", port=0).start()
        driver = SlackDriver(
            app_url=f"{server.url}/slack/events",
            signing_secret=SIGNING_SECRET,
            team_id=HOME,
            api_app_id="A0DESK",
        )
        bot = RunningBot(app, server, driver, db, executor, sleeps)
        logging.getLogger("handlers.slack.errors").addHandler(bot.errors)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        bot.drain()
        bot.server.stop()
        bot.executor.shutdown(wait=True)
        logging.getLogger("handlers.slack.errors").removeHandler(bot.errors)
    for bot in started:
        failures = [record.getMessage() for record in bot.errors.records]
        assert bot.allow_listener_errors or not failures, f"listener errors: {failures}"


@pytest.fixture
def deskbot(start_deskbot: Callable[..., RunningBot]) -> RunningBot:
    """deskbot with the default test config."""
    return start_deskbot()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory with no deskbot.yaml and no Slack environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DESKBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
