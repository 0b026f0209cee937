"""Pure Block Kit builders for the App Home tab."""

from handlers.blocks.cards import Block, mrkdwn, ticket_actions
from handlers.blocks.tickets import ticket_line
from store.models import Ticket

PER_SECTION = 15  # 2 blocks a ticket, 3 sections: well under the 100-block view limit


def _section(
    title: str, tickets: list[Ticket], empty: str, per_section: int = PER_SECTION
) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} ({len(tickets)})"}}
    ]
    if not tickets:
        return [*blocks, {"type": "context", "elements": [mrkdwn(empty)]}]
    for ticket in tickets[:per_section]:
        blocks.append({"type": "section", "text": mrkdwn(ticket_line(ticket))})
        # A ticket can be in two sections (unassigned and breaching): block ids must differ.
        section = title.split()[0].lower()
        blocks.append(ticket_actions(ticket, block_id=f"home-{section}-{ticket.number}"))
    if len(tickets) > per_section:
        more = len(tickets) - per_section
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"…and {more} more: `/ticket list`")]}
        )
    return blocks


def agent_home(
    mine: list[Ticket],
    unassigned: list[Ticket],
    breaching: list[Ticket],
    *,
    top: list[Block] | None = None,
    per_section: int = PER_SECTION,
) -> Block:
    """The agent's queue: their tickets, unassigned ones, and those about to breach.

    `top` goes first (a lead's KPI card); `per_section` then keeps the view in Slack's limit.
    """
    blocks = [
        *(top or []),
        *_section("Mine", mine, "Nothing assigned to you.", per_section),
        {"type": "divider"},
        *_section("Unassigned", unassigned, "Every ticket has an owner.", per_section),
        {"type": "divider"},
        *_section(
            "Breaching soon", breaching, "No ticket is close to its SLA target.", per_section
        ),
    ]
    return {"type": "home", "blocks": blocks}


def visitor_home() -> Block:
    """What someone who is not an agent sees."""
    text = (
        "*deskbot* is this team's support desk. Ask your question in a support channel "
        "and an agent will pick it up; you'll see a :ticket: on your message."
    )
    return {"type": "home", "blocks": [{"type": "section", "text": mrkdwn(text)}]}
