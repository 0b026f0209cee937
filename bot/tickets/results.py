"""What the ticket services give back: a `Change`, or a `WorkflowError` to show the agent.

The seam between the ticket services (workflow, annotations, merges, suggestions) and the
handlers that render their answers; `bot.tickets.workflow` re-exports both.
"""

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
