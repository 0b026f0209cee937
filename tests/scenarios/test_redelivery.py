"""Slack redelivers and races: the same message never makes a second ticket or message."""

import time
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import ACME, CUSTOMER, HELP, HOME, TRIAGE
from tests.support.harness import RunningBot


def message_event(bot: RunningBot, text: str = "Billing page is blank", **extra: object) -> dict:
    """A customer's top-level message event."""
    ts = bot.driver.next_ts()
    return {
        "type": "message",
        "channel": HELP,
        "user": CUSTOMER,
        "team": ACME,
        "user_team": ACME,
        "source_team": ACME,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        **extra,
    }


def test_same_event_id_delivered_again_is_ignored(deskbot, fake):
    event = message_event(deskbot)
    assert deskbot.driver.event(event, event_id="Ev0AAA").status == 200
    assert deskbot.driver.event(event, event_id="Ev0AAA", retry_num=1).status == 200
    assert deskbot.driver.event(event, event_id="Ev0AAA", retry_num=2).status == 200
    deskbot.drain()
    assert len(deskbot.tickets()) == 1 and len(deskbot.messages()) == 1
    assert len(fake.messages(TRIAGE)) == 1  # one triage card
    assert len(fake.messages(HELP)) <= 1  # at most one suggestion
    assert len(fake.calls_to("reactions.add")) == 1


def test_same_channel_and_ts_under_a_new_event_id_is_ignored(deskbot, fake):
    event = message_event(deskbot)
    deskbot.driver.event(event, event_id="Ev0ONE")
    deskbot.driver.event(event, event_id="Ev0TWO")
    deskbot.drain()
    assert len(deskbot.tickets()) == 1 and len(deskbot.messages()) == 1
    assert len(fake.messages(TRIAGE)) == 1


def test_parallel_redeliveries_race_to_one_ticket(deskbot, fake):
    events = [message_event(deskbot, f"question {n}") for n in range(5)]
    deliveries = [(event, f"Ev0R{n}", copy) for n, event in enumerate(events) for copy in range(4)]

    def deliver(delivery: tuple[dict, str, int]) -> int:
        event, event_id, copy = delivery
        # half the copies reuse the event id, half arrive under a fresh one
        return deskbot.driver.event(
            event, event_id=event_id if copy % 2 else f"{event_id}x{copy}"
        ).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, deliveries))
    deskbot.drain()

    assert set(statuses) == {200}
    tickets = deskbot.tickets()
    assert [t.number for t in tickets] == [1, 2, 3, 4, 5]  # no gaps, no duplicates
    assert sorted(t.subject for t in tickets) == [f"question {n}" for n in range(5)]
    assert len(deskbot.messages()) == 5
    assert len(fake.messages(TRIAGE)) == 5
    assert len(fake.calls_to("reactions.add")) == 5


def test_parallel_distinct_questions_get_distinct_numbers(deskbot):
    events = [message_event(deskbot, f"q{n}") for n in range(20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(deskbot.driver.event, events))
    deskbot.drain()
    assert sorted(t.number for t in deskbot.tickets()) == list(range(1, 21))


def test_bad_signature_is_rejected_and_nothing_stored(deskbot):
    body = b'{"type":"event_callback","event_id":"Ev0BAD","team_id":"T0HOME","event":{}}'
    headers = deskbot.driver.sign(body, int(time.time()))
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    assert deskbot.driver.post_raw(body, headers).status == 401
    unsigned = {"Content-Type": "application/json"}
    assert deskbot.driver.post_raw(body, unsigned).status == 401
    deskbot.drain()
    assert deskbot.tickets() == [] and deskbot.messages() == []


def test_stale_timestamp_is_rejected_and_nothing_stored(deskbot):
    event = message_event(deskbot)
    import json

    body = json.dumps(
        {"type": "event_callback", "team_id": HOME, "event_id": "Ev0OLD", "event": event}
    ).encode()
    headers = deskbot.driver.sign(body, int(time.time()) - 6 * 60)
    headers["Content-Type"] = "application/json"
    assert deskbot.driver.post_raw(body, headers).status == 401
    deskbot.drain()
    assert deskbot.tickets() == []


def test_rate_limited_calls_wait_for_retry_after_then_succeed(deskbot, fake):
    fake.fail_next("reactions.add", status=429, times=2, retry_after=7)
    fake.fail_next("chat.postMessage", status=500, times=1)
    ts = message_event(deskbot)["ts"]
    deskbot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="slow day", ts=ts)
    deskbot.drain()

    assert fake.reactions(HELP, ts) == ["ticket"]
    attempts = [c.status for c in fake.calls if c.method == "reactions.add"]
    assert attempts == [429, 429, 200]
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [500, 200]
    assert deskbot.sleeps[:2] == [7, 7]  # honoured Retry-After, through the injected sleep
    assert len(fake.messages(TRIAGE)) == 1
    assert deskbot.ticket(1).triage_ts is not None


def test_old_event_ids_are_pruned_but_recent_ones_still_deduplicate(deskbot, clock):

    old = message_event(deskbot, "old question")
    deskbot.driver.event(old, event_id="Ev0OLD1")
    deskbot.drain()
    clock.advance(days=3)
    recent = message_event(deskbot, "recent question")
    deskbot.driver.event(recent, event_id="Ev0NEW1")
    deskbot.drain()
    assert deskbot.app.runtime.deps.intake.prune_event_keys() == 1
    deskbot.driver.event(recent, event_id="Ev0NEW1", retry_num=1)
    deskbot.driver.event(old, event_id="Ev0OLD1", retry_num=9)  # channel+ts still unique
    deskbot.drain()
    assert len(deskbot.tickets()) == 2 and len(deskbot.messages()) == 2
