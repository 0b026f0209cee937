"""KPIs whose inputs mean what their labels say: the corrected facts for existing history.

What earlier releases stored with another meaning, corrected in place:
- an agent who asked for help (their message made a ticket with :ticket:) was stored as
  answering themselves: their messages in that ticket (and in tickets merged into it)
  become the customer's, and the ticket's first response is recomputed;
- a deleted agent reply stayed the first response: the first response is the earliest
  agent reply still standing; a first-response SLA target met by a reply that is no
  longer one is met by the real first reply (or, without one, open again while the
  ticket is live, met at its resolution once done);
- a merged ticket's SLA targets were "met in time" by the merge: the ones that had not
  come due when it was merged are dropped (they live on in the ticket it went into).
Then every KPI fact and rollup is recomputed with this release's definitions
(store/kpi/triggers: not answered yet, one-touch, "This solved it" taken back, merges
leaving the backlog, the unassigned agent row, business-hours handle time) and the
triggers are reinstalled.

Not corrected here: the first-response target of a self-served ticket that was reopened
keeps the due time it had; it follows the new rule (the clock restarts at the reopening)
the next time the ticket changes. Recomputing a due time needs the configured calendar,
which a migration does not have.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14
"""

from collections.abc import Sequence

from alembic import op

from store.fact_models import COLUMNS_SINCE_0021, add_missing_fact_columns, reshape_sla_hour
from store.kpi.triggers import fact_triggers, facts

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The earliest agent reply still standing, at or after the ticket's creation.
FIRST_REPLY = (
    "(SELECT min(m.sent_at) FROM message m WHERE m.ticket_id = {t}.id AND m.role = 'agent' "
    "AND m.deleted_at IS NULL AND m.sent_at >= {t}.created_at)"
)
FIRST_REPLIER = (
    "(SELECT m.user_id FROM message m WHERE m.ticket_id = {t}.id AND m.role = 'agent' "
    "AND m.deleted_at IS NULL AND m.sent_at >= {t}.created_at ORDER BY m.sent_at, m.id LIMIT 1)"
)


def _distinct(dialect: str, left: str, right: str) -> str:
    operator = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    return f"{left} {operator} {right}"


def upgrade() -> None:
    """Correct the stored meanings, add the new fact column, recompute every KPI fact."""
    connection = op.get_bind()
    dialect = connection.dialect.name
    fact_triggers.drop(connection)  # no write lands between the fill and the new triggers
    op.create_index("ix_ticket_merged_at", "ticket", ["merged_at"])
    add_missing_fact_columns(connection)  # unless 0016/0017 of this release added them
    reshape_sla_hour(connection)  # the backfill below fills this release's shape (0024)
    # The requester is the ticket's customer, an agent asking for help included.
    connection.exec_driver_sql(
        "UPDATE message SET role = 'customer' WHERE role = 'agent' AND ticket_id IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM ticket t WHERE t.customer_id = message.user_id "
        "AND (t.id = message.ticket_id OR t.merged_into_id = message.ticket_id))"
    )
    first = FIRST_REPLY.format(t="t")
    changed = _distinct(dialect, first, "t.first_response_at")
    # First-response targets met by a "first response" that is not one (any more).
    connection.exec_driver_sql(
        "UPDATE sla_target SET met_at = (SELECT CASE WHEN "
        f"{first} IS NOT NULL THEN {first} "
        "WHEN t.status IN ('resolved', 'closed') THEN coalesce(t.resolved_at, t.closed_at) "
        "END FROM ticket t WHERE t.id = sla_target.ticket_id) "
        "WHERE target = 'first_response' AND met_at IS NOT NULL AND EXISTS (SELECT 1 FROM "
        f"ticket t WHERE t.id = sla_target.ticket_id AND t.first_response_at = sla_target.met_at "
        f"AND {changed})"
    )
    ticket_first = FIRST_REPLY.format(t="ticket")
    connection.exec_driver_sql(
        f"UPDATE ticket SET first_response_at = {ticket_first}, "
        f"first_responder_id = {FIRST_REPLIER.format(t='ticket')} "
        f"WHERE {_distinct(dialect, ticket_first, 'ticket.first_response_at')}"
    )
    # A merged ticket's clocks that the merge stopped before they came due.
    connection.exec_driver_sql(
        "DELETE FROM sla_target WHERE met_at IS NOT NULL AND met_at <= due_at AND EXISTS "
        "(SELECT 1 FROM ticket t WHERE t.id = sla_target.ticket_id "
        "AND t.merged_at IS NOT NULL AND sla_target.met_at >= t.merged_at)"
    )
    facts.backfill(connection)
    fact_triggers.install(connection)


def downgrade() -> None:
    """Remove this release's triggers (they read the new column) and what it added; the
    corrected rows stay corrected."""
    connection = op.get_bind()
    fact_triggers.drop(connection)
    op.drop_index("ix_ticket_fact_handle_business", table_name="ticket_fact")
    for table in ("kpi_fact_next", "kpi_fact_was", "ticket_fact"):
        with op.batch_alter_table(table) as batch:
            for name in COLUMNS_SINCE_0021:
                batch.drop_column(name)
    op.drop_index("ix_ticket_merged_at", table_name="ticket")
