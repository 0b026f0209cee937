"""Redacting the text of the rows in a scope; the rows, ids, times and counts stay.

Text becomes `[erased]` rather than disappearing: a message still counts as a message, a
CSAT comment as a comment, a ticket keeps its times, so every KPI reads as before. What
is only text (a question learned by the matcher, a remembered name) is deleted.
Running it twice changes nothing the second time: every step skips what is redacted.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, or_, select, text, update
from sqlmodel import Session, col

from store.erasure import scope as scopes
from store.erasure.scope import Scope
from store.models import (
    Activity,
    ArticleExample,
    CsatSurvey,
    ErasureLog,
    HeldChange,
    InboxEvent,
    Message,
    MessageRevision,
    SlackName,
    SlaNotification,
    Suggestion,
    Ticket,
)

ERASED = "[erased]"
# Keys of an activity's detail that hold what someone typed: notes, comments, reasons.
TEXT_KEYS = frozenset({"text", "comment", "note", "reason"})
# Keys of a Slack event that identify and time things; every other string is redacted.
ID_KEYS = frozenset(
    {
        "type", "subtype", "user", "team", "user_team", "source_team", "channel",
        "channel_type", "ts", "thread_ts", "event_ts", "event_id", "event_time", "api_app_id",
        "team_id", "client_msg_id", "bot_id", "app_id", "hidden", "id", "enterprise_id",
        "context_team_id", "parent_user_id", "deleted_ts",
    }
)  # fmt: skip


def redact(session: Session, *, scope: Scope, dry_run: bool = False) -> dict[str, int]:
    """Redact (or with `dry_run` only count) the text of every row in scope; rows changed
    per kind of row."""
    if session.get_bind().dialect.name == "sqlite":
        # Freed bytes are zeroed, so the old text does not linger in the file's free space.
        session.execute(text("PRAGMA secure_delete = ON"))
    message_ids = select(col(Message.id)).where(scope.messages)
    revisions = col(MessageRevision.message_id).in_(message_ids)
    blank = {"text": ERASED, "files": []}
    comment = col(CsatSurvey.comment)
    counts = {
        "messages": _update(session, Message, scope.messages, "text", blank, dry_run),
        "revisions": _update(session, MessageRevision, revisions, "text", blank, dry_run),
        "held_changes": _update(session, HeldChange, scope.held, "text", blank, dry_run),
        "ticket_subjects": _update(
            session, Ticket, scope.tickets, "subject", {"subject": ERASED}, dry_run
        ),
        "suggestions": _update(
            session, Suggestion, scope.suggestions, "question", {"question": ERASED}, dry_run
        ),
        # An empty comment stays empty: the KPIs count comments with something in them.
        "csat_comments": _update(
            session,
            CsatSurvey,
            and_(scope.surveys, func.trim(func.coalesce(comment, "")) != ""),
            "comment",
            {"comment": ERASED},
            dry_run,
        ),
        "notes": _rewrite(session, Activity, "detail", scope.activities, scrub_detail, dry_run),
        "sla_alerts": _rewrite(
            session, SlaNotification, "text", scope.notifications, scrub_alert, dry_run
        ),
        "inbox_events": _rewrite(
            session, InboxEvent, "payload", scope.inbox, scrub_event, dry_run, scope.inbox_match
        ),
        "learned_examples": _delete(session, ArticleExample, scope.examples, dry_run),
        "names": _forget_names(session, scope.names, dry_run),
    }
    session.flush()
    return counts


def log(
    session: Session, *, scope: Scope, operator: str, at: datetime, counts: dict[str, int]
) -> None:
    """Record who erased what, when, and how much (never the text itself)."""
    session.add(
        ErasureLog(
            subject_kind=scope.kind,
            subject_id=scope.subject,
            operator=operator[:255],
            erased_at=at,
            counts=counts,
        )
    )
    session.flush()


def _update(
    session: Session,
    model: Any,
    where: ColumnElement[bool],
    column: str,
    values: dict[str, Any],
    dry_run: bool,
) -> int:
    """Set `values` on the rows in scope whose `column` is not redacted yet."""
    pending = and_(where, col(getattr(model, column)) != ERASED)
    table = model.__table__
    found = _count(session, table, pending)
    if found and not dry_run:
        statement = update(model).where(pending).values(values)
        session.execute(statement.execution_options(synchronize_session=False))
    return found


def _rewrite(
    session: Session,
    model: Any,
    column: str,
    where: ColumnElement[bool],
    scrub: Callable[[Any], Any],
    dry_run: bool,
    match: Callable[[Any], bool] | None = None,
) -> int:
    """Scrub a column whose text sits inside a structure (JSON, an alert's line)."""
    field = col(getattr(model, column))
    changed: list[dict[str, Any]] = []
    query = select(col(model.id), field).where(where).execution_options(yield_per=1000)
    result = session.execute(query)
    for row_id, value in result:
        if match is not None and not match(value):
            continue
        cleaned = scrub(value)
        if cleaned != value:
            changed.append({"row_id": row_id, "value": cleaned})
    if changed and not dry_run:
        table = model.__table__
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({column: bindparam("value")})
        )
        session.connection().execute(statement, changed)
    return len(changed)


def _delete(session: Session, model: Any, where: ColumnElement[bool], dry_run: bool) -> int:
    table = model.__table__
    found = _count(session, table, where)
    if found and not dry_run:
        session.execute(delete(table).where(where))
    return found


def _count(session: Session, table: Any, where: ColumnElement[bool]) -> int:
    return int(session.execute(select(func.count()).select_from(table).where(where)).scalar_one())


def _forget_names(session: Session, names: list[tuple[str, str]], dry_run: bool) -> int:
    if not names:
        return 0
    which = or_(
        *(
            and_(col(SlackName.kind) == kind, col(SlackName.slack_id) == slack_id)
            for kind, slack_id in names
        )
    )
    return _delete(session, SlackName, which, dry_run)


def scrub_detail(detail: Any) -> Any:
    """An activity's detail with its typed text (notes, comments, reasons) redacted."""
    if not isinstance(detail, dict):
        return detail
    return {
        key: ERASED if key in TEXT_KEYS and isinstance(value, str) and value.strip() else value
        for key, value in detail.items()
    }


def scrub_alert(line: str) -> str:
    """An SLA alert's line without the ticket's subject (`*#42* state · subject`)."""
    head, separator, _ = line.partition(" · ")
    return f"{head}{separator}{ERASED}" if separator else ERASED


def scrub_event(value: Any, key: str | None = None) -> Any:
    """A Slack event with every string redacted but its ids, types and timestamps."""
    if isinstance(value, dict):
        return {k: scrub_event(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_event(item, key) for item in value]
    if isinstance(value, str) and key not in ID_KEYS:
        return ERASED
    return value


__all__ = ["ERASED", "log", "redact", "scopes"]
