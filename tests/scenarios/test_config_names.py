"""Configure by name: `#channel`, `@person` and `@group` in deskbot.yaml, resolved at start
through Slack's directory, kept as IDs afterwards (a rename changes nothing)."""

from collections.abc import Iterator

import pytest

from bot.app import SetupError, create_app
from bot.cli.main import main
from bot.config import parse_config
from fakeslack import FakeSlack
from tests.conftest import (
    ACME,
    AGENT,
    AGENT2,
    CUSTOMER,
    DEFAULT_CONFIG,
    HELP,
    HOME,
    INTERNAL_HELP,
    LEAD,
    LEADS,
    SUPPORT_GROUP,
    TRIAGE,
    make_settings,
    started_fake,
)
from tests.scenarios.test_tickets import ticket_cmd

BY_NAME = {
    "support_channels": ["#help-acme", "#it-help"],
    "triage_channel": "#support-triage",
    "leads_channel": "#Support-Leads",  # case does not matter
    "agents": ["@ana", "@Ben"],
    "agents_usergroup": "@support",
    "leads": ["@lee"],
    "routing": {"mode": "none", "channels": {"#help-acme": {"agents": ["@ana"]}}},
    "sla_policies": [{"name": "acme", "channels": ["#help-acme"], "first_response": "1h"}],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A fake Slack of this test's own: these tests rename and add people and channels."""
    own = started_fake()
    yield own
    own.stop()
    assert own.errors == [], f"invalid Slack API usage: {own.errors}"


def test_names_resolve_to_ids_at_start(start_deskbot, fake):
    bot = start_deskbot(BY_NAME)
    desk = bot.app.runtime.deps.desk
    assert desk.support_channels == [HELP, INTERNAL_HELP]
    assert (desk.triage_channel, desk.leads_channel) == (TRIAGE, LEADS)
    assert (desk.agents, desk.leads, desk.agents_usergroup) == (
        [AGENT, AGENT2],
        [LEAD],
        SUPPORT_GROUP,
    )
    assert desk.routing.pool_for(HELP) == [AGENT]
    assert desk.sla_policies[0].channels == [HELP]
    # Each list was asked for once, with the arguments Slack documents.
    listed = {call.method: call.args for call in fake.calls if call.method.endswith(".list")}
    assert set(listed) == {"conversations.list", "users.list", "usergroups.list"}
    assert listed["conversations.list"]["types"] == "public_channel,private_channel"


def test_an_id_only_config_asks_slack_for_no_list(start_deskbot, fake):
    start_deskbot()
    assert not [call for call in fake.calls if call.method.endswith(".list")]


def test_a_renamed_channel_and_person_keep_working(start_deskbot, fake):
    bot = start_deskbot(BY_NAME)
    fake.add_channel(TRIAGE, "triage-old")  # renamed after start
    fake.add_user(AGENT, "ana-maria", team_id=HOME)
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export fails")
    bot.drain()
    assert len(fake.messages(TRIAGE)) == 1  # the card went to the channel, by its ID
    assert "claimed" in ticket_cmd(bot, "claim 1", user=AGENT).lower()
    assert bot.ticket(1).assignee_id == AGENT


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"triage_channel": "#nope"}, "triage_channel: no channel named #nope in this workspace"),
        ({"agents": [AGENT, "@nobody"]}, "agents.1: no person named @nobody in this workspace"),
        ({"agents_usergroup": "@ghosts"}, "agents_usergroup: no user group named @ghosts"),
        (
            {"agents": ["@sam"]},
            "agents.0: @sam matches 2 people (USAM1 sam, USAM2 sam); write the ID",
        ),
        ({"routing": {"channels": {"#gone": {}}}}, "routing.channels.#gone.[key]: no channel"),
    ],
)
def test_a_name_that_matches_nothing_or_several_stops_the_start(
    start_deskbot, fake, db, config, problem
):
    fake.add_user("USAM1", "sam", team_id=HOME)
    fake.add_user("USAM2", "samuel", team_id=HOME, real_name="Sam")  # display name differs
    fake.workspace.users["USAM2"]["profile"]["display_name"] = "sam"
    settings = make_settings(
        {**DEFAULT_CONFIG, **config}, fake.api_url, db.url.render_as_string(hide_password=False)
    )
    with pytest.raises(SetupError) as raised:
        create_app(settings, engine=db)
    lines = str(raised.value).splitlines()
    assert lines[0] == "deskbot.yaml: names Slack cannot resolve"
    assert len(lines) == 2 and problem in lines[1], lines


def test_deleted_people_bots_and_archived_or_foreign_private_channels_are_not_matched(
    start_deskbot, fake, db
):
    fake.add_user("UGONE", "gone", team_id=HOME, deleted=True)
    fake.add_channel("C0OLD", "old-help", is_archived=True)
    fake.add_channel("G0SECRET", "secret", is_private=True, is_member=False)
    config = {"agents": ["@gone", "@deskbot"], "support_channels": ["#old-help", "#secret"]}
    settings = make_settings(
        {**DEFAULT_CONFIG, **config}, fake.api_url, db.url.render_as_string(hide_password=False)
    )
    with pytest.raises(SetupError) as raised:
        create_app(settings, engine=db)
    problems = str(raised.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in problems] == [
        "support_channels.0",
        "support_channels.1",
        "agents.0",
        "agents.1",
    ]
    assert "a private channel is found only once deskbot is invited" in problems[0]


def test_a_private_channel_the_bot_is_in_resolves(start_deskbot, fake):
    fake.add_channel("G0VIP", "vip-help", is_private=True)
    bot = start_deskbot({"support_channels": ["#vip-help"]})
    assert bot.app.runtime.deps.desk.support_channels == ["G0VIP"]


def _cli_env(monkeypatch, fake: FakeSlack, workdir) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s" * 32)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'deskbot.db'}")


def test_check_config_prints_what_each_name_resolved_to(workdir, fake, monkeypatch, capsys):
    (workdir / "deskbot.yaml").write_text(
        "triage_channel: '#support-triage'\n"
        "agents: ['@ana', UAGENT2]\n"
        "agents_usergroup: '@support'\n"
    )
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert (
        "names:            not resolved (no SLACK_BOT_TOKEN): #support-triage, @ana, @support"
        in out
    )

    _cli_env(monkeypatch, fake, workdir)
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "names:            3 resolved" in out
    assert "    #support-triage -> C0TRIAGE" in out
    assert "    @ana -> UAGENT1\n" in out  # its display name is what was written
    assert "    @support -> S0SUPPORT" in out
    assert "agents and leads: all members of this workspace" in out


def test_check_config_and_run_fail_with_one_line_per_bad_name(workdir, fake, monkeypatch, capsys):
    _cli_env(monkeypatch, fake, workdir)
    (workdir / "deskbot.yaml").write_text(
        "triage_channel: '#triage'\nleads_channel: '#support-leads'\nagents: ['@anna']\n"
    )
    expected = [
        "deskbot: deskbot.yaml: names Slack cannot resolve",
        "  triage_channel: no channel named #triage in this workspace (a private channel is "
        "found only once deskbot is invited to it; an archived one never)",
        "  agents.0: no person named @anna in this workspace (deactivated accounts and bots "
        "are not matched)",
    ]
    assert main(["check-config"]) == 2
    assert capsys.readouterr().err.splitlines() == expected
    assert main(["--log-level", "WARNING", "run", "--port", "0"]) == 2
    assert capsys.readouterr().err.splitlines() == expected


def test_parse_keeps_names_as_written_until_resolved():
    desk = parse_config({"triage_channel": "#support-triage", "agents": ["@Ana Lima"]})
    assert desk.triage_channel == "#support-triage" and desk.agents == ["@Ana Lima"]


def test_check_config_says_in_one_line_when_slack_cannot_be_reached(workdir, monkeypatch, capsys):
    (workdir / "deskbot.yaml").write_text("triage_channel: '#support-triage'\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nobody listens there
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "deskbot: cannot reach Slack at http://127.0.0.1:9/api/ ([Errno 111] Connection "
        "refused); check the network, any proxy (HTTPS_PROXY) and SLACK_API_URL"
    ]
