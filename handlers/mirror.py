"""Keeping the triage channel's card of each ticket in step with the ticket."""

from slack_sdk import WebClient

from bot.deps import Deps
from handlers.blocks import triage_mirror_blocks, triage_mirror_text
from store.models import Ticket

API_METHODS = ("chat.postMessage", "chat.update", "chat.getPermalink")


def post_mirror(client: WebClient, deps: Deps, ticket: Ticket) -> None:
    """Post a new ticket's card to the triage channel and remember where it is."""
    triage = deps.desk.triage_channel
    if triage is None or ticket.id is None:
        return
    ticket.permalink = client.chat_getPermalink(
        channel=ticket.channel_id, message_ts=ticket.root_ts
    ).get("permalink")
    posted = client.chat_postMessage(
        channel=triage,
        text=triage_mirror_text(ticket),
        blocks=triage_mirror_blocks(ticket),
        unfurl_links=False,
    )
    deps.intake.attach_mirror(
        ticket_id=ticket.id, channel_id=triage, ts=posted["ts"], permalink=ticket.permalink
    )


def refresh_mirror(client: WebClient, ticket: Ticket) -> None:
    """Update an existing card in place (a ticket without a card yet gets one later)."""
    if ticket.triage_channel_id is None or ticket.triage_ts is None:
        return
    client.chat_update(
        channel=ticket.triage_channel_id,
        ts=ticket.triage_ts,
        text=triage_mirror_text(ticket),
        blocks=triage_mirror_blocks(ticket),
    )
