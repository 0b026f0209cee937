"""Pure Block Kit builders: data in, blocks out; no Slack calls, no database."""

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.business_time import format_remaining
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


def overdue_since(due: datetime) -> str:
    """`overdue since 10:15 (6 hours ago)`, which Slack keeps current as it is read: a card
    stays posted for days, and an "overdue by 1m" written at the breach would soon lie."""
    epoch = int(due.timestamp())
    fallback = due.strftime("%Y-%m-%d %H:%M UTC")
    return f"*overdue* since <!date^{epoch}^{{date_short_pretty}} {{time}} ({{ago}})|{fallback}>"


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


def is_done(ticket: Ticket) -> bool:
    """Resolved, closed or merged: no target runs, nobody is waiting."""
    return ticket.merged_into_id is not None or ticket.status in (
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    )


def first_response(
    ticket: Ticket,
    now: datetime | None,
    *,
    self_served: bool = False,
    late: timedelta | None = None,
    live: bool = False,
) -> str:
    """When the team first answered (`late`: after its target), or why nobody needs to
    (never "waiting" on a ticket that is done, nor on one whose target has passed; `live`:
    an overdue time Slack keeps current, for a message that stays posted)."""
    due = ticket.first_response_due_at
    if ticket.first_response_at is not None:
        minutes = int((ticket.first_response_at - ticket.created_at).total_seconds() // 60)
        who = f" by <@{ticket.first_responder_id}>" if ticket.first_responder_id else ""
        missed = f", *late by {format_remaining(late)}*" if late else ""
        return f"after {minutes} min{who}{missed}"
    if ticket.merged_into_id is not None:
        return "_none here: merged_"
    if self_served:
        return "_none needed: self-served_"
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return f"_none: {ticket.status} without a reply_"
    if due is not None and now is not None and due <= now:
        if live:
            return f":rotating_light: {overdue_since(due)}"
        return f":rotating_light: *{format_remaining(due - now)}*"  # "overdue by 1h 5m"
    return "_waiting_"


def running_dues(ticket: Ticket) -> list[tuple[str, datetime]]:
    """(target name, due) of each target whose clock runs, earliest first."""
    if is_done(ticket):
        return []  # its clocks stopped
    named = [
        (
            "first response",
            ticket.first_response_due_at if ticket.first_response_at is None else None,
        ),
        ("next response", ticket.next_response_due_at),
        ("resolution", ticket.resolution_due_at),
    ]
    return sorted(((name, due) for name, due in named if due is not None), key=lambda d: d[1])


def next_due(ticket: Ticket, now: datetime) -> str | None:
    """`first response overdue by 1h 5m` or `resolution due in 20m`: the earliest target."""
    dues = running_dues(ticket)
    if not dues:
        return None
    name, due = dues[0]
    if due <= now:
        return f":rotating_light: {name} {format_remaining(due - now)}"
    return f"{name} due in {format_remaining(due - now)}"


def due_lines(ticket: Ticket, now: datetime | None, *, live: bool = False) -> list[str]:
    """`First response due <date>`, or `... overdue by 7h (due <date>)` once it has passed
    (`live`: `... overdue since <date> (7 hours ago)`, kept current by Slack)."""
    lines = []
    for name, due in running_dues(ticket):
        label = name.capitalize()
        if live and now is not None and due <= now:
            lines.append(f":rotating_light: {label} {overdue_since(due)}")
        elif now is not None and due <= now:
            late = format_remaining(due - now)
            lines.append(f":rotating_light: {label} *{late}* (due {slack_date(due)})")
        else:
            lines.append(f"{label} due {slack_date(due)}")
    return lines


def triage_card_blocks(
    ticket: Ticket,
    org_name: Callable[[str], str] | None = None,
    *,
    now: datetime | None = None,
    self_served: bool = False,
    late: Mapping[str, timedelta] | None = None,
) -> list[Block]:
    """The triage-channel card for a ticket: what, who, where (the organization by name
    when `org_name` knows it), state (`now`: what is overdue; `late`: targets met after
    their due time)."""
    responded = first_response(
        ticket, now, self_served=self_served, late=(late or {}).get("first_response"), live=True
    )
    title = escape(ticket.subject)
    if ticket.permalink:
        title = f"<{ticket.permalink}|{title}>"
    fields = [
        mrkdwn(f"*Customer*\n<@{ticket.customer_id}>"),
        mrkdwn(f"*Organization*\n{_organization(ticket, org_name)}"),
        mrkdwn(f"*Channel*\n<#{ticket.channel_id}>"),
        mrkdwn(f"*Status*\n{STATUS_LABELS.get(str(ticket.status), str(ticket.status))}"),
        mrkdwn(f"*Priority*\n{ticket.priority}"),
        mrkdwn(f"*First response*\n{responded}"),
    ]
    context = [mrkdwn(f"Opened {slack_date(ticket.created_at)}")]
    if ticket.assignee_id:
        context.append(mrkdwn(f"Assigned to <@{ticket.assignee_id}>"))
    if ticket.reopen_count:
        context.append(mrkdwn(f"Reopened {ticket.reopen_count}×"))
    context += [mrkdwn(line) for line in due_lines(ticket, now, live=True)]
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


def without_buttons(blocks: list[Block]) -> list[Block]:
    """A message's blocks with its buttons taken away (what a finished ticket's
    suggestions and survey become: nothing left to press)."""
    return [block for block in blocks if block.get("type") != "actions"]


def finished_blocks(said: str, why: str) -> list[Block]:
    """A finished ticket's suggestion or survey, re-rendered: what it said, and why there
    is nothing left to press."""
    return [
        {"type": "section", "text": mrkdwn(said[:2900] or " ")},
        {"type": "context", "elements": [mrkdwn(why[:2900])]},
    ]


def moved_on_text(
    ticket: Ticket, survivor: Ticket, *, for_customer: bool, pressed: bool = True
) -> str:
    """Why a button of a merged or closed ticket does nothing: customers get customer
    words, in a channel they share; agents the ticket numbers to work on. A press is
    thanked; the note left where the buttons were (`pressed=False`) is not."""
    merged = survivor.number != ticket.number
    if not for_customer:
        if merged:
            return f"#{ticket.number} was merged into #{survivor.number}: work on that."
        return f"#{ticket.number} is closed."
    thanks = "Thanks! " if pressed else ""
    if merged and survivor.permalink and survivor.channel_id == ticket.channel_id:
        return f"{thanks}We're handling this in <{survivor.permalink}|the thread of your question>."
    if merged:
        return f"{thanks}We're handling this together with the same question asked elsewhere."
    return f"{thanks}This question is closed; ask again in the channel if you need anything."
