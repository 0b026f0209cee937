"""The `deskbot` command: run the bot, migrate the database, check the configuration."""

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import ConfigError
from bot.kpi_cli import add_kpi_parser, run_kpi
from bot.settings import Settings, load_settings
from knowledge.cli import add_kb_parser, run_kb

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt import App

logger = logging.getLogger("deskbot")

DESCRIPTION = """\
deskbot: a self-hosted, Slack-native support desk.

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN (Socket Mode),
DATABASE_URL (default sqlite:///deskbot.db), SLACK_API_URL, DESKBOT_CONFIG
(default ./deskbot.yaml). See README.md for the configuration reference.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="deskbot", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="serve Slack (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)",
        description="Migrate the database, then serve Slack. Over HTTP all Slack traffic "
        "goes to POST /slack/events; GET /healthz reports health. With SLACK_APP_TOKEN "
        "set, deskbot connects over Socket Mode and serves only /healthz on --port.",
    )
    run.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    run.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")

    commands.add_parser("migrate", help="create or upgrade the database schema, then exit")
    add_kb_parser(commands)
    add_kpi_parser(commands)
    commands.add_parser("check-config", help="validate deskbot.yaml and print the result")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `deskbot` console script."""
    args = build_parser().parse_args(argv)
    from bot.logs import configure_logging

    configure_logging(args.log_level.upper())
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    handlers = {"run": _run, "migrate": _migrate, "check-config": _check_config, "kb": _kb}
    handlers["kpi"] = run_kpi  # type: ignore[assignment]
    return handlers[args.command](settings, args)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from store.db import make_engine, migrate

    migrate(make_engine(settings.database_url))
    print(f"database is up to date ({_safe_url(settings.database_url)})")
    return 0


def _kb(settings: Settings, args: argparse.Namespace) -> int:
    desk = settings.desk
    return run_kb(
        args,
        knowledge_dir=desk.knowledge_dir,
        max_results=desk.suggestions.max,
        min_score=desk.suggestions.min_score,
    )


def _check_config(settings: Settings, _args: argparse.Namespace) -> int:
    desk = settings.desk
    print(f"{settings.deskbot_config}: OK")
    channels = ", ".join(desk.support_channels) or "every channel deskbot is in"
    print(f"  support channels: {channels}")
    print(f"  triage channel:   {desk.triage_channel or '(none: no triage mirror)'}")
    print(f"  agents:           {len(desk.agents)} listed, usergroup {desk.agents_usergroup}")
    print(f"  SLA policies:     {len(desk.sla_policies)}")
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
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
    logger.info("database ready (%s)", _safe_url(settings.database_url))
    try:
        app = create_app(settings, engine=engine)
    except SetupError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    scheduler = _schedule_sla_sweep(app, settings)
    server = HttpServer(make_wsgi_app(app, engine), host=args.host, port=args.port)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).connect()
        logger.info("connected over Socket Mode; health check on :%d/healthz", server.port)
    else:
        logger.info("serving Slack on :%d/slack/events", server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        scheduler.shutdown(wait=False)
    return 0


def _schedule_sla_sweep(app: "App", settings: Settings) -> "BackgroundScheduler":
    """Sweep SLAs every `sla_sweep_seconds` and tidy up hourly; the database, not the
    scheduler, keeps everything once."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.app import deps_of

    sweeper = deps_of(app).sweeper

    def sweep() -> None:
        try:
            report = sweeper.sweep()
        except Exception:  # the next sweep tries again; the job must survive
            logger.exception("SLA sweep failed")
            return
        if report.planned or report.sent or report.failed:
            logger.info("SLA sweep: %s", report)

    def housekeeping() -> None:
        try:
            pruned = deps_of(app).intake.prune_event_keys()
        except Exception:  # tried again next hour; the job must survive
            logger.exception("housekeeping failed")
            return
        logger.info("housekeeping: forgot %d old event ids", pruned)

    scheduler = BackgroundScheduler()
    scheduler.add_job(
        sweep,
        "interval",
        seconds=settings.desk.sla_sweep_seconds,
        max_instances=1,
        coalesce=True,
        id="sla-sweep",
    )
    scheduler.add_job(housekeeping, "interval", hours=1, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
