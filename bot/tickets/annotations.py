"""Annotating tickets: type tags, links to bugs and feature requests, internal notes.

Each request is checked here and becomes an `Annotation`: what to store, what to log and
what to tell the agent. `TicketWorkflow` applies it in the ticket's transaction.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.tickets.results import WorkflowError
from store import workflow

TAG_LIMIT = 64
LINK_LIMIT = 500
NOTE_LIMIT = 3000


@dataclass(frozen=True)
class Annotation:
    """One tag, link or note to add to a ticket, checked and ready to apply."""

    action: str  # as logged in the activity
    detail: dict[str, Any]
    # Stores it on the ticket (by id); False when the ticket had it already.
    add: Callable[[Session, int], bool]
    done: Callable[[int], str]  # what the agent is told, given the ticket number
    already: Callable[[int], str]


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


def type_tag(raw_tag: str) -> Annotation:
    """Tag a ticket with a (normalised) type."""
    tag = normalise_tag(raw_tag)
    return Annotation(
        action="typed",
        detail={"tag": tag},
        add=lambda session, ticket_id: workflow.add_tag(session, ticket_id=ticket_id, tag=tag),
        done=lambda number: f"#{number} is tagged `{tag}`.",
        already=lambda number: f"#{number} is already `{tag}`.",
    )


def link(raw_ref: str) -> Annotation:
    """Link a ticket to a bug or feature request elsewhere (a URL, maybe in Slack's <...>)."""
    ref = limited(raw_ref.strip().strip("<>").split("|")[0], LINK_LIMIT, "link")
    return Annotation(
        action="linked",
        detail={"ref": ref},
        add=lambda session, ticket_id: workflow.add_link(session, ticket_id=ticket_id, ref=ref),
        done=lambda number: f"#{number} links {ref}.",
        already=lambda number: f"#{number} already links {ref}.",
    )


def note(raw_text: str) -> Annotation:
    """An internal note (never shown to the customer); the activity entry is the note."""
    text = limited(raw_text.strip(), NOTE_LIMIT, "note")
    return Annotation(
        action="note",
        detail={"text": text},
        add=lambda session, ticket_id: True,
        done=lambda number: f"Note added to #{number}.",
        already=lambda number: f"Note added to #{number}.",
    )
