"""Query functions for self-service suggestions and the examples the matcher learns from.

All take a Session and keyword arguments, flush, and leave the commit to the caller.
"""

import hashlib
from collections import defaultdict
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import ArticleExample, Suggestion, SuggestionOutcome, Ticket


def add_suggestion(session: Session, *, suggestion: Suggestion) -> Suggestion:
    """Record the suggestion made for a ticket (one per ticket: a second one clashes)."""
    session.add(suggestion)
    session.flush()
    return suggestion


def suggestion_for(session: Session, *, ticket_id: int) -> Suggestion | None:
    """The suggestion made for a ticket, if any."""
    return session.exec(select(Suggestion).where(Suggestion.ticket_id == ticket_id)).first()


_SUGGESTION = Suggestion.__table__  # type: ignore[attr-defined]
# Every offer posted records where: built once, run with parameters.
_SET_MESSAGE = update(_SUGGESTION).where(_SUGGESTION.c.ticket_id == bindparam("b_ticket_id"))


def set_suggestion_message(session: Session, *, ticket_id: int, channel_id: str, ts: str) -> None:
    """Remember where the suggestion was posted, to update it after a button press."""
    session.execute(
        _SET_MESSAGE, {"b_ticket_id": ticket_id, "channel_id": channel_id, "message_ts": ts}
    )
    session.flush()


def reoffer_suggestion(
    session: Session,
    *,
    ticket_id: int,
    question: str,
    lang: str,
    article_ids: list[str],
    top_score: float | None,
    at: datetime,
) -> bool:
    """Turn a suggestion that showed nothing into an offer; False if something was shown.

    A conditional update, so the customer sees at most one suggestion per ticket.
    """
    result = session.execute(
        update(Suggestion)
        .where(
            col(Suggestion.ticket_id) == ticket_id,
            col(Suggestion.outcome).in_(
                [str(SuggestionOutcome.NONE), str(SuggestionOutcome.SKIPPED)]
            ),
        )
        .values(
            question=question,
            lang=lang,
            article_ids=article_ids,
            top_score=top_score,
            outcome=str(SuggestionOutcome.OFFERED),
            offered_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def decide_suggestion(
    session: Session,
    *,
    ticket_id: int,
    outcome: SuggestionOutcome,
    article_id: str | None,
    decided_by: str,
    at: datetime,
) -> bool:
    """Record the customer's answer; False when it was already decided that way or solved.

    A conditional update, so two presses racing decide once.
    """
    allowed = [str(SuggestionOutcome.OFFERED)]
    if outcome is SuggestionOutcome.SOLVED:
        allowed.append(str(SuggestionOutcome.NEED_HELP))  # it can still turn out to help
    result = session.execute(
        update(Suggestion)
        .where(col(Suggestion.ticket_id) == ticket_id, col(Suggestion.outcome).in_(allowed))
        .values(
            outcome=str(outcome),
            solved_article_id=article_id,
            decided_by=decided_by,
            decided_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def example_key(text: str) -> str:
    """A stable key for an example's normalised text."""
    normalised = " ".join(text.lower().split())
    return hashlib.sha256(normalised.encode()).hexdigest()[:64]


def add_example(
    session: Session,
    *,
    article_id: str,
    text: str,
    source: str,
    at: datetime,
    ticket_id: int | None = None,
) -> bool:
    """Teach the matcher that `text` was answered by an article; False if already known."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(ArticleExample)
        .values(
            article_id=article_id,
            text=text,
            text_key=example_key(text),
            source=source,
            ticket_id=ticket_id,
            created_at=at,
        )
        .on_conflict_do_nothing(index_elements=["article_id", "text_key"])
        .returning(col(ArticleExample.id))
    )
    session.flush()
    # The returned id, not rowcount: through SQLAlchemy, psycopg reports -1 rows here.
    return result.first() is not None


def examples_by_article(session: Session) -> dict[str, list[str]]:
    """Every learned example, grouped by article id."""
    grouped: dict[str, list[str]] = defaultdict(list)
    rows = session.exec(
        select(ArticleExample.article_id, ArticleExample.text).order_by(col(ArticleExample.id))
    )
    for article_id, text in rows:
        grouped[article_id].append(text)
    return dict(grouped)


UNANSWERED = [str(SuggestionOutcome.NONE), str(SuggestionOutcome.NEED_HELP)]


def unanswered_questions(
    session: Session,
    *,
    workspace_id: str,
    since: datetime,
    until: datetime,
    limit: int,
    count_up_to: int,
) -> tuple[list[tuple[int, str, str, str]], int]:
    """The newest `limit` (ticket number, customer, organization, question) of tickets the
    KB did not answer, in number order, and how many there are, counted up to
    `count_up_to` (a year can hold hundreds of thousands: the work stays bounded)."""
    conditions = (
        Ticket.workspace_id == workspace_id,
        col(Suggestion.offered_at) >= since,
        col(Suggestion.offered_at) < until,
        col(Suggestion.outcome).in_(UNANSWERED),
    )
    joined = col(Suggestion.ticket_id) == col(Ticket.id)
    some = select(col(Suggestion.id)).join(Ticket, joined).where(*conditions).limit(count_up_to)
    total = session.exec(select(func.count()).select_from(some.subquery())).one()
    # Newest by the time offered: the offered_at index read backwards, stopping at `limit`.
    statement = (
        select(Ticket.number, Ticket.customer_id, Ticket.customer_team_id, Suggestion.question)
        .join(Suggestion, joined)
        .where(*conditions)
        .order_by(col(Suggestion.offered_at).desc(), col(Suggestion.id).desc())
        .limit(limit)
    )
    newest = sorted(tuple(row) for row in session.exec(statement))
    return newest, int(total)  # type: ignore[return-value]
