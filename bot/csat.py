"""CSAT surveys: asked once when an agent resolves a ticket, answered only by its customer.

The survey is planned inside the resolving transaction (a row in `csat_survey`, unique per
ticket, so a reopened and re-resolved ticket is never asked again), then posted right
after the commit. A survey Slack could not take is posted by the next sweep. Sampling is
a hash of the ticket's workspace and number, so every replica makes the same decision.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.config import Csat
from store import csat, events, tickets
from store.db import session_scope
from store.models import CsatSurvey, Ticket

logger = logging.getLogger(__name__)

RATINGS = range(1, 6)
COMMENT_LIMIT = 2000
# A survey still unposted after this long is left alone: a day-old "how did we do?" is noise.
RETRY_WINDOW = timedelta(days=1)
# The resolving request posts the survey itself; the sweep only takes what it left behind.
RETRY_GRACE = timedelta(minutes=1)
ONLY_THE_ASKER = "Only the person who asked can rate this. Thanks!"

# Posts a survey in its ticket's thread; returns the message ts, or None if it failed.
SurveySender = Callable[[CsatSurvey, Ticket], str | None]


class CsatError(Exception):
    """An answer that cannot be taken; the message is shown (ephemerally) as is."""


@dataclass(frozen=True)
class Answer:
    """A survey after an answer, and whether the answer changed anything."""

    survey: CsatSurvey
    ticket: Ticket
    changed: bool
    previous: int | None = None


def is_sampled(*, workspace_id: str, number: int, rate: float) -> bool:
    """Whether ticket `#number` is in the sample: the same answer on every replica."""
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{workspace_id}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


class CsatService:
    """Plans, posts and records satisfaction surveys."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        config: Csat,
        *,
        is_agent: Callable[[str], bool],
        send: SurveySender,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._config = config
        self._is_agent = is_agent
        self._send = send

    def observe(
        self,
        session: Session,
        ticket: Ticket,
        action: str,
        actor_id: str | None,
        detail: dict[str, Any],
    ) -> None:
        """Workflow observer: an agent's resolve plans the ticket's one survey."""
        # Only "resolved": self-served ("self_served") and auto-closed tickets are never asked.
        if action != "resolved" or not self._config.enabled or ticket.id is None:
            return
        if self._is_agent(ticket.customer_id):
            return  # an agent's own request: nobody to ask
        now = self._clock()
        if not is_sampled(
            workspace_id=ticket.workspace_id, number=ticket.number, rate=self._config.sample_rate
        ):
            if csat.survey_of(session, ticket_id=ticket.id) is None:
                events.add_activity(
                    session,
                    ticket_id=ticket.id,
                    action="csat_skipped",
                    at=now,
                    detail={"sample_rate": self._config.sample_rate},
                )
            return
        csat.add_survey(
            session,
            ticket_id=ticket.id,
            customer_id=ticket.customer_id,
            channel_id=ticket.channel_id,
            asked_at=now,
        )

    def deliver(self, *, ticket_id: int) -> bool:
        """Post the ticket's survey if it is planned and not posted yet; True if posted."""
        with session_scope(self._engine) as session:
            survey = csat.lock_undelivered(session, ticket_id=ticket_id)
            ticket = tickets.get_ticket(session, ticket_id=ticket_id) if survey else None
            if survey is None or survey.id is None or ticket is None:
                return False
            ts = self._send(survey, ticket)
            if ts is None:
                return False  # the sweep tries again
            csat.set_survey_message(session, survey_id=survey.id, ts=ts)
            events.add_activity(
                session,
                ticket_id=ticket_id,
                action="csat_asked",
                at=self._clock(),
                actor_id=None,
                detail={"ts": ts},
            )
            return True

    def posted_survey(self, *, ticket_id: int) -> CsatSurvey | None:
        """The ticket's survey once it is posted (its buttons are up), else None."""
        with session_scope(self._engine) as session:
            survey = csat.survey_of(session, ticket_id=ticket_id)
        return survey if survey is not None and survey.message_ts is not None else None

    def retry_undelivered(self) -> int:
        """Post surveys whose first attempt failed (called by the sweep); how many went out."""
        now = self._clock()
        with session_scope(self._engine) as session:
            waiting = csat.undelivered(
                session, asked_after=now - RETRY_WINDOW, asked_before=now - RETRY_GRACE
            )
        return sum(self.deliver(ticket_id=ticket_id) for ticket_id in waiting)

    def survey_for(self, *, workspace_id: str, number: int, user_id: str) -> Answer:
        """The survey of ticket `#number`, if `user_id` may answer it."""
        with session_scope(self._engine) as session:
            ticket, survey = self._load(session, workspace_id, number, user_id)
            return Answer(survey, ticket, changed=False, previous=survey.rating)

    def rate(self, *, workspace_id: str, number: int, user_id: str, rating: int) -> Answer:
        """Record (or change) the customer's 1-5 rating; a repeated press changes nothing."""
        if rating not in RATINGS:
            raise CsatError("Ratings go from 1 to 5 stars.")
        with session_scope(self._engine) as session:
            ticket, survey = self._load(session, workspace_id, number, user_id, lock=True)
            assert survey.id is not None and ticket.id is not None
            previous = survey.rating
            if previous != rating:
                csat.record_answer(session, survey_id=survey.id, at=self._clock(), rating=rating)
                events.add_activity(
                    session,
                    ticket_id=ticket.id,
                    action="csat_rated",
                    at=self._clock(),
                    actor_id=user_id,
                    detail={"rating": rating, "from": previous},
                )
                session.refresh(survey)
            return Answer(survey, ticket, changed=previous != rating, previous=previous)

    def comment(self, *, workspace_id: str, number: int, user_id: str, text: str) -> Answer:
        """Record the customer's comment (after a rating); the same text again changes nothing."""
        text = text.strip()
        if len(text) > COMMENT_LIMIT:
            raise CsatError(f"Comments can be up to {COMMENT_LIMIT} characters.")
        with session_scope(self._engine) as session:
            ticket, survey = self._load(session, workspace_id, number, user_id, lock=True)
            assert survey.id is not None and ticket.id is not None
            if survey.rating is None:
                raise CsatError("Please pick a star rating first.")
            if not text or text == (survey.comment or ""):
                return Answer(survey, ticket, changed=False, previous=survey.rating)
            csat.record_answer(session, survey_id=survey.id, at=self._clock(), comment=text)
            events.add_activity(
                session,
                ticket_id=ticket.id,
                action="csat_commented",
                at=self._clock(),
                actor_id=user_id,
                detail={"comment": text},
            )
            session.refresh(survey)
            return Answer(survey, ticket, changed=True, previous=survey.rating)

    def _load(
        self, session: Session, workspace_id: str, number: int, user_id: str, *, lock: bool = False
    ) -> tuple[Ticket, CsatSurvey]:
        ticket = tickets.find_ticket_by_number(session, workspace_id=workspace_id, number=number)
        survey = None
        if ticket is not None and ticket.id is not None:
            find = csat.lock_survey if lock else csat.survey_of
            survey = find(session, ticket_id=ticket.id)
        if ticket is None or survey is None:
            raise CsatError("This survey is no longer available.")
        if user_id != survey.customer_id:
            raise CsatError(ONLY_THE_ASKER)
        return ticket, survey
