"""What the team and the customer see after a ticket changed, subscribed once for all.

Every way of changing a ticket (`/ticket`, the card's buttons, emoji, the suggestions'
"This solved it", a merge) ends in a `TicketChanged` emitted after the commit; here the
Slack side follows it: the triage card is refreshed, the triage thread is told, and a
resolved ticket's survey is delivered. Each effect runs on its own: one that fails is
logged by the dispatcher and the others still run.
"""

from collections.abc import Callable

from slack_bolt import App

from bot.deps import Deps
from bot.events import TicketChanged
from handlers.blocks.cards import finished_blocks, moved_on_text
from handlers.blocks.conversations import merged_notice, ticket_ref
from handlers.blocks.csat import survey_text, thanks_text
from handlers.blocks.kb import answered_elsewhere, answered_list_text
from handlers.slack.card import post_to_triage_thread, refresh_card
from handlers.slack.gates import bind
from handlers.slack.guard import Audience
from knowledge.matcher import detect_language
from store.models import Ticket

# Changes told in the triage thread as "<@actor>: <summary>" when made by `/ticket`, which
# only its author sees; a button press or an emoji is seen where it is made, and the card
# (refreshed after every change) shows the rest.
TOLD = ("assigned", "unassigned", "resolved", "reopened", "pending")


def register(_app: App, deps: Deps) -> None:
    """Subscribe the effects to the ticket events (once, at startup)."""
    effects: tuple[Callable[[Deps, TicketChanged], None], ...] = (
        refresh_cards,
        note_in_triage_thread,
        deliver_survey,
        tell_merged_thread,
        retire_buttons,
    )
    for effect in effects:
        deps.events.subscribe(bind(effect, deps))


def refresh_cards(deps: Deps, event: TicketChanged) -> None:
    """The triage card shows the ticket as it is now (both cards of a merge; a target that
    just breached, told by the SLA sweep, shows as overdue)."""
    refresh_card(deps, event.ticket, self_served=event.action == "self_served")
    if event.other is not None:
        refresh_card(deps, event.other)


def note_in_triage_thread(deps: Deps, event: TicketChanged) -> None:
    """A line in the card's thread, for the changes the team is told of."""
    line = triage_line(deps, event)
    if line is None:
        return
    post_to_triage_thread(deps, event.ticket, line)
    if event.other is not None:
        post_to_triage_thread(deps, event.other, line)


def deliver_survey(deps: Deps, event: TicketChanged) -> None:
    """An agent resolved it: post the survey, if one was planned (the service decides)."""
    if event.action == "resolved" and event.ticket.id is not None:
        deps.csat.deliver(ticket_id=event.ticket.id)


def tell_merged_thread(deps: Deps, event: TicketChanged) -> None:
    """A customer-safe line in the merged ticket's thread: where the conversation went."""
    source, target = event.other, event.ticket
    if event.action != "merged" or source is None:
        return
    deps.guard.post(
        audience=Audience.CUSTOMER,
        channel=source.channel_id,
        thread_ts=source.root_ts,
        text=merged_notice(
            target, same_channel=source.channel_id == target.channel_id, permalink=target.permalink
        ),
    )


def retire_buttons(deps: Deps, event: TicketChanged) -> None:
    """No dead buttons: a merged ticket's suggestion and survey, and the suggestion of one an
    agent resolved, lose their buttons as it happens, not when someone presses one."""
    if event.action == "merged" and event.other is not None:
        source, target = event.other, event.ticket
        why = moved_on_text(source, target, for_customer=True, pressed=False)
        _retire_suggestion(deps, source, why)
        _retire_survey(deps, source, why)
    elif event.action == "resolved":
        _retire_suggestion(deps, event.ticket, None)


def _retire_suggestion(deps: Deps, ticket: Ticket, why: str | None) -> None:
    """The suggested articles stay readable; "This solved it" and "I still need help" go."""
    suggestion = deps.suggestions.posted_offer(ticket_id=ticket.id) if ticket.id else None
    if suggestion is None or suggestion.channel_id is None or suggestion.message_ts is None:
        return
    said = answered_list_text(
        [
            article.title
            for article_id in suggestion.article_ids
            if (article := deps.suggestions.knowledge.article(article_id)) is not None
        ]
    )
    deps.guard.update(
        audience=Audience.CUSTOMER,
        channel=suggestion.channel_id,
        ts=suggestion.message_ts,
        text=said or "Suggested articles",
        blocks=finished_blocks(said, why or answered_elsewhere(suggestion.lang)),
    )


def _retire_survey(deps: Deps, ticket: Ticket, why: str) -> None:
    """A merged ticket's survey: the question (or the thanks) stays, the stars go."""
    survey = deps.csat.posted_survey(ticket_id=ticket.id) if ticket.id else None
    if survey is None or survey.message_ts is None:
        return
    lang = detect_language(ticket.subject)
    said = (
        survey_text(lang)
        if survey.rating is None
        else thanks_text(survey.rating, lang, commented=bool(survey.comment))
    )
    deps.guard.update(
        audience=Audience.CUSTOMER,
        channel=survey.channel_id,
        ts=survey.message_ts,
        text=said,
        blocks=finished_blocks(said, why),
    )


def triage_line(deps: Deps, event: TicketChanged) -> str | None:
    """What the triage thread says about a change; None for the ones it does not."""
    actor = f"<@{event.actor_id}>"
    if event.action == "note":
        return f":memo: Note by {actor}: {event.detail.get('text', '')}"
    if event.action == "self_served":
        return f"{actor}: self-served with `{event.detail.get('article', '')}`"
    if event.action == "merged" and event.other is not None:
        moved = int(event.detail.get("moved", 0))
        return f"{actor}: {merge_summary(deps, event.ticket, event.other, moved)}"
    if event.action in TOLD and event.by_command:
        return f"{actor}: {event.summary}"
    return None


def merge_summary(deps: Deps, target: Ticket, source: Ticket, moved: int) -> str:
    """What a merge did, as the agent and the triage threads are told."""
    return (
        f"Merged {ticket_ref(source, deps.orgs.name)} into {ticket_ref(target, deps.orgs.name)}"
        f" ({moved} messages moved)."
    )
