"""An acknowledged event is a kept event; whatever was cut short after that is finished.

Intake keeps each event in the inbox before Slack gets its 200: when the database cannot
take it the app answers 503 and Slack's redelivery brings it again. Storing it as tickets
and messages and the Slack side (reaction, triage card, suggestions) run after the
acknowledgement; an event whose storing failed stays in the inbox and is taken up again
when its lease runs out, and a ticket left without its card is finished exactly once.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from handlers.messages import finish_unfinished_tickets
from store import tickets
from store.models import HeldChange, InboxEvent, MessageRevision
from tests.conftest import AGENT, HELP, TRIAGE
from tests.scenarios.test_redelivery import message_event


@pytest.fixture(autouse=True)
def _clock_at_slack_time(clock) -> None:
    """Start the clock when the driver's messages are written, as in production."""
    clock.now = datetime.fromtimestamp(1_763_900_000, UTC)


def down(*_args, **_kwargs):
    """What a call to an unreachable database server does."""
    raise OperationalError("INSERT", {}, Exception("server closed the connection"))


def database_down_once(bot, monkeypatch) -> list[str]:
    """Make the inbox's next insert fail as an unreachable server does."""
    inbox = bot.app.runtime.deps.inbox
    real = inbox.keep
    failures: list[str] = []

    def flaky(event, event_id, **kwargs):
        if not failures:
            failures.append(event["ts"])
            down()
        return real(event, event_id, **kwargs)

    monkeypatch.setattr(inbox, "keep", flaky)
    return failures


def edit_event(bot, event: dict, text: str) -> dict:
    """The message_changed event of a customer editing `event` to `text`."""
    edit_ts = bot.driver.next_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": HELP,
        "ts": edit_ts,
        "event_ts": edit_ts,
        "message": {**event, "text": text, "edited": {"user": event["user"], "ts": edit_ts}},
        "previous_message": event,
    }


def kept(bot) -> list[InboxEvent]:
    """The inbox as it stands."""
    with bot.session() as session:
        return list(session.exec(select(InboxEvent).order_by(InboxEvent.id)))


def test_an_event_the_database_cannot_take_is_refused_so_slack_redelivers_it(
    deskbot, fake, monkeypatch
):
    deskbot.allow_listener_errors = True
    failures = database_down_once(deskbot, monkeypatch)
    event = message_event(deskbot, "Exports fail since the upgrade")

    refused = deskbot.driver.event(event, event_id="Ev0DOWN")
    deskbot.drain()
    assert refused.status == 503 and failures == [event["ts"]]
    assert deskbot.tickets() == [] and fake.calls_to("reactions.add") == []

    redelivered = deskbot.driver.event(event, event_id="Ev0DOWN", retry_num=1)
    deskbot.drain()
    assert redelivered.status == 200
    [ticket] = deskbot.tickets()
    assert ticket.subject == "Exports fail since the upgrade"
    assert len(fake.messages(TRIAGE)) == 1 and fake.reactions(HELP, event["ts"]) == ["ticket"]
    assert kept(deskbot) == []  # stored, so no longer kept


def test_an_event_kept_but_not_stored_is_taken_up_once_its_lease_runs_out(
    start_deskbot, fake, clock, monkeypatch
):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    deps = bot.app.runtime.deps
    monkeypatch.setattr(deps.intake, "receive_message", down)  # the outage begins after the ack
    event = message_event(bot, "Exports fail since the upgrade")
    assert bot.driver.event(event, event_id="Ev0LATE").status == 200
    assert bot.driver.event(event, event_id="Ev0LATE", retry_num=1).status == 200
    bot.drain()
    assert bot.tickets() == [] and [row.event_key for row in kept(bot)] == ["Ev0LATE"]

    monkeypatch.undo()  # the database is back
    clock.advance(seconds=30)
    assert bot.app.runtime.pull_inbox() == 0  # still leased to the listener that failed
    clock.advance(minutes=2)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two pulls at once: one takes it
        taken = sorted(pool.map(lambda _: bot.app.runtime.pull_inbox(), range(2)))
    bot.drain()

    assert taken == [0, 1] and kept(bot) == []
    [ticket] = bot.tickets()
    assert ticket.subject == "Exports fail since the upgrade"
    assert len(fake.messages(TRIAGE)) == 1 and fake.reactions(HELP, event["ts"]) == ["ticket"]


def test_an_event_that_keeps_failing_is_set_aside_not_lost(start_deskbot, clock, monkeypatch):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    deps = bot.app.runtime.deps
    monkeypatch.setattr(deps.intake, "receive_message", down)
    bot.driver.event(message_event(bot, "Poisoned question"), event_id="Ev0BAD")
    bot.drain()
    for _ in range(deps.inbox.max_attempts):
        clock.advance(minutes=6)
        assert bot.app.runtime.pull_inbox() == 1
        bot.drain()
    [row] = kept(bot)
    assert row.failed_at is not None and row.attempts == deps.inbox.max_attempts
    assert row.payload["event"]["text"] == "Poisoned question"
    clock.advance(minutes=6)
    assert bot.app.runtime.pull_inbox() == 0 and kept(bot)[0].attempts == row.attempts
    assert deps.inbox.waiting() == 0  # set aside: not counted as waiting


def test_noise_is_acknowledged_without_being_kept(deskbot):
    join = {**message_event(deskbot, "<@U1> has joined"), "subtype": "channel_join"}
    bot_post = {**message_event(deskbot, "build passed"), "bot_id": "B0CI"}
    elsewhere = {**message_event(deskbot, "lunch?"), "channel": "C0RANDOM"}
    for event in (join, bot_post, elsewhere):
        assert deskbot.driver.event(event).status == 200
    deskbot.drain()
    assert kept(deskbot) == [] and deskbot.tickets() == []


def test_a_ticket_whose_card_never_posted_is_finished_once(start_deskbot, fake, clock):
    bot = start_deskbot()
    bot.allow_listener_errors = True  # the card's post fails after every retry
    fake.fail_next("chat.postMessage", status=500, times=4)
    event = message_event(bot, "SSO login loops")
    assert bot.driver.event(event).status == 200
    bot.drain()
    assert bot.ticket(1).triage_ts is None and fake.messages(TRIAGE) == []

    deps, client = bot.app.runtime.deps, bot.app.client
    clock.now = bot.ticket(1).created_at + timedelta(seconds=30)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0  # too soon: in flight
    clock.advance(minutes=3)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two pulls at once: one takes it
        finished = list(
            pool.map(lambda _: finish_unfinished_tickets(deps, client, now=clock()), range(2))
        )
    bot.drain()

    assert sorted(finished) == [0, 1]
    [card] = fake.messages(TRIAGE)
    assert "#1" in card["text"] and bot.ticket(1).triage_ts == card["ts"]
    assert fake.reactions(HELP, event["ts"]) == ["ticket"]
    clock.advance(minutes=10)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0  # done for good
    assert len(fake.messages(TRIAGE)) == 1


def test_too_old_or_resolved_tickets_are_left_alone(start_deskbot, fake, clock):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    fake.fail_next("chat.postMessage", status=500, times=8)
    bot.driver.event(message_event(bot, "first question"))
    bot.driver.event(message_event(bot, "second question"))
    bot.drain()
    deps, client = bot.app.runtime.deps, bot.app.client
    deps.workflow.resolve(workspace_id="T0HOME", number=2, actor_id="UAGENT1")

    clock.now = bot.ticket(1).created_at + timedelta(days=2)  # too old to announce now
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0
    clock.now = bot.ticket(1).created_at + timedelta(minutes=3)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 1
    bot.drain()
    assert ["#1" in card["text"] for card in fake.messages(TRIAGE)] == [True]  # not #2


def test_an_edit_delivered_before_its_message_is_applied_when_it_arrives(deskbot, fake):
    event = message_event(deskbot, "Exports fail")
    change = edit_event(deskbot, event, "Exports fail for every CSV since Monday")
    assert deskbot.driver.event(change).status == 200  # the edit overtakes the message
    assert deskbot.driver.event(event).status == 200
    deskbot.drain()

    [message] = [m for m in deskbot.messages() if m.ts == event["ts"]]
    assert message.text == "Exports fail for every CSV since Monday"
    assert deskbot.ticket(1).subject.startswith("Exports fail for every CSV")
    with deskbot.session() as session:
        [revision] = session.exec(
            select(MessageRevision).where(MessageRevision.message_id == message.id)
        ).all()
        assert revision.text == "Exports fail" and revision.kind == "edit"
        assert session.exec(select(HeldChange)).all() == []  # nothing left waiting


def test_a_reply_deleted_before_it_arrived_is_stored_as_deleted(deskbot, fake):
    root = message_event(deskbot, "Invoices are blank")
    deskbot.driver.event(root)
    reply_ts = deskbot.driver.next_ts()
    reply = {**message_event(deskbot, "oops, wrong thread"), "ts": reply_ts, "event_ts": reply_ts}
    reply["thread_ts"] = root["ts"]
    gone_ts = deskbot.driver.next_ts()
    deletion = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": HELP,
        "ts": gone_ts,
        "event_ts": gone_ts,
        "deleted_ts": reply_ts,
        "previous_message": reply,
    }
    deskbot.driver.event(deletion)
    deskbot.driver.event(reply)
    deskbot.drain()

    [stored] = [m for m in deskbot.messages() if m.ts == reply_ts]
    assert stored.deleted_at is not None and stored.text == "oops, wrong thread"


def test_a_card_posted_but_never_recorded_is_adopted_not_posted_again(
    start_deskbot, fake, clock, monkeypatch
):
    bot = start_deskbot()
    bot.allow_listener_errors = True  # the crash: the card is posted, recording it fails
    deps, client = bot.app.runtime.deps, bot.app.client
    real_attach = deps.intake.attach_card

    def crash(**kwargs):
        raise OperationalError("UPDATE ticket", {}, Exception("server closed the connection"))

    monkeypatch.setattr(deps.intake, "attach_card", crash)
    bot.driver.event(message_event(bot, "Webhooks arrive late"))
    bot.drain()
    assert len(fake.messages(TRIAGE)) == 1 and bot.ticket(1).triage_ts is None

    monkeypatch.setattr(deps.intake, "attach_card", real_attach)
    clock.now = bot.ticket(1).created_at + timedelta(minutes=3)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 1
    bot.drain()
    [card] = fake.messages(TRIAGE)  # still one card
    assert bot.ticket(1).triage_ts == card["ts"]


def test_a_card_posted_while_the_database_restarts_is_recorded_when_it_is_back(
    deskbot, fake, monkeypatch
):
    deps = deskbot.app.runtime.deps
    pauses: list[float] = []
    monkeypatch.setattr(deps.intake, "pause", pauses.append)
    real = tickets.set_triage_card
    refused: list[int] = []

    def restarting(session, **kwargs):
        if len(refused) < 3:  # the server is restarting for the first three tries
            refused.append(kwargs["ticket_id"])
            down()
        return real(session, **kwargs)

    monkeypatch.setattr(tickets, "set_triage_card", restarting)
    deskbot.driver.event(message_event(deskbot, "Webhooks arrive late"))
    deskbot.drain()

    assert pauses == [0.25, 0.5, 1.0] and refused == [1, 1, 1]
    [card] = fake.messages(TRIAGE)
    assert deskbot.ticket(1).triage_ts == card["ts"]  # recorded: no finisher posts it again


def test_edits_racing_their_messages_are_always_applied(deskbot, fake):
    pairs = []
    for n in range(8):
        event = message_event(deskbot, f"question {n} about exports")
        change = edit_event(deskbot, event, f"question {n} about exports, edited")
        pairs += [event, change]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = {response.status for response in pool.map(deskbot.driver.event, pairs)}
    assert statuses == {200}
    deskbot.drain()
    texts = sorted(m.text for m in deskbot.messages())
    assert texts == sorted(f"question {n} about exports, edited" for n in range(8))


def test_a_ticket_stored_late_gets_its_card_from_the_replica_that_stored_it(
    start_deskbot, fake, clock, monkeypatch
):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    deps, client = bot.app.runtime.deps, bot.app.client
    monkeypatch.setattr(deps.intake, "receive_message", down)
    bot.driver.event(message_event(bot, "Exports fail since the upgrade"))
    bot.drain()
    monkeypatch.undo()
    clock.advance(minutes=3)  # the event is replayed long after the customer wrote it
    fake.fail_next("chat.postMessage", status=500, times=4)  # and its card is slow to post
    assert bot.app.runtime.pull_inbox() == 1
    bot.drain()
    assert bot.ticket(1).triage_ts is None

    # The finisher leaves it to the replica that stored it until that replica's lease ends.
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0
    clock.advance(minutes=2, seconds=1)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 1
    bot.drain()
    assert len(fake.messages(TRIAGE)) == 1


def test_commands_answer_at_once_while_a_burst_of_messages_is_being_stored(deskbot, monkeypatch):
    deps = deskbot.app.runtime.deps
    real = deps.intake.receive_message
    release = threading.Event()

    def stuck(incoming, **kwargs):  # the database is slow: storing waits
        release.wait(timeout=10)
        return real(incoming, **kwargs)

    monkeypatch.setattr(deps.intake, "receive_message", stuck)
    for n in range(12):  # more than the listener threads
        assert deskbot.driver.event(message_event(deskbot, f"question {n}")).status == 200
    answer = deskbot.driver.command("/ticket", "help", user=AGENT, channel=TRIAGE)
    release.set()
    deskbot.drain()

    assert answer.status == 200 and "/ticket" in answer.body  # answered, not timed out
    assert len(deskbot.tickets()) == 12


def test_a_welcome_the_finisher_could_not_post_is_tried_again_next_sweep(
    start_deskbot, fake, clock
):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    deps, client = bot.app.runtime.deps, bot.app.client
    fake.fail_next("chat.postMessage", status=500, times=4)  # the welcome's card fails
    bot.driver.event(message_event(bot, "Exports fail since the upgrade"))
    bot.drain()
    assert bot.ticket(1).triage_ts is None

    clock.advance(minutes=3)
    fake.fail_next("chat.postMessage", status=500, times=4)  # and so does the finisher's
    assert finish_unfinished_tickets(deps, client, now=clock()) == 0
    assert finish_unfinished_tickets(deps, client, now=clock()) == 1  # not five minutes later
    bot.drain()
    [card] = fake.messages(TRIAGE)
    assert bot.ticket(1).triage_ts == card["ts"]


def test_a_card_never_recorded_is_found_behind_thousands_of_later_messages(
    start_deskbot, fake, clock, monkeypatch
):
    bot = start_deskbot()
    bot.allow_listener_errors = True
    deps, client = bot.app.runtime.deps, bot.app.client
    monkeypatch.setattr(deps.intake, "attach_card", down)  # crashed before recording it
    bot.driver.event(message_event(bot, "Webhooks arrive late"))
    bot.drain()
    [card] = fake.messages(TRIAGE)
    for n in range(2500):  # a busy triage channel: more than a few pages since the card
        fake.seed_message(TRIAGE, f"{float(card['ts']) + (n + 1) / 1000:.6f}", AGENT, f"note {n}")

    monkeypatch.undo()
    clock.now = bot.ticket(1).created_at + timedelta(minutes=3)
    assert finish_unfinished_tickets(deps, client, now=clock()) == 1
    bot.drain()
    assert bot.ticket(1).triage_ts == card["ts"]
    assert [m["ts"] for m in fake.messages(TRIAGE) if m.get("metadata")] == [card["ts"]]
