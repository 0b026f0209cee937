"""The `deskbot` command: run the bot, migrate the database, check the configuration."""

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.cli.demo import add_demo_parser, run_demo
from bot.cli.kb import add_kb_parser, run_kb
from bot.cli.kpi import add_kpi_parser, run_kpi
from bot.cli.sla import add_sla_parser, run_sla
from bot.config import ConfigError
from bot.settings import Settings, load_settings

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
    add_sla_parser(commands)
    add_kpi_parser(commands)
    commands.add_parser("check-config", help="validate deskbot.yaml and print the result")
    add_demo_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `deskbot` console script."""
    args = build_parser().parse_args(argv)
    from bot.logs import configure_logging

    configure_logging(args.log_level.upper())
    if args.command == "demo":  # needs no Slack credentials and reads no deskbot.yaml
        return run_demo(args)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    handlers = {
        "run": _run,
        "migrate": _migrate,
        "check-config": _check_config,
        "kb": _kb,
        "sla": _sla,
    }
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


def _sla(settings: Settings, args: argparse.Namespace) -> int:
    return run_sla(args, desk=settings.desk, database_url=settings.database_url)


def _check_config(settings: Settings, _args: argparse.Namespace) -> int:
    desk = settings.desk
    print(f"{settings.deskbot_config}: OK")
    channels = ", ".join(desk.support_channels) or "every channel deskbot is in"
    print(f"  support channels: {channels}")
    print(f"  triage channel:   {desk.triage_channel or '(none: no triage mirror)'}")
    print(f"  agents:           {len(desk.agents)} listed, usergroup {desk.agents_usergroup}")
    print(f"  SLA policies:     {len(desk.sla_policies)}")
    routing = desk.routing
    from bot.business_time import format_remaining

    timeout = format_remaining(routing.claim_timeout) if routing.claim_timeout else "none"
    print(
        f"  routing:          {routing.mode}, {len(routing.channels)} channel overrides, "
        f"claim timeout {timeout}"
    )
    sample = f"{desk.csat.sample_rate:.0%} of resolved tickets" if desk.csat.enabled else "off"
    print(f"  CSAT surveys:     {sample}")
    at = desk.daily_digest.at
    if at is not None and desk.leads_channel:
        zone = desk.business_hours.timezone
        print(f"  daily digest:     {at:%H:%M} {zone} to {desk.leads_channel}")
    else:
        print("  daily digest:     off (needs daily_digest.at and leads_channel)")
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
    """Sweep SLAs, claim timeouts, waiting tickets and late CSAT surveys every
    `sla_sweep_seconds`, and tidy up hourly; the database, not the scheduler, keeps
    everything once."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.app import deps_of
    from bot.intake.inbox import LEASE_BEAT
    from bot.intake.service import FOLLOWUP_LEASE
    from handlers.messages import finish_unfinished_tickets
    from handlers.slack.pipeline import pull_inbox

    sweeper = deps_of(app).sweeper

    def sweep() -> None:
        try:
            report = sweeper.sweep()
        except Exception:  # the next sweep tries again; the job must survive
            logger.exception("SLA sweep failed")
            return
        if report.planned or report.sent or report.failed:
            logger.info("SLA sweep: %s", report)

    def desk_sweep() -> None:
        deps = deps_of(app)
        try:
            routed = deps.routing.sweep()
            surveys = deps.csat.retry_undelivered()
        except Exception:  # the next sweep tries again; the job must survive
            logger.exception("routing/CSAT sweep failed")
            return
        if routed.released or routed.assigned or surveys:
            logger.info("routing sweep: %s; %d CSAT surveys posted late", routed, surveys)
        try:
            finish_unfinished_tickets(deps, app.client, now=deps.clock())
        except Exception:  # the next sweep tries again; the job must survive
            logger.exception("finishing unfinished tickets failed")

    def fold_kpi_counters() -> None:
        from store.kpi.triggers import rollup
        try:
            with deps_of(app).engine.begin() as connection:
                rollup.fold(connection)
        except Exception:  # readers stay exact without it; the next fold catches up
            logger.exception("folding KPI counters failed")

    def pull() -> None:
        try:
            taken = pull_inbox(app)
        except Exception:  # tried again next second; the job must survive
            logger.exception("taking up kept events failed")
            return
        if taken:
            logger.info("took up %d kept events nobody was storing", taken)

    def renew_leases() -> None:
        try:
            deps_of(app).inbox.renew_leases(followup_lease=FOLLOWUP_LEASE)
        except Exception:  # renewed next beat; a lease outlives several missed beats
            logger.exception("renewing the leases of work in hand failed")

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
    scheduler.add_job(
        desk_sweep,
        "interval",
        seconds=settings.desk.sla_sweep_seconds,
        max_instances=1,
        coalesce=True,
        id="routing-sweep",
    )
    scheduler.add_job(
        fold_kpi_counters,
        "interval",
        seconds=settings.desk.sla_sweep_seconds,
        max_instances=1,
        coalesce=True,
        id="kpi-fold",
    )
    scheduler.add_job(pull, "interval", seconds=1, max_instances=1, coalesce=True, id="inbox-pull")
    scheduler.add_job(
        renew_leases,
        "interval",
        seconds=LEASE_BEAT.total_seconds(),
        max_instances=1,
        coalesce=True,
        id="lease-heartbeat",
    )
    scheduler.add_job(housekeeping, "interval", hours=1, max_instances=1, coalesce=True)
    if deps_of(app).digest.enabled:
        scheduler.add_job(
            _daily_digest_job(app),
            "interval",
            minutes=1,
            max_instances=1,
            coalesce=True,
            id="daily-digest",
        )
    scheduler.start()
    return scheduler


def _daily_digest_job(app: "App") -> "Callable[[], None]":
    """Every minute: the database decides whether today's digest is owed (once a day)."""
    from bot.app import deps_of

    digest = deps_of(app).digest

    def run() -> None:
        try:
            outcome = digest.run()
        except Exception:  # tried again next minute; the job must survive
            logger.exception("daily digest failed")
            return
        if outcome.sent or outcome.failed:
            logger.info("daily digest: %s", outcome)

    return run


def _safe_url(url: str) -> str:
    """The database URL without its password, for logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
