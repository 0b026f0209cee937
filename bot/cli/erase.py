"""`deskbot erase --customer U… | --org T… [--by NAME] [--dry-run] [--yes]`."""

import argparse
import getpass
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO

from bot.clock import Clock, utc_now
from bot.settings import Settings

LABELS = {
    "messages": "messages",
    "revisions": "earlier versions of edited messages",
    "held_changes": "edits waiting for their message",
    "ticket_subjects": "ticket subjects",
    "suggestions": "self-service questions",
    "csat_comments": "CSAT comments",
    "notes": "notes, comments and reasons in the audit trail",
    "sla_alerts": "SLA alerts quoting a subject",
    "inbox_events": "Slack events kept for intake",
    "learned_examples": "questions the matcher learned (deleted)",
    "names": "remembered names (deleted)",
}
CUSTOMER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ORG_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


def add_erase_parser(commands: Any) -> None:
    """Register `deskbot erase`."""
    erase = commands.add_parser(
        "erase",
        help="erase a customer's or organization's text, keeping KPI numbers",
        description="Redact the text of one customer (--customer U…) or of every person of "
        "one customer organization (--org T…): their tickets' subjects and whole threads "
        "with earlier versions, notes and CSAT comments on their tickets, their messages "
        "anywhere, SLA alerts quoting them, kept Slack events; delete the questions the "
        "matcher learned from them and their remembered names. Counts and times stay, so "
        "KPIs do not change. Logged in erasure_log (who, whom, when, how many). Running it "
        "again erases what arrived since, and nothing else.",
    )
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", metavar="USER_ID", help="a customer's Slack user id (U…)")
    who.add_argument("--org", metavar="TEAM_ID", help="a customer organization's team id (T…)")
    erase.add_argument("--by", metavar="NAME", help="who asks, for the log (default: OS user)")
    erase.add_argument("--dry-run", action="store_true", help="only count what would be erased")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run_erase(
    settings: Settings,
    args: argparse.Namespace,
    *,
    clock: Clock = utc_now,
    ask: Callable[[str], str] = input,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run `deskbot erase`; 2 on bad input, 1 when not confirmed."""
    from bot.cli.database import NoDatabase, open_existing
    from store import erasure, names
    from store.db import session_scope

    out, err = out or sys.stdout, err or sys.stderr
    kind, subject = ("customer", args.customer) if args.customer else ("org", args.org)
    pattern = CUSTOMER_ID if kind == "customer" else ORG_ID
    if not pattern.match(subject or ""):
        example = "U0123ABCD" if kind == "customer" else "T0123ABCD"
        print(f"deskbot: --{kind} takes a Slack id like {example}, got {subject!r}", file=err)
        return 2
    try:
        engine = open_existing(settings.database_url)
    except NoDatabase as error:
        print(f"deskbot: {error}", file=err)
        return 2
    try:
        with session_scope(engine) as session:
            known = names.known_names(
                session, kind=names.USER if kind == "customer" else names.ORG, slack_ids=[subject]
            )
            counts = erasure.erase(
                session, kind=kind, subject=subject, operator="", at=clock(), dry_run=True
            )
        label = f"{'customer' if kind == 'customer' else 'organization'} " + (
            f"{known[subject]} ({subject})" if subject in known else subject
        )
        total = sum(counts.values())
        print(f"{'would erase' if args.dry_run else 'to erase'} for {label}:", file=out)
        _print_counts(counts, out)
        if args.dry_run:
            return 0
        if total == 0:
            print("nothing to erase (already erased, or never seen)", file=out)
        elif not args.yes and not _confirmed(ask, label):
            print("nothing erased", file=out)
            return 1
        operator = args.by or _os_user()
        with session_scope(engine) as session:
            counts = erasure.erase(
                session, kind=kind, subject=subject, operator=operator, at=clock()
            )
        done = erasure.compact(engine)
        erased = sum(counts.values())
        print(f"erased {erased} rows for {label}; logged in erasure_log (by {operator})", file=out)
        print(done, file=out)
        return 0
    finally:
        engine.dispose()


def _print_counts(counts: dict[str, int], out: TextIO) -> None:
    for key, label in LABELS.items():
        if counts.get(key):
            print(f"  {counts[key]:>7}  {label}", file=out)


def _confirmed(ask: Callable[[str], str], label: str) -> bool:
    try:
        answer = ask(f"Erase this text of {label}? It cannot be undone. Type yes: ")
    except EOFError:
        return False
    return answer.strip().lower() == "yes"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no USER in the environment
        return "unknown"
