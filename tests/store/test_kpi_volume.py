"""store.kpi.queries.volume: tickets counted on local calendar days, across DST."""

from datetime import UTC, datetime

from sqlmodel import Session

from store.kpi.queries import volume
from store.models import Ticket


def test_days_are_local_across_dst(session: Session) -> None:
    times = [
        datetime(2026, 10, 24, 21, 30, tzinfo=UTC),  # 23:30 CEST, Oct 24
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 CEST, Oct 25
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 23:30 CET, Oct 25
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 00:30 CET, Oct 26
    ]
    for number, created in enumerate(times, 1):
        ticket = Ticket(workspace_id="T", number=number, channel_id="C1", root_ts=str(number),
                        customer_id="U1", customer_team_id="T1", subject="s",
                        created_at=created, updated_at=created)  # fmt: skip
        session.add(ticket)
    session.flush()
    start, end = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC)
    days = volume.by_day(session, start=start, end=end, timezone="Europe/Berlin")
    assert {day: counts.created for day, counts in days.items()} == {
        "2026-10-24": 1, "2026-10-25": 2, "2026-10-26": 1,
    }  # fmt: skip


def test_the_backlog_counts_a_ticket_resolved_before_it_was_created_right(
    session: Session,
) -> None:
    from datetime import timedelta

    end = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
    second = timedelta(seconds=1)
    tickets = [  # (created, resolved): only the first is open at `end`
        (end - timedelta(days=2), None),
        (end - timedelta(days=1), end - timedelta(hours=1)),
        (end + timedelta(hours=1), end - timedelta(hours=2)),  # a skewed clock: resolved first
        (end + 0.8 * second, end + 0.3 * second),  # skewed by half a second, inside a second
        (end + timedelta(hours=3), None),
    ]
    for number, (created, resolved) in enumerate(tickets, 1):
        session.add(Ticket(workspace_id="T", number=number, channel_id="C1", root_ts=str(number),
                           customer_id="U1", customer_team_id="T1", subject="s",
                           status="resolved" if resolved else "new", created_at=created,
                           resolved_at=resolved, updated_at=created))  # fmt: skip
    session.flush()
    assert volume.backlog_at(session, end=end) == 1
    assert volume.backlog_at(session, end=end + 0.5 * second) == 1  # #4 resolved before, made after
    assert volume.backlog_at(session, end=end + timedelta(days=1)) == 2
