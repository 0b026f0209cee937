"""A small, hand-checked set of tickets for the KPI tests (expected values in test_kpi_metrics).

The team works Mon-Fri 09:00-17:00 Europe/Berlin (UTC+1 in November); the range under
test is 2026-11-02..2026-11-06 local, i.e. [Nov 1 23:00, Nov 6 23:00) UTC. Times below
are UTC. Edge cases: #2 is created before the range and resolved in it; #5 is created at
00:30 local on Nov 3 (still Nov 2 in UTC); #6 is created in the range and answered after
it; #3 is resolved, reopened, paused and resolved again; #4 gets a customer follow-up
before its first (next-morning) answer; #7-#9 sit in the previous range for trends.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import datetime_to_ts
from store.models import (
    Activity,
    AuthorRole,
    CsatSurvey,
    Message,
    SlaTarget,
    Suggestion,
    Ticket,
    TicketLink,
    TicketPause,
    TicketTag,
)

A1, A2 = "UAGENT1", "UAGENT2"
ACME, BETA, GAMMA = "T0ACME", "T0BETA", "T0GAMMA"
CH = {ACME: "C0HELP", BETA: "C0BETA", GAMMA: "C0GAM"}
CUSTOMER = {ACME: "UCUST1", BETA: "UCUSTB", GAMMA: "UCUSTG"}
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
CONFIG: dict[str, Any] = {
    "business_hours": {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
    "costs": {"monthly_spend": 3000, "currency": "EUR"},
}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A UTC moment in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


class Builder:
    """Adds rows for one ticket at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ticket(self, number: int, created: datetime, org: str, **fields: Any) -> Ticket:
        """A ticket with its root customer message."""
        ticket = Ticket(
            workspace_id="T0HOME",
            number=number,
            channel_id=CH[org],
            root_ts=datetime_to_ts(created),
            customer_id=CUSTOMER[org],
            customer_team_id=org,
            is_external=True,
            subject=f"question {number}",
            created_at=created,
            updated_at=created,
            **fields,
        )
        self.session.add(ticket)
        self.session.flush()
        self.message(ticket, created, AuthorRole.CUSTOMER)
        self.activity(ticket, "created", created, CUSTOMER[org])
        return ticket

    def message(
        self, ticket: Ticket, sent: datetime, role: AuthorRole, *, deleted: bool = False
    ) -> None:
        """A message in the ticket's thread."""
        user = CUSTOMER[ticket.customer_team_id] if role == AuthorRole.CUSTOMER else A1
        self.session.add(
            Message(
                ticket_id=ticket.id,
                channel_id=ticket.channel_id,
                ts=datetime_to_ts(sent),
                thread_ts=ticket.root_ts,
                user_id=user,
                role=role,
                text="...",
                sent_at=sent,
                deleted_at=sent if deleted else None,
            )
        )

    def activity(self, ticket: Ticket, action: str, when: datetime, actor: str) -> None:
        """An audit-trail row."""
        self.session.add(Activity(ticket_id=ticket.id, actor_id=actor, action=action, at=when))

    def target(
        self, ticket: Ticket, target: str, due: datetime, met: datetime | None, cycle: str = "1"
    ) -> None:
        """An SLA clock and how it ended."""
        self.session.add(
            SlaTarget(
                ticket_id=ticket.id,
                target=target,
                cycle=cycle,
                policy="std",
                due_at=due,
                met_at=met,
            )
        )

    def tag(self, ticket: Ticket, *tags: str) -> None:
        """Type tags."""
        for tag in tags:
            self.session.add(TicketTag(ticket_id=ticket.id, tag=tag))

    def link(self, ticket: Ticket, ref: str) -> None:
        """A bug or feature request link."""
        self.session.add(TicketLink(ticket_id=ticket.id, ref=ref))

    def survey(
        self, ticket: Ticket, asked: datetime, rating: int | None = None, comment: str | None = None
    ) -> None:
        """A CSAT survey and its answer (answered 5 or 30 minutes later)."""
        self.session.add(
            CsatSurvey(
                ticket_id=ticket.id,
                customer_id=ticket.customer_id,
                channel_id=ticket.channel_id,
                asked_at=asked,
                rating=rating,
                comment=comment,
                answered_at=None if rating is None else asked + timedelta(minutes=5),
            )
        )

    def suggestion(self, ticket: Ticket, outcome: str, article: str | None = None) -> None:
        """The self-service suggestion made for a ticket."""
        self.session.add(
            Suggestion(
                ticket_id=ticket.id,
                question=ticket.subject,
                lang="en",
                article_ids=[article] if article else [],
                outcome=outcome,
                solved_article_id=article,
                offered_at=ticket.created_at,
            )
        )


def load(engine: Engine) -> None:
    """Insert the dataset."""
    with Session(engine) as session:
        _build(Builder(session))
        session.commit()


def _build(b: Builder) -> None:
    cust, agent = AuthorRole.CUSTOMER, AuthorRole.AGENT
    t1 = b.ticket(
        1,
        at(11, 2, 8),
        ACME,
        priority="high",
        assignee_id=A1,
        status="resolved",
        first_response_at=at(11, 2, 8, 30),
        first_responder_id=A1,
        resolved_at=at(11, 2, 10),
    )
    b.message(t1, at(11, 2, 8, 10), cust)  # a follow-up before the first answer
    b.message(t1, at(11, 2, 8, 30), agent)
    b.activity(t1, "claimed", at(11, 2, 8, 20), A1)
    b.activity(t1, "resolved", at(11, 2, 10), A1)
    b.target(t1, "first_response", at(11, 2, 9), at(11, 2, 8, 30))
    b.target(t1, "resolution", at(11, 2, 16), at(11, 2, 10))
    b.survey(t1, at(11, 2, 10), 5, "Quick and clear, thanks")
    b.suggestion(t1, "need_help", None)
    b.tag(t1, "billing")
    b.link(t1, "BUG-101")

    t2 = b.ticket(
        2,
        at(11, 1, 22, 30),
        ACME,
        assignee_id=A2,
        status="resolved",
        first_response_at=at(11, 2, 9),
        first_responder_id=A2,
        resolved_at=at(11, 2, 12),
    )
    b.message(t2, at(11, 2, 9), agent)
    b.message(t2, at(11, 2, 11), agent)
    b.activity(t2, "claimed", at(11, 2, 8, 45), A2)
    b.activity(t2, "resolved", at(11, 2, 12), A2)
    b.target(t2, "first_response", at(11, 1, 23, 30), at(11, 2, 9))  # breach on Nov 2 local
    b.target(t2, "resolution", at(11, 2, 22, 30), at(11, 2, 12))
    b.survey(t2, at(11, 2, 12))  # never answered
    b.tag(t2, "billing")
    b.link(t2, "BUG-101")

    t3 = b.ticket(
        3,
        at(11, 3, 9),
        BETA,
        priority="urgent",
        assignee_id=A1,
        status="resolved",
        first_response_at=at(11, 3, 9, 20),
        first_responder_id=A1,
        resolved_at=at(11, 3, 16),
        reopen_count=1,
    )
    b.message(t3, at(11, 3, 9, 20), agent)
    b.message(t3, at(11, 3, 13), cust)
    b.message(t3, at(11, 3, 13, 30), agent)
    b.message(t3, at(11, 3, 15, 40), cust)
    b.activity(t3, "claimed", at(11, 3, 9, 10), A1)
    b.activity(t3, "resolved", at(11, 3, 10), A1)
    b.activity(t3, "reopened", at(11, 3, 13), CUSTOMER[BETA])
    b.activity(t3, "pending", at(11, 3, 13, 40), A1)
    b.activity(t3, "resolved", at(11, 3, 16), A1)
    b.session.add(
        TicketPause(ticket_id=t3.id, started_at=at(11, 3, 13, 40), ended_at=at(11, 3, 15, 40))
    )
    b.target(t3, "first_response", at(11, 3, 9, 30), at(11, 3, 9, 20))
    b.target(t3, "resolution", at(11, 3, 13), at(11, 3, 10))
    b.target(t3, "resolution", at(11, 3, 15), at(11, 3, 16), cycle="2")  # breach
    b.target(t3, "next_response", at(11, 3, 14), at(11, 3, 13, 30))
    b.survey(t3, at(11, 3, 16), 2, "Took two tries")
    b.suggestion(t3, "none")
    b.tag(t3, "login")
    b.link(t3, "BUG-101")

    t4 = b.ticket(
        4,
        at(11, 5, 16, 30),
        GAMMA,
        assignee_id=A2,
        status="open",
        first_response_at=at(11, 6, 8, 30),
        first_responder_id=A2,
    )
    b.message(t4, at(11, 5, 18), cust)  # after hours, before the first answer
    b.message(t4, at(11, 5, 19), cust, deleted=True)
    b.message(t4, at(11, 6, 8, 30), agent)
    b.activity(t4, "claimed", at(11, 6, 8, 20), A2)
    b.target(t4, "first_response", at(11, 6, 9), at(11, 6, 8, 30))
    b.target(t4, "resolution", at(11, 6, 12), None)  # still open: breach
    b.suggestion(t4, "offered")
    b.tag(t4, "api")
    b.link(t4, "FR-7")

    t5 = b.ticket(
        5, at(11, 2, 23, 30), ACME, priority="low", status="resolved", resolved_at=at(11, 2, 23, 40)
    )
    b.activity(t5, "self_served", at(11, 2, 23, 40), CUSTOMER[ACME])
    b.target(t5, "first_response", at(11, 3, 0, 30), at(11, 2, 23, 40))
    b.suggestion(t5, "solved", "billing/invoices")
    b.tag(t5, "billing")
    b.link(t5, "FR-7")

    t6 = b.ticket(
        6,
        at(11, 6, 21),
        BETA,
        assignee_id=A1,
        status="resolved",
        first_response_at=at(11, 9, 8),
        first_responder_id=A1,
        resolved_at=at(11, 9, 10),
    )
    b.message(t6, at(11, 9, 8), agent)
    b.activity(t6, "claimed", at(11, 9, 7, 55), A1)
    b.activity(t6, "resolved", at(11, 9, 10), A1)
    b.target(t6, "first_response", at(11, 6, 22), at(11, 9, 8))  # breach on Nov 6
    b.target(t6, "resolution", at(11, 9, 21), at(11, 9, 10))
    b.suggestion(t6, "skipped")
    b.tag(t6, "login")
    b.link(t6, "FR-7")

    for number, day, org, tag in (
        (7, 28, ACME, "billing"),
        (8, 29, GAMMA, "billing"),
        (9, 30, BETA, "login"),
    ):
        old = b.ticket(number, at(10, day, 10), org, status="resolved", resolved_at=at(10, day, 12))
        b.tag(old, tag)
