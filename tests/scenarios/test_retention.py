"""`retention.message_text`: the retention job redacts text past its age, keeps the
numbers, and does each day's text once."""

import logging
from datetime import timedelta

from sqlmodel import select

from bot import jobs
from bot.clock import datetime_to_ts
from store.models import ErasureLog, Message
from tests.conftest import ACME, AGENT, CUSTOMER, HELP
from tests.scenarios.test_intake import reply
from tests.support.harness import RunningBot


def ask_at(bot: RunningBot, clock, text: str) -> str:
    """A customer asks at the clock's time; the question's ts."""
    ts = datetime_to_ts(clock())
    response = bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text, ts=ts)
    assert response.status == 200
    bot.drain()
    return ts


def test_text_past_its_retention_is_redacted_once(start_deskbot, clock, caplog):
    bot = start_deskbot(retention={"message_text": "30d"})
    old = ask_at(bot, clock, "old question about the quokka invoice")
    clock.advance(minutes=5)
    reply(bot, old, AGENT, "the quokka invoice is fixed", ts=datetime_to_ts(clock()))
    clock.advance(days=20)
    ask_at(bot, clock, "new question about kiwi")
    clock.advance(days=15)  # the old ticket is 35 days old, the new one 15
    retention = {job.name: job for job in jobs.job_table(bot.app.runtime)}["retention"]

    with caplog.at_level(logging.INFO, logger="deskbot"):
        retention()
    first, second = bot.ticket(1), bot.ticket(2)
    assert first.subject == "[erased]" and second.subject == "new question about kiwi"
    texts = {m.ts: m.text for m in bot.messages()}
    assert texts[old] == "[erased]" and list(texts.values()).count("[erased]") == 2
    assert "new question about kiwi" in texts.values()
    assert first.first_response_at is not None  # the numbers stay
    cutoff = f"{clock() - timedelta(days=30):%Y-%m-%d}"
    assert [r.getMessage() for r in caplog.records] == [
        f"retention: redacted text written before {cutoff}: 2 messages, 1 ticket_subjects, "
        "1 suggestions"
    ]

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="deskbot"):
        retention()  # the same day again: nothing left, nothing logged
    assert caplog.records == []
    with bot.session() as session:
        runs = session.execute(select(ErasureLog.subject_kind, ErasureLog.operator)).all()
        assert set(runs) == {("retention", "deskbot retention")}
        assert session.execute(select(Message.text).where(Message.ts == old)).scalar_one() == (
            "[erased]"
        )
