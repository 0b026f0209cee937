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
from handlers.blocks.conversations import merged_notice, ticket_ref
from handlers.slack.card import post_to_triage_thread, refresh_card
from handlers.slack.gates import bind
from handlers.slack.guard import Audience
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
