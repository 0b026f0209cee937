"""Conversations in Slack: grouped messages, `/ticket merge`, the Merge buttons, duplicates.

Nothing about grouping or duplicates is ever said in the customer's channel; a merge
done by an agent tells the merged thread where the conversation went, and nothing more.
"""

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.intake.values import IntakeResult
from bot.tickets.merge import MergeResult
from bot.tickets.workflow import WorkflowError
from handlers.blocks.conversations import MERGE_ACTION_PREFIX, merged_notice, ticket_ref
from handlers.kb import post_offer
from handlers.slack.guard import Audience
from handlers.slack.mirror import post_to_triage_thread, refresh_mirror
from handlers.tickets.commands import TicketCommand
from store.models import Ticket

logger = logging.getLogger(__name__)

API_METHODS = ("reactions.remove", "chat.postMessage", "chat.update", "chat.postEphemeral")
NOT_AN_AGENT = "Only support agents can merge tickets."
QUESTION_MESSAGES = 5  # how many grouped messages are read as the question


def register(app: App, deps: Deps) -> None:
    """The Merge buttons of the likely-duplicates line on triage cards."""

    @app.action(re.compile(f"^{MERGE_ACTION_PREFIX}\\d+$"))
    def on_merge_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")
        source_text, _, into_text = (action.get("value") or "").partition(":")
        try:
            if not deps.people.is_agent(user_id):
                raise WorkflowError(NOT_AN_AGENT)
            if not (source_text.isdigit() and into_text.isdigit()):
                raise WorkflowError("That button no longer points at two tickets.")
            result = deps.merger.merge(
                workspace_id=deps.people.identity.workspace_id,
                into=int(into_text),
                source=int(source_text),
                actor_id=user_id,
            )
        except WorkflowError as error:
            if channel_id:
                deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))
            return
        announce_merge(deps, result, user_id)


def merge_from_command(deps: Deps, request: TicketCommand, user_id: str) -> MergeResult:
    """`/ticket merge #A #B`: fold B into A (WorkflowError when it cannot be done)."""
    assert request.number is not None
    return deps.merger.merge(
        workspace_id=deps.people.identity.workspace_id,
        into=request.number,
        source=int(request.argument),
        actor_id=user_id,
    )


def merge_summary(deps: Deps, result: MergeResult) -> str:
    """The agent's answer to a merge."""
    source, target = result.source, result.target
    return (
        f"Merged {ticket_ref(source, deps.orgs.name)} into {ticket_ref(target, deps.orgs.name)}"
        f" ({result.moved} messages moved)."
    )


def announce_merge(deps: Deps, result: MergeResult, user_id: str) -> None:
    """Cards, the triage threads, and a customer-safe line in the merged ticket's thread."""
    target, source = result.target, result.source
    refresh_mirror(deps, target)
    refresh_mirror(deps, source)
    line = f"<@{user_id}>: {merge_summary(deps, result)}"
    post_to_triage_thread(deps, target, line)
    post_to_triage_thread(deps, source, line)
    deps.guard.post(
        audience=Audience.CUSTOMER,
        channel=source.channel_id,
        thread_ts=source.root_ts,
        text=merged_notice(
            target, same_channel=source.channel_id == target.channel_id, permalink=target.permalink
        ),
    )


def after_created(deps: Deps, ticket: Ticket, text: str) -> None:
    """Look for likely duplicates before the new ticket's card is posted."""
    deps.duplicates.scan(ticket, text)


def after_grouped(deps: Deps, client: WebClient, result: IntakeResult) -> None:
    """A message joined a live conversation: cards, duplicates and suggestions follow."""
    ticket = result.ticket
    assert ticket is not None
    for absorbed in result.merged:
        refresh_mirror(deps, absorbed)
        _unacknowledge(deps, client, absorbed)
    opening = deps.merger.facts(ticket).opening
    if len(opening) <= QUESTION_MESSAGES:
        # The question is in the first few messages; later ones are the conversation.
        question = "\n".join(message.text for message in opening)
        deps.duplicates.scan(ticket, question)
        post_offer(deps, ticket, deps.suggestions.offer_again(ticket, question), question)
    refresh_mirror(deps, ticket)


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
