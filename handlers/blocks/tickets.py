"""Pure Block Kit builders for `/ticket show`, `/ticket list`, the triage card's buttons."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.tickets.workflow import TicketDetails
from handlers.blocks.cards import (
    STATUS_LABELS,
    Block,
    escape,
    first_response,
    is_done,
    mrkdwn,
    next_due,
    slack_date,
)
from store.models import Activity, Ticket

SHOWN_ACTIVITY = 15
FIELD_LIMIT = 2000  # Slack refuses a section field longer than this (the whole message)


def _when(moment: datetime | None) -> str:
    return slack_date(moment) if moment else "—"


def describe_activity(entry: Activity) -> str:
    """One line of the audit trail."""
    who = f"<@{entry.actor_id}>" if entry.actor_id else "deskbot"
    detail = entry.detail or {}
    extra = {
        "assigned": f" to <@{detail.get('to')}>",
        "priority": f" {detail.get('from')} → {detail.get('to')}",
        "typed": f" `{escape(str(detail.get('tag', '')))}`",
        "linked": f" {escape(str(detail.get('ref', '')))}",
        "note": f": {escape(str(detail.get('text', '')))[:300]}",
        "resolved": f": {escape(str(detail.get('note', '')))[:300]}" if detail.get("note") else "",
        "merged": f" #{detail.get('from')} ({detail.get('reason')})",
        "merged_into": f" #{detail.get('into')} ({detail.get('reason')})",
        "grouped": f" a message {detail.get('gap_seconds')}s from its neighbour",
        "auto_assigned": f" to <@{detail.get('to')}>: {detail.get('reason')}",
        "claim_released": f" from <@{detail.get('from')}> after {detail.get('after')}",
        "csat_rated": f" {detail.get('rating')}/5",
    }.get(entry.action, "")
    return f"{slack_date(entry.at)} {who} {entry.action.replace('_', ' ')}{extra}"


def ticket_details_blocks(
    details: TicketDetails,
    *,
    now: datetime | None = None,
    late: Mapping[str, timedelta] | None = None,
) -> list[Block]:
    """`/ticket show`: state, assignee, times, tags, links, recent activity (`now`: what
    is overdue; `late`: targets met after their due time)."""
    ticket = details.ticket
    self_served = any(entry.action == "self_served" for entry in details.activity)
    late_response = (late or {}).get("first_response")
    responded = first_response(ticket, now, self_served=self_served, late=late_response)
    if ticket.first_response_at is not None:
        # The date, and how late it came if it missed its target ("after 12 min" is the card's)
        late = responded.partition(", ")[2]
        responded = _when(ticket.first_response_at) + (f", {late}" if late else "")
    if ticket.merged_into_id is not None:
        status = "merged"
    else:
        status = STATUS_LABELS.get(str(ticket.status), str(ticket.status))
    title = escape(ticket.subject)
    if ticket.permalink:
        title = f"<{ticket.permalink}|{title}>"
    assignee = f"<@{ticket.assignee_id}>" if ticket.assignee_id else "_unassigned_"
    fields = [
        mrkdwn(f"*Status*\n{status}"),
        mrkdwn(f"*Assignee*\n{assignee}"),
        mrkdwn(f"*Priority*\n{ticket.priority}"),
        mrkdwn(f"*Customer*\n<@{ticket.customer_id}> in <#{ticket.channel_id}>"),
        mrkdwn(f"*Opened*\n{_when(ticket.created_at)}"),
        mrkdwn(f"*First response*\n{responded}"),
        mrkdwn(f"*Resolved*\n{_when(ticket.resolved_at)}"),
        # A done ticket's clocks stopped: its old due times would read as overdue.
        field(
            "SLA", [] if is_done(ticket) else details.sla, sep="\n", empty="_no targets running_"
        ),
        field("Types", [f"`{escape(tag)}`" for tag in details.tags]),
        field("Links", [escape(link) for link in details.links]),
    ]
    recent = details.activity[-SHOWN_ACTIVITY:]
    history = "\n".join(describe_activity(entry) for entry in recent)
    if len(details.activity) > SHOWN_ACTIVITY:
        history = f"_{len(details.activity) - SHOWN_ACTIVITY} earlier entries not shown_\n{history}"
    return [
        {"type": "section", "block_id": "title", "text": mrkdwn(f"*#{ticket.number}* {title}")},
        {"type": "section", "block_id": "facts", "fields": fields},
        {
            "type": "section",
            "block_id": "activity",
            "text": mrkdwn(f"*Activity*\n{history}"[:3000]),
        },
    ]


def field(title: str, items: list[str], *, sep: str = ", ", empty: str = "—") -> Block:
    """A section field listing `items`, as many as fit, then "… and N more"."""
    head = f"*{title}*\n"
    shown: list[str] = []
    used = len(head)
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        # Room for this item, and for the "… and N more" that may have to follow it.
        tail = len(f"{sep}… and {rest} more") if rest else 0
        if used + len(sep) * bool(shown) + len(item) + tail > FIELD_LIMIT:
            more = f"… and {len(items) - index} more"
            return mrkdwn(head + sep.join([*shown, more]) if shown else head + more)
        shown.append(item)
        used += len(sep) * (len(shown) > 1) + len(item)
    return mrkdwn(head + (sep.join(shown) or empty))


def ticket_line(ticket: Ticket, *, viewer: str | None = None, now: datetime | None = None) -> str:
    """One ticket in a list (the `viewer`'s own name left out; with `now`, its next due)."""
    who = f" · <@{ticket.assignee_id}>" if ticket.assignee_id else " · unassigned"
    if viewer is not None and ticket.assignee_id == viewer:
        who = ""  # their own queue: their name on every row says nothing
    subject = escape(ticket.subject[:80])
    due = next_due(ticket, now) if now is not None else None
    when = f" · {due}" if due else ""
    return f"*#{ticket.number}* {subject} · {ticket.status} · {ticket.priority}{who}{when}"


def ticket_list_blocks(name: str, tickets: list[Ticket]) -> list[Block]:
    """`/ticket list`: one line per ticket, oldest first."""
    if not tickets:
        return [{"type": "section", "text": mrkdwn(f"No tickets in *{name}*.")}]
    lines = [ticket_line(ticket) for ticket in tickets]
    body = "\n".join(lines)
    if len(body) > 2900:
        body = body[:2900].rsplit("\n", 1)[0] + "\n…"
    return [{"type": "section", "text": mrkdwn(f"*{name}* ({len(tickets)})\n{body}")}]
