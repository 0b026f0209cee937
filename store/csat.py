"""Query functions for CSAT surveys: one row per survey asked, the answer on the same row.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

from datetime import datetime

from sqlalchemy import func, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import CsatSurvey
from store.types import UTCDateTime


def add_survey(
    session: Session, *, ticket_id: int, customer_id: str, channel_id: str, asked_at: datetime
) -> bool:
    """Plan a survey for a ticket; False when the ticket already had one (never ask twice)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(CsatSurvey)
        .values(
            ticket_id=ticket_id, customer_id=customer_id, channel_id=channel_id, asked_at=asked_at
        )
        .on_conflict_do_nothing(index_elements=["ticket_id"])
        .returning(col(CsatSurvey.id))
    )
    session.flush()
    # The returned id, not rowcount: through SQLAlchemy, psycopg reports -1 rows here.
    return result.scalar_one_or_none() is not None


def survey_of(session: Session, *, ticket_id: int) -> CsatSurvey | None:
    """The survey asked about a ticket, if any."""
    return session.exec(select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id)).first()


def lock_undelivered(session: Session, *, ticket_id: int) -> CsatSurvey | None:
    """The ticket's survey if it is not posted yet, locked so only one process posts it."""
    statement = (
        select(CsatSurvey)
        .where(CsatSurvey.ticket_id == ticket_id, col(CsatSurvey.message_ts).is_(None))
        .with_for_update(skip_locked=True)
    )
    return session.exec(statement).first()


def undelivered(
    session: Session, *, asked_after: datetime, asked_before: datetime, limit: int = 50
) -> list[int]:
    """Ticket ids of surveys planned in a window but never posted (Slack failed meanwhile)."""
    statement = (
        select(CsatSurvey.ticket_id)
        .where(
            col(CsatSurvey.message_ts).is_(None),
            col(CsatSurvey.asked_at) > asked_after,
            col(CsatSurvey.asked_at) <= asked_before,
        )
        .order_by(col(CsatSurvey.asked_at))
        .limit(limit)
    )
    return list(session.exec(statement))


def set_survey_message(session: Session, *, survey_id: int, ts: str) -> None:
    """Remember where the survey was posted."""
    session.execute(
        update(CsatSurvey)
        .where(col(CsatSurvey.id) == survey_id)
        .values(message_ts=ts)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def lock_survey(session: Session, *, ticket_id: int) -> CsatSurvey | None:
    """The ticket's survey, locked for an answer (two presses at once apply in turn)."""
    statement = select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id).with_for_update()
    return session.exec(statement).first()


def record_answer(
    session: Session,
    *,
    survey_id: int,
    at: datetime,
    rating: int | None = None,
    comment: str | None = None,
) -> None:
    """Store a rating and/or a comment; answered_at stays the time of the first answer."""
    values: dict[str, object] = {
        "answered_at": func.coalesce(col(CsatSurvey.answered_at), literal(at, UTCDateTime()))
    }
    if rating is not None:
        values["rating"] = rating
    if comment is not None:
        values["comment"] = comment
    session.execute(
        update(CsatSurvey)
        .where(col(CsatSurvey.id) == survey_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.flush()
