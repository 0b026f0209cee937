"""SLA targets for a ticket: which policy applies and when each target falls due.

Pure: facts about a ticket in, due times out. Business time comes from
`bot.business_time`; waiting on the customer (pending) pauses every clock.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.business_time import calendar_for, due_at, format_remaining
from bot.config import BusinessHours, Nudges, SlaPolicy

Pause = tuple[datetime, datetime | None]
BREACHING_SOON = timedelta(hours=1)


def first_response_start(
    *,
    created_at: datetime,
    first_response_at: datetime | None,
    reopen_count: int,
    cycle_started_at: datetime | None,
) -> datetime:
    """When the first-response clock started: at creation; for a ticket resolved before
    any agent reply (self-served, or closed without a word) and then reopened, at its last
    reopening, with the whole target again: the first response is still owed, and the
    time it spent resolved was nobody's wait."""
    reopened = reopen_count > 0 and cycle_started_at is not None
    if reopened and (first_response_at is None or first_response_at >= cycle_started_at):
        return cycle_started_at  # type: ignore[return-value]
    return created_at


@dataclass(frozen=True)
class TicketFacts:
    """What the SLA clock needs to know about a ticket."""

    channel_id: str
    priority: str
    created_at: datetime
    first_response_at: datetime | None
    last_customer_message_at: datetime | None
    last_agent_message_at: datetime | None
    resolved: bool
    pauses: Sequence[Pause] = ()
    reopen_count: int = 0
    # The stored start of the customer's current wait (see `waiting`).
    waiting_since: datetime | None = None
    # When the current resolution cycle began (the last reopening); None: at creation.
    cycle_started_at: datetime | None = None

    def first_response_start(self) -> datetime:
        """When the first-response clock started (see `first_response_start`)."""
        return first_response_start(
            created_at=self.created_at,
            first_response_at=self.first_response_at,
            reopen_count=self.reopen_count,
            cycle_started_at=self.cycle_started_at,
        )

    def waiting(self) -> datetime | None:
        """Since when the customer waits for an agent's answer (None: nobody waits).

        The wait starts at the first unanswered customer message (`waiting_since`, kept
        by the planner, survives pings) and only messages of the current resolution
        cycle count: after a reopening the wait starts at the reopening message.
        """
        last_customer, last_agent = self.last_customer_message_at, self.last_agent_message_at
        if last_customer is None or (last_agent is not None and last_agent >= last_customer):
            return None
        cycle_start = self.cycle_started_at if self.reopen_count else None
        if cycle_start is not None and last_customer < cycle_start:
            return None  # reopened by an agent: nobody is waiting yet
        earlier = self.waiting_since
        if (
            earlier is not None
            and earlier <= last_customer
            and (last_agent is None or earlier > last_agent)
            and (cycle_start is None or earlier >= cycle_start)
        ):
            return earlier
        return last_customer


@dataclass(frozen=True)
class Dues:
    """When each target of the ticket's policy falls due (None: met, paused or no target)."""

    policy: str | None
    first_response: datetime | None = None
    next_response: datetime | None = None
    resolution: datetime | None = None
    business_hours: bool = False

    def items(self) -> list[tuple[str, datetime]]:
        """(target name, due time) for each running target."""
        named = [
            ("first response", self.first_response),
            ("next response", self.next_response),
            ("resolution", self.resolution),
        ]
        return [(name, when) for name, when in named if when is not None]


def match_policy(
    policies: Sequence[SlaPolicy], *, channel_id: str, priority: str
) -> SlaPolicy | None:
    """The first policy whose channels and priorities include the ticket's (empty = any)."""
    for policy in policies:
        if policy.channels and channel_id not in policy.channels:
            continue
        if policy.priorities and priority not in policy.priorities:
            continue
        return policy
    return None


def compute_dues(policies: Sequence[SlaPolicy], hours: BusinessHours, facts: TicketFacts) -> Dues:
    """Due times of every target that is still running for this ticket."""
    policy = match_policy(policies, channel_id=facts.channel_id, priority=facts.priority)
    if policy is None:
        return Dues(policy=None)
    dues = {clock.target: clock.due for clock in running_clocks(policy, hours, facts)}
    return Dues(
        policy=policy.name,
        first_response=dues.get("first_response"),
        next_response=dues.get("next_response"),
        resolution=dues.get("resolution"),
        business_hours=policy.business_hours,
    )


@dataclass(frozen=True)
class RunningClock:
    """One running SLA clock: its target, cycle, start, length and due time (None: paused)."""

    target: str  # first_response | next_response | resolution
    cycle: str  # "0" for the first response, the wait's start, or the reopen count
    start: datetime
    duration: timedelta
    due: datetime | None


def running_clocks(
    policy: SlaPolicy, hours: BusinessHours, facts: TicketFacts
) -> list[RunningClock]:
    """Every clock of the policy that runs for the ticket now, with its due time."""
    calendar = calendar_for(policy.business_hours, hours)
    return [
        RunningClock(
            target, cycle, start, duration, due_at(calendar, start, duration, facts.pauses)
        )
        for target, cycle, start, duration in _running_targets(policy, facts)
    ]


def describe_due(name: str, due: datetime, *, now: datetime, business_hours: bool) -> str:
    """`first response due in 1h 20m (business hours)` or `... overdue by 5m`."""
    remaining = due - now
    kind = " (business hours)" if business_hours else ""
    if remaining < timedelta(0):
        return f"{name} {format_remaining(remaining)}{kind}"
    return f"{name} due in {format_remaining(remaining)}{kind}"


@dataclass(frozen=True)
class Alert:
    """A nudge or alert the sweep owes: which target, which level, for which cycle, when."""

    target: str  # first_response | next_response | resolution
    level: str  # warn | breach | escalate1, escalate2, ...
    cycle: str  # distinguishes repeats: each customer wait, each reopening
    at: datetime
    due: datetime


def _running_targets(
    policy: SlaPolicy, facts: TicketFacts
) -> list[tuple[str, str, datetime, timedelta]]:
    """(target, cycle, start, duration) of every target whose clock runs.

    The cycle names one run of a clock; notifications and `sla_target` rows share it:
    "0" for the first response, the ISO start of each customer wait for a next response,
    and the reopen count for resolution (a reopening starts a new resolution clock).
    """
    running: list[tuple[str, str, datetime, timedelta]] = []
    if facts.resolved:
        return running
    if policy.first_response and facts.first_response_at is None:
        running.append(("first_response", "0", facts.first_response_start(), policy.first_response))
    waiting = facts.waiting()
    if policy.next_response and facts.first_response_at and waiting:
        running.append(("next_response", waiting.isoformat(), waiting, policy.next_response))
    if policy.resolution:
        start = facts.cycle_started_at or facts.created_at
        running.append(("resolution", str(facts.reopen_count), start, policy.resolution))
    return running


def compute_alerts(
    policies: Sequence[SlaPolicy], hours: BusinessHours, nudges: Nudges, facts: TicketFacts
) -> list[Alert]:
    """Every warning, breach and escalation of the ticket's running targets, by time."""
    policy = match_policy(policies, channel_id=facts.channel_id, priority=facts.priority)
    if policy is None:
        return []
    calendar = calendar_for(policy.business_hours, hours)
    alerts: list[Alert] = []
    for target, cycle, start, duration in _running_targets(policy, facts):
        due = due_at(calendar, start, duration, facts.pauses)
        warn = due_at(calendar, start, duration * nudges.warn_at, facts.pauses)
        if due is None or warn is None:
            continue  # paused: waiting on the customer
        alerts.append(Alert(target, "warn", cycle, warn, due))
        alerts.append(Alert(target, "breach", cycle, due, due))
        for step, after in enumerate(nudges.escalate_after, start=1):
            alerts.append(Alert(target, f"escalate{step}", cycle, due + after, due))
    return sorted(alerts, key=lambda alert: alert.at)
