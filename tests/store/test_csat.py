"""store.csat: one survey per ticket, answers on its row, undelivered ones found again."""

from datetime import timedelta

from sqlmodel import Session

from store import csat
from tests.store.conftest import CHANNEL, CUSTOMER, NOW, NewTicket


def test_a_ticket_is_surveyed_once_and_the_first_answer_time_stays(
    session: Session, new_ticket: NewTicket
) -> None:
    ticket = new_ticket()
    assert ticket.id is not None
    survey = {"ticket_id": ticket.id, "customer_id": CUSTOMER, "channel_id": CHANNEL}
    assert csat.add_survey(session, asked_at=NOW, **survey)
    assert not csat.add_survey(session, asked_at=NOW + timedelta(hours=1), **survey)
    session.commit()

    asked = csat.survey_of(session, ticket_id=ticket.id)
    assert asked is not None and asked.id is not None and asked.asked_at == NOW
    answered, commented = NOW + timedelta(minutes=5), NOW + timedelta(minutes=9)
    csat.record_answer(session, survey_id=asked.id, at=answered, rating=4)
    csat.record_answer(session, survey_id=asked.id, at=commented, comment="quick, thanks")
    session.commit()

    session.expire_all()
    final = csat.survey_of(session, ticket_id=ticket.id)
    assert final is not None
    assert (final.rating, final.comment, final.answered_at) == (4, "quick, thanks", answered)


def test_surveys_never_posted_are_found_until_their_message_is_recorded(
    session: Session, new_ticket: NewTicket
) -> None:
    early, late = new_ticket(), new_ticket()
    for ticket, asked_at in ((early, NOW), (late, NOW + timedelta(minutes=10))):
        assert ticket.id is not None
        csat.add_survey(
            session,
            ticket_id=ticket.id,
            customer_id=CUSTOMER,
            channel_id=CHANNEL,
            asked_at=asked_at,
        )
    session.commit()

    window = {"asked_after": NOW - timedelta(hours=1), "asked_before": NOW + timedelta(hours=1)}
    assert csat.undelivered(session, **window) == [early.id, late.id]
    assert csat.undelivered(session, asked_after=NOW, asked_before=NOW + timedelta(hours=1)) == [
        late.id
    ]
    locked = csat.lock_undelivered(session, ticket_id=early.id or 0)
    assert locked is not None and locked.id is not None
    csat.set_survey_message(session, survey_id=locked.id, ts="1772442000.500000")
    session.commit()
    assert csat.undelivered(session, **window) == [late.id]
    assert csat.lock_undelivered(session, ticket_id=early.id or 0) is None
