"""Grouping: a customer's burst of top-level messages is one conversation, so one ticket.

The rule, decided on Slack timestamps only (never on arrival time), so that redelivered
and out-of-order events end in the same grouping:

- Two top-level messages of the same person in the same channel belong together when
  their timestamps are at most `intake.group_window` apart (chained: "hi" - "quick
  question" - "export fails" ten seconds apart each are one conversation).
- A message joins the live ticket of any such neighbour. If it neighbours two tickets
  (it arrived late and bridges them), the later ticket is folded into the earlier one.
- Small talk ("thanks!", "ok") joins a conversation it follows, but never starts one.

Intake of one person's top-level messages in one channel is serialised (see
`store.conversations.lock_conversation`), so two messages racing each other see each
other and make one ticket, while two customers writing at once make two.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.clock import Clock, ts_to_datetime
from bot.intake.values import IncomingMessage
from bot.sla.planner import SlaPlanner
from bot.text import subject_from
from bot.tickets.duplicates import is_substantial
from bot.tickets.merge import fold
from store import conversations, events, statuses
from store.models import Message, Ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Group:
    """The live ticket a message joins, and later tickets it bridges into it."""

    survivor: Ticket
    absorbed: list[Ticket]
    gap: timedelta


def neighbouring_tickets(
    neighbours: list[tuple[datetime, int]], *, sent_at: datetime, small_talk: bool
) -> tuple[list[int], timedelta | None]:
    """Ticket ids a message at `sent_at` groups with, and the gap to its nearest neighbour."""
    others = [(moment, ticket_id) for moment, ticket_id in neighbours if moment != sent_at]
    if not others or (small_talk and not any(moment < sent_at for moment, _ in others)):
        return [], None
    ids = list(dict.fromkeys(ticket_id for _, ticket_id in others))
    gap = min(abs(moment - sent_at) for moment, _ in others)
    return ids, gap


class Grouper:
    """Finds the conversation a top-level message belongs to, inside intake's transaction."""

    def __init__(self, window: timedelta | None, planner: SlaPlanner, clock: Clock) -> None:
        self.window = window
        self._planner = planner
        self._clock = clock

    def find(self, session: Session, incoming: IncomingMessage) -> Group | None:
        """The group the message joins, or None when it starts a conversation."""
        if self.window is None:
            return None
        conversations.lock_conversation(
            session, channel_id=incoming.channel_id, user_id=incoming.user_id
        )
        sent_at = ts_to_datetime(incoming.ts)
        neighbours = conversations.group_neighbours(
            session,
            channel_id=incoming.channel_id,
            user_id=incoming.user_id,
            start=sent_at - self.window,
            end=sent_at + self.window,
        )
        ids, gap = neighbouring_tickets(
            neighbours, sent_at=sent_at, small_talk=incoming.is_small_talk
        )
        if not ids or gap is None:
            return None
        locked = conversations.lock_tickets(session, ticket_ids=ids)
        # A neighbour merged while we waited for its lock lives on in the survivor.
        survivors = {t.merged_into_id for t in locked if t.merged_into_id is not None}
        if survivors:
            locked = [t for t in locked if t.merged_into_id is None]
            locked += conversations.lock_tickets(session, ticket_ids=[i for i in survivors if i])
        tickets = [
            ticket
            for ticket in {t.id: t for t in locked}.values()
            if ticket.status in statuses.LIVE and ticket.merged_into_id is None
        ]
        if not tickets:
            return None
        tickets.sort(key=lambda ticket: (ticket.created_at, ticket.id or 0))
        return Group(tickets[0], tickets[1:], gap)

    def join(self, session: Session, group: Group, message: Message) -> None:
        """Record the message as part of the group's ticket and fold bridged tickets in."""
        survivor = group.survivor
        assert survivor.id is not None and self.window is not None
        if message.sent_at < survivor.created_at:
            survivor.created_at = message.sent_at  # an earlier message arrived late
        if not is_substantial(survivor.subject) and is_substantial(message.text):
            # "quick question" - "the export fails since 9:00": the list shows the latter
            survivor.subject = subject_from(message.text, message.files)
        events.add_activity(
            session,
            ticket_id=survivor.id,
            action="grouped",
            at=message.sent_at,
            actor_id=message.user_id,
            detail={
                "ts": message.ts,
                "gap_seconds": int(group.gap.total_seconds()),
                "window_seconds": int(self.window.total_seconds()),
                "bridged": [ticket.number for ticket in group.absorbed],
            },
        )
        for other in group.absorbed:
            logger.info(
                "message %s bridges #%s into #%s", message.ts, other.number, survivor.number
            )
            fold(
                session,
                self._planner,
                target=survivor,
                source=other,
                actor_id=None,
                at=self._clock(),
                reason="grouped",
            )
