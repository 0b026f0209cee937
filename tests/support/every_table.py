"""A database holding every kind of row: every table deskbot has, and awkward values.

Used by the export/import round trip and the erasure tests. `fill` writes through the
ORM (the KPI triggers keep the facts and rollups), then `check_covers_every_table` fails
for any table left empty, so a table added to the models without rows here (and so
without a round-trip test) fails the suite.

One customer, Zelda (UERASE1 of the organization T0ERASE), wrote text containing the
`SECRETS` words; erasing her must leave none of them anywhere. Kiwi (UKEEP1, same
organization) and the KPI dataset's customers wrote `KEPT` text, which a customer
erasure must leave alone.
"""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bot.business_time import BusinessCalendar
from bot.kpi.business import ensure_open_days
from store.fact_models import KpiFrtDay
from store.models import (
    Activity,
    AgentAway,
    ArticleExample,
    AuthorRole,
    CsatSurvey,
    DailyDigest,
    ErasureLog,
    HeldChange,
    InboxEvent,
    Message,
    MessageRevision,
    ProcessedEvent,
    RoutingCursor,
    SlackName,
    SlaNotification,
    SlaSchedule,
    SlaTarget,
    Suggestion,
    Ticket,
    TicketClaim,
    TicketCounter,
    TicketDuplicate,
    TicketStatus,
)
from store.transfer.codec import column_kind
from tests.support import kpi_dataset

ZELDA, KIWI, ERASE_ORG = "UERASE1", "UKEEP1", "T0ERASE"
NAME, ORG_NAME = "Zelda Quartermaine", "Mongoose Holdings"
SUBJECT = "Zanzibar invoice 4471 is wrong"
SECRETS = (
    "Zanzibar", "quokka", "platypus", "Zelda", "Quartermaine", "wombat", "narwhal",
    "axolotl", "capybara", "pangolin", "okapi", "ocelot", "tapir",
)  # fmt: skip
ORG_SECRETS = ("Mongoose", "kiwi")  # erased with the organization, kept with Zelda alone
KEPT = 'kept kiwi question: naïve café ✓ 你好 👩🏽‍💻 «quote» "dq" back\\slash\ttab\u2028sep'
AT = datetime(2026, 11, 12, 9, 30, 15, 123456, tzinfo=UTC)
CHANNEL = "C0ERASE"
# Empty between transactions by design: the fact triggers' scratch tables, and (on
# SQLite, whose triggers count in place) the counters' pending twins.
SCRATCH = ("kpi_fact_was", "kpi_fact_next")


def fill(engine: Engine) -> None:
    """Write the KPI dataset plus a row in every other table."""
    kpi_dataset.load(engine)
    with Session(engine) as session:
        _zelda(session)
        _kiwi(session)
        _the_rest(session)
        calendar = BusinessCalendar(
            timezone="Europe/Berlin", days=["mon", "tue", "wed", "thu", "fri"],
            start=time(9), end=time(17),
        )  # fmt: skip
        ensure_open_days(session, calendar, kpi_dataset.NOW)
        session.commit()


def _ticket(session: Session, number: int, customer: str, subject: str, ts: str) -> Ticket:
    ticket = Ticket(
        workspace_id="T0HOME", number=number, channel_id=CHANNEL, root_ts=ts,
        customer_id=customer, customer_team_id=ERASE_ORG, is_external=True, subject=subject,
        status=TicketStatus.OPEN, assignee_id=kpi_dataset.A1, created_at=AT, updated_at=AT,
        permalink=f"https://home.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}",
    )  # fmt: skip
    session.add(ticket)
    session.flush()
    return ticket


def _message(
    session: Session, ticket: Ticket | None, user: str, body: str, ts: str, **more: object
) -> Message:
    role = AuthorRole.AGENT if user.startswith("UAGENT") else AuthorRole.CUSTOMER
    message = Message(
        ticket_id=ticket.id if ticket else None, channel_id=CHANNEL, ts=ts,
        thread_ts=ticket.root_ts if ticket else "1762939815.000100", user_id=user,
        user_team_id=ERASE_ORG if role == AuthorRole.CUSTOMER else "T0HOME", role=role,
        text=body, sent_at=AT + timedelta(minutes=float(ts[-3:])), **more,
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def _zelda(session: Session) -> None:
    merged = _ticket(session, 10, ZELDA, SUBJECT, "1762939815.000100")
    ticket = _ticket(session, 11, ZELDA, "Zanzibar again", "1762939815.000200")
    merged.merged_into_id, merged.merged_at = ticket.id, AT  # an id loaded after its own
    merged.status = TicketStatus.CLOSED
    _message(session, merged, ZELDA, SUBJECT, "1762939815.000100")
    files = [{"id": "F0WOMBAT", "name": "passport-scan-wombat.pdf", "title": "wombat ✓"}]
    edited = _message(session, ticket, ZELDA, "my card ends 9911 quokka", "1762939815.000200",
                      files=files, edited_at=AT + timedelta(minutes=3))  # fmt: skip
    session.add(MessageRevision(message_id=edited.id, kind="edit", text="first draft platypus",
                                files=files, replaced_at=AT + timedelta(minutes=3)))  # fmt: skip
    _message(session, ticket, kpi_dataset.A1, "Hi Zelda Quartermaine, on it", "1762939815.000300")
    _message(session, None, ZELDA, "a reply not tied yet: tapir", "1762939815.000400")
    session.add(HeldChange(channel_id=CHANNEL, ts=edited.ts, kind="edit", text="pangolin edit",
                           files=files, at=AT))  # fmt: skip
    for action, detail in (
        ("note", {"text": "internal: narwhal mood"}),
        ("resolved", {"note": "refund okapi"}),
        ("merged", {"from": 10, "ticket_id": merged.id, "reason": "the ocelot thread"}),
        ("csat_commented", {"comment": "the axolotl agent"}),
    ):
        session.add(Activity(ticket_id=ticket.id, actor_id=kpi_dataset.A1, action=action,
                             detail=detail, at=AT))  # fmt: skip
    session.add(CsatSurvey(ticket_id=ticket.id, customer_id=ZELDA, channel_id=CHANNEL,
                           asked_at=AT, rating=2, comment="the axolotl agent",
                           answered_at=AT + timedelta(hours=1)))  # fmt: skip
    session.add(Suggestion(ticket_id=ticket.id, question="Zanzibar again", lang="en",
                           article_ids=["billing/invoices"], top_score=0.1 + 0.2,
                           outcome="need_help", offered_at=AT))  # fmt: skip
    session.add(ArticleExample(article_id="billing/invoices", text=SUBJECT, text_key="k1" * 8,
                               source="answered", ticket_id=ticket.id, created_at=AT))  # fmt: skip
    session.add(SlaNotification(ticket_id=ticket.id, target="first_response", level="breach",
                                cycle="1", recipient="ULEAD1", status="sent", next_attempt_at=AT,
                                text=f"*#11* :rotating_light: First response missed · {SUBJECT}",
                                created_at=AT, sent_at=AT))  # fmt: skip
    payload = {
        "team_id": "T0HOME",
        "event": {"type": "message", "user": ZELDA, "user_team": ERASE_ORG, "channel": CHANNEL,
                  "ts": "1762939815.000500", "text": "late event capybara",
                  "user_profile": {"real_name": NAME}, "blocks": [{"type": "rich_text"}]},
    }  # fmt: skip
    session.add(InboxEvent(event_key="Ev0ZELDA", payload=payload, received_at=AT,
                           lease_until=AT, attempts=3, failed_at=AT))  # fmt: skip
    session.add(SlackName(kind="user", slack_id=ZELDA, name=NAME, updated_at=AT))
    session.add(SlackName(kind="org", slack_id=ERASE_ORG, name=ORG_NAME, updated_at=AT))
    # Zelda also wrote in another customer's ticket.
    first = session.execute(select(Ticket).where(Ticket.number == 1)).scalar_one()
    session.add(Message(ticket_id=first.id, channel_id=first.channel_id, ts="1762939815.000600",
                        thread_ts=first.root_ts, user_id=ZELDA, user_team_id=ERASE_ORG,
                        role=AuthorRole.CUSTOMER, text="me too: tapir", sent_at=AT))  # fmt: skip
    session.flush()


def _kiwi(session: Session) -> None:
    ticket = _ticket(session, 12, KIWI, KEPT, "1762939815.000700")
    _message(
        session,
        ticket,
        KIWI,
        KEPT + "\n" + "long " * 2000,
        "1762939815.000700",
        files=[{"name": "kiwi.png", "nested": {"list": [1, 2.5, None, True, "ü"]}}],
    )
    session.add(
        TicketDuplicate(ticket_id=ticket.id, duplicate_of_id=ticket.id - 1, score=87.5, found_at=AT)
    )
    session.add(SlackName(kind="user", slack_id=KIWI, name="kiwi person", updated_at=AT))
    session.add(TicketClaim(ticket_id=ticket.id, agent_id=kpi_dataset.A1, how="auto",
                            claimed_at=AT, due_at=AT + timedelta(hours=4)))  # fmt: skip
    session.add(SlaSchedule(ticket_id=ticket.id, alert_at=AT + timedelta(hours=1)))
    session.add(SlaTarget(ticket_id=ticket.id, target="first_response", cycle="1", policy="std",
                          business_hours=True, due_at=AT + timedelta(hours=2)))  # fmt: skip
    session.flush()


def _the_rest(session: Session) -> None:
    """The tables no ticket flow above writes."""
    session.add(TicketCounter(workspace_id="T0HOME", last_number=12))
    session.add(ProcessedEvent(event_id="Ev0001", event_type="message", received_at=AT))
    session.add(AgentAway(workspace_id="T0HOME", agent_id=kpi_dataset.A2, since=AT, until=None))
    session.add(RoutingCursor(workspace_id="T0HOME", scope="*", last_agent_id=kpi_dataset.A1,
                              updated_at=AT))  # fmt: skip
    session.add(DailyDigest(day=date(2026, 11, 12), channel="C0LEADS", status="sent",
                            next_attempt_at=AT, created_at=AT, sent_at=AT))  # fmt: skip
    session.add(KpiFrtDay(timezone="Europe/Berlin", day="2026-11-02", version=2**53 + 1, n=3,
                          mean=1 / 3, p50=None, p90=1e-300))  # fmt: skip
    session.add(ErasureLog(subject_kind="customer", subject_id="UGONE1", operator="dpo",
                           erased_at=AT, counts={"messages": 2}))  # fmt: skip
    session.flush()


def empty_tables(engine: Engine) -> list[str]:
    """The tables `fill` left empty that should hold rows."""
    empty = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in SCRATCH or table.name.endswith("_pending"):
                continue
            twin = SQLModel.metadata.tables.get(f"{table.name}_pending")
            held = [table] if twin is None else [table, twin]  # PostgreSQL: deltas unfolded
            if not any(
                connection.execute(select(func.count()).select_from(t)).scalar_one() for t in held
            ):
                empty.append(table.name)
    return empty


def texts(engine: Engine, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Every text and JSON value of every table (but `skip`), as text, in a stable order."""
    found: list[str] = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in skip:
                continue
            for column in table.columns:
                if column_kind(column) in ("str", "json"):
                    cast = text(f'SELECT CAST("{column.name}" AS TEXT) FROM "{table.name}"')
                    values = connection.execute(cast).scalars()
                    found += sorted(str(value) for value in values if value is not None)
    return found
