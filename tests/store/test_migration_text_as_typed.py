"""Migration 0019 unescapes Slack's entities in text stored before intake did it.

Run on a database of its own (a SQLite file, and a PostgreSQL database beside
TEST_DATABASE_URL's when one is given): migrated to 0018, filled, then to the head.
"""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from store import tickets
from store.db import alembic_config, session_scope
from store.models import HeldChange, Message, MessageRevision, Ticket, TicketStatus

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STORED = "P&amp;L &lt;b&gt; x &gt; 5 https://x.example/?a=1&amp;b=2 &amp;lt; <@U123>"
TYPED = "P&L <b> x > 5 https://x.example/?a=1&b=2 &lt; <@U123>"


def test_stored_entities_are_unescaped_once(fresh: Engine) -> None:
    config = alembic_config(fresh)
    command.upgrade(config, "0018")
    with session_scope(fresh) as session:
        number = tickets.next_ticket_number(session, workspace_id="T0HOME")
        ticket = Ticket(
            workspace_id="T0HOME", number=number, channel_id="C0HELP", root_ts="1.000001",
            customer_id="UCUST", customer_team_id="T0ACME", subject=STORED,
            status=TicketStatus.NEW, created_at=AT, updated_at=AT,
        )  # fmt: skip
        tickets.add_ticket(session, ticket=ticket)
        plain = Message(
            ticket_id=ticket.id, channel_id="C0HELP", ts="1.000002", user_id="UCUST",
            role="customer", text="nothing to change", sent_at=AT,
        )  # fmt: skip
        message = Message(
            ticket_id=ticket.id, channel_id="C0HELP", ts="1.000001", user_id="UCUST",
            role="customer", text=STORED, sent_at=AT,
        )  # fmt: skip
        session.add_all([plain, message])
        session.flush()
        assert message.id is not None
        revision = MessageRevision(message_id=message.id, kind="edit", text=STORED, replaced_at=AT)
        session.add(revision)
        session.add(HeldChange(channel_id="C0HELP", ts="9.1", kind="edit", text=STORED, at=AT))

    command.upgrade(config, "head")

    with fresh.connect() as connection:
        read = connection.execute
        assert read(text("SELECT subject FROM ticket")).scalar_one() == TYPED
        texts = read(text("SELECT text FROM message ORDER BY ts")).scalars().all()
        assert texts == [TYPED, "nothing to change"]
        assert read(text("SELECT text FROM message_revision")).scalar_one() == TYPED
        assert read(text("SELECT text FROM held_change")).scalar_one() == TYPED
