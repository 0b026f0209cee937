"""Edits and deletes of messages, including those Slack delivers before the message itself.

Slack does not promise order: an edit can arrive while the original is still being
retried. Such a change is held (keyed by channel and ts) and applied in the transaction
that finally stores the message, so the stored text is the customer's last word.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.intake.types import IntakeResult, Outcome
from bot.text import storable, subject_from
from store import messages
from store.models import Message, Ticket

# More work for the transaction that stores an event, e.g. dropping it from the inbox.
Also = Callable[[Session], None]


class EditsAndDeletes:
    """Mixed into IntakeService: the message_changed and message_deleted events."""

    _record_event: Callable[[Session, str | None, str], None]
    _note_root_change: Callable[..., Ticket | None]
    _touch: Callable[[Session, Ticket], None]
    _transaction: Callable[..., IntakeResult]

    def receive_edit(
        self,
        *,
        event_id: str | None,
        channel_id: str,
        ts: str,
        text: str,
        files: list[dict[str, Any]],
        edited_at: datetime,
        also: Also | None = None,
    ) -> IntakeResult:
        """Apply an edit to a stored message, keeping the previous text as a revision."""

        def work(session: Session) -> IntakeResult:
            self._record_event(session, event_id, "message_changed")
            messages.lock_message(session, channel_id=channel_id, ts=ts)
            message = messages.find_message(session, channel_id=channel_id, ts=ts)
            if message is None:
                messages.hold_change(
                    session,
                    channel_id=channel_id,
                    ts=ts,
                    kind="edit",
                    text=storable(text),
                    files=files,
                    at=edited_at,
                )
                return IntakeResult(Outcome.IGNORED)
            return self._apply_edit(session, message, storable(text), files, edited_at)

        return self._transaction(work, also=also)

    def receive_delete(
        self,
        *,
        event_id: str | None,
        channel_id: str,
        ts: str,
        deleted_at: datetime,
        also: Also | None = None,
    ) -> IntakeResult:
        """Mark a stored message deleted; its text stays in the history."""

        def work(session: Session) -> IntakeResult:
            self._record_event(session, event_id, "message_deleted")
            messages.lock_message(session, channel_id=channel_id, ts=ts)
            message = messages.find_message(session, channel_id=channel_id, ts=ts)
            if message is None:
                messages.hold_change(
                    session, channel_id=channel_id, ts=ts, kind="delete", at=deleted_at
                )
                return IntakeResult(Outcome.IGNORED)
            return self._apply_delete(session, message, deleted_at)

        return self._transaction(work, also=also)

    def _apply_held(self, session: Session, *, channel_id: str, ts: str) -> None:
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
        return IntakeResult(Outcome.DELETED, ticket)
