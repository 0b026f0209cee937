"""What ticket workflow operations answer: a change, or an error to show the agent."""

from dataclasses import dataclass

from store.models import Ticket


class WorkflowError(Exception):
    """A request that cannot be carried out; the message is shown to the agent as is."""


@dataclass(frozen=True)
class Change:
    """A ticket after a change, and a line telling the agent what happened."""

    ticket: Ticket
    summary: str
    changed: bool = True
