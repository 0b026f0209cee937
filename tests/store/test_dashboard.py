"""store/dashboard.py and store/ticket_page.py on a real Session (both databases): the
list's filters, order and pages, counts equal to the rows listed, and the ticket page."""

from datetime import timedelta

import pytest

from store.dashboard import TicketFilter, count_tickets, filter_choices, iter_tickets, list_tickets
from store.models import Activity, CsatSurvey, TicketLink, TicketTag
from store.sla_models import SlaTarget
from store.ticket_page import ticket_page
from tests.store.conftest import NOW, WORKSPACE

DAY = timedelta(days=1)


@pytest.fixture
def desk(session, new_ticket):
    """Four tickets over three days: statuses, orgs, agents, a tag, a link, targets, a survey."""
    one = new_ticket(created_at=NOW - 2 * DAY, status="resolved", resolved_at=NOW - DAY,
                     assignee_id="UA", priority="high")  # fmt: skip
    two = new_ticket(created_at=NOW - DAY, customer_team_id="T0BETA", assignee_id="UB")
    answered = NOW - DAY + timedelta(hours=2)
    three = new_ticket(
        created_at=NOW - DAY + timedelta(hours=1),
        status="open",
        assignee_id="UA",
        first_response_at=answered,
    )
    four = new_ticket(created_at=NOW, status="pending", merged_into_id=None)
    session.add_all([
        TicketTag(ticket_id=one.id, tag="billing"),
        TicketLink(ticket_id=three.id, ref="BUG-1"),
        TicketLink(ticket_id=one.id, ref="BUG-1"),
        SlaTarget(ticket_id=two.id, target="first_response", cycle="1", policy="p",
                  due_at=NOW - DAY + timedelta(hours=1), met_at=None),  # breached, still live
        SlaTarget(ticket_id=three.id, target="first_response", cycle="1", policy="p",
                  due_at=NOW - DAY + timedelta(hours=3), met_at=NOW - DAY + timedelta(hours=2)),
        CsatSurvey(ticket_id=one.id, customer_id="UCUST1", channel_id="C0HELP",
                   asked_at=NOW - DAY, rating=4, answered_at=NOW - DAY),
        Activity(ticket_id=three.id, actor_id="UA", action="note", detail={"text": "call them"},
                 at=NOW - DAY + timedelta(hours=3)),
    ])  # fmt: skip
    session.commit()
    return [one, two, three, four]


def numbers(session, wanted: TicketFilter, sort: str = "number") -> list[int]:
    listed = [
        row.number
        for row in list_tickets(
            session, workspace_id=WORKSPACE, wanted=wanted, now=NOW, sort=sort, limit=100
        )
    ]
    assert count_tickets(session, workspace_id=WORKSPACE, wanted=wanted, now=NOW) == len(listed)
    return listed


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (TicketFilter(), [1, 2, 3, 4]),
        (TicketFilter(start=NOW - DAY, end=NOW), [2, 3]),
        (TicketFilter(start=NOW - DAY, end=NOW, on="resolved"), [1]),
        (TicketFilter(statuses=("new", "open", "pending")), [2, 3, 4]),
        (TicketFilter(org="T0BETA"), [2]),
        (TicketFilter(agent="UA"), [1, 3]),
        (TicketFilter(priority="high"), [1]),
        (TicketFilter(tag="billing"), [1]),
        (TicketFilter(link="BUG-1"), [1, 3]),
        (TicketFilter(breaching=True), [2]),
        (TicketFilter(start=NOW - 2 * DAY, end=NOW, on="due"), [2, 3]),
        (TicketFilter(start=NOW - 2 * DAY, end=NOW, on="due", sla="breached"), [2]),
        (TicketFilter(start=NOW - 2 * DAY, end=NOW, on="due", sla="met"), [3]),
        (TicketFilter(start=NOW - 2 * DAY, end=NOW, on="asked", stars=4), [1]),
        (TicketFilter(start=NOW - 2 * DAY, end=NOW, on="asked", stars=5), []),
        (TicketFilter(numbers=(4, 2, 99)), [2, 4]),
        (TicketFilter(agent="UA", statuses=("open",)), [3]),
    ],
)
def test_each_filter(session, desk, wanted, expected):
    assert numbers(session, wanted) == expected


def test_orders_and_pages(session, desk):
    assert numbers(session, TicketFilter(), "-created") == [4, 3, 2, 1]
    # Tickets without a first response come last whichever way, on both databases.
    assert numbers(session, TicketFilter(), "frt")[0] == 3
    assert numbers(session, TicketFilter(), "-frt")[0] == 3
    page = list_tickets(session, workspace_id=WORKSPACE, wanted=TicketFilter(), now=NOW,
                        sort="number", offset=2, limit=2)  # fmt: skip
    assert [row.number for row in page] == [3, 4]
    streamed = iter_tickets(session, workspace_id=WORKSPACE, wanted=TicketFilter(), now=NOW,
                            sort="-number")  # fmt: skip
    assert [row.number for row in streamed] == [4, 3, 2, 1]


def test_other_workspaces_are_not_listed(session, desk):
    assert count_tickets(session, workspace_id="T0OTHER", wanted=TicketFilter(), now=NOW) == 0


def test_filter_choices_come_from_the_range(session, desk):
    found = filter_choices(session, workspace_id=WORKSPACE, start=NOW - DAY, end=NOW + DAY)
    assert found["org"] == ["T0ACME", "T0BETA"]
    assert set(found["agent"]) == {"UA", "UB"}
    assert found["channel"] == ["C0HELP"]


def test_ticket_page(session, desk):
    page = ticket_page(session, workspace_id=WORKSPACE, number=3)
    assert page is not None and page.ticket.number == 3
    assert page.links == ["BUG-1"] and page.tags == []
    assert [a.action for a in page.activity] == ["note"]
    assert [t.target for t in page.targets] == ["first_response"]
    assert ticket_page(session, workspace_id=WORKSPACE, number=99) is None
    assert ticket_page(session, workspace_id="T0OTHER", number=3) is None
