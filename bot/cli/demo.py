"""The `deskbot demo` command: start the local workspace, optionally play a day, keep serving."""

import argparse
import logging
import sys
import threading
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import utc_now

logger = logging.getLogger("deskbot")

DEMO_DESCRIPTION = """\
Try deskbot with no Slack workspace, offline. Starts a local Slack-compatible workspace
with a browser client, connects the real bot to it exactly as to Slack (signed HTTP
requests to /slack/events, Web API calls over HTTP), on a fresh SQLite database in a
temporary folder, with the default knowledge base and a demo config: #help-acme shared
with the customer Acme Corp, #support-triage, #support-leads, agents Ana and Ben, lead
Lee, SLA targets of 15 minutes (first response) and 2 hours (resolution).

Demo time runs --speed times faster than real time, so SLA warnings and breaches come
within a minute or two. Open the printed URL, pick who you are (customer, agent, lead)
top left, ask a question in #help-acme, claim it from #support-triage, try /ticket,
/kb and the deskbot Home tab. "Open the dashboard" (sidebar) opens deskbot's web
dashboard; sign in as Lee to see the team's numbers. Ctrl-C stops.

--scenario day first plays a scripted support day (questions in English, German and
Japanese, suggestions, claims, a pending ticket, SLA warnings and a breach alert),
prints its transcript, then leaves the workspace open to explore.
"""


def add_demo_parser(commands: Any) -> None:
    """Register `deskbot demo` on the CLI's subcommands."""
    demo = commands.add_parser(
        "demo",
        help="try deskbot in a browser: a local workspace, no Slack needed",
        description=DEMO_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--port", type=port_number, default=8080, help="port of the workspace page (default 8080)"
    )
    demo.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve the page on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    demo.add_argument(
        "--scenario",
        choices=["day"],
        help="play a scripted support day first and print its transcript",
    )
    demo.add_argument(
        "--speed",
        type=float,
        default=30.0,
        help="demo seconds per real second (default 30: a 15-minute SLA target is 30 s)",
    )


def port_number(text: str) -> int:
    """Parse --port: 0 (any free port, for tests) or 1-65535, else a clear argparse error."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (use 1-65535)")
    return port


def serve_until_interrupted() -> None:
    """Block until Ctrl-C (the servers run in their own threads)."""
    threading.Event().wait()


def _shown_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


def run_demo(args: argparse.Namespace) -> int:
    """Start the demo, play the scenario if asked, serve until Ctrl-C."""
    root = logging.getLogger()
    level = root.level
    if args.log_level.upper() == "INFO":  # the default: keep the transcript readable
        root.setLevel(logging.WARNING)
    try:
        return _run(args)
    finally:
        root.setLevel(level)


def _run(args: argparse.Namespace) -> int:
    from bot.demo.workspace import demo_morning, start_demo

    if args.speed < 0:
        print("deskbot demo: --speed must be 0 or more", file=sys.stderr)
        return 2
    # The day starts at 09:00 business time whatever the wall clock says (a scenario a
    # minute before, so its first step is at 09:00): at night, numbers are not all zero.
    start = demo_morning(utc_now(), minutes_before=1 if args.scenario else 0)
    try:
        demo = start_demo(
            port=args.port,
            host=args.host,
            speed=0.0 if args.scenario else args.speed,
            start=start,
        )
    except OSError as error:
        reason = error.strerror or str(error)
        print(
            f"deskbot demo: cannot listen on {args.host} port {args.port}: {reason}"
            " (try another, e.g. --port 8181)",
            file=sys.stderr,
        )
        return 2
    print(f"deskbot demo: workspace at {demo.url}")
    where = demo.database_url.removeprefix("sqlite:///")
    print(f"  database: {where} (SQLite, fresh for this run)")
    zone = demo.runtime.deps.desk.business_hours.timezone
    local = start.astimezone(ZoneInfo(zone))
    print(f"  demo clock: {local:%a %d %b %H:%M} ({zone}), {args.speed:g}x real time")
    print("  act as a customer (Acme Corp), an agent or a lead with the switcher top left")
    print(
        f"  dashboard: http://{_shown_host(args.host)}:{demo.server.port}/ "
        "(sign in as Lee, the lead)"
    )
    try:
        if args.scenario:
            from bot.demo.scenario import play_day

            print("\nPlaying a support day (accelerated clock)...", flush=True)
            day = play_day(demo, out=lambda line: print(line, flush=True))
            if day.skipped:
                print(f"\n(skipped, not in this build: {', '.join(day.skipped)})")
            demo.clock.set_speed(args.speed)
            print(f"\nThe day is over; explore it at {demo.url} (Ctrl-C stops)", flush=True)
        demo.start_jobs()
        serve_until_interrupted()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        demo.stop()
    return 0
