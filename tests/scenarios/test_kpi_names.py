"""Names, not ids: the card, `/kpi`, the export and `deskbot kpi` show the organization,
the agent and the channel as people call them, remembered from Slack for the offline CLI."""

import csv
import io
import logging
from datetime import datetime, timedelta

import pytest

from bot.cli.main import main
from bot.clock import datetime_to_ts
from store import names
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, LEAD, TRIAGE
from tests.support.harness import RunningBot


def ask_and_claim(bot: RunningBot, now: datetime) -> None:
    """A customer at Acme asks in the shared channel (now); Ana claims the ticket."""
    ts = datetime_to_ts(now)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="P&L export fails", ts=ts)
    bot.drain()
    bot.driver.command("/ticket", "claim #1", user=AGENT, channel=TRIAGE)
    bot.drain()


def test_the_triage_card_names_the_organization(start_deskbot, fake, clock):
    bot = start_deskbot()
    ask_and_claim(bot, clock.now)
    card = str(fake.messages(TRIAGE)[0]["blocks"])
    assert "*Organization*\\nacme (Slack Connect)" in card and ACME not in card


def test_names_are_remembered_for_kpis_exports_and_the_cli(
    start_deskbot, fake, db, clock, monkeypatch: pytest.MonkeyPatch, capsys
):
    bot = start_deskbot()
    bot.driver.response_url_base = fake.response_url_base
    ask_and_claim(bot, clock.now)
    with bot.session() as session:
        assert names.known_names(session, kind=names.ORG) == {ACME: "acme"}
        assert names.known_names(session, kind=names.USER)[AGENT] == "ana"
        assert names.known_names(session, kind=names.CHANNEL) == {HELP: "#help-acme"}

    bot.driver.command("/kpi", "orgs today", user=LEAD, channel=TRIAGE)
    bot.drain()
    assert "*acme* —" in str(fake.responded[-1]["body"]["blocks"])
    bot.driver.command("/kpi", "export today", user=LEAD, channel=TRIAGE)
    bot.drain()
    (row,) = csv.DictReader(io.StringIO(fake.files[-1].content.decode("utf-8")))
    assert (row["subject"], row["org"], row["org_id"]) == ("P&L export fails", "acme", ACME)
    assert (row["channel"], row["channel_id"]) == ("#help-acme", HELP)
    assert (row["assignee"], row["assignee_id"]) == ("ana", AGENT)

    # The CLI has no Slack client: it reads what the bot remembered.
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    days = [(clock.now + timedelta(days=d)).date().isoformat() for d in (-1, 1)]
    argv = ["kpi", "agents", "--since", days[0], "--until", days[1]]
    assert main(["--log-level", "WARNING", *argv]) == 0
    out = capsys.readouterr().out
    assert "ana" in out and AGENT not in out


def test_a_name_slack_will_not_give_is_one_warning_line(start_deskbot, fake, caplog):
    bot = start_deskbot()
    with caplog.at_level(logging.WARNING):
        bot.driver.message(channel=HELP, user="UPARTNER", team="T0UNKNOWN", text="Help please")
        bot.drain()
    card = str(fake.messages(TRIAGE)[-1]["blocks"])
    assert "`T0UNKNOWN` (Slack Connect)" in card
    failed = [r for r in caplog.records if "team.info" in r.getMessage()]
    assert len(failed) == 1 and failed[0].levelno == logging.WARNING
    assert failed[0].exc_info is None and "team_not_found" in failed[0].getMessage()
