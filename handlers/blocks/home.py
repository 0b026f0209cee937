"""Pure Block Kit builders for the App Home tab."""

from datetime import datetime

from handlers.blocks.cards import Block, mrkdwn, running_dues, ticket_actions
from handlers.blocks.tickets import ticket_line
from store.models import Ticket

PER_SECTION = 15  # 2 blocks a ticket, 3 sections' worth: well under the 100-block view limit


def _section(
    title: str,
    tickets: list[Ticket],
    empty: str,
    per_section: int,
    *,
    viewer: str | None,
    now: datetime,
) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} ({len(tickets)})"}}
    ]
    if not tickets:
        return [*blocks, {"type": "context", "elements": [mrkdwn(empty)]}]
    for ticket in tickets[:per_section]:
        line = ticket_line(ticket, viewer=viewer, now=now)
        blocks.append({"type": "section", "text": mrkdwn(line)})
        # A ticket can be in two sections (unassigned and overdue): block ids must differ.
        section = title.split()[0].lower()
        blocks.append(ticket_actions(ticket, block_id=f"home-{section}-{ticket.number}"))
    if len(tickets) > per_section:
        more = len(tickets) - per_section
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"…and {more} more: `/ticket list`")]}
        )
    return blocks


def split_breaching(tickets: list[Ticket], now: datetime) -> tuple[list[Ticket], list[Ticket]]:
    """(overdue, due soon), each earliest due first; a ticket is in one of them, once."""
    seen: set[int] = set()
    overdue: list[tuple[datetime, Ticket]] = []
    soon: list[tuple[datetime, Ticket]] = []
    for ticket in tickets:
        dues = running_dues(ticket)
        if not dues or ticket.number in seen:
            continue
        seen.add(ticket.number)
        due = dues[0][1]
        (overdue if due <= now else soon).append((due, ticket))
    return (
        [t for _, t in sorted(overdue, key=lambda pair: pair[0])],
        [t for _, t in sorted(soon, key=lambda pair: pair[0])],
    )


def agent_home(
    mine: list[Ticket],
    unassigned: list[Ticket],
    breaching: list[Ticket],
    *,
    now: datetime,
    viewer: str | None = None,
    top: list[Block] | None = None,
    per_section: int = PER_SECTION,
) -> Block:
    """The agent's queue: their tickets, unassigned ones, those past or near a target.

    `top` goes first (a lead's KPI card); `per_section` then keeps the view in Slack's
    limit (overdue and due-soon share one section's worth of rows).
    """
    overdue, soon = split_breaching(breaching, now)
    rest = max(per_section - min(len(overdue), per_section), 1)

    def section(title: str, tickets: list[Ticket], empty: str, rows: int) -> list[Block]:
        return _section(title, tickets, empty, rows, viewer=viewer, now=now)

    blocks = [
        *(top or []),
        *section("Mine", mine, "Nothing assigned to you.", per_section),
        {"type": "divider"},
        *section("Unassigned", unassigned, "Every ticket has an owner.", per_section),
        {"type": "divider"},
        *section("Overdue", overdue, "No ticket is past its SLA target.", per_section),
        *section("Due soon", soon, "No ticket is close to its SLA target.", rest),
    ]
    return {"type": "home", "blocks": blocks}


def visitor_home() -> Block:
    """What someone who is not an agent sees."""
    text = (
        "*deskbot* is this team's support desk. Ask your question in a support channel "
        "and an agent will pick it up; you'll see a :ticket: on your message."
    )
    return {"type": "home", "blocks": [{"type": "section", "text": mrkdwn(text)}]}
