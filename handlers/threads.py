"""Making a ticket of an existing Slack thread: its root, and the replies already under it.

Used by the :ticket: reaction and by the claim shortcut on a message that has no ticket
yet. The thread is read with conversations.replies (every page), so the ticket starts
with the whole conversation, its Slack times, who wrote what, and a first response when
an agent had already answered.
"""

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.intake.service import IncomingMessage, Outcome
from bot.tickets.workflow import WorkflowError
from handlers.messages import HUMAN_SUBTYPES, parse_message
from handlers.slack.card import post_card
from store.models import Ticket

logger = logging.getLogger(__name__)

API_METHODS = ("conversations.replies",)
PAGE_SIZE = 200
MAX_PAGES = 50  # 10,000 replies: a thread longer than that is not one question
# Slack's answers for a message deleted (or never seen) before deskbot read it.
GONE_ERRORS = ("thread_not_found", "message_not_found")
GONE = "That message is gone (deleted, or out of deskbot's sight): no ticket made of it."


class MessageGone(WorkflowError):
    """The message to make a ticket of no longer exists: the agent is told, nothing retried."""


def read_thread(client: WebClient, channel_id: str, ts: str) -> list[dict[str, Any]]:
    """Every message of the thread `ts` belongs to (root first), following the cursor."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        try:
            page = client.conversations_replies(
                channel=channel_id, ts=ts, limit=PAGE_SIZE, **({"cursor": cursor} if cursor else {})
            )
        except SlackApiError as error:
            # A vanished message is an answer, not a failure: retrying cannot bring it back.
            if error.response.get("error") in GONE_ERRORS:
                raise MessageGone(GONE) from None
            raise
        messages.extend(page.get("messages") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not cursor:
            break
    return messages


def ticket_from_thread(
    deps: Deps,
    client: WebClient,
    *,
    channel_id: str,
    ts: str,
    user_id: str,
    event_id: str | None,
    route: bool,
) -> Ticket:
    """The ticket of the thread `ts` is in: the existing one, or a new one with its replies.

    `route` hands a new ticket to routing (not when the agent is about to claim it).
    """
    existing = deps.workflow.ticket_of_message(channel_id=channel_id, ts=ts)
    if existing is not None:
        return existing
    try:
        thread = read_thread(client, channel_id, ts)
        if not any(m.get("ts") == ts for m in thread):
            raise MessageGone(GONE)
    except MessageGone:
        logger.info(
            "no ticket of message %s in %s for %s: the message is gone", ts, channel_id, user_id
        )
        raise
    humans = [
        m
        for m in thread
        if m.get("user")
        and not m.get("bot_id")
        and m.get("subtype") in HUMAN_SUBTYPES
        and m["user"] != deps.people.identity.bot_user_id
    ]
    root_ts = next((m.get("thread_ts") for m in thread if m.get("ts") == ts), None) or ts
    root = next((m for m in humans if m["ts"] == root_ts), None)
    if root is None:
        raise WorkflowError(
            "That thread cannot become a ticket (its first message is a bot's, or gone)."
        )
    existing = deps.workflow.ticket_of_message(channel_id=channel_id, ts=root_ts)
    if existing is not None:
        return existing
    root_in = _incoming(deps, channel_id, root, event_id)
    replies = [_incoming(deps, channel_id, m, None) for m in humans if m["ts"] != root_ts]
    result = deps.intake.open_ticket_from_thread(root_in, replies, opened_by=user_id)
    if result.outcome is Outcome.CREATED and result.ticket is not None:
        post_card(client, deps, result.ticket)
        if route and result.ticket.id is not None:
            deps.routing.route_new(ticket_id=result.ticket.id)
        return result.ticket
    # A racing reaction or a redelivery made it first.
    ticket = deps.workflow.ticket_of_message(channel_id=channel_id, ts=root_ts)
    if ticket is None:
        raise WorkflowError("That thread could not become a ticket; please try again.")
    return ticket


def _incoming(
    deps: Deps, channel_id: str, message: dict[str, Any], event_id: str | None
) -> IncomingMessage:
    # conversations.replies leaves the channel out of each message
    return parse_message(deps, {**message, "channel": channel_id}, event_id)
