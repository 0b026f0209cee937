"""Conversations in Slack: grouped messages, the Merge buttons, duplicates.

Nothing about grouping or duplicates is ever said in the customer's channel; a merge
done by an agent (here or by `/ticket merge`) tells the merged thread where the
conversation went, and nothing more (handlers/slack/effects.py, after the merge's event).
"""

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.intake.values import IntakeResult
from bot.tickets.duplicates import QUESTION_MESSAGES, question_of
from bot.tickets.workflow import WorkflowError
from handlers.blocks import values
from handlers.blocks.conversations import MERGE_ACTION_PREFIX
from handlers.kb import post_offer
from handlers.slack.card import refresh_card
from handlers.slack.gates import agents_only, bind
from store.models import Ticket

logger = logging.getLogger(__name__)

API_METHODS = ("reactions.remove", "chat.postMessage", "chat.update", "chat.postEphemeral")
NOT_AN_AGENT = "Only support agents can merge tickets."


def register(app: App, deps: Deps) -> None:
    """The Merge buttons of the likely-duplicates line on triage cards, agents only."""
    app.action(
        re.compile(f"^{MERGE_ACTION_PREFIX}\\d+$"),
        middleware=[agents_only(deps, NOT_AN_AGENT)],
    )(bind(on_merge_button, deps))


def on_merge_button(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Merge: fold this card's ticket into the likely duplicate the button names."""
    ack()
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    try:
        try:
            value = values.decode(action.get("value"))
            into = value.extra_number()
        except values.BadValue:
            raise WorkflowError("That button no longer points at two tickets.") from None
        deps.merger.merge(
            workspace_id=deps.people.identity.workspace_id,
            into=into,
            source=value.number,
            actor_id=user_id,
        )
    except WorkflowError as error:
        if channel_id:
            deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))


def after_created(deps: Deps, ticket: Ticket, text: str) -> None:
    """Look for likely duplicates before the new ticket's card is posted."""
    deps.duplicates.scan(ticket, text)


def after_grouped(deps: Deps, client: WebClient, result: IntakeResult) -> None:
    """A message joined a live conversation: cards, duplicates and suggestions follow."""
    ticket = result.ticket
    assert ticket is not None
    for absorbed in result.merged:
        refresh_card(deps, absorbed)
        _unacknowledge(deps, client, absorbed)
    opening = deps.merger.facts(ticket).opening
    if len(opening) <= QUESTION_MESSAGES:
        # The question is in the first few messages; later ones are the conversation.
        texts = [message.text for message in opening]
        deps.duplicates.scan(ticket, question_of(texts))
        question = "\n".join(texts)
        post_offer(deps, ticket, deps.suggestions.offer_again(ticket, question), question)
    refresh_card(deps, ticket)


def _unacknowledge(deps: Deps, client: WebClient, ticket: Ticket) -> None:
    """A ticket folded in by grouping loses its reaction: one conversation, one :ticket:."""
    reaction = deps.desk.intake.reaction
    if not reaction:
        return
    try:
        client.reactions_remove(channel=ticket.channel_id, timestamp=ticket.root_ts, name=reaction)
    except SlackApiError as error:
        if error.response.get("error") not in ("no_reaction", "message_not_found"):
            raise
