"""The pure SLA replay: laws that hold for any ticket history (hypothesis), and cycles."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import parse_config
from bot.sla.replay import TicketHistory, replay

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOURS = parse_config(
    {"business_hours": {"timezone": "Europe/Berlin", "holidays": ["2026-11-24"]}}
).business_hours

minutes = st.integers(min_value=1, max_value=7 * 24 * 60)


def _at(offsets: list[int]) -> list[datetime]:
    return sorted(T0 + timedelta(minutes=m) for m in offsets)


@st.composite
def histories(draw: st.DrawFn) -> TicketHistory:
    """Random but well-formed lives: resolutions and reopenings alternate."""
    cuts = _at(draw(st.lists(minutes, max_size=6, unique=True)))
    resolutions, reopenings = cuts[0::2], cuts[1::2]
    starts = _at(draw(st.lists(minutes, max_size=3, unique=True)))
    pauses = [(start, start + timedelta(minutes=draw(minutes))) for start in starts]
    if draw(st.booleans()):
        pauses.append((T0 + timedelta(minutes=draw(minutes)), None))
    return TicketHistory(
        ticket_id=1,
        channel_id="C0HELP",
        priority="normal",
        created_at=T0,
        customer_messages=_at(draw(st.lists(minutes, max_size=6, unique=True))),
        agent_messages=_at(draw(st.lists(minutes, max_size=6, unique=True))),
        pauses=pauses,
        resolutions=resolutions,
        reopenings=reopenings,
    )


def policies(scale: int, business_hours: bool):
    return parse_config(
        {
            "sla_policies": [
                {
                    "name": "p",
                    "first_response": f"{30 * scale}m",
                    "next_response": f"{60 * scale}m",
                    "resolution": f"{8 * scale}h",
                    "business_hours": business_hours,
                }
            ]
        }
    ).sla_policies


@settings(max_examples=150, deadline=None)
@given(histories(), st.booleans())
def test_longer_targets_never_breach_more(history, business_hours):
    now = T0 + timedelta(days=30)
    strict = replay(policies(1, business_hours), HOURS, history)
    lenient = replay(policies(3, business_hours), HOURS, history)
    strict_breaches = {(o.target, o.met_at) for o in strict if o.breached(now)}
    lenient_breaches = {(o.target, o.met_at) for o in lenient if o.breached(now)}
    assert lenient_breaches <= strict_breaches


@settings(max_examples=150, deadline=None)
@given(histories())
def test_clocks_stop_after_they_start_and_are_due_after_their_start(history):
    for outcome in replay(policies(1, True), HOURS, history):
        assert outcome.due > history.created_at
        if outcome.met_at is not None:
            assert outcome.met_at >= history.created_at
    first = [o for o in replay(policies(1, True), HOURS, history) if o.target == "first_response"]
    assert len(first) <= 1


def test_each_reopening_starts_a_resolution_cycle_from_the_reopening():
    history = TicketHistory(
        ticket_id=7,
        channel_id="C0HELP",
        priority="normal",
        created_at=T0,
        customer_messages=[T0, T0 + timedelta(hours=30)],
        agent_messages=[T0 + timedelta(minutes=5)],
        resolutions=[T0 + timedelta(hours=1), T0 + timedelta(hours=40)],
        reopenings=[T0 + timedelta(hours=30)],
    )
    outcomes = replay(policies(1, False), HOURS, history)
    cycles = [(o.due, o.met_at) for o in outcomes if o.target == "resolution"]
    assert cycles == [
        (T0 + timedelta(hours=8), T0 + timedelta(hours=1)),
        (T0 + timedelta(hours=38), T0 + timedelta(hours=40)),  # late: 10h after reopening
    ]
    [wait] = [o for o in outcomes if o.target == "next_response"]
    # The reopening message waited; the resolution answered it, 10 hours later.
    assert (wait.due, wait.met_at) == (T0 + timedelta(hours=31), T0 + timedelta(hours=40))


def test_a_ticket_resolved_before_any_reply_owes_its_first_response_from_the_reopening():
    # Self-served at 5 minutes, reopened at 1 hour, first reply at 2 hours: the 30-minute
    # first response ran again from the reopening (due 1:30), so it is late.
    history = TicketHistory(
        ticket_id=1, channel_id="C0HELP", priority="normal", created_at=T0,
        customer_messages=[T0, T0 + timedelta(hours=1)],
        agent_messages=[T0 + timedelta(hours=2)],
        resolutions=[T0 + timedelta(minutes=5)], reopenings=[T0 + timedelta(hours=1)],
    )  # fmt: skip
    [first] = [
        o for o in replay(policies(1, False), HOURS, history) if o.target == "first_response"
    ]
    assert (first.due, first.met_at) == (T0 + timedelta(minutes=90), T0 + timedelta(hours=2))
