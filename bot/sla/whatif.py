"""`deskbot sla whatif`: replay stored tickets against proposed SLA policies and the current ones.

A lead tries a target before promising it: for the tickets created in a period, how
many clocks would have breached under the proposed policies, per policy and per day,
beside what the current policies give (`bot.sla.replay` does the pure replay).
"""

import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session

import store.replay
from bot.config import BusinessHours, ConfigError, DeskConfig, SlaPolicy, parse_config
from bot.sla.replay import ClockOutcome, TicketHistory, replay
from knowledge.language import is_small_talk
from store.models import AuthorRole
from store.sla import pauses_by_ticket

PAGE = 500
TARGETS = ("first_response", "next_response", "resolution")
RESOLVING = ("resolved", "self_served")


@dataclass(frozen=True)
class Policies:
    """One side of the comparison: policies and the calendar they count on."""

    label: str  # current | proposed
    policies: list[SlaPolicy]
    hours: BusinessHours


def load_proposal(path: Path, current: DeskConfig) -> Policies:
    """Read FILE (deskbot.yaml format); only `sla_policies` and `business_hours` are used."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    desk = parse_config(data, source=str(path))
    if not desk.sla_policies:
        raise ConfigError(f"{path}: sla_policies: the file proposes no policies")
    given = data if isinstance(data, dict) else {}
    hours = desk.business_hours if "business_hours" in given else current.business_hours
    return Policies("proposed", list(desk.sla_policies), hours)


@dataclass
class Tally:
    """Clocks and breaches in one cell of a table."""

    clocks: int = 0
    breached: int = 0

    @property
    def within_pct(self) -> float | None:
        """Share of clocks within target, in percent (None without clocks)."""
        return 100.0 * (self.clocks - self.breached) / self.clocks if self.clocks else None


@dataclass
class Comparison:
    """Tallies per side: by (policy, target), by (day, target), and by target."""

    tickets: int = 0
    by_policy: dict[str, dict[tuple[str, str], Tally]] = field(default_factory=dict)
    by_day: dict[str, dict[tuple[date, str], Tally]] = field(default_factory=dict)
    totals: dict[str, dict[str, Tally]] = field(default_factory=dict)

    def add(self, side: str, outcome: ClockOutcome, *, now: datetime, zone: ZoneInfo) -> None:
        """Count one clock."""
        breached = outcome.breached(now)
        cells = (
            self.by_policy.setdefault(side, defaultdict(Tally))[(outcome.policy, outcome.target)],
            self.by_day.setdefault(side, defaultdict(Tally))[(outcome.day(zone), outcome.target)],
            self.totals.setdefault(side, defaultdict(Tally))[outcome.target],
        )
        for cell in cells:
            cell.clocks += 1
            cell.breached += int(breached)


def compare(
    engine: Engine,
    sides: list[Policies],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    timezone: str,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Comparison:
    """Replay every ticket created in [start, end) against each side's policies."""
    zone = ZoneInfo(timezone)
    result = Comparison()
    with Session(engine) as session:
        total = store.replay.count_created(session, start=start, end=end)
        for history in _histories(session, start=start, end=end):
            result.tickets += 1
            for side in sides:
                for outcome in replay(side.policies, side.hours, history):
                    result.add(side.label, outcome, now=now, zone=zone)
            if result.tickets % PAGE == 0:
                progress(result.tickets, total)
        progress(result.tickets, total)
    return result


def _histories(session: Session, *, start: datetime, end: datetime) -> Iterator[TicketHistory]:
    """Each ticket's history, read a page of tickets at a time."""
    after = 0
    while True:
        page = store.replay.created_page(session, start=start, end=end, after_id=after, limit=PAGE)
        if not page:
            return
        ids = [row.id for row in page]
        customers: dict[int, list[datetime]] = defaultdict(list)
        agents: dict[int, list[datetime]] = defaultdict(list)
        for message in store.replay.messages_of(session, ticket_ids=ids):
            if message.role == AuthorRole.AGENT:
                agents[message.ticket_id].append(message.sent_at)
            elif message.files or not is_small_talk(message.text):
                customers[message.ticket_id].append(message.sent_at)
        resolutions: dict[int, list[datetime]] = defaultdict(list)
        reopenings: dict[int, list[datetime]] = defaultdict(list)
        for entry in store.replay.activity_of(
            session, ticket_ids=ids, actions=[*RESOLVING, "reopened"]
        ):
            kind = reopenings if entry.action == "reopened" else resolutions
            kind[entry.ticket_id].append(entry.at)
        pauses = pauses_by_ticket(session, ticket_ids=ids)
        for row in page:
            yield TicketHistory(
                ticket_id=row.id,
                channel_id=row.channel_id,
                priority=row.priority,
                created_at=row.created_at,
                customer_messages=customers[row.id],
                agent_messages=agents[row.id],
                pauses=pauses.get(row.id, []),
                resolutions=resolutions[row.id],
                reopenings=reopenings[row.id],
            )
        after = ids[-1]


def print_progress(stream: TextIO = sys.stderr) -> Callable[[int, int], None]:
    """A progress callback writing `replayed N/M tickets` to stderr."""

    def show(done: int, total: int) -> None:
        print(f"replayed {done}/{total} tickets", file=stream, flush=True)

    return show
