"""The leads' daily digest: at the configured local time, once a day, never in a shared channel."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from bot.clock import datetime_to_ts
from bot.daily_digest import DayBreaches, DigestReport
from handlers.blocks.digest import bar, digest_blocks
from store import digest
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, LEADS, SHARED_TRIAGE, TRIAGE
from tests.support.harness import MutableClock, RunningBot

CONFIG = {
    "business_hours": {"timezone": "Europe/Berlin"},
    "sla_policies": [{"name": "standard", "first_response": "1h", "resolution": "4h"}],
    "daily_digest": {"at": "09:00"},
    "suggestions": {"max": 0},
}
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
TUESDAY_0859 = datetime(2026, 11, 24, 7, 59, tzinfo=UTC)  # 08:59 in Berlin


def ask(bot: RunningBot, clock: MutableClock, text: str) -> str:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text, ts=ts)
    bot.drain()
    clock.advance(seconds=1)
    return ts


def reply(bot: RunningBot, clock: MutableClock, thread: str) -> None:
    ts = datetime_to_ts(clock.now)
    bot.driver.message(channel=HELP, user=AGENT, text="On it", thread_ts=thread, ts=ts)
    bot.drain()


def monday(bot: RunningBot, clock: MutableClock) -> None:
    """Three questions: one answered in time and resolved, one answered late, one not."""
    clock.now = MONDAY
    quick = ask(bot, clock, "Login fails")
    slow = ask(bot, clock, "Export is broken")
    ask(bot, clock, "Invoices are missing")
    clock.advance(minutes=10)
    reply(bot, clock, quick)
    bot.driver.command("/ticket", "resolve #1", user=AGENT, channel=TRIAGE)
    bot.drain()
    clock.advance(hours=2)
    reply(bot, clock, slow)


def run(bot: RunningBot):
    return bot.app.runtime.deps.digest.run()


def digests_in(fake, channel: str) -> list[dict]:
    return [
        c.args
        for c in fake.calls_to("chat.postMessage")
        if c.args["channel"] == channel and c.args["text"].startswith("Support digest")
    ]


@pytest.fixture
def bot(start_deskbot) -> RunningBot:
    return start_deskbot(CONFIG)


def test_posted_once_at_the_local_time_with_yesterdays_numbers(bot, fake, clock):
    monday(bot, clock)
    clock.now = TUESDAY_0859
    assert run(bot).sent == 0 and digests_in(fake, LEADS) == []
    clock.advance(minutes=1)  # 09:00 in Berlin
    assert run(bot).sent == 1
    [posted] = digests_in(fake, LEADS)
    assert posted["text"] == (
        "Support digest for Mon 23 Nov: 3 new, 1 resolved, 2 open; first responses 1 in SLA, 1 late"
    )
    table = str(posted["blocks"])
    assert "Mon 23 Nov   2 " in table  # two first-response breaches due Monday
    assert "1 of 2 (50%)" in table
    clock.advance(hours=3)
    assert run(bot).sent == 0
    assert len(digests_in(fake, LEADS)) == 1  # once a day, however often it runs


def test_a_restarted_instance_does_not_post_again(start_deskbot, fake, clock):
    first = start_deskbot(CONFIG)
    clock.now = TUESDAY_0859.replace(hour=12)
    assert run(first).sent == 1
    restarted = start_deskbot(CONFIG)
    assert run(restarted).sent == 0
    clock.now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wednesday 09:00
    assert run(restarted).sent == 1
    assert len(digests_in(fake, LEADS)) == 2


@pytest.mark.parametrize("status", [500, 429])
def test_failed_send_is_retried_later_and_posted_once(bot, fake, clock, status):
    monday(bot, clock)
    clock.now = TUESDAY_0859.replace(minute=0, hour=8)
    fake.fail_next("chat.postMessage", status=status, times=6)  # more than the client retries
    outcome = run(bot)
    assert (outcome.sent, outcome.failed) == (0, 1)
    assert digests_in(fake, LEADS) == []
    assert run(bot).sent == 0  # backing off
    clock.advance(minutes=2)
    assert run(bot).sent == 1
    assert len(digests_in(fake, LEADS)) == 1
    with bot.session() as session:
        [row] = digest.digests(session)
    assert (row.status, row.attempts, row.day) == ("sent", 1, date(2026, 11, 24))


def test_two_instances_post_once(start_deskbot, fake, clock):
    first, second = start_deskbot(CONFIG), start_deskbot(CONFIG)
    clock.now = TUESDAY_0859.replace(hour=9)
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run, [first, second, first, second]))
    assert sum(o.sent for o in outcomes) == 1
    assert len(digests_in(fake, LEADS)) == 1


def test_never_posted_into_a_shared_channel(start_deskbot, fake, clock):
    bot = start_deskbot({**CONFIG, "leads_channel": SHARED_TRIAGE})
    clock.now = TUESDAY_0859.replace(hour=9)
    assert run(bot).sent == 0
    clock.advance(hours=1)
    run(bot)
    assert digests_in(fake, SHARED_TRIAGE) == []
    with bot.session() as session:
        assert [r.status for r in digest.digests(session)] == ["dropped"]


def test_off_without_a_time_or_a_leads_channel(start_deskbot, fake, clock):
    clock.now = TUESDAY_0859.replace(hour=12)
    no_time = start_deskbot({**CONFIG, "daily_digest": {}})
    no_leads = start_deskbot({**CONFIG, "leads_channel": None})
    assert not no_time.app.runtime.deps.digest.enabled
    assert run(no_time).sent == run(no_leads).sent == 0
    assert fake.calls_to("chat.postMessage") == []


def test_blocks_show_a_bar_per_day():
    week = [DayBreaches(date(2026, 11, 17 + n), n, 0) for n in range(7)]
    report = DigestReport(date(2026, 11, 23), "UTC", 4, 3, 2, 0, 0, week)
    table = digest_blocks(report)[2]["text"]["text"]
    assert bar(6, 6) == "█" * 12 and bar(1, 6) == "██" and bar(0, 6) == ""
    assert "Mon 23 Nov   6 ████████████" in table
    assert "Tue 17 Nov   0" in table and "7 days" in table


def test_deskbot_run_schedules_the_digest_only_when_configured(start_deskbot):
    from bot.jobs import start_jobs

    for config, expected in ((CONFIG, True), ({**CONFIG, "daily_digest": {}}, False)):
        bot = start_deskbot(config)
        scheduler = start_jobs(bot.app.runtime, paused=True)
        try:
            assert (scheduler.get_job("daily-digest") is not None) is expected
            assert scheduler.get_job("sla-sweep") is not None
        finally:
            scheduler.shutdown(wait=False)


def test_config_key_is_validated_and_check_config_reports_it(workdir, capsys):
    from bot.cli.main import main
    from bot.config import ConfigError, parse_config

    assert parse_config({"daily_digest": {"at": "08:30"}}).daily_digest.at.hour == 8
    with pytest.raises(ConfigError, match=r"daily_digest\.at"):
        parse_config({"daily_digest": {"at": "25:00"}})
    with pytest.raises(ConfigError, match=r"unknown key 'daily_digest\.when'"):
        parse_config({"daily_digest": {"when": "09:00"}})
    (workdir / "deskbot.yaml").write_text(
        "leads_channel: C0LEADS\ndaily_digest: {at: '09:00'}\n"
        "business_hours: {timezone: Europe/Berlin}\n"
    )
    assert main(["check-config"]) == 0
    assert "daily digest:     09:00 Europe/Berlin to C0LEADS" in capsys.readouterr().out
