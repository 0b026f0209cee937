"""Self-service in Slack: article suggestions on new tickets, their buttons, and `/kb`."""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.ranges import RANGE_HELP, parse_range
from bot.suggestions import Offer
from bot.text import from_slack, plural
from bot.tickets.workflow import WorkflowError
from handlers.blocks import values
from handlers.blocks.cards import moved_on_text, without_buttons
from handlers.blocks.kb import (
    answered_list_text,
    article_list_text,
    gaps_blocks,
    search_results_blocks,
    suggestion_answered_blocks,
    suggestion_blocks,
)
from handlers.slack.card import post_to_triage_thread
from handlers.slack.gates import agents_only, bind
from handlers.slack.guard import Audience
from knowledge.matcher import detect_language
from store.models import Ticket, TicketStatus

logger = logging.getLogger(__name__)

COMMANDS = ("/kb",)
API_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")
NOT_AN_AGENT = "Only support agents can use `/kb`."
KB_USAGE = (
    "*`/kb` commands*:\n• `/kb search <text>` rank knowledge-base articles for a question\n"
    f"• `/kb gaps [range]` unanswered questions grouped by topic (range: {RANGE_HELP}; "
    "default 30d)"
)


def offer_suggestions(deps: Deps, ticket: Ticket, question: str) -> None:
    """Post up to `suggestions.max` articles in a new ticket's thread, once per ticket."""
    post_offer(deps, ticket, deps.suggestions.offer(ticket, question), question)


def post_offer(deps: Deps, ticket: Ticket, offer: Offer | None, question: str) -> None:
    """Show an offer's articles in the ticket's thread (nothing when there are none)."""
    if offer is None or not offer.matches or ticket.id is None:
        return
    lang = detect_language(question)
    posted = deps.guard.post(
        audience=Audience.CUSTOMER,
        channel=ticket.channel_id,
        thread_ts=ticket.root_ts,
        text=article_list_text(offer.matches),
        blocks=suggestion_blocks(ticket.number, offer.matches, lang),
        unfurl_links=False,
    )
    if posted is not None:
        deps.suggestions.attach_message(
            ticket_id=ticket.id, channel_id=ticket.channel_id, ts=posted["ts"]
        )


def register(app: App, deps: Deps) -> None:
    """The suggestion buttons (for the customer or an agent) and `/kb` (agents only)."""
    app.action("kb_solved")(bind(on_solved, deps))
    app.action("kb_need_help")(bind(on_need_help, deps))
    app.command("/kb", middleware=[agents_only(deps, NOT_AN_AGENT)])(bind(on_kb, deps))


def on_solved(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Pressed "This solved it": the ticket is resolved as self-served."""
    ack()
    with deps.events.held():  # the customer's message is answered before the team's card
        _answer(deps, body, action.get("value"), solved=True)


def on_need_help(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Pressed "I still need help": the ticket stays with the team, who are told."""
    ack()
    _answer(deps, body, action.get("value"), solved=False)


def on_kb(deps: Deps, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
    """`/kb search <text>` (answered in the acknowledgement) and `/kb gaps [range]`."""
    # Escaped by Slack (should_escape): the question as the agent typed it.
    verb, _, rest = from_slack(command.get("text") or "").strip().partition(" ")
    verb = verb.lower()
    if verb == "search" and not rest.strip():
        example = "`/kb search reset my password`"
        ack(text=f"`/kb search` needs a question, like {example}.\n\n{KB_USAGE}")
    elif verb == "search":
        matches = deps.suggestions.search(rest.strip())
        ack(text=plural(len(matches), "article"), blocks=search_results_blocks(rest, matches))
    elif verb == "gaps":
        try:
            period = parse_range(
                rest or "30d", now=deps.clock(), timezone=deps.desk.business_hours.timezone
            )
        except ValueError as error:
            ack(text=f"{error}\n\n{KB_USAGE}")
            return
        # Grouping can take a second or more: answer Slack now, the groups follow.
        ack(text=f"Working on it: grouping the unanswered questions of {period.label}…")
        gaps = deps.suggestions.gaps(
            workspace_id=deps.people.identity.workspace_id,
            since=period.start,
            until=period.end,
        )
        blocks = gaps_blocks(
            period.label,
            gaps.groups,
            clustered=gaps.clustered,
            total=gaps.total,
            total_text=gaps.total_text,
        )
        respond(text=plural(len(gaps.groups), "gap"), blocks=blocks, response_type="ephemeral")
    else:
        ack(
            text=KB_USAGE
            if verb in ("", "help")
            else f"`/kb {verb[:40]}` is not a `/kb` command.\n\n{KB_USAGE}"
        )


def finished_ticket_pressed(
    deps: Deps, body: dict[str, Any], ticket: Ticket, *, fallback: str = "Suggested articles"
) -> None:
    """A button of a merged or closed ticket: say where the question went (in the
    presser's words), and take the buttons off the message pressed."""
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    if not channel_id:
        return
    survivor = deps.merger.survivor(ticket)
    for_customer = not deps.people.is_agent(user_id)
    text = moved_on_text(ticket, survivor, for_customer=for_customer)
    deps.guard.ephemeral(channel=channel_id, user=user_id, text=text)
    message = body.get("message") or {}
    ts = (body.get("container") or {}).get("message_ts") or message.get("ts")
    if ts:
        deps.guard.update(
            audience=Audience.CUSTOMER,
            channel=channel_id,
            ts=ts,
            text=message.get("text") or fallback,
            blocks=without_buttons(message.get("blocks") or []),
        )


def _answer(deps: Deps, body: dict[str, Any], raw: object, *, solved: bool) -> None:
    """A press on "This solved it" / "I still need help": only its customer or an agent."""
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    workspace = deps.people.identity.workspace_id
    try:
        try:
            value = values.decode(raw, sep="|")
        except values.BadValue:
            raise WorkflowError("That button no longer points at a ticket.") from None
        article_id = (value.extra or None) if solved else None
        ticket = deps.workflow.find(workspace_id=workspace, number=value.number)
        # Not a gate: who may answer depends on the ticket the button is about.
        if user_id != ticket.customer_id and not deps.people.is_agent(user_id):
            raise WorkflowError("Only the person who asked can answer this. Thanks!")
        if ticket.merged_into_id is not None or ticket.status == TicketStatus.CLOSED:
            finished_ticket_pressed(deps, body, ticket)
            return
        suggestion = deps.suggestions.decide(
            ticket=ticket, solved=solved, article_id=article_id, decided_by=user_id
        )
        if solved and article_id:
            # Resolved as self-served; the card and the triage thread follow its event.
            # Only a press that closed a live ticket teaches the matcher (a merged one
            # raises here; one already resolved is no change).
            change = deps.workflow.resolve_self_served(
                workspace_id=workspace,
                number=ticket.number,
                actor_id=user_id,
                article_id=article_id,
            )
            if change.changed:
                deps.suggestions.learn_self_served(ticket=ticket, article_id=article_id)
    except WorkflowError as error:
        if channel_id:
            deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))
        return
    matches_text = answered_list_text(
        [
            article.title
            for article_id_ in suggestion.article_ids
            if (article := deps.suggestions.knowledge.article(article_id_)) is not None
        ]
    )
    if suggestion.channel_id and suggestion.message_ts:
        deps.guard.update(
            audience=Audience.CUSTOMER,
            channel=suggestion.channel_id,
            ts=suggestion.message_ts,
            text=matches_text or "Suggested articles",
            blocks=suggestion_answered_blocks(matches_text, suggestion.lang, solved=solved),
        )
    if not solved:
        # Not a change of the ticket (no event): the team hears it here.
        post_to_triage_thread(deps, ticket, f"<@{user_id}>: still needs help after suggestions")
