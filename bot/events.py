"""Events told after a change is committed, and the tiny dispatcher that tells them.

Services emit a `TicketChanged` once their transaction has committed; whoever cares
(the Slack side: the triage card, the survey, the triage thread) subscribes once at
startup. A subscriber that fails is logged and skipped: the change is already saved.
"""

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from store.models import Ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketChanged:
    """A ticket changed: as it stands now, what was done (the activity), and by whom."""

    ticket: Ticket
    action: str  # the activity written: claimed, resolved, note, merged, ...
    actor_id: str | None
    summary: str = ""  # the line the service answered with ("#12 is resolved.")
    detail: Mapping[str, Any] = field(default_factory=dict)
    other: Ticket | None = None  # a merge's folded ticket
    # Made by a typed command, which only its author saw (a button press or an emoji
    # shows where it was made); set by `Dispatcher.held(by_command=True)`.
    by_command: bool = False


Subscriber = Callable[[TicketChanged], None]


class Dispatcher:
    """Delivers events to subscribers in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._local = threading.local()  # listeners run in threads: each holds its own

    def subscribe(self, subscriber: Subscriber) -> None:
        """Tell `subscriber` of every event from now on."""
        self._subscribers.append(subscriber)

    def emit(self, event: TicketChanged) -> None:
        """Deliver an event now, or at the end of the `held()` block this thread is in."""
        held: list[TicketChanged] | None = getattr(self._local, "held", None)
        if held is not None:
            held.append(event)
            return
        self._deliver(event)

    @contextmanager
    def held(self, *, by_command: bool = False) -> Iterator[None]:
        """Deliver this thread's events when the block ends (after a command is answered:
        Slack wants the answer within 3 seconds, the effects can follow it).

        `by_command` marks them as made by a typed command.
        """
        if getattr(self._local, "held", None) is not None:
            yield  # nested: the outer block delivers
            return
        self._local.held = []
        try:
            yield
        finally:
            events, self._local.held = self._local.held, None
            # Delivered even when the block failed: what was committed did happen.
            for event in events:
                self._deliver(replace(event, by_command=by_command))

    def _deliver(self, event: TicketChanged) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                logger.exception(
                    "after %s on #%s: %r failed",
                    event.action,
                    event.ticket.number,
                    getattr(subscriber, "__name__", subscriber),
                )
