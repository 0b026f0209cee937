"""The `deskbot` command: the parser and the dispatch to each subcommand."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.cli.demo import add_demo_parser, run_demo
from bot.cli.erase import add_erase_parser, run_erase
from bot.cli.kb import add_kb_parser, run_kb
from bot.cli.kpi import add_kpi_parser, run_kpi
from bot.cli.run import add_run_parser, run_bot, safe_url
from bot.cli.sla import add_sla_parser, run_sla
from bot.cli.transfer import add_transfer_parsers, run_backup, run_export, run_import
from bot.config import ConfigError, DeskConfig
from bot.settings import Settings, load_settings

DESCRIPTION = """\
deskbot: a self-hosted, Slack-native support desk.

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN (Socket Mode),
DATABASE_URL (default sqlite:///deskbot.db), SLACK_API_URL, DESKBOT_CONFIG
(default ./deskbot.yaml), DESKBOT_LOG_FORMAT (text or json); SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET turn on the web dashboard at / (Sign in with Slack). See
docs/admin-guide.md for the configuration reference.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subcommand per task."""
    parser = argparse.ArgumentParser(
        prog="deskbot", description=DESCRIPTION, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        help="text (default) or json: one JSON object a line, for log shippers "
        "(or DESKBOT_LOG_FORMAT=json)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_run_parser(commands)

    commands.add_parser("migrate", help="create or upgrade the database schema, then exit")
    add_kb_parser(commands)
    add_sla_parser(commands)
    add_kpi_parser(commands)
    commands.add_parser(
        "check-config",
        help="validate deskbot.yaml, resolve its #channel and @name names (with "
        "SLACK_BOT_TOKEN) and print the result",
    )
    add_transfer_parsers(commands)
    add_erase_parser(commands)
    add_demo_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `deskbot` console script."""
    args = build_parser().parse_args(argv)
    from bot.logs import configure_logging

    level = args.log_level.upper()
    if args.command == "demo":  # needs no Slack credentials and reads no deskbot.yaml
        configure_logging(level, args.log_format or "text")
        return run_demo(args)
    try:
        chosen = {"deskbot_log_format": args.log_format} if args.log_format else {}
        settings = load_settings(**chosen)
    except ConfigError as error:
        configure_logging(level, args.log_format or "text")
        print(f"deskbot: {error}", file=sys.stderr)
        return 2
    configure_logging(level, settings.deskbot_log_format)
    handlers = {
        "run": run_bot,
        "migrate": _migrate,
        "check-config": _check_config,
        "kb": _kb,
        "sla": _sla,
    }
    handlers["kpi"] = run_kpi  # type: ignore[assignment]
    handlers["export"] = run_export  # type: ignore[assignment]
    handlers["import"] = run_import  # type: ignore[assignment]
    handlers["backup"] = run_backup  # type: ignore[assignment]
    handlers["erase"] = run_erase  # type: ignore[assignment]
    return handlers[args.command](settings, args)


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from store.db import make_engine, migrate

    migrate(make_engine(settings.database_url))
    print(f"database is up to date ({safe_url(settings.database_url)})")
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
    if Path(settings.deskbot_config).is_file():
        print(f"{settings.deskbot_config}: valid")
    else:  # nothing was checked: say so rather than "OK"
        print(f"{settings.deskbot_config}: no such file; every setting is its default")
    channels = ", ".join(desk.support_channels) or "every channel deskbot is in"
    print(f"  support channels: {channels}")
    print(f"  triage channel:   {desk.triage_channel or '(none: no triage cards)'}")
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
    keep = desk.retention.message_text
    kept = "kept" if keep is None else f"redacted after {format_remaining(keep)}"
    print(f"  message text:     {kept} (retention.message_text)")
    at = desk.daily_digest.at
    if at is not None and desk.leads_channel:
        zone = desk.business_hours.timezone
        print(f"  daily digest:     {at:%H:%M} {zone} to {desk.leads_channel}")
    else:
        print("  daily digest:     off (needs daily_digest.at and leads_channel)")
    knowledge, warnings = _knowledge_base(desk.knowledge_dir)
    print(f"  knowledge base:   {knowledge}")
    warnings += _setup_warnings(desk)
    for warning in warnings:
        print(f"  warning: {warning}")
    from bot.cli.check import check_names, people_warnings

    resolved = check_names(settings)
    if resolved is None:
        return 2
    if settings.slack_bot_token is None:
        print("  agents and leads: not verified (no SLACK_BOT_TOKEN)")
        return 0
    people = people_warnings(resolved)
    if not people:
        print("  agents and leads: all members of this workspace")
    for warning in people:
        print(f"  warning: {warning}")
    return 0


def _setup_warnings(desk: DeskConfig) -> list[str]:
    """What a team would miss on its first day: nobody to work tickets, no SLAs, no cards."""
    warnings = []
    if not desk.agents and desk.agents_usergroup is None:
        warnings.append("no agents (agents or agents_usergroup): nobody can work tickets")
    if not desk.sla_policies:
        warnings.append("no sla_policies: no SLA targets, nudges or breach alerts")
    if desk.triage_channel is None:
        warnings.append("no triage_channel: agents see no ticket cards")
    return warnings


def _knowledge_base(configured: Path | None) -> tuple[str, list[str]]:
    """Which articles customers are offered, and how many; with a warning when none."""
    from knowledge.articles import SAMPLE_ARTICLES, ArticleError, articles_folder, load_any

    folder = articles_folder(configured)
    if folder is None:
        return "none (no knowledge_dir: customers get no suggestions)", [
            "no knowledge_dir: set it to your articles' folder (or `sample` to try the samples)"
        ]
    try:
        count = len(load_any(folder))
    except (ArticleError, OSError) as error:
        return f"{folder}: unreadable", [f"knowledge_dir: {error}"]
    label = "the sample articles (a fictional product)" if folder == SAMPLE_ARTICLES else folder
    warnings = [f"knowledge_dir {folder} has no articles"] if count == 0 else []
    return f"{label}, {count} article{'' if count == 1 else 's'}", warnings


if __name__ == "__main__":
    sys.exit(main())
