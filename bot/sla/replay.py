"""Replaying a ticket's history against SLA policies: which clocks ran, when they were due.

Pure: a ticket's history in (creation, customer and agent message times, pauses,
resolutions and reopenings), one outcome per SLA clock out, by the same rules the live
planner keeps in `sla_target`: the first response runs from creation to the first agent
reply (from the last reopening, when the ticket was resolved before any reply); a next
response from the customer's first unanswered message to the agent reply that answers it;
each resolution cycle from creation or a reopening to the resolution. Resolving stops
every clock; pending pauses them (a stopped clock counts pauses only up to the moment it
stopped). A clock still paused at the end has no due time and no outcome.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.business_time import calendar_for, due_at
from bot.config import BusinessHours, SlaPolicy
from bot.sla.policy import Pause, match_policy


@dataclass(frozen=True)
class TicketHistory:
    """What happened to one ticket, as stored."""

    ticket_id: int
    channel_id: str
    priority: str
    created_at: datetime
    customer_messages: Sequence[datetime] = ()  # small talk left out, as the live intake does
    agent_messages: Sequence[datetime] = ()
    pauses: Sequence[Pause] = ()
    resolutions: Sequence[datetime] = ()
    reopenings: Sequence[datetime] = ()


@dataclass(frozen=True)
class ClockOutcome:
    """One SLA clock of a replayed ticket."""

    ticket_id: int
    policy: str
    target: str
    due: datetime
    met_at: datetime | None

    def breached(self, now: datetime) -> bool:
        """Met after its due time, or still unmet after it."""
        return self.met_at > self.due if self.met_at is not None else self.due < now

    def day(self, zone: ZoneInfo) -> date:
        """The local day the clock was due on (where its breach is counted)."""
        return self.due.astimezone(zone).date()


@dataclass
class _Clock:
    target: str
    start: datetime
    duration: timedelta
    met_at: datetime | None = None


def replay(
    policies: Sequence[SlaPolicy], hours: BusinessHours, history: TicketHistory
) -> list[ClockOutcome]:
    """Every SLA clock the matching policy would have run for the ticket, with outcomes."""
    policy = match_policy(policies, channel_id=history.channel_id, priority=history.priority)
    if policy is None:
        return []
    clocks = _clocks(policy, history)
    calendar = calendar_for(policy.business_hours, hours)
    outcomes = []
    for clock in clocks:
        due = due_at(calendar, clock.start, clock.duration, _cut(history.pauses, clock.met_at))
        if due is not None:
            outcomes.append(
                ClockOutcome(history.ticket_id, policy.name, clock.target, due, clock.met_at)
            )
    return outcomes


def _cut(pauses: Sequence[Pause], stopped_at: datetime | None) -> list[Pause]:
    """Pauses as they were when a clock stopped (later ones did not count)."""
    if stopped_at is None:
        return list(pauses)
    return [
        (begin, stopped_at if end is None or end > stopped_at else end)
        for begin, end in pauses
        if begin < stopped_at
    ]


def _clocks(policy: SlaPolicy, history: TicketHistory) -> list[_Clock]:
    """Walk the ticket's events in time order, starting and stopping clocks."""
    # At one instant a reopening comes before the customer message that caused it, and
    # an agent's answer before a resolution that follows it.
    events = sorted(
        [(t, 0, "reopen") for t in history.reopenings]
        + [(t, 1, "customer") for t in history.customer_messages]
        + [(t, 2, "agent") for t in history.agent_messages]
        + [(t, 3, "resolve") for t in history.resolutions]
    )
    clocks: list[_Clock] = []
    first = _Clock("first_response", history.created_at, policy.first_response or timedelta(0))
    resolution = _Clock("resolution", history.created_at, policy.resolution or timedelta(0))
    running_first = policy.first_response is not None
    running_resolution = policy.resolution is not None
    responded = False
    waiting: _Clock | None = None
    resolved = False
    for moment, _, kind in events:
        if moment < history.created_at:
            continue
        if kind == "reopen" and resolved:
            resolved = False
            if not responded and policy.first_response is not None:
                # Resolved before any agent reply: the first response is owed again, its
                # clock restarts here (bot/sla/policy.first_response_start).
                if first in clocks:
                    clocks.remove(first)
                first = _Clock("first_response", moment, policy.first_response)
                running_first = True
            if policy.resolution is not None:
                resolution = _Clock("resolution", moment, policy.resolution)
                running_resolution = True
        elif kind == "customer" and not resolved and responded and waiting is None:
            if policy.next_response is not None:
                waiting = _Clock("next_response", moment, policy.next_response)
        elif kind == "agent":  # even on a resolved ticket it is the first response
            if not responded:
                responded = True
                if running_first:
                    first.met_at = moment
                    clocks.append(first)
                    running_first = False
            elif waiting is not None:
                waiting.met_at = moment
                clocks.append(waiting)
                waiting = None
        elif kind == "resolve" and not resolved:
            resolved = True
            for clock, running in ((first, running_first), (resolution, running_resolution)):
                if running:
                    clock.met_at = moment
                    clocks.append(clock)
            running_first = running_resolution = False
            if waiting is not None:
                waiting.met_at = moment
                clocks.append(waiting)
                waiting = None
    clocks.extend(c for c, on in ((first, running_first), (resolution, running_resolution)) if on)
    if waiting is not None:
        clocks.append(waiting)
    return clocks
