"""The leak guard: nothing internal ever reaches a channel shared with a customer."""

import re
from pathlib import Path

from handlers.slack.guard import Audience, LeakGuard
from tests.conftest import AGENT, AGENT2, CUSTOMER, HELP, SHARED_TRIAGE, TRIAGE
from tests.scenarios.test_tickets import open_ticket, reaction, ticket_cmd
from tests.support.harness import MutableClock

ROOT = Path(__file__).resolve().parents[2]


def internal_traffic_into(fake, channel: str) -> list[str]:
    """Everything the bot put in a channel where everybody in it could read it."""
    posted = [m.get("text", "") for m in fake.messages(channel)]
    updated = [
        c.args.get("text", "")
        for c in fake.calls_to("chat.update")
        if c.args.get("channel") == channel
    ]
    return posted + updated


def test_every_internal_kind_through_every_handler_stays_out_of_a_shared_channel(
    start_deskbot, fake
):
    # A misconfiguration: the "triage" channel is shared with the customer's organization.
    # Suggestions and CSAT surveys (customer-facing, allowed there) are off so that
    # anything in the shared channels below is internal; their own tests cover them.
    bot = start_deskbot(
        triage_channel=SHARED_TRIAGE, suggestions={"max": 0}, csat={"enabled": False}
    )
    root = open_ticket(bot, "Our SSO login fails")  # intake: triage card
    reply = bot.driver.message(channel=HELP, user=AGENT, text="Checking", thread_ts=root)
    bot.drain()  # intake: card update
    ticket_cmd(bot, "claim #1", channel=HELP)  # command: claim chatter
    ticket_cmd(bot, "note #1 customer is churning, be nice", channel=HELP)  # internal note
    ticket_cmd(bot, f"assign #1 <@{AGENT2}>", channel=HELP)  # assignment chatter
    ticket_cmd(bot, "priority #1 urgent", channel=HELP)
    ticket_cmd(bot, "show #1", channel=HELP)  # activity: ephemeral only
    bot.driver.action(
        bot.driver.block_action_payload(  # buttons
            "ticket_resolve", "1", user=AGENT, channel=HELP, message_ts=root
        )
    )
    bot.drain()
    reaction(bot, "eyes", AGENT, HELP, root)  # emoji
    reaction(bot, "white_check_mark", AGENT, HELP, reply.ts)

    assert bot.ticket(1).status == "resolved"  # the work itself happened
    assert internal_traffic_into(fake, HELP) == []
    assert internal_traffic_into(fake, SHARED_TRIAGE) == []
    for ephemeral in fake.ephemerals(HELP):
        assert ephemeral["user"] in (AGENT, AGENT2)  # only agents saw internal answers
    assert fake.reactions(HELP, root) == ["ticket"]  # the customer-facing acknowledgement


def test_guard_refuses_internal_posts_to_shared_channels(fake):
    from slack_sdk import WebClient

    guard = LeakGuard(WebClient(token="xoxb-test", base_url=fake.api_url), MutableClock())
    assert guard.post(audience=Audience.INTERNAL, channel=HELP, text="note: churn risk") is None
    assert guard.update(audience=Audience.INTERNAL, channel=HELP, ts="1.1", text="x") is None
    assert fake.calls_to("chat.postMessage") == [] and fake.calls_to("chat.update") == []
    assert guard.post(audience=Audience.INTERNAL, channel=TRIAGE, text="note") is not None
    assert guard.post(audience=Audience.CUSTOMER, channel=HELP, text="We're on it") is not None
    assert len(fake.calls_to("conversations.info")) == 2  # one lookup per channel, cached


def test_guard_fails_closed_when_slack_cannot_say(fake):
    from slack_sdk import WebClient

    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    guard = LeakGuard(client, MutableClock())
    assert guard.post(audience=Audience.INTERNAL, channel="C0UNKNOWN", text="note") is None
    assert fake.calls_to("chat.postMessage") == []
    fake.reset()  # the lookup error above was deliberate


def test_only_the_guard_posts_messages():
    """The choke point is real: no other module calls the posting methods directly."""
    posting = re.compile(r"\.chat_(postMessage|update|postEphemeral)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers")
        for path in (ROOT / folder).rglob("*.py")
        if posting.search(path.read_text()) and path.name != "guard.py"
    ]
    assert offenders == []


def test_customer_org_never_gets_internal_content_even_with_connect_users_as_agents(
    start_deskbot, fake
):
    # Even a Slack Connect user listed as an agent by mistake cannot work tickets.
    bot = start_deskbot(agents=[AGENT, CUSTOMER])
    open_ticket(bot)
    response = bot.driver.command("/ticket", "note #1 secret", user=CUSTOMER, channel=HELP)
    bot.drain()
    assert response.status == 200
    assert "Only support agents" in response.body
    assert bot.ticket(1).triage_ts is not None and len(fake.messages(TRIAGE)) == 1
