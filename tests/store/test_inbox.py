"""store.inbox: keeping an event, taking up one whose lease ran out, renewing leases."""

from datetime import datetime, timedelta

from sqlmodel import Session

from store import inbox
from tests.store.conftest import NOW

LEASE = timedelta(minutes=2)


def keep(session: Session, key: str, *, lease_until: datetime = NOW + LEASE) -> int | None:
    """Keep an event as the request thread does, leased to this replica."""
    return inbox.add_event(
        session,
        event_key=key,
        payload={"event": {"type": "message", "key": key}},
        received_at=NOW,
        lease_until=lease_until,
    )


def test_an_event_is_kept_once(session: Session) -> None:
    row_id = keep(session, "Ev1")
    again = keep(session, "Ev1")  # a redelivery while the first is still in hand
    session.commit()
    assert row_id is not None and again is None
    assert inbox.count_waiting(session) == 1
    inbox.remove_event(session, event_id=row_id)
    session.commit()
    assert inbox.count_waiting(session) == 0


def test_only_events_whose_lease_ran_out_are_taken_and_each_by_one_taker(
    session: Session,
) -> None:
    held = keep(session, "Ev1")
    left = keep(session, "Ev2", lease_until=NOW)  # left for any replica
    session.commit()

    [taken] = inbox.claim_expired(session, now=NOW, lease_until=NOW + LEASE, limit=10)
    session.commit()
    assert (taken.id, taken.attempts, taken.lease_until) == (left, 1, NOW + LEASE)
    assert inbox.claim_expired(session, now=NOW, lease_until=NOW + LEASE, limit=10) == []

    # The holder of Ev1 renews it; the taker of Ev2 does not and loses it.
    renewed = inbox.renew_leases(session, event_ids=[held or 0], lease_until=NOW + 2 * LEASE)
    session.commit()
    later = NOW + LEASE
    retaken = inbox.claim_expired(session, now=later, lease_until=later + LEASE, limit=10)
    session.commit()
    assert renewed == 1 and [(row.id, row.attempts) for row in retaken] == [(left, 2)]


def test_a_failed_event_is_kept_aside(session: Session) -> None:
    row_id = keep(session, "Ev1", lease_until=NOW)
    assert row_id is not None
    inbox.mark_failed(session, event_id=row_id, failed_at=NOW)
    session.commit()
    assert inbox.claim_expired(session, now=NOW, lease_until=NOW + LEASE, limit=10) == []
    assert inbox.renew_leases(session, event_ids=[row_id], lease_until=NOW + LEASE) == 0
    assert inbox.count_waiting(session) == 0
