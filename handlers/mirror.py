"""Keeping the triage channel's card of each ticket in step with the ticket."""

from slack_sdk import WebClient

from bot.deps import Deps
from handlers.blocks import Block, triage_mirror_blocks, triage_mirror_text
from handlers.conversation_blocks import card_blocks
from handlers.guard import Audience
from store.models import Ticket

API_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.getPermalink",
    "conversations.info",
    "team.info",
)


def post_mirror(client: WebClient, deps: Deps, ticket: Ticket) -> None:
    """Post a new ticket's card to the triage channel and remember where it is."""
    triage = deps.desk.triage_channel
    if triage is None or ticket.id is None:
        return
    ticket.permalink = client.chat_getPermalink(
        channel=ticket.channel_id, message_ts=ticket.root_ts
    ).get("permalink")
    posted = deps.guard.post(
        audience=Audience.INTERNAL,
        channel=triage,
        text=triage_mirror_text(ticket),
        blocks=card(deps, ticket),
        unfurl_links=False,
    )
    if posted is not None:
        deps.intake.attach_mirror(
            ticket_id=ticket.id, channel_id=triage, ts=posted["ts"], permalink=ticket.permalink
        )


def refresh_mirror(deps: Deps, ticket: Ticket) -> None:
    """Update an existing card in place (a ticket whose card failed to post has none)."""
    if ticket.triage_channel_id is None or ticket.triage_ts is None:
        return
    deps.guard.update(
        audience=Audience.INTERNAL,
        channel=ticket.triage_channel_id,
        ts=ticket.triage_ts,
        text=triage_mirror_text(ticket),
        blocks=card(deps, ticket),
    )


def post_to_triage_thread(deps: Deps, ticket: Ticket, text: str) -> None:
    """Internal chatter about a ticket goes in the thread of its triage card."""
    if ticket.triage_channel_id is None or ticket.triage_ts is None:
        return
    deps.guard.post(
        audience=Audience.INTERNAL,
        channel=ticket.triage_channel_id,
        thread_ts=ticket.triage_ts,
        text=text,
    )


def card(deps: Deps, ticket: Ticket) -> list[Block]:
    """The triage card: the ticket, its conversation, merges and likely duplicates."""
    if ticket.id is None:
        return triage_mirror_blocks(ticket)
    return card_blocks(
        triage_mirror_blocks(ticket), ticket, deps.merger.facts(ticket), deps.orgs.name
    )
