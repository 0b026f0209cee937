"""Erasing a customer's text (`deskbot erase`) and old text (retention), keeping the numbers.

`erase` and `expire` redact and log in the caller's transaction; `compact` then makes the
database files forget the old bytes (SQLite: VACUUM; PostgreSQL: VACUUM of the tables).
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from store.erasure import scope as scopes
from store.erasure.compact import compact
from store.erasure.redact import ERASED, log, redact
from store.models import ErasureLog, Message, Ticket

__all__ = ["ERASED", "compact", "earliest_text", "erase", "expire", "expired_until"]


def erase(
    session: Session, *, kind: str, subject: str, operator: str, at: datetime, dry_run: bool = False
) -> dict[str, int]:
    """Redact everything of a customer (`kind` "customer", a U… id) or an organization
    ("org", a T… id), and log it unless `dry_run`; rows changed (or to change) per kind."""
    if kind == scopes.CUSTOMER:
        scope = scopes.customer(subject)
    else:
        people = sorted(str(p) for p in session.execute(scopes.people_of(subject)).scalars())
        scope = scopes.organization(subject, people=people)
    counts = redact(session, scope=scope, dry_run=dry_run)
    if not dry_run:
        log(session, scope=scope, operator=operator, at=at, counts=counts)
    return counts


def expire(
    session: Session, *, start: datetime | None, end: datetime, at: datetime
) -> dict[str, int]:
    """Redact text written in [start, end) and log it as a retention run ending at `end`."""
    scope = scopes.before(start, end)
    counts = redact(session, scope=scope)
    log(session, scope=scope, operator="deskbot retention", at=at, counts=counts)
    return counts


def expired_until(session: Session) -> datetime | None:
    """Where the last retention run stopped: text before it is redacted."""
    last = session.execute(
        select(func.max(col(ErasureLog.subject_id))).where(
            col(ErasureLog.subject_kind) == scopes.RETENTION
        )
    ).scalar_one_or_none()
    return None if last is None else datetime.fromisoformat(last)


def earliest_text(session: Session) -> datetime | None:
    """When the oldest ticket or message was written (where retention starts)."""
    firsts = [
        session.execute(select(func.min(col(Ticket.created_at)))).scalar_one_or_none(),
        session.execute(select(func.min(col(Message.sent_at)))).scalar_one_or_none(),
    ]
    known = [moment for moment in firsts if moment is not None]
    return min(known) if known else None
