"""Annotating tickets: type tags, links to bugs and feature requests, internal notes."""

import re
from collections.abc import Callable

from sqlmodel import Session

from bot.tickets.results import Change, WorkflowError
from store import workflow
from store.models import Ticket

TAG_LIMIT = 64
LINK_LIMIT = 500
NOTE_LIMIT = 3000


def normalise_tag(raw: str) -> str:
    """Lower-case, trim and collapse spaces so "Billing " and "billing" are one tag."""
    tag = re.sub(r"\s+", "-", raw.strip().lower())
    if not tag or len(tag) > TAG_LIMIT:
        raise WorkflowError(f"A type is 1 to {TAG_LIMIT} characters, e.g. `billing`.")
    return tag


def limited(text: str, limit: int, what: str) -> str:
    """The text, if it is not empty and not longer than `limit`; else a WorkflowError."""
    if not text:
        raise WorkflowError(f"The {what} is empty.")
    if len(text) > limit:
        raise WorkflowError(f"The {what} is {len(text)} characters; the limit is {limit}.")
    return text


class TicketAnnotations:
    """Mixed into TicketWorkflow: tags, links and notes, each logged in the activity."""

    _change: Callable[[str, int, Callable[[Session, Ticket], Change]], Change]
    _log: Callable[..., None]
    _reload: Callable[[Session, Ticket], Ticket]

    def add_type(self, *, workspace_id: str, number: int, actor_id: str, raw_tag: str) -> Change:
        """Tag a ticket with a (normalised) type."""
        tag = normalise_tag(raw_tag)

        def do(session: Session, ticket: Ticket) -> Change:
            if not workflow.add_tag(session, ticket_id=ticket_id(ticket), tag=tag):
                return Change(ticket, f"#{ticket.number} is already `{tag}`.", changed=False)
            self._log(session, ticket, actor_id, "typed", {"tag": tag})
            return Change(self._reload(session, ticket), f"#{ticket.number} is tagged `{tag}`.")

        return self._change(workspace_id, number, do)

    def add_link(self, *, workspace_id: str, number: int, actor_id: str, ref: str) -> Change:
        """Link a ticket to a bug or feature request elsewhere."""
        ref = limited(ref.strip().strip("<>").split("|")[0], LINK_LIMIT, "link")

        def do(session: Session, ticket: Ticket) -> Change:
            if not workflow.add_link(session, ticket_id=ticket_id(ticket), ref=ref):
                return Change(ticket, f"#{ticket.number} already links {ref}.", changed=False)
            self._log(session, ticket, actor_id, "linked", {"ref": ref})
            return Change(self._reload(session, ticket), f"#{ticket.number} links {ref}.")

        return self._change(workspace_id, number, do)

    def add_note(self, *, workspace_id: str, number: int, actor_id: str, text: str) -> Change:
        """Add an internal note (never shown to the customer)."""
        text = limited(text.strip(), NOTE_LIMIT, "note")

        def do(session: Session, ticket: Ticket) -> Change:
            self._log(session, ticket, actor_id, "note", {"text": text})
            return Change(self._reload(session, ticket), f"Note added to #{ticket.number}.")

        return self._change(workspace_id, number, do)


def ticket_id(ticket: Ticket) -> int:
    """The id of a stored ticket."""
    assert ticket.id is not None
    return ticket.id
