"""Routing in Slack: `/ticket away|back` answers, and routing notices for the team.

Routing is internal: notices go to the triage card (refreshed) and its thread, and a DM
to the agent a ticket was routed to, all through the leak guard; never to a customer.
"""

import logging

from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.routing.away import UntilError
from bot.routing.service import Availability, RoutingNotice
from bot.tickets.workflow import WorkflowError
from handlers.blocks.cards import escape, slack_date
from handlers.slack.card import post_to_triage_thread, refresh_card
from handlers.slack.guard import Audience

logger = logging.getLogger(__name__)

API_METHODS = ("chat.postMessage", "chat.update")


def announce_routing(deps: Deps, notice: RoutingNotice) -> None:
    """Tell the team what routing did: the card, its thread, and the new holder's DM."""
    ticket = notice.ticket
    try:
        refresh_card(deps, ticket)
        if notice.loud and ticket.triage_channel_id and ticket.triage_ts:
            # A released claim needs someone: say it in the channel, under the card.
            deps.guard.post(
                audience=Audience.INTERNAL,
                channel=ticket.triage_channel_id,
                thread_ts=ticket.triage_ts,
                reply_broadcast=True,
                text=notice.text,
            )
        else:
            post_to_triage_thread(deps, ticket, notice.text)
        if notice.assignee_id:
            subject = escape(ticket.subject[:120])
            title = f"<{ticket.permalink}|{subject}>" if ticket.permalink else subject
            deps.guard.post(
                audience=Audience.INTERNAL,
                channel=notice.assignee_id,
                text=f":inbox_tray: #{ticket.number} was routed to you: {title}",
                unfurl_links=False,
            )
    except SlackApiError:
        # The decision is in the database and the activity log; only the notice is lost.
        logger.exception("routing notice for #%s could not be posted", ticket.number)


def availability_answer(deps: Deps, name: str, argument: str, user_id: str) -> dict[str, str]:
    """Carry out `/ticket away [until]` or `/ticket back`; the ephemeral answer."""
    if name == "away":
        try:
            status = deps.routing.go_away(agent_id=user_id, until_text=argument)
        except UntilError as error:
            raise WorkflowError(str(error)) from None
    else:
        status = deps.routing.come_back(agent_id=user_id)
    return {"text": _describe(deps, status)}


def away_note(deps: Deps, agent_id: str) -> str:
    """A warning for whoever hands a ticket to an agent who is away; empty if they are not."""
    away = deps.routing.away_now()
    if agent_id not in away:
        return ""
    until = away[agent_id]
    when = f"until {slack_date(until)}" if until else "until they are back"
    return f" Heads up: <@{agent_id}> is away {when}."


def _describe(deps: Deps, status: Availability) -> str:
    if status.away:
        until = (
            f"until {slack_date(status.until)}" if status.until else "until you say `/ticket back`"
        )
        text = f":palm_tree: You are away {until}: no tickets are routed to you meanwhile."
    elif status.since is not None:
        text = ":wave: Welcome back! Tickets are routed to you again."
    else:
        text = "You were not away; tickets are routed to you as usual."
    if not deps.desk.routing.routes_anything and status.away:
        text += " (Auto-assignment is off here, so this only tells the team.)"
    if status.held:
        numbers = ", ".join(f"#{n}" for n in status.held[:20])
        more = "…" if len(status.held) > 20 else ""
        text += f"\nYou hold {len(status.held)} live tickets: {numbers}{more}."
        if status.away:
            text += " Reassign any that cannot wait (`/ticket assign #N @someone`)."
    return text
