"""store.kpi.queries.feedback.known_issues: the top links by people, as counting them one by
one gives."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from store.kpi.queries import feedback
from store.models import Ticket, TicketLink

START = datetime(2026, 10, 1, tzinfo=UTC)
END = START + timedelta(days=30)
LIVE = ("new", "open", "pending")


def everything_counted(rows: list[tuple[str, str, str, str]], top: int) -> list[tuple]:
    """The ranking with every link's people counted: (ref, people, orgs, tickets, open)."""
    refs = {ref for ref, *_ in rows}
    ranked = []
    for ref in refs:
        mine = [row for row in rows if row[0] == ref]
        ranked.append((
            ref, len({r[1] for r in mine}), len({r[2] for r in mine}), len(mine),
            sum(1 for r in mine if r[3] in LIVE),
        ))  # fmt: skip
    ranked.sort(key=lambda r: (-r[1], -r[2], -r[3], r[0]))
    return ranked[:top]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_top_links_are_the_ones_counting_everything_gives(session: Session, seed):
    rng = random.Random(seed)
    rows = []
    for number in range(1, 161):
        # A few people file many tickets about some links; many people one each about others.
        ref = f"BUG-{min(int(rng.expovariate(0.4)), 12)}"
        customer = f"U{rng.randrange(3) if ref in ('BUG-0', 'BUG-1') else rng.randrange(60)}"
        org = f"T{int(customer[1:]) % 7}"
        status = rng.choice(("new", "open", "resolved", "resolved"))
        created = START + timedelta(hours=number * 4)  # some after END: not counted
        ticket = Ticket(
            workspace_id="T0HOME", number=number, channel_id="C1", root_ts=f"{number}.0",
            customer_id=customer, customer_team_id=org, subject="s", status=status,
            created_at=created, updated_at=created,
        )  # fmt: skip
        session.add(ticket)
        session.flush()
        session.add(TicketLink(ticket_id=ticket.id, ref=ref))
        if created < END:
            rows.append((ref, customer, org, status))
    session.commit()
    for top in (1, 3, 10):
        found = feedback.known_issues(session, start=START, end=END, top=top)
        got = [(i.ref, i.customers, i.organizations, i.tickets, i.open_tickets) for i in found]
        assert got == everything_counted(rows, top)


def _file(session: Session, number: int, ref: str, customer: str, org: str) -> None:
    created = START + timedelta(hours=number)
    ticket = Ticket(
        workspace_id="T0HOME", number=number, channel_id="C1", root_ts=f"{number}.0",
        customer_id=customer, customer_team_id=org, subject="s", created_at=created,
        updated_at=created,
    )  # fmt: skip
    session.add(ticket)
    session.flush()
    session.add(TicketLink(ticket_id=ticket.id, ref=ref))


def test_people_rank_first_then_organizations_then_tickets(session: Session):
    """The most tickets (from one person) loses to fewer tickets from more people, and of
    two links with as many people, the one across more organizations leads."""
    number = 0
    for _ in range(11):  # BUG-Y: 11 tickets, 1 person
        number += 1
        _file(session, number, "BUG-Y", "U0", "T0")
    for n in range(10):  # BUG-X: 10 tickets, 10 people, 1 organization
        number += 1
        _file(session, number, "BUG-X", f"U{n + 1}", "T0")
    for n in range(10):  # BUG-Z: 10 tickets, 10 people, 10 organizations
        number += 1
        _file(session, number, "BUG-Z", f"U{n + 20}", f"T{n + 1}")
    session.commit()
    found = feedback.known_issues(session, start=START, end=END, top=1)
    assert [(i.ref, i.customers, i.organizations, i.tickets) for i in found] == [
        ("BUG-Z", 10, 10, 10)
    ]
