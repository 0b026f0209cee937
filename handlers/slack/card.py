"""Keeping the triage channel's card of each ticket in step with the ticket."""

import logging
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.transport.pool import ResponseLost
from handlers.blocks.cards import Block, triage_card_blocks, triage_card_text
from handlers.blocks.conversations import card_blocks
from handlers.slack.guard import Audience
from store.models import Ticket

logger = logging.getLogger(__name__)

API_METHODS = (
    "chat.postMessage",
    "conversations.history",
    "chat.update",
    "chat.getPermalink",
    "conversations.info",
    "team.info",
)


HISTORY_PAGES = 60  # of 200 messages: how far back a card posted but not recorded is sought
RECENT_PAGES = 2  # a card whose answer was just lost is among the channel's newest messages
CARD_EVENT = "deskbot_ticket_card"  # message metadata that says which ticket a card is


def post_card(client: WebClient, deps: Deps, ticket: Ticket, *, look_first: bool = False) -> None:
    """Post a new ticket's card to the triage channel and remember where it is.

    With `look_first` (finishing a ticket a crash cut short), a card that was posted
    but never recorded is found in the channel's history and adopted, not posted twice.
    """
    triage = deps.desk.triage_channel
    if triage is None or ticket.id is None:
        return
    ticket.permalink = client.chat_getPermalink(
        channel=ticket.channel_id, message_ts=ticket.root_ts
    ).get("permalink")
    adopted = _posted_card(client, triage, ticket) if look_first else None
    if adopted is not None:
        logger.warning(
            "ticket #%s: adopted its card %s found in the channel", ticket.number, adopted["ts"]
        )
    posted = adopted or _send_card(client, deps, triage, ticket)
    if posted is not None:
        if adopted is None:
            logger.info("ticket #%s: card %s posted", ticket.number, posted["ts"])
        deps.intake.attach_card(
            ticket_id=ticket.id, channel_id=triage, ts=posted["ts"], permalink=ticket.permalink
        )


def _send_card(client: WebClient, deps: Deps, triage: str, ticket: Ticket) -> Any | None:
    """chat.postMessage of the card; when the connection closed before Slack answered,
    the card is sought among the messages posted since the attempt, then posted if absent.

    Slack may or may not have posted it; the channel's newest messages tell (history is
    newest first), where waiting for the finisher's sweep would leave the ticket without
    a card for minutes and search the channel back to the ticket's creation.
    """

    def post() -> Any | None:
        return deps.guard.post(
            audience=Audience.INTERNAL,
            channel=triage,
            text=triage_card_text(ticket),
            blocks=current_card(deps, ticket),
            unfurl_links=False,
            metadata={"event_type": CARD_EVENT, "event_payload": {"ticket_id": ticket.id}},
        )

    try:
        return post()
    except ResponseLost:
        found = _posted_card(client, triage, ticket, pages=RECENT_PAGES)
        if found is not None:
            logger.warning(
                "ticket #%s: card %s posted, its answer lost", ticket.number, found["ts"]
            )
            return found
        logger.warning("ticket #%s: card not posted (answer lost): posting again", ticket.number)
        return post()


def _posted_card(
    client: WebClient, triage: str, ticket: Ticket, *, pages: int = HISTORY_PAGES
) -> dict[str, Any] | None:
    """The card of this ticket already in the triage channel, if one was posted (sought
    in the newest `pages` pages of messages since the ticket was created)."""
    oldest = f"{ticket.created_at.timestamp() - 60:.6f}"
    cursor: str | None = None
    # Newest first, back to the ticket's creation: a busy triage channel can hold thousands
    # of messages posted since (a crash recovery may run minutes later), so read far enough.
    for _page in range(pages):
        page = client.conversations_history(
            channel=triage, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
        )
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == CARD_EVENT and payload.get("ticket_id") == ticket.id:
                return message
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


def refresh_card(deps: Deps, ticket: Ticket, *, self_served: bool = False) -> None:
    """Update an existing card in place (a ticket whose card failed to post has none)."""
    if ticket.triage_channel_id is None or ticket.triage_ts is None:
        return
    deps.guard.update(
        audience=Audience.INTERNAL,
        channel=ticket.triage_channel_id,
        ts=ticket.triage_ts,
        text=triage_card_text(ticket),
        blocks=current_card(deps, ticket, self_served=self_served),
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


def current_card(deps: Deps, ticket: Ticket, *, self_served: bool = False) -> list[Block]:
    """The triage card: the ticket, its conversation, merges and likely duplicates."""
    names, now = deps.orgs.name, deps.clock()
    if ticket.id is None:
        return triage_card_blocks(ticket, names, now=now, self_served=self_served)
    late = deps.sweeper.late(ticket_id=ticket.id) if ticket.first_response_at else {}
    base = triage_card_blocks(ticket, names, now=now, self_served=self_served, late=late)
    return card_blocks(base, ticket, deps.merger.facts(ticket), deps.orgs.name)
