"""Edits and deletes of messages, including those Slack delivers before the message itself.

Slack does not promise order: an edit can arrive while the original is still being
retried. Such a change is held (keyed by channel and ts) and applied in the transaction
that finally stores the message, so the stored text is the customer's last word.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.clock import Clock
from bot.intake.values import IntakeResult, Outcome
from bot.sla.planner import SlaPlanner
from bot.text import subject_from
from store import events, messages, sla_targets, tickets
from store.models import AuthorRole, Message, Ticket


class MessageChanges:
    """Applies edits and deletes inside intake's transaction; `IntakeService` runs it."""

    def __init__(self, clock: Clock, planner: SlaPlanner) -> None:
        self._clock = clock
        self._planner = planner

    def edit(
        self,
        session: Session,
        channel_id: str,
        ts: str,
        text: str,
        files: list[dict[str, Any]],
        edited_at: datetime,
    ) -> IntakeResult:
        """Apply an edit (`text` already storable), keeping the previous text as a revision."""
        messages.lock_message(session, channel_id=channel_id, ts=ts)
        message = messages.find_message(session, channel_id=channel_id, ts=ts)
        if message is None:
            messages.hold_change(
                session,
                channel_id=channel_id,
                ts=ts,
                kind="edit",
                text=text,
                files=files,
                at=edited_at,
            )
            return IntakeResult(Outcome.IGNORED)
        return self._apply_edit(session, message, text, files, edited_at)

    def delete(
        self, session: Session, channel_id: str, ts: str, deleted_at: datetime
    ) -> IntakeResult:
        """Mark a stored message deleted; its text stays in the history."""
        messages.lock_message(session, channel_id=channel_id, ts=ts)
        message = messages.find_message(session, channel_id=channel_id, ts=ts)
        if message is None:
            messages.hold_change(
                session, channel_id=channel_id, ts=ts, kind="delete", at=deleted_at
            )
            return IntakeResult(Outcome.IGNORED)
        return self._apply_delete(session, message, deleted_at)

    def apply_held(self, session: Session, *, channel_id: str, ts: str) -> None:
        """Apply the changes that arrived before the message, oldest first."""
        messages.lock_message(session, channel_id=channel_id, ts=ts)
        # Held changes are rare: the message is only looked up when there are some.
        changes = messages.held_changes(session, channel_id=channel_id, ts=ts)
        if not changes:
            return
        message = messages.find_message(session, channel_id=channel_id, ts=ts)
        if message is None:
            return
        messages.drop_held_changes(session, changes=changes)
        for change in changes:
            if change.kind == "edit":
                self._apply_edit(session, message, change.text, change.files or [], change.at)
            else:
                self._apply_delete(session, message, change.at)

    def _apply_edit(
        self,
        session: Session,
        message: Message,
        text: str,
        files: list[dict[str, Any]],
        edited_at: datetime,
    ) -> IntakeResult:
        if text == message.text and files == (message.files or []):
            return IntakeResult(Outcome.IGNORED)  # thread metadata churn, not an edit
        if message.edited_at is not None and edited_at <= message.edited_at:
            return IntakeResult(Outcome.IGNORED)  # an older edit arriving late
        messages.add_revision(session, message=message, kind="edit", replaced_at=edited_at)
        message.text, message.files, message.edited_at = text, files, edited_at
        session.add(message)
        ticket = self._note_root_change(session, message, action="edited", at=edited_at)
        if ticket is not None and ticket.root_ts == message.ts:
            ticket.subject = subject_from(text, files)
            self._touch(session, ticket)
        return IntakeResult(Outcome.EDITED, ticket)

    def _apply_delete(
        self, session: Session, message: Message, deleted_at: datetime
    ) -> IntakeResult:
        if message.deleted_at is not None:
            return IntakeResult(Outcome.IGNORED)
        messages.add_revision(session, message=message, kind="delete", replaced_at=deleted_at)
        message.deleted_at = deleted_at
        session.add(message)
        ticket = self._note_root_change(session, message, action="root_deleted", at=deleted_at)
        withdrawn = self._withdraw_first_response(session, message, deleted_at)
        return IntakeResult(Outcome.DELETED, ticket or withdrawn)

    def _withdraw_first_response(
        self, session: Session, message: Message, deleted_at: datetime
    ) -> Ticket | None:
        """A deleted agent reply that was the ticket's first response is not one any more:
        the earliest reply still standing is (or none), and the first-response target is
        judged again against it. Returns the ticket when that happened."""
        if message.role != AuthorRole.AGENT or message.ticket_id is None:
            return None
        ticket = tickets.get_ticket(session, ticket_id=message.ticket_id)
        if ticket is None or ticket.id is None or ticket.first_response_at != message.sent_at:
            return None
        first = messages.first_agent_reply(session, ticket_id=ticket.id, since=ticket.created_at)
        ticket.first_response_at = first.sent_at if first else None
        ticket.first_responder_id = first.user_id if first else None
        sla_targets.unmeet_target(session, ticket_id=ticket.id, target="first_response")
        events.add_activity(
            session,
            ticket_id=ticket.id,
            action="first_response_withdrawn",
            at=deleted_at,
            actor_id=message.user_id,
            detail={"now": ticket.first_response_at.isoformat() if first else None},
        )
        self._touch(session, ticket)
        return ticket

    def _note_root_change(
        self, session: Session, message: Message, *, action: str, at: datetime
    ) -> Ticket | None:
        """When the message is a ticket's root, log the change and return the ticket."""
        if message.ticket_id is None or message.thread_ts not in (None, message.ts):
            return None
        ticket = tickets.get_ticket(session, ticket_id=message.ticket_id)
        if ticket is not None:
            if ticket.root_ts != message.ts:  # a grouped message, not the thread's root
                action = action.replace("root_", "message_") if "root_" in action else action
            self._touch(session, ticket)
            assert ticket.id is not None
            events.add_activity(
                session, ticket_id=ticket.id, action=action, at=at, actor_id=message.user_id
            )
        return ticket

    def _touch(self, session: Session, ticket: Ticket) -> None:
        ticket.updated_at = self._clock()
        self._planner.refresh(session, ticket)  # adds and flushes the ticket
