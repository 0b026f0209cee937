"""Stored customer text as it was typed: Slack's three entities unescaped once.

Until now message text was stored as Slack sends it, `&`, `<` and `>` as `&amp;`, `&lt;`
and `&gt;`, and escaped again when rendered ("P&L" showed as `P&amp;L`, and subjects in
exports kept the entities). Intake now unescapes at the door (bot/text.py `from_slack`);
this brings the rows stored before it in line: messages, their revisions, held edits and
ticket subjects. `&amp;` is replaced last, as intake does, so a typed `&lt;` stays `&lt;`.

There is no way back: once unescaped, a typed `&lt;` and a typed `<` cannot be told
apart, and every renderer escapes what it shows, so the downgrade leaves the text alone.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column) holding customer text exactly as Slack delivered it.
COLUMNS = (
    ("message", "text"),
    ("message_revision", "text"),
    ("held_change", "text"),
    ("ticket", "subject"),
)


def unescaped(column: str) -> str:
    """SQL (SQLite and PostgreSQL alike) for a column's text with the entities unescaped."""
    return f"REPLACE(REPLACE(REPLACE({column}, '&lt;', '<'), '&gt;', '>'), '&amp;', '&')"


def upgrade() -> None:
    """Unescape `&lt;`, `&gt;` and `&amp;` in stored message text and ticket subjects."""
    for table, column in COLUMNS:
        # Only rows with an entity: a rewrite of every row would fire the KPI triggers
        # on every ticket and bloat PostgreSQL's tables for nothing.
        op.execute(
            f"UPDATE {table} SET {column} = {unescaped(column)} "
            f"WHERE {column} LIKE '%&amp;%' OR {column} LIKE '%&lt;%' OR {column} LIKE '%&gt;%'"
        )


def downgrade() -> None:
    """Nothing to undo that can be undone (see the module docstring)."""
