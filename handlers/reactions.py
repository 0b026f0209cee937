"""Emoji as commands: :eyes: claims, :white_check_mark: resolves, :ticket: makes a ticket.

Only agents' reactions count; anyone else's are ignored.
"""

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.intake import IncomingMessage, Outcome
from bot.workflow import Change, WorkflowError
from handlers.csat import ask_after_resolve
from handlers.messages import parse_message
from handlers.mirror import post_mirror, refresh_mirror
from store.models import Ticket

logger = logging.getLogger(__name__)

BOT_EVENTS = ("reaction_added",)
API_METHODS = ("conversations.replies", "chat.postEphemeral")
CLAIM, RESOLVE, MAKE_TICKET = "eyes", "white_check_mark", "ticket"


def register(app: App, deps: Deps) -> None:
    """Listen to reactions on messages."""

    @app.event("reaction_added")
    def on_reaction(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        user_id = event.get("user")
        name = event.get("reaction")
        if (
            item.get("type") != "message"
            or not user_id
            or name not in (CLAIM, RESOLVE, MAKE_TICKET)
        ):
            return
        if not deps.people.is_agent(user_id):
            return
        channel_id, ts = item["channel"], item["ts"]
        try:
            if name == MAKE_TICKET:
                _make_ticket(deps, client, channel_id, ts, user_id, body.get("event_id"))
                return
            ticket = _ticket_of(deps, channel_id, ts)
            if ticket is None:
                return  # an emoji on a message that is not a ticket: just an emoji
            change = _act(deps, name, ticket, user_id)
        except WorkflowError as error:
            deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))
            return
        if change.changed:
            refresh_mirror(deps, change.ticket)
            if name == RESOLVE:
                ask_after_resolve(deps, change.ticket)


def _ticket_of(deps: Deps, channel_id: str, ts: str) -> Ticket | None:
    """The ticket a message belongs to: as its root, or as a message in its thread."""
    return deps.workflow.ticket_of_message(channel_id=channel_id, ts=ts)


def _act(deps: Deps, name: str, ticket: Ticket, user_id: str) -> Change:
    workspace = deps.people.identity.workspace_id
    if name == CLAIM:
        return deps.workflow.claim(workspace_id=workspace, number=ticket.number, agent_id=user_id)
    return deps.workflow.resolve(workspace_id=workspace, number=ticket.number, actor_id=user_id)


def _make_ticket(
    deps: Deps, client: WebClient, channel_id: str, ts: str, user_id: str, event_id: str | None
) -> None:
    """Turn the reacted-to message (and any replies already under it) into a ticket."""
    if deps.workflow.ticket_of_message(channel_id=channel_id, ts=ts) is not None:
        return
    thread = (
        client.conversations_replies(channel=channel_id, ts=ts, limit=200).get("messages") or []
    )
    humans = [m for m in thread if m.get("user") and not m.get("bot_id")]
    root = next((m for m in humans if m["ts"] == ts), None)
    if root is None:
        raise WorkflowError("That message cannot become a ticket (it is a bot's, or gone).")
    root_in = _incoming(deps, channel_id, root, event_id)
    if root_in.is_reply:
        raise WorkflowError("React with :ticket: on the first message of a thread.")
    replies = [_incoming(deps, channel_id, m, None) for m in humans if m["ts"] != ts]
    result = deps.intake.open_ticket_from_thread(root_in, replies, opened_by=user_id)
    if result.outcome is Outcome.CREATED and result.ticket is not None:
        post_mirror(client, deps, result.ticket)
        if result.ticket.id is not None:
            deps.routing.route_new(ticket_id=result.ticket.id)


def _incoming(
    deps: Deps, channel_id: str, message: dict[str, Any], event_id: str | None
) -> IncomingMessage:
    # conversations.replies leaves the channel out of each message
    return parse_message(deps, {**message, "channel": channel_id}, event_id)
