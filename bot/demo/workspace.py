"""`deskbot demo`: the whole product on a laptop, offline, with no Slack workspace.

A local Slack-compatible workspace (fakeslack: Web API, signed requests, a browser
client) hosts the real deskbot app, which connects to it exactly as to Slack: events,
commands and button presses arrive signed over HTTP at /slack/events, and the app calls
the Web API over HTTP at the workspace's base URL. Data lives in a SQLite file; time runs
on an accelerated clock so SLA warnings show up within minutes, and the background jobs
are production's job table (bot/jobs.py), run as often as that clock makes them due.
"""

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlalchemy.engine import Engine

from bot import jobs
from bot.app import create_app
from bot.config import DeskConfig, parse_config
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import HttpServer, make_wsgi_app
from fakeslack import FakeSlack, SlackDriver
from fakeslack.humans import Humans
from fakeslack.webui import Directory, WebUI
from store.db import make_engine, migrate

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

HOME, ACME = "T0NORTHWND", "T0ACME"
HELP, TRIAGE, LEADS = "C0HELPACME", "C0TRIAGE", "C0LEADS"
CARLA, DIETER, YUKI = "UCARLA", "UDIETER", "UYUKI"  # customers at Acme (Slack Connect)
ANA, BEN, LEE = "UANA", "UBEN", "ULEE"  # agents; Lee leads the team
BOT_TOKEN = "xoxb-demo-workspace"
TEAM_NAMES = {HOME: "Northwind", ACME: "Acme Corp"}
PEOPLE = [
    (CARLA, "carla", "Carla Jones", ACME, "customer"),
    (DIETER, "dieter", "Dieter Weber", ACME, "customer"),
    (YUKI, "yuki", "Yuki Tanaka", ACME, "customer"),
    (ANA, "ana", "Ana Silva", HOME, "agent"),
    (BEN, "ben", "Ben Okafor", HOME, "agent"),
    (LEE, "lee", "Lee Park", HOME, "lead"),
]
CHANNELS = [
    (HELP, "help-acme", True, "Support for Acme Corp (shared channel)"),
    (TRIAGE, "support-triage", False, "Every new ticket lands here"),
    (LEADS, "support-leads", False, "SLA alerts and KPIs"),
]
# The app's message shortcuts, as app_manifest.yaml names them (the page's message menu).
SHORTCUTS = {"claim_ticket": "Claim ticket"}
# Short calendar-time targets: the demo's SLA warnings and breaches come within minutes.
DEMO_CONFIG: dict[str, Any] = {
    "support_channels": [HELP],
    "triage_channel": TRIAGE,
    "leads_channel": LEADS,
    "agents": [ANA, BEN],
    "leads": [LEE],
    "sla_policies": [
        {
            "name": "acme-standard",
            "first_response": "15m",
            "next_response": "30m",
            "resolution": "2h",
        }
    ],
    "nudges": {"warn_at": 0.75, "escalate_after": ["30m"]},
    "costs": {"monthly_spend": 12000, "currency": "EUR"},
    "knowledge_dir": "sample",  # the demo's product is the sample articles' product
}


class AcceleratedClock:
    """Demo time: starts at `start`, runs `speed` times faster than real time, and can jump."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._jumped = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            elapsed = (self._monotonic() - self._origin) * self._speed
            return self._start + self._jumped + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> None:
        """Jump forward (a scenario skipping to the next moment of its day)."""
        with self._lock:
            self._jumped += delta

    def set_speed(self, speed: float) -> None:
        """Change how fast time runs from now on, without a jump."""
        now = self()
        with self._lock:
            self._start, self._jumped, self._origin, self._speed = (
                now,
                timedelta(),
                self._monotonic(),
                speed,
            )

    @property
    def speed(self) -> float:
        """How many demo seconds pass per real second."""
        return self._speed

    def epoch(self) -> float:
        """Now as Unix seconds (the workspace issues message timestamps from it)."""
        return self().timestamp()


class ListenerPool(ThreadPoolExecutor):
    """The app's listener threads, remembering work so a scenario can wait for quiet."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="demo-listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures = [f for f in self._futures if not f.done()]
            self._futures.append(future)
        return future

    def drain(self, timeout: float = 30) -> None:
        """Block until every listener submitted so far (and any they started) finished."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} listeners still running after {timeout}s")
            wait(pending, timeout=remaining)


def demo_config() -> DeskConfig:
    """The demo's deskbot.yaml: one shared help channel, triage, leads, short SLAs."""
    return parse_config(DEMO_CONFIG, source="demo config")


def demo_morning(now: datetime, *, minutes_before: int = 0) -> datetime:
    """09:00 of `now`'s day in the demo's business-hours timezone (a minute or so before,
    for a scenario that starts at 09:00), so business-hours numbers are never all zero."""
    zone = ZoneInfo(demo_config().business_hours.timezone)
    today = now.astimezone(zone).date()
    nine = datetime(today.year, today.month, today.day, 9, 0, tzinfo=zone)
    return (nine - timedelta(minutes=minutes_before)).astimezone(UTC)


def populate(fake: FakeSlack) -> None:
    """The demo's directory: Northwind's support team and its customer, Acme Corp."""
    for channel_id, name, shared, topic in CHANNELS:
        fake.add_channel(
            channel_id,
            name,
            is_ext_shared=shared,
            topic={"value": topic, "creator": "", "last_set": 0},
        )
    for team_id, team_name in TEAM_NAMES.items():
        if team_id != HOME:  # the home workspace answers team.info by itself
            fake.add_team(team_id, team_name)
    for user_id, name, real_name, team, _role in PEOPLE:
        fake.add_user(user_id, name, team_id=team, real_name=real_name)


@dataclass
class Demo:
    """A running demo: the workspace, the bot served over HTTP, and its background jobs."""

    fake: FakeSlack
    app: App
    runtime: Runtime
    engine: Engine
    clock: AcceleratedClock
    server: HttpServer
    humans: Humans
    pool: ListenerPool
    database_url: str
    folder: Path | None = None  # the temporary folder of the database, removed on stop
    scheduler: "BackgroundScheduler | None" = None

    @property
    def url(self) -> str:
        """Where the browser client is served."""
        return self.fake.base_url + "/"

    def drain(self) -> None:
        """Wait until the bot has finished handling everything sent so far."""
        self.pool.drain()
        self.runtime.pull_inbox()  # what a burst left in the inbox
        self.runtime.deps.inbox.in_hand.wait_idle(timeout=30)  # messages being stored
        self.pool.drain()

    def sweep(self) -> Any:
        """Run one SLA sweep now (at the demo clock's time); a scenario shows its report."""
        return self.runtime.deps.sweeper.sweep()

    def start_jobs(self) -> None:
        """Run production's job table in the background, as often as the demo clock's
        speed makes each job due (at most once a real second)."""
        self.scheduler = jobs.start_jobs(self.runtime, speed=self.clock.speed)

    def stop(self) -> None:
        """Stop the jobs and serving; remove the temporary folder (a given database stays)."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.fake.ui is not None:
            self.fake.ui.closed = True
        self.server.stop()
        self.pool.shutdown(wait=True)
        self.runtime.deps.inbox.in_hand.wait_idle(timeout=10)  # let storing finish first
        self.fake.stop()
        self.engine.dispose()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_demo(
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    speed: float = 30.0,
    start: datetime | None = None,
    database_url: str | None = None,
) -> Demo:
    """Start the workspace, migrate a fresh database and connect the bot to it.

    The database is a new SQLite file in a temporary folder unless `database_url` names
    an (empty) one, as the tests do to run the demo on PostgreSQL too.
    """
    folder = None
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="deskbot-demo-"))
        database_url = f"sqlite:///{folder / 'demo.db'}"
    try:
        return _start(port, host, speed, start, database_url, folder)
    except BaseException:  # a port in use, or Ctrl-C while starting: leave nothing behind
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _start(
    port: int,
    host: str,
    speed: float,
    start: datetime | None,
    database_url: str,
    folder: Path | None,
) -> Demo:
    clock = AcceleratedClock(start or demo_morning(datetime.now(UTC)), speed)
    engine = make_engine(database_url)
    migrate(engine)
    signing_secret = secrets.token_hex(16)
    fake = FakeSlack(
        team_id=HOME,
        bot_token=BOT_TOKEN,
        team_domain="northwind",
        team_name=TEAM_NAMES[HOME],
        now=clock.epoch,
    )
    populate(fake)
    fake.start(port=port, host=host)
    settings = Settings(
        slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        slack_signing_secret=signing_secret,  # type: ignore[arg-type]
        slack_api_url=fake.api_url,
        database_url=database_url,
        desk=demo_config(),
        # The dashboard signs people in through the workspace's own OpenID pages.
        slack_client_id=fake.openid.client_id,
        slack_client_secret=fake.openid.client_secret,  # type: ignore[arg-type]
    )
    pool = ListenerPool()
    app = create_app(settings, engine=engine, clock=clock, listener_executor=pool)
    # The bot's own server also serves the dashboard, which the page links to on this host.
    server = HttpServer(make_wsgi_app(app, engine), host=host, port=0).start()
    driver = SlackDriver(
        app_url=f"{server.url}/slack/events",
        signing_secret=signing_secret,
        team_id=HOME,
        api_app_id=fake.app_id,
        bot_user_id=fake.bot_user_id,
        team_domain="northwind",
        response_url_base=fake.response_url_base,
        ts_factory=fake.next_ts,
    )
    runtime = app.runtime
    humans = Humans(fake, driver, commands=runtime.slack_commands, events=runtime.slack_events)
    roles = {user_id: role for user_id, _n, _r, _t, role in PEOPLE}
    fake.ui = WebUI(
        fake,
        humans,
        Directory(
            team_names=TEAM_NAMES,
            roles=roles,
            default_user=CARLA,
            title="deskbot demo · Northwind",
            now=clock.epoch,
            speed=lambda: clock.speed,
            shortcuts=SHORTCUTS,
            dashboard_port=server.port,
        ),
    )
    return Demo(
        fake=fake,
        app=app,
        runtime=runtime,
        engine=engine,
        clock=clock,
        server=server,
        humans=humans,
        pool=pool,
        database_url=database_url,
        folder=folder,
    )
