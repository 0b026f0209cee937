"""Pure Block Kit builders: data in, blocks out; no Slack calls, no database."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.people import UNKNOWN_TEAM
from bot.text import escape
from bot.tickets.workflow import PRIORITIES
from handlers.blocks import values
from store.models import Ticket, TicketStatus

Block = dict[str, Any]

STATUS_LABELS = {
    "new": ":new: New",
    "open": ":large_blue_circle: Open",
    "pending": ":hourglass_flowing_sand: Waiting on customer",
    "resolved": ":white_check_mark: Resolved",
    "closed": ":lock: Closed",
}


def slack_date(moment: datetime, fallback_format: str = "%Y-%m-%d %H:%M UTC") -> str:
    """A date Slack renders in each reader's own time zone."""
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{moment.strftime(fallback_format)}>"


def ticket_label(ticket: Ticket) -> str:
    """`#42 · subject` for notifications and fallbacks (the subject escaped: it is the
    customer's text, and a notification's `text` renders mrkdwn too)."""
    return f"#{ticket.number} · {escape(ticket.subject)}"


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def _organization(ticket: Ticket, org_name: Callable[[str], str] | None) -> str:
    if ticket.customer_team_id == UNKNOWN_TEAM:
        return "unknown (Slack could not say yet; treated as a customer)"
    if not ticket.is_external:
        return "internal"
    team = ticket.customer_team_id
    name = org_name(team) if org_name is not None else team
    return f"{escape(name)} (Slack Connect)" if name != team else f"`{team}` (Slack Connect)"


def _first_response(ticket: Ticket) -> str:
    if ticket.first_response_at is None:
        return "_waiting_"
    minutes = int((ticket.first_response_at - ticket.created_at).total_seconds() // 60)
    who = f" by <@{ticket.first_responder_id}>" if ticket.first_responder_id else ""
    return f"after {minutes} min{who}"


def triage_card_blocks(ticket: Ticket, org_name: Callable[[str], str] | None = None) -> list[Block]:
    """The triage-channel card for a ticket: what, who, where (the organization by name
    when `org_name` knows it), state."""
    title = escape(ticket.subject)
    if ticket.permalink:
        title = f"<{ticket.permalink}|{title}>"
    fields = [
        mrkdwn(f"*Customer*\n<@{ticket.customer_id}>"),
        mrkdwn(f"*Organization*\n{_organization(ticket, org_name)}"),
        mrkdwn(f"*Channel*\n<#{ticket.channel_id}>"),
        mrkdwn(f"*Status*\n{STATUS_LABELS.get(str(ticket.status), str(ticket.status))}"),
        mrkdwn(f"*Priority*\n{ticket.priority}"),
        mrkdwn(f"*First response*\n{_first_response(ticket)}"),
    ]
    context = [mrkdwn(f"Opened {slack_date(ticket.created_at)}")]
    if ticket.assignee_id:
        context.append(mrkdwn(f"Assigned to <@{ticket.assignee_id}>"))
    if ticket.reopen_count:
        context.append(mrkdwn(f"Reopened {ticket.reopen_count}×"))
    for name, due in (
        ("First response", ticket.first_response_due_at),
        ("Next response", ticket.next_response_due_at),
        ("Resolution", ticket.resolution_due_at),
    ):
        if due is not None:
            context.append(mrkdwn(f"{name} due {slack_date(due)}"))
    return [
        {"type": "section", "block_id": "ticket", "text": mrkdwn(f"*#{ticket.number}* {title}")},
        {"type": "section", "block_id": "facts", "fields": fields},
        {"type": "context", "block_id": "meta", "elements": context},
        ticket_actions(ticket),
    ]


def triage_card_text(ticket: Ticket) -> str:
    """Notification fallback text for the triage card."""
    return f"Ticket {ticket_label(ticket)} from <@{ticket.customer_id}> in <#{ticket.channel_id}>"


def ticket_actions(ticket: Ticket, *, block_id: str = "actions") -> Block:
    """Claim / Resolve / priority for a live ticket; Reopen for a resolved one."""
    value = values.encode(ticket.number)
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return {
            "type": "actions",
            "block_id": block_id,
            "elements": [_button("Reopen", "ticket_reopen", value)],
        }
    elements: list[Block] = []
    if ticket.assignee_id is None:
        elements.append(_button("Claim", "ticket_claim", value, style="primary"))
    elements.append(_button("Resolve", "ticket_resolve", value))
    elements.append(
        {
            "type": "static_select",
            "action_id": "ticket_priority",
            "placeholder": {"type": "plain_text", "text": "Priority"},
            "options": [_option(p, values.encode(ticket.number, p)) for p in PRIORITIES],
            "initial_option": _option(
                ticket.priority, values.encode(ticket.number, ticket.priority)
            ),
        }
    )
    return {"type": "actions", "block_id": block_id, "elements": elements}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _option(priority: str, value: str) -> Block:
    return {"text": {"type": "plain_text", "text": priority}, "value": value}
