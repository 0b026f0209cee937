"""Breakdown totals (kpi_group_day plus partial days) against a brute-force count in Python.

Random tickets, surveys, SLA targets, tags and claims; random ranges that start and end
mid-day, ranges that reach past `now` (open targets are breaches only once past due),
every dimension. The rollup must give exactly what counting the rows one by one gives.
"""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from store.kpi.queries import group_read
from store.kpi.queries.group_read import READ, GroupTotals
from store.kpi.triggers import facts
from store.kpi.triggers.group_rollup import UNASSIGNED
from tests.support.kpi_dataset import A1, A2, ACME, BETA, GAMMA, Builder

ORGS = (ACME, BETA, GAMMA)
AGENTS = (A1, A2, "UAGENT3", None)
BASE = datetime(2026, 10, 1, tzinfo=UTC)


def _moment(rng: random.Random, days: int = 40) -> datetime:
    return BASE + timedelta(seconds=rng.randrange(days * 86400))


def _populate(engine: Any, seed: int) -> None:
    rng = random.Random(seed)
    with Session(engine) as session:
        b = Builder(session)
        for number in range(1, 81):
            created = _moment(rng)
            answered = created + timedelta(seconds=rng.randrange(1, 200_000))
            resolved = answered + timedelta(seconds=rng.randrange(1, 300_000))
            fields: dict[str, Any] = {"priority": rng.choice(("low", "normal", "high"))}
            if rng.random() < 0.8:
                fields |= {"first_response_at": answered, "first_responder_id": rng.choice(AGENTS)}
            if rng.random() < 0.6:
                fields |= {"status": "resolved", "resolved_at": max(resolved, answered)}
            ticket = b.ticket(
                number, created, rng.choice(ORGS), assignee_id=rng.choice(AGENTS), **fields
            )
            for tag in rng.sample(("billing", "login", "api"), rng.randrange(3)):
                b.tag(ticket, tag)
            for _ in range(rng.randrange(3)):
                actor = rng.choice(AGENTS[:3])
                b.activity(
                    ticket, "claimed", created + timedelta(seconds=rng.randrange(90_000)), actor
                )
            if rng.random() < 0.5:
                b.survey(ticket, resolved, rng.choice((None, 1, 3, 5)))
            for cycle in range(rng.randrange(3)):
                due = created + timedelta(seconds=rng.randrange(1, 400_000))
                met = (
                    None
                    if rng.random() < 0.3
                    else due + timedelta(seconds=rng.randrange(-9000, 9000))
                )
                b.target(ticket, rng.choice(("first_response", "resolution")), due, met, str(cycle))
        session.commit()


def _totals(engine: Any, **query: Any) -> dict[str, GroupTotals]:
    with Session(engine) as session:
        return group_read.totals(session, **query)


def _rows(engine: Any, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)))


def _brute_force(
    engine: Any, dimension: str, start: datetime, end: datetime, now: datetime
) -> dict[str, GroupTotals]:
    """Every number counted row by row."""

    def utc(value: Any) -> datetime | None:
        if isinstance(value, str):  # SQLite hands raw SQL its stored text
            value = datetime.fromisoformat(value)
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)

    within = lambda value: value is not None and start <= utc(value) < end  # noqa: E731
    tags: dict[int, list[str]] = defaultdict(list)
    for ticket_id, tag in _rows(engine, "SELECT ticket_id, tag FROM ticket_tag"):
        tags[ticket_id].append(tag)
    column = {"agent": "assignee_id", "channel": "channel_id", "org": "customer_team_id",
              "priority": "priority"}  # fmt: skip
    owners: dict[int, list[str]] = {}
    found: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(READ, 0))
    sql = ("SELECT ticket_id, created_at, resolved_at, frt_seconds, frt_business_seconds, "
           "handle_seconds, first_responder_id, assignee_id, channel_id, customer_team_id, "
           "priority FROM ticket_fact")  # fmt: skip
    for row in _rows(engine, sql):
        m = row._mapping
        groups = tags[m["ticket_id"]] if dimension == "type" else [m[column[dimension]]]
        if dimension == "agent":  # tickets nobody holds have a row of their own
            groups = [UNASSIGNED if group is None else group for group in groups]
        owners[m["ticket_id"]] = [g for g in groups if g is not None]
        answered_by = [m["first_responder_id"]] if dimension == "agent" else groups
        if within(m["created_at"]):
            for group in owners[m["ticket_id"]]:
                found[group]["created"] += 1
            for group in answered_by:
                if group is not None and m["frt_seconds"] is not None:
                    found[group]["frt_n"] += 1
                    found[group]["frt_s"] += m["frt_seconds"]
                    if m["frt_business_seconds"] is not None:
                        found[group]["frtb_n"] += 1
                        found[group]["frtb_s"] += m["frt_business_seconds"]
        if within(m["resolved_at"]):
            for group in owners[m["ticket_id"]]:
                found[group]["resolved"] += 1
                if m["handle_seconds"] is not None:
                    found[group]["handle_n"] += 1
                    found[group]["handle_s"] += m["handle_seconds"]
    for ticket_id, asked, rating in _rows(
        engine, "SELECT ticket_id, asked_at, rating FROM csat_survey"
    ):
        if within(asked):
            for group in owners[ticket_id]:
                found[group]["csat_asked"] += 1
                found[group]["csat_answered"] += rating is not None
                found[group]["csat_stars"] += rating or 0
    for ticket_id, due, met in _rows(engine, "SELECT ticket_id, due_at, met_at FROM sla_target"):
        due, met = utc(due), utc(met)
        if within(due):
            for group in owners[ticket_id]:
                found[group]["sla_due"] += 1
                found[group]["sla_ok"] += met is not None and met <= due
                found[group]["breached"] += (met is not None and met > due) or (
                    met is None and due < now
                )
    if dimension == "agent":
        for actor, at in _rows(
            engine, "SELECT actor_id, at FROM activity WHERE action = 'claimed'"
        ):
            if within(at) and actor is not None:
                found[actor]["claims"] += 1
    return {group: GroupTotals(**values) for group, values in found.items() if any(values.values())}


@pytest.mark.parametrize("seed", [1, 2])
def test_group_totals_match_a_row_by_row_count(db, seed):
    _populate(db, seed)
    rng = random.Random(seed)
    windows = [(BASE, BASE + timedelta(days=60), BASE + timedelta(days=61))]  # all whole days
    for _ in range(12):
        start = _moment(rng, 35)
        end = start + timedelta(seconds=rng.randrange(3600, 30 * 86400))
        now = start + timedelta(seconds=rng.randrange(0, 40 * 86400))  # also before the end
        windows.append((start, end, now))
    for start, end, now in windows:
        for dimension in ("agent", "channel", "org", "priority", "type"):
            got = _totals(db, dimension=dimension, start=start, end=end, now=now)
            expected = _brute_force(db, dimension, start, end, now)
            assert got == expected, (dimension, start, end, now)
        # An agent's own card reads only their row, with the same numbers.
        mine = _totals(db, dimension="agent", start=start, end=end, now=now, group=A1)
        everyone = _brute_force(db, "agent", start, end, now)
        assert mine == {k: v for k, v in everyone.items() if k == A1}
    with db.connect() as connection:
        assert not any(facts.drift(connection).values())


def test_moving_a_ticket_between_groups_moves_its_totals(db):
    _populate(db, 3)
    with db.begin() as connection:
        connection.execute(text("UPDATE ticket SET assignee_id = 'UAGENT9', priority = 'urgent'"))
        connection.execute(text("UPDATE ticket_tag SET tag = 'renamed' WHERE tag = 'billing'"))
    start, end = BASE, BASE + timedelta(days=60)
    agents = _totals(db, dimension="agent", start=start, end=end, now=end)
    priorities = _totals(db, dimension="priority", start=start, end=end, now=end)
    types = _totals(db, dimension="type", start=start, end=end, now=end)
    assert (
        agents["UAGENT9"].created == 80
        and agents["UAGENT9"] == _brute_force(db, "agent", start, end, end)["UAGENT9"]
    )
    assert set(priorities) == {"urgent"} and "billing" not in types and "renamed" in types
