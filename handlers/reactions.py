"""Emoji as commands: :eyes: claims, :white_check_mark: resolves, :ticket: makes a ticket.

Only agents' reactions count; anyone else's are ignored. Like messages, a reaction that
may be a command is kept in the inbox before it is acknowledged and forgotten once
handled, so one cut short by a crash or an outage is taken up again, not lost.
"""

import logging
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Deps
from bot.tickets.workflow import Change, WorkflowError
from handlers.slack.gates import bind
from handlers.slack.pipeline import KEPT
from handlers.threads import ticket_from_thread
from store.models import Ticket

logger = logging.getLogger(__name__)

BOT_EVENTS = ("reaction_added",)
API_METHODS = ("chat.postEphemeral",)
CLAIM, RESOLVE, MAKE_TICKET = "eyes", "white_check_mark", "ticket"


def register(app: App, deps: Deps) -> None:
    """Listen to reactions on messages."""
    deps.pipeline.keep_kind(
        "reaction_added", worth_keeping=worth_keeping, store=partial(take_in, deps), queued=False
    )
    app.event("reaction_added")(bind(on_reaction, deps))


def take_in(deps: Deps, client: WebClient, row_id: int, body: dict[str, Any]) -> None:
    """A kept reaction taken up again (its first handling was cut short)."""
    handle_reaction(deps, client, body["event"], body.get("event_id"))
    deps.inbox.done(row_id)


def on_reaction(
    deps: Deps,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
) -> None:
    """A reaction on a message: handled now, and forgotten from the inbox once handled."""
    row_id = context.get(KEPT)
    if row_id is None:
        handle_reaction(deps, client, event, body.get("event_id"))
        return
    # Kept before the acknowledgement: forgotten only once handled, else taken up again.
    deps.inbox.in_hand.add(row_id)
    try:
        handle_reaction(deps, client, event, body.get("event_id"))
        deps.inbox.done(row_id)
    finally:
        deps.inbox.in_hand.done(row_id=row_id)


def worth_keeping(event: dict[str, Any]) -> bool:
    """Whether a reaction may be a command (decided without the database or Slack)."""
    item = event.get("item")
    return (
        isinstance(item, dict)
        and item.get("type") == "message"
        and bool(item.get("channel") and item.get("ts"))
        and bool(event.get("user"))
        and event.get("reaction") in (CLAIM, RESOLVE, MAKE_TICKET)
    )


def handle_reaction(
    deps: Deps, client: WebClient, event: dict[str, Any], event_id: str | None
) -> None:
    """Claim, resolve or make a ticket as an agent's emoji says; anyone else's is ignored."""
    # The agents-only gate is here, not listener middleware: a kept reaction taken up
    # again after a crash comes through `take_in`, with no listener in between.
    if not worth_keeping(event) or not deps.people.is_agent(event["user"]):
        return
    user_id, name, item = event["user"], event["reaction"], event["item"]
    channel_id, ts = item["channel"], item["ts"]
    try:
        if name == MAKE_TICKET:
            _make_ticket(deps, client, channel_id, ts, user_id, event_id)
            return
        ticket = deps.workflow.ticket_of_message(channel_id=channel_id, ts=ts)
        if ticket is None:
            return  # an emoji on a message that is not a ticket: just an emoji
        _act(deps, name, ticket, user_id)  # the card and survey follow its event
    except WorkflowError as error:
        deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))


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
