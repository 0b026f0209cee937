"""Stub ports for listener tests: plain objects that record calls (no Slack, no database)."""

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from bot.deps import Deps
from bot.events import Dispatcher, TicketChanged
from bot.tickets.results import Change, WorkflowError

WORKSPACE = "T0HOME"
AGENT = "UAGENT1"
LEAD = "ULEAD1"
OUTSIDER = "UCUST1"
CHANNEL = "C0TRIAGE"


class FakeAck:
    """Records each acknowledgement; returns a marker Bolt would send."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, text: str = "", **kwargs: Any) -> str:
        self.calls.append({"text": text, **kwargs} if text else dict(kwargs))
        return "acked"


@dataclass
class StubPeople:
    """Who is an agent or a lead."""

    agents: set[str] = field(default_factory=lambda: {AGENT})
    leads: set[str] = field(default_factory=lambda: {LEAD})
    identity: Any = field(default_factory=lambda: SimpleNamespace(workspace_id=WORKSPACE))
    asked: list[str] = field(default_factory=list)

    def is_agent(self, user_id: str) -> bool:
        """Whether the user is an agent."""
        self.asked.append(user_id)
        return user_id in self.agents

    def is_lead(self, user_id: str) -> bool:
        """Whether the user is a lead."""
        return user_id in self.leads


class StubWorkflow:
    """Records each operation; answers with a change (and its event) or a set error."""

    def __init__(self, events: Dispatcher) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.error: WorkflowError | None = None
        self.thread_ticket: Any = None
        self._events = events

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def operation(**kwargs: Any) -> Change:
            self.calls.append((name, kwargs))
            if self.error is not None:
                raise self.error
            ticket = SimpleNamespace(number=kwargs.get("number", 0), id=1)
            change = Change(ticket, f"{name} #{ticket.number} done.")  # type: ignore[arg-type]
            event = TicketChanged(ticket, name, kwargs.get("agent_id") or kwargs.get("actor_id"))  # type: ignore[arg-type]
            self._events.emit(event)
            return change

        return operation

    def ticket_of_message(self, *, channel_id: str, ts: str) -> Any:
        """The ticket a test set for threads."""
        self.calls.append(("ticket_of_message", {"channel_id": channel_id, "ts": ts}))
        return self.thread_ticket


class StubGuard:
    """Records ephemeral messages and posts."""

    def __init__(self) -> None:
        self.ephemerals: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.forgotten: list[str] = []

    def ephemeral(self, **kwargs: Any) -> None:
        """Record an ephemeral message."""
        self.ephemerals.append(kwargs)

    def post(self, **kwargs: Any) -> None:
        """Record a post."""
        self.posts.append(kwargs)

    def forget(self, channel_id: str) -> None:
        """Record a channel whose shared-or-not answer was dropped."""
        self.forgotten.append(channel_id)


def stub_deps() -> Any:
    """Deps made of stubs (typed as Deps for the listeners)."""
    events = Dispatcher()
    stub = SimpleNamespace(
        people=StubPeople(),
        workflow=StubWorkflow(events),
        guard=StubGuard(),
        events=events,
    )
    return cast(Deps, stub)
