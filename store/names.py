"""Query functions for remembered Slack names (organizations, people, channels).

The bot writes a name each time Slack gives it one; reports read them back, falling back
to the id for anything never resolved. All take a Session and keyword arguments.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import SlackName

ORG, USER, CHANNEL = "org", "user", "channel"
NAME_LIMIT = 255  # the column's length


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def remember_name(session: Session, *, kind: str, slack_id: str, name: str, at: datetime) -> None:
    """Store (or replace) the name Slack gave an id."""
    values = {"name": name[:NAME_LIMIT], "updated_at": at}
    statement = _insert(session)(SlackName).values(kind=kind, slack_id=slack_id, **values)
    session.execute(
        statement.on_conflict_do_update(index_elements=["kind", "slack_id"], set_=values)
    )
    session.flush()


def known_names(
    session: Session, *, kind: str, slack_ids: Iterable[str] | None = None
) -> dict[str, str]:
    """id -> remembered name for one kind (all of them, or only the ids asked for)."""
    statement = select(SlackName.slack_id, SlackName.name).where(col(SlackName.kind) == kind)
    if slack_ids is not None:
        wanted = sorted({str(i) for i in slack_ids if i})
        if not wanted:
            return {}
        statement = statement.where(col(SlackName.slack_id).in_(wanted))
    return {slack_id: name for slack_id, name in session.execute(statement)}
