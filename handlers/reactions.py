"""Emoji as commands: :eyes: claims, :white_check_mark: resolves, :ticket: makes a ticket.

Only agents' reactions count; anyone else's are ignored.
"""

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.workflow import Change, WorkflowError
from handlers.csat import ask_after_resolve
from handlers.mirror import refresh_mirror
from handlers.threads import ticket_from_thread
from store.models import Ticket

logger = logging.getLogger(__name__)

BOT_EVENTS = ("reaction_added",)
API_METHODS = ("chat.postEphemeral",)
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
    ticket_from_thread(
        deps, client, channel_id=channel_id, ts=ts, user_id=user_id, event_id=event_id, route=True
    )
