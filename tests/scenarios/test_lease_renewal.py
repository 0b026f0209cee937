"""A replica keeps the work it holds by renewing leases; only a dead replica's work moves.

Without renewal a replica whose intake queue grew past the lease saw idle replicas replay
its events, and the card finisher race its late welcomes (duplicate triage cards).
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

import handlers.messages
from bot.intake.inbox import InHand
from bot.intake.service import FOLLOWUP_LEASE
from handlers.messages import finish_unfinished_tickets
from tests.conftest import AGENT, CUSTOMER, HELP, TRIAGE
from tests.scenarios.test_durable_intake import down, kept
from tests.scenarios.test_redelivery import message_event
from tests.scenarios.test_tickets import open_ticket, reaction


@pytest.fixture(autouse=True)
def _clock_at_slack_time(clock) -> None:
    """Start the clock when the driver's messages are written, as in production."""
    clock.now = datetime.fromtimestamp(1_763_900_000, UTC)


class Gate:
    """Holds the first call of a function until released; later calls go straight through."""

    def __init__(self, real):
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            assert self.release.wait(timeout=10), "the test never released the gate"
        return self.real(*args, **kwargs)


def stuck_storing(bot, monkeypatch) -> Gate:
    """Make the first message this bot stores wait until the test releases it."""
    intake = bot.app.runtime.deps.intake
    gate = Gate(intake.receive_message)
    monkeypatch.setattr(intake, "receive_message", gate)
    return gate


def renew(bot) -> tuple[int, int]:
    """One beat of the lease heartbeat `deskbot run` schedules."""
    return bot.app.runtime.deps.inbox.renew_leases(followup_lease=FOLLOWUP_LEASE)


def test_a_replica_keeps_the_events_it_is_still_storing(start_deskbot, fake, clock, monkeypatch):
    bot = start_deskbot()
    gate = stuck_storing(bot, monkeypatch)
    assert bot.driver.event(message_event(bot, "Exports fail"), event_id="Ev0SLOW").status == 200
    assert gate.entered.wait(timeout=10)

    for _ in range(6):  # three minutes: past the lease the keep gave it
        clock.advance(seconds=30)
        assert renew(bot) == (1, 0)
        assert bot.app.runtime.pull_inbox() == 0  # another replica's sweep leaves it alone
    gate.release.set()
    bot.drain()

    assert gate.calls == 1 and kept(bot) == []
    assert len(bot.tickets()) == 1 and len(fake.messages(TRIAGE)) == 1
    assert renew(bot) == (0, 0)  # nothing left in hand


def test_work_held_too_long_is_let_go_for_other_replicas(start_deskbot, fake, clock, monkeypatch):
    bot = start_deskbot()
    gate = stuck_storing(bot, monkeypatch)
    bot.driver.event(message_event(bot, "Exports fail"), event_id="Ev0STUCK")
    assert gate.entered.wait(timeout=10)

    clock.advance(minutes=16)  # the storing thread is stuck for good
    assert renew(bot) == (0, 0)
    assert bot.app.runtime.pull_inbox() == 1  # a sweep stores it instead
    gate.release.set()
    bot.drain()

    assert gate.calls == 2 and kept(bot) == []
    assert len(bot.tickets()) == 1 and len(fake.messages(TRIAGE)) == 1  # stored once


def test_a_welcome_still_being_posted_is_left_to_its_replica(
    start_deskbot, fake, clock, monkeypatch
):
    bot = start_deskbot()
    deps, client = bot.app.runtime.deps, bot.app.client
    gate = Gate(handlers.messages.finish_new_ticket)
    monkeypatch.setattr(handlers.messages, "finish_new_ticket", gate)
    bot.driver.event(message_event(bot, "Exports fail"))
    assert gate.entered.wait(timeout=10)  # stored; its card waits on a slow Slack

    clock.advance(minutes=1, seconds=30)
    assert renew(bot) == (0, 1)
    clock.advance(minutes=1, seconds=30)  # past the lease the ticket was stored with
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0
    gate.release.set()
    bot.drain()

    assert gate.calls == 1 and len(fake.messages(TRIAGE)) == 1
    assert bot.ticket(1).triage_ts is not None and renew(bot) == (0, 0)


def test_what_is_in_hand_is_renewed_until_done_or_held_too_long():
    now = [datetime(2026, 11, 24, 9, 0, tzinfo=UTC)]
    in_hand = InHand(lambda: now[0])
    in_hand.add(1)
    in_hand.add(2)
    in_hand.stored(1, welcome_for=10)
    assert in_hand.held() == ([2], [10])

    now[0] += timedelta(minutes=10)
    in_hand.add(3)
    in_hand.done(row_id=2)
    assert in_hand.held() == ([3], [10])
    assert not in_hand.wait_idle(timeout=0)

    now[0] += timedelta(minutes=6)  # ticket 10's welcome has been pending 16 minutes
    assert in_hand.held() == ([3], [])
    in_hand.done(ticket_id=10)
    in_hand.done(row_id=3)
    assert in_hand.wait_idle(timeout=0) and in_hand.held() == ([], [])


def test_a_full_replica_leaves_events_to_a_replica_with_room(
    start_deskbot, fake, clock, monkeypatch
):
    busy, idle = start_deskbot(), start_deskbot()
    monkeypatch.setattr(busy.app.runtime.pipeline, "capacity", 1)
    gate = stuck_storing(busy, monkeypatch)
    busy.driver.event(message_event(busy, "First question"))
    assert gate.entered.wait(timeout=10)
    for text in ("Second question", "Third question"):  # busy is full: kept, not held
        assert busy.driver.event(message_event(busy, text)).status == 200
    assert [row.lease_until <= clock() for row in kept(busy)] == [False, True, True]

    assert busy.app.runtime.pull_inbox() == 0  # no room here
    assert idle.app.runtime.pull_inbox() == 2
    idle.drain()
    assert sorted(t.subject for t in idle.tickets()) == ["Second question", "Third question"]
    gate.release.set()
    busy.drain()

    assert gate.calls == 1 and kept(busy) == []
    assert len(busy.tickets()) == 3 and len(fake.messages(TRIAGE)) == 3


def test_an_emoji_command_cut_short_is_taken_up_not_lost(start_deskbot, fake, clock, monkeypatch):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    root = open_ticket(bot)
    workflow = bot.app.runtime.deps.workflow
    monkeypatch.setattr(workflow, "claim", down)  # the database goes away mid-claim
    reaction(bot, "eyes", AGENT, HELP, root)
    reaction(bot, "tada", AGENT, HELP, root)  # never a command: not kept
    [row] = kept(bot)
    assert row.payload["event"]["reaction"] == "eyes" and bot.ticket(1).assignee_id is None

    monkeypatch.undo()
    clock.advance(minutes=3)
    assert bot.app.runtime.pull_inbox() == 1
    bot.drain()
    assert bot.ticket(1).assignee_id == AGENT and kept(bot) == []


def test_a_handled_emoji_command_is_forgotten(deskbot):
    root = open_ticket(deskbot)
    reaction(deskbot, "eyes", CUSTOMER, HELP, root)  # kept, then ignored: not an agent
    reaction(deskbot, "eyes", AGENT, HELP, root)
    assert deskbot.ticket(1).assignee_id == AGENT and kept(deskbot) == []


def test_a_replica_that_overflowed_tops_itself_up_without_waiting(deskbot, fake, monkeypatch):
    monkeypatch.setattr(deskbot.app.runtime.pipeline, "capacity", 2)
    gate = stuck_storing(deskbot, monkeypatch)
    for n in range(7):  # two wait in memory, five in the inbox
        assert deskbot.driver.event(message_event(deskbot, f"question {n}")).status == 200
    assert gate.entered.wait(timeout=10)
    gate.release.set()
    deskbot.drain()  # no scheduled pull runs in tests: the pipeline refilled itself

    assert kept(deskbot) == [] and len(deskbot.tickets()) == 7
    assert len(fake.messages(TRIAGE)) == 7


def test_storing_waits_while_slack_is_slow_so_the_backlog_stays_in_the_inbox(
    deskbot, fake, monkeypatch
):
    pipeline = deskbot.app.runtime.pipeline
    monkeypatch.setattr(pipeline, "_slack_room", threading.BoundedSemaphore(1))
    gate = Gate(handlers.messages.finish_new_ticket)
    monkeypatch.setattr(handlers.messages, "finish_new_ticket", gate)
    for n in range(6):
        deskbot.driver.event(message_event(deskbot, f"question {n}"))
    assert gate.entered.wait(timeout=10)  # the first card waits on a slow Slack

    # Each storing thread stores one more, then waits for room on the Slack side.
    stored = 1 + pipeline.workers
    assert eventually(lambda: len(deskbot.tickets()) == stored)
    assert len(kept(deskbot)) == 6 - stored  # the rest are still only kept
    gate.release.set()
    deskbot.drain()
    assert len(deskbot.tickets()) == 6 and len(fake.messages(TRIAGE)) == 6


def eventually(check, timeout: float = 10) -> bool:
    """Whether `check` holds within `timeout` seconds of other threads' progress."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
