"""The SLA sweep: nudges before a breach, alerts after, digests, exactly once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from bot.clock import datetime_to_ts
from bot.sla import sweeper
from fakeslack.faults import DROP
from store import sla
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, LEADS, SHARED_TRIAGE, TRIAGE
from tests.support.harness import MutableClock, RunningBot

CONFIG = {
    "sla_policies": [
        {"name": "standard", "first_response": "1h", "resolution": "1d"},
    ],
    "nudges": {"warn_at": 0.75, "escalate_after": ["2h"]},
    "suggestions": {"max": 0},
}


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(CONFIG)


def ask_now(bot: RunningBot, clock: MutableClock, text: str) -> str:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text, ts=ts)
    bot.drain()
    clock.advance(seconds=1)  # the next question gets its own Slack timestamp
    return ts


def sweep(bot: RunningBot):
    return bot.app.runtime.deps.sweeper.sweep()


def posts_to(fake, channel: str) -> list[str]:
    """SLA digests posted to a channel or DM."""
    return [
        c.args["text"]
        for c in fake.calls_to("chat.postMessage")
        if c.args["channel"] == channel and c.args["text"].startswith("*SLA")
    ]


def test_warning_goes_to_the_assignee_then_breach_to_leads_once(bot, fake, clock):
    ask_now(bot, clock, "Cannot log in")
    bot.driver.command("/ticket", "claim #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    clock.advance(minutes=30)
    assert sweep(bot).planned == 0

    clock.advance(minutes=16)  # 46 of 60 minutes: past 75%
    report = sweep(bot)
    assert (report.planned, report.sent) == (1, 1)
    [warning] = posts_to(fake, AGENT)
    assert "#1" in warning and "first response due in 13m" in warning
    assert sweep(bot).planned == 0 and len(posts_to(fake, AGENT)) == 1  # never twice

    clock.advance(minutes=20)  # breached 6 minutes ago
    sweep(bot)
    [alert] = posts_to(fake, LEADS)
    assert "first response target missed 6m ago" in alert
    clock.advance(hours=2)
    sweep(bot)
    escalation = posts_to(fake, LEADS)[-1]
    assert "first response still missed after 2h 6m, 2nd alert" in escalation
    assert "escalate1" not in escalation  # the level's internal name
    sweep(bot)
    assert len(posts_to(fake, LEADS)) == 2


def test_unassigned_warning_goes_to_triage_and_answered_tickets_stay_quiet(bot, fake, clock):
    root = ask_now(bot, clock, "Export is broken")
    ask_now(bot, clock, "Invoices missing")
    clock.advance(minutes=10)
    bot.driver.message(
        channel=HELP, user=AGENT, text="Looking", thread_ts=root, ts=datetime_to_ts(clock.now)
    )
    bot.drain()
    clock.advance(minutes=40)
    sweep(bot)
    [warning] = posts_to(fake, TRIAGE)
    assert "#2" in warning and "#1" not in warning  # #1 got its first response


def test_several_breaches_become_one_digest(bot, fake, clock):
    for question in ("A is down", "B is down", "C is down"):
        ask_now(bot, clock, question)
    clock.advance(hours=2)
    sweep(bot)
    [digest] = posts_to(fake, LEADS)
    assert "3 tickets need attention" in digest
    assert all(f"#{n}" in digest for n in (1, 2, 3))
    assert "due in" not in digest  # no stale warnings after the breach


def test_digest_counts_tickets_and_says_just_now(start_deskbot, fake, clock):
    bot = start_deskbot(
        {**CONFIG, "sla_policies": [{"name": "s", "first_response": "1h", "resolution": "1h"}]}
    )
    ask_now(bot, clock, "Everything is down")
    clock.advance(seconds=3599)  # both targets due at the same moment: missed just now
    sweep(bot)
    [digest] = posts_to(fake, LEADS)
    assert "SLA: 1 ticket needs attention" in digest  # one ticket, two late targets
    assert "first response target missed just now" in digest
    assert "resolution target missed just now" in digest and "0m ago" not in digest


def test_failed_send_is_retried_later_and_sent_once(bot, fake, clock):
    ask_now(bot, clock, "Down again")
    clock.advance(hours=2)
    fake.fail_next("chat.postMessage", status=500, times=4)  # more than the client retries
    report = sweep(bot)
    assert (report.sent, report.failed) == (0, 1)
    assert sweep(bot).sent == 0  # backing off
    clock.advance(minutes=5)
    assert sweep(bot).sent == 1
    assert len(posts_to(fake, LEADS)) == 1


def test_digest_whose_answer_was_lost_is_retried_later(bot, fake, clock):
    ask_now(bot, clock, "Down again")
    bot.driver.command("/ticket", "claim #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    clock.advance(minutes=46)  # a warning for the assignee is due
    fake.fail_next("chat.postMessage", status=DROP)  # closed unanswered: may have been posted
    report = sweep(bot)
    assert (report.sent, report.failed) == (0, 1)  # not sent twice at once, not lost
    clock.advance(minutes=5)
    assert sweep(bot).sent == 1
    assert len(posts_to(fake, AGENT)) == 1


def test_pending_tickets_are_not_nagged(bot, fake, clock):
    ask_now(bot, clock, "Need a report")
    bot.driver.command("/ticket", "pending #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    clock.advance(hours=3)
    sweep(bot)
    assert posts_to(fake, LEADS) == [] and posts_to(fake, TRIAGE) == []


def test_sla_alerts_never_reach_a_shared_channel(start_deskbot, fake, clock):
    bot = start_deskbot({**CONFIG, "leads_channel": SHARED_TRIAGE, "triage_channel": SHARED_TRIAGE})
    ask_now(bot, clock, "Down")
    clock.advance(hours=2)
    sweep(bot)
    assert posts_to(fake, SHARED_TRIAGE) == []
    with Session(bot.engine) as session:
        assert {n.status for n in sla.notifications(session)} == {"dropped"}


def test_two_app_instances_sweeping_together_alert_once(start_deskbot, fake, clock):
    first, second = start_deskbot(CONFIG), start_deskbot(CONFIG)
    for n in range(12):
        ask_now(first, clock, f"Outage {n}")
    clock.advance(hours=2)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(sweep, [first, second, first, second]))
    assert sum(r.planned for r in reports) == 12
    assert sum(r.sent for r in reports) == 12
    alerted = [n for text in posts_to(fake, LEADS) for n in range(1, 13) if f"*#{n}*" in text]
    assert sorted(alerted) == list(range(1, 13))


def test_one_sweep_plans_every_batch_and_cuts_long_digests(bot, fake, clock, monkeypatch):
    monkeypatch.setattr(sweeper, "PLAN_BATCH", 5)  # 12 due tickets: three batches
    monkeypatch.setattr(sweeper, "DIGEST_LINES", 4)
    for n in range(12):
        ask_now(bot, clock, f"Outage {n}")
    clock.advance(hours=2)
    report = sweep(bot)
    assert (report.planned, report.sent) == (12, 12)
    [digest] = posts_to(fake, LEADS)
    assert "12 tickets need attention" in digest
    assert digest.count(":rotating_light:") == 4 and "…and 8 more" in digest
    assert sweep(bot).planned == 0
