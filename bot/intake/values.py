"""The intake service's seam: what it takes in and what it gives back.

Handlers parse Slack events into an `IncomingMessage` (plus an `Also` to run in the same
transaction) and act on the `IntakeResult`; the grouping and change steps share them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot.clock import ts_to_datetime
from knowledge.language import is_small_talk
from store.models import AuthorRole, Message, Ticket

# More work for the transaction that stores an event, e.g. dropping it from the inbox.
Also = Callable[[Session], None]


class Outcome(StrEnum):
    """What intake did with an event."""

    CREATED = "created"
    REPLY = "reply"
    GROUPED = "grouped"  # a top-level message that continues a live conversation
    REOPENED = "reopened"
    EDITED = "edited"
    DELETED = "deleted"
    HELD = "held"  # a thread reply kept until its thread becomes a ticket
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@dataclass(frozen=True)
class IncomingMessage:
    """A human message as intake needs it, already parsed from the Slack event."""

    workspace_id: str
    channel_id: str
    ts: str
    user_id: str
    user_team_id: str
    text: str
    author_is_agent: bool
    thread_ts: str | None = None
    event_id: str | None = None
    subtype: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_small_talk(self) -> bool:
        """Only a greeting, thanks, "ok" or emoji: never a new question."""
        return not self.files and is_small_talk(self.text)

    @property
    def is_reply(self) -> bool:
        """Whether the message is a reply inside a thread rather than a thread root."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def role_in(self, requester_id: str | None) -> AuthorRole:
        """The author's role in a ticket asked by `requester_id`: whoever asked is its
        customer, an agent asking for help included (so never its first responder)."""
        if self.author_is_agent and self.user_id != requester_id:
            return AuthorRole.AGENT
        return AuthorRole.CUSTOMER

    def as_message(
        self, ticket_id: int | None, *, text: str, requester_id: str | None = None
    ) -> Message:
        """The row this message is stored as (`text` already made storable) in a ticket
        asked by `requester_id` (None: not known yet)."""
        return Message(
            ticket_id=ticket_id,
            channel_id=self.channel_id,
            ts=self.ts,
            thread_ts=self.thread_ts,
            user_id=self.user_id,
            user_team_id=self.user_team_id,
            role=self.role_in(requester_id),
            subtype=self.subtype,
            text=text,
            files=self.files,
            sent_at=ts_to_datetime(self.ts),
            event_id=self.event_id,
        )


@dataclass(frozen=True)
class IntakeResult:
    """The outcome, and the ticket as it stands after the change (detached)."""

    outcome: Outcome
    ticket: Ticket | None = None
    first_response: bool = False
    merged: tuple[Ticket, ...] = ()  # tickets folded into this one by a bridging message

    @property
    def card_stale(self) -> bool:
        """Whether the triage card no longer shows the truth."""
        return self.ticket is not None and (
            self.outcome in (Outcome.REOPENED, Outcome.EDITED, Outcome.DELETED, Outcome.GROUPED)
            or self.first_response
        )
