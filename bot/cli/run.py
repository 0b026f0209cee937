"""`deskbot run`: migrate the database, schedule the job table, then serve Slack."""

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.settings import Settings

logger = logging.getLogger("deskbot")


def add_run_parser(commands: Any) -> None:
    """Register `deskbot run` on the CLI's subcommands."""
    run = commands.add_parser(
        "run",
        help="serve Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)",
        description="Migrate the database, resolve the #channel and @name names of "
        "deskbot.yaml, then serve Slack. Over HTTP all Slack traffic goes to POST "
        "/slack/events; GET /healthz reports health, GET /metrics Prometheus metrics, and / "
        "is the leads' web dashboard (Sign in with Slack) when SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET are set. With SLACK_APP_TOKEN set, deskbot connects over Socket "
        "Mode and serves /healthz, /metrics and the dashboard on --port.",
    )
    run.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")


def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    """Serve Slack until interrupted, with every job of bot/jobs.py scheduled."""
    from bot import jobs
    from bot.app import SetupError, check_credentials, create_app
    from bot.web import HttpServer, make_wsgi_app
    from store.db import make_engine, migrate

    try:
        check_credentials(settings)
    except SetupError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    migrate(engine)
    logger.info("database ready (%s)", safe_url(settings.database_url))
    try:
        # slack_sdk logs each failed try at ERROR before giving up; the one line below
        # says it all, so its log is quiet until the app is built.
        with quiet(logging.getLogger("slack_sdk.web.base_client")):
            app = create_app(settings, engine=engine)
    except SetupError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # URLError, a refused or lost connection: Slack is unreachable
        print(unreachable(settings.slack_api_url, error), file=sys.stderr)
        return 2
    scheduler = jobs.start_jobs(app.runtime)
    server = HttpServer(make_wsgi_app(app, engine), host=args.host, port=args.port)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).connect()
        logger.info("connected over Socket Mode; health check on :%d/healthz", server.port)
    else:
        logger.info("serving Slack on :%d/slack/events", server.port)
    if settings.dashboard_enabled:
        logger.info("dashboard on :%d/ (Sign in with Slack)", server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        scheduler.shutdown(wait=False)
    return 0


@contextmanager
def quiet(noisy: logging.Logger) -> Iterator[None]:
    """Silence a logger for a while (slack_sdk logs every failed try before giving up)."""
    level = noisy.level
    noisy.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        noisy.setLevel(level)


def unreachable(api_url: str, error: OSError) -> str:
    """One line for a Slack that cannot be reached at start: what failed, what to check."""
    reason = getattr(error, "reason", None) or error
    return (
        f"deskbot: cannot reach Slack at {api_url} ({reason}); check the network, "
        "any proxy (HTTPS_PROXY) and SLACK_API_URL"
    )


def safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
