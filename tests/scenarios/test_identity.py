"""Identity fails closed: unknown organizations grant nothing, outsiders listed as agents or
leads are refused and never routed to, and shared-channel answers are forgotten on change.

Everything runs over signed HTTP against the fake Slack; `users.info` and
`conversations.info` are made to fail the way Slack does in an outage (5xx after retries).
"""

import logging

from bot import jobs
from bot.cli.main import main
from bot.people import UNKNOWN_TEAM
from handlers.kpi.listeners import NOT_STAFF
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, HELP, HOME, LEAD
from tests.scenarios.test_tickets import answer_text, ticket_cmd
from tests.support.harness import MutableClock

OUTSIDER = "UACMEOPS"  # a Slack Connect person from ACME, listed by mistake
NOBODY = "UGONE"  # a user id Slack does not know
OUTAGE = 4  # more 5xx answers than the client retries: the call fails
QUIET = {"suggestions": {"max": 0}, "csat": {"enabled": False}}


def slack_down(fake, method: str = "users.info") -> None:
    fake.fail_next(method, status=500, times=OUTAGE)


def no_tracebacks(caplog) -> None:
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def test_an_agent_slack_cannot_place_is_refused_until_slack_answers(
    start_deskbot, fake, clock: MutableClock, caplog
):
    bot = start_deskbot()
    slack_down(fake)
    with caplog.at_level(logging.WARNING):
        refused = ticket_cmd(bot, "list", user=AGENT)
    assert "Only support agents" in refused  # unknown organization: not an agent
    no_tracebacks(caplog)
    clock.advance(minutes=2)  # the failure was not remembered: Slack is asked again
    assert "Only support agents" not in ticket_cmd(bot, "list", user=AGENT)


def test_an_outsider_listed_as_agent_stays_refused_after_an_outage(
    start_deskbot, fake, clock: MutableClock
):
    fake.add_user(OUTSIDER, "ops-acme", team_id=ACME)
    bot = start_deskbot(agents=[AGENT, OUTSIDER])
    slack_down(fake)
    assert "Only support agents" in ticket_cmd(bot, "list", user=OUTSIDER)
    clock.advance(minutes=2)
    assert "Only support agents" in ticket_cmd(bot, "list", user=OUTSIDER)  # ACME's, not ours


def test_a_customer_slack_cannot_place_is_kept_then_moved_to_their_organization(
    start_deskbot, fake, clock: MutableClock
):
    bot = start_deskbot(QUIET)
    slack_down(fake)
    # No team in the event (as from some Slack Connect clients): the app must look it up.
    response = bot.driver.message(channel=HELP, user=CUSTOMER, text="Export fails", team=None)
    assert response.status == 200
    bot.drain()
    ticket = bot.ticket(1)  # the message is not lost, and not taken as internal
    assert ticket.customer_team_id == UNKNOWN_TEAM and ticket.is_external
    assert bot.messages()[0].role == "customer"
    triage = bot.app.runtime.deps.desk.triage_channel
    assert "unknown (Slack could not say yet" in str(fake.messages(triage)[0]["blocks"])

    jobs.correct_organizations(bot.app.runtime)  # Slack still failing a moment ago: waits
    assert bot.ticket(1).customer_team_id == UNKNOWN_TEAM
    clock.advance(minutes=2)
    jobs.correct_organizations(bot.app.runtime)
    ticket = bot.ticket(1)
    assert ticket.customer_team_id == ACME and ticket.is_external
    assert bot.messages()[0].user_team_id == ACME
    bot.drain()
    assert "acme (Slack Connect)" in str(fake.messages(triage)[0]["blocks"])  # card too, named
    assert "organization known" in ticket_cmd(bot, "show 1")


def test_a_colleague_slack_could_not_place_is_corrected_to_internal(
    start_deskbot, fake, clock: MutableClock
):
    bot = start_deskbot(QUIET)
    slack_down(fake)
    bot.driver.message(channel=HELP, user="UINT1", text="VPN down", team=None)
    bot.drain()
    assert bot.ticket(1).is_external  # fail closed: a customer until Slack says otherwise
    clock.advance(minutes=2)
    jobs.correct_organizations(bot.app.runtime)
    ticket = bot.ticket(1)
    assert ticket.customer_team_id == HOME and not ticket.is_external


def test_a_slack_connect_person_listed_as_lead_gets_no_kpi(start_deskbot, fake):
    fake.add_user(OUTSIDER, "ops-acme", team_id=ACME)
    bot = start_deskbot(leads=[LEAD, OUTSIDER])
    response = bot.driver.command("/kpi", "", user=OUTSIDER, channel=HELP)
    bot.drain()
    assert response.status == 200
    assert NOT_STAFF in answer_text(response)


def test_a_lead_slack_cannot_place_gets_no_team_numbers(start_deskbot, fake):
    bot = start_deskbot()
    slack_down(fake)
    response = bot.driver.command("/kpi", "", user=LEAD, channel=HELP)
    bot.drain()
    assert NOT_STAFF in answer_text(response)


def test_routing_never_assigns_to_an_outsider_listed_as_agent(start_deskbot, fake):
    fake.add_user(OUTSIDER, "ops-acme", team_id=ACME)
    bot = start_deskbot(
        {**QUIET, "routing": {"mode": "round_robin"}},
        agents=[OUTSIDER, AGENT, AGENT2],
        agents_usergroup=None,
    )
    for text in ("Export fails", "Login loops", "Invoices missing"):
        bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text=text)
        bot.drain()
    assert [t.assignee_id for t in bot.tickets()] == [AGENT, AGENT2, AGENT]
    assert not [c for c in fake.calls_to("conversations.open") if c.args.get("users") == OUTSIDER]


def test_routing_skips_agents_slack_cannot_place(start_deskbot, fake):
    bot = start_deskbot(
        {**QUIET, "routing": {"mode": "round_robin"}}, agents=[AGENT2, AGENT], agents_usergroup=None
    )
    slack_down(fake)  # AGENT2 cannot be placed; AGENT's lookup is the next call and works
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export fails")
    bot.drain()
    assert bot.ticket(1).assignee_id == AGENT


def test_a_channel_that_becomes_shared_gets_no_more_internal_posts(start_deskbot, fake, caplog):
    triage = "C0TRIAGEX"
    fake.add_channel(triage, "triage-x")
    bot = start_deskbot(QUIET, triage_channel=triage)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export fails")
    bot.drain()
    assert len(fake.messages(triage)) == 1  # the card; "not shared" is now cached

    fake.add_channel(triage, "triage-x", is_ext_shared=True)  # ACME joins the channel
    assert bot.driver.channel_sharing(triage, ACME, shared=True).status == 200
    bot.drain()
    with caplog.at_level(logging.WARNING):
        bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Login loops")
        bot.drain()
    assert len(fake.messages(triage)) == 1  # no card for ACME to read
    assert any("refused to post internal content" in r.getMessage() for r in caplog.records)

    fake.add_channel(triage, "triage-x")  # ACME left again
    assert bot.driver.channel_sharing(triage, ACME, shared=False).status == 200
    bot.drain()
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Invoices missing")
    bot.drain()
    assert len(fake.messages(triage)) == 2


def test_a_channel_slack_cannot_describe_is_treated_as_shared_and_asked_again(
    start_deskbot, fake, caplog
):
    triage = "C0TRIAGEY"
    fake.add_channel(triage, "triage-y")
    bot = start_deskbot(QUIET, triage_channel=triage)
    slack_down(fake, "conversations.info")
    with caplog.at_level(logging.WARNING):
        bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export fails")
        bot.drain()
    assert fake.messages(triage) == []  # unknown: no internal post
    no_tracebacks(caplog)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Login loops")
    bot.drain()
    assert len(fake.messages(triage)) == 1  # the failure was not cached


def test_a_channel_event_without_a_channel_is_ignored_without_an_error(deskbot, caplog):
    with caplog.at_level(logging.WARNING):
        response = deskbot.driver.event({"type": "channel_shared", "event_ts": "1.1"})
    assert response.status == 200  # acknowledged, so Slack does not redeliver it
    assert any("malformed channel_shared" in r.getMessage() for r in caplog.records)
    no_tracebacks(caplog)


def test_check_config_warns_about_agents_and_leads_it_cannot_vouch_for(
    workdir, fake, monkeypatch, capsys
):
    fake.add_user(OUTSIDER, "ops-acme", team_id=ACME)
    (workdir / "deskbot.yaml").write_text(
        f"agents: [{AGENT}, {OUTSIDER}]\nleads: [{LEAD}, {NOBODY}]\n"
    )
    assert main(["check-config"]) == 0
    assert "agents and leads: not verified (no SLACK_BOT_TOKEN)" in capsys.readouterr().out

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    warnings = [line.strip() for line in out.splitlines() if "warning:" in line]
    people = [line for line in warnings if "agent " in line or "lead " in line]
    assert people == [
        f"warning: lead {NOBODY}: cannot verify (user_not_found)",
        f"warning: agent {OUTSIDER} is not a member of this workspace ({HOME}) but of {ACME}; "
        "deskbot ignores the listing",
    ]

    (workdir / "deskbot.yaml").write_text(f"agents: [{AGENT}]\nleads: [{LEAD}]\n")
    assert main(["check-config"]) == 0
    assert "agents and leads: all members of this workspace" in capsys.readouterr().out
