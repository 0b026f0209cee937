"""Intake over real HTTP: questions become tickets, replies and edits follow, nothing twice."""

from datetime import UTC, datetime

from sqlmodel import select

from bot.clock import ts_to_datetime
from store.models import Activity, MessageRevision, TicketStatus
from tests.conftest import (
    ACME,
    AGENT,
    COLLEAGUE,
    CUSTOMER,
    GROUP_AGENT,
    HELP,
    HOME,
    INTERNAL_HELP,
    RANDOM,
    TRIAGE,
)
from tests.support.harness import RunningBot


def ask(bot: RunningBot, text: str = "Export to CSV fails with a 500", **kwargs: object) -> str:
    """A customer asks a question at the top of the shared help channel; returns its ts."""
    params: dict[str, object] = {"channel": HELP, "user": CUSTOMER, "team": ACME, **kwargs}
    response = bot.driver.message(text=text, **params)
    assert response.status == 200
    bot.drain()
    assert response.ts is not None
    return response.ts


def reply(bot: RunningBot, root_ts: str, user: str, text: str, team: str = HOME, **kwargs: object):
    """Someone replies in a ticket's thread."""
    response = bot.driver.message(
        channel=kwargs.pop("channel", HELP),
        user=user,
        team=team,
        text=text,
        thread_ts=root_ts,
        **kwargs,
    )
    assert response.status == 200
    bot.drain()
    return response


def mark_resolved(bot: RunningBot, number: int) -> None:
    """Resolve a ticket directly in the database (the agent commands are tested elsewhere)."""
    with bot.session() as session:
        ticket = bot.ticket(number)
        ticket.status = TicketStatus.RESOLVED
        ticket.resolved_at = datetime(2020, 1, 1, tzinfo=UTC)
        session.add(ticket)
        session.commit()


def test_customer_question_becomes_ticket_with_reaction_and_triage_card(deskbot, fake):
    ts = ask(deskbot, "Export to CSV fails with a 500 since this morning")

    [ticket] = deskbot.tickets()
    assert ticket.number == 1
    assert ticket.status == TicketStatus.NEW
    assert ticket.channel_id == HELP and ticket.root_ts == ts
    assert ticket.customer_id == CUSTOMER
    assert ticket.subject == "Export to CSV fails with a 500 since this morning"
    assert ticket.created_at == ts_to_datetime(ts)

    assert fake.reactions(HELP, ts) == ["ticket"]
    [card] = fake.messages(TRIAGE)
    rendered = str(card["blocks"])
    assert "#1" in rendered
    assert f"<@{CUSTOMER}>" in rendered and f"<#{HELP}>" in rendered
    permalink = f"https://home.slack.com/archives/{HELP}/p{ts.replace('.', '')}"
    assert permalink in rendered
    assert ticket.permalink == permalink
    assert ticket.triage_channel_id == TRIAGE and ticket.triage_ts == card["ts"]


def test_tickets_are_numbered_per_workspace(deskbot, fake):
    for question in ("first", "second", "third"):
        ask(deskbot, question)
    assert [t.number for t in deskbot.tickets()] == [1, 2, 3]
    assert "#3" in str(fake.messages(TRIAGE)[-1]["blocks"])


def test_configured_acknowledgement_reaction(start_deskbot, fake):
    bot = start_deskbot(intake={"reaction": "eyes"})
    ts = ask(bot)
    assert fake.reactions(HELP, ts) == ["eyes"]


def test_slack_connect_customer_organization_is_stored(deskbot):
    ask(deskbot)
    ticket = deskbot.ticket(1)
    assert ticket.customer_team_id == ACME
    assert ticket.is_external is True


def test_internal_requester_organization_comes_from_users_info(deskbot, fake):
    response = deskbot.driver.message(
        channel=INTERNAL_HELP, user=COLLEAGUE, text="VPN down", team=None
    )
    assert response.status == 200
    deskbot.drain()
    ticket = deskbot.ticket(1)
    assert ticket.customer_team_id == HOME and ticket.is_external is False
    assert [call.args.get("user") for call in fake.calls_to("users.info")] == [COLLEAGUE]


def test_first_agent_reply_sets_first_response_from_slack_timestamp(deskbot, fake):
    root = ask(deskbot)
    reply(deskbot, root, CUSTOMER, "any news?", team=ACME)
    assert deskbot.ticket(1).first_response_at is None

    agent_reply = reply(deskbot, root, AGENT, "Looking into it now")
    reply(deskbot, root, AGENT, "Found it, deploying a fix")

    ticket = deskbot.ticket(1)
    assert ticket.first_response_at == ts_to_datetime(agent_reply.ts)
    assert ticket.first_responder_id == AGENT
    assert len(deskbot.messages()) == 4
    assert "after " in str(fake.messages(TRIAGE)[0]["blocks"])  # card updated in place


def test_agent_from_usergroup_counts_for_first_response(deskbot):
    root = ask(deskbot)
    agent_reply = reply(deskbot, root, GROUP_AGENT, "On it")
    assert deskbot.ticket(1).first_response_at == ts_to_datetime(agent_reply.ts)


def test_bot_replies_never_count_as_first_response(deskbot):
    root = ask(deskbot)
    reply(deskbot, root, "UOTHERBOT", "Automated: we received your message", bot_id="B0OTHER")
    assert deskbot.ticket(1).first_response_at is None
    assert len(deskbot.messages()) == 1


def test_customer_reply_reopens_resolved_ticket(deskbot, fake):
    root = ask(deskbot)
    mark_resolved(deskbot, 1)

    reply(deskbot, root, CUSTOMER, "It broke again", team=ACME)

    ticket = deskbot.ticket(1)
    assert ticket.status == TicketStatus.NEW and ticket.reopen_count == 1
    assert ticket.resolved_at is None
    with deskbot.session() as session:
        actions = [a.action for a in session.exec(select(Activity).order_by(Activity.id))]
    assert actions == ["created", "reopened"]
    [update] = fake.calls_to("chat.update")
    assert update.args["ts"] == ticket.triage_ts
    assert "Reopened" in str(update.args["blocks"])


def test_top_level_messages_outside_support_channels_or_by_agents_are_not_tickets(deskbot, fake):
    deskbot.driver.message(channel=RANDOM, user=CUSTOMER, team=ACME, text="lunch?")
    deskbot.driver.message(channel=HELP, user=AGENT, team=HOME, text="Maintenance tonight 22:00")
    deskbot.drain()
    assert deskbot.tickets() == []
    assert fake.calls_to("chat.postMessage") == []


def test_every_channel_is_a_support_channel_when_none_are_listed(start_deskbot):
    bot = start_deskbot(support_channels=[])
    bot.driver.message(channel=RANDOM, user=CUSTOMER, team=ACME, text="help please")
    bot.drain()
    assert [t.channel_id for t in bot.tickets()] == [RANDOM]


def test_no_triage_card_without_triage_channel(start_deskbot, fake):
    bot = start_deskbot(triage_channel=None)
    ask(bot)
    assert len(bot.tickets()) == 1
    assert [c.args["channel"] for c in fake.calls_to("chat.postMessage")] in ([], [HELP])
    assert fake.messages(TRIAGE) == []


def test_reply_arriving_before_its_root_is_kept_and_adopted(deskbot):
    root_ts = deskbot.driver.next_ts()
    early = reply(deskbot, root_ts, AGENT, "Hi! Checking")  # delivered out of order
    assert deskbot.tickets() == []

    ask(deskbot, "Where is my invoice?", ts=root_ts)

    ticket = deskbot.ticket(1)
    assert {m.ticket_id for m in deskbot.messages()} == {ticket.id}
    assert ticket.first_response_at == ts_to_datetime(early.ts)


def test_message_edit_updates_text_and_keeps_history(deskbot, fake):
    root = ask(deskbot, "Export fails")
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": HELP,
        "hidden": True,
        "ts": deskbot.driver.next_ts(),
        "event_ts": deskbot.driver.next_ts(),
        "message": {
            "type": "message",
            "user": CUSTOMER,
            "team": ACME,
            "ts": root,
            "text": "Export to PDF fails",
            "edited": {"user": CUSTOMER, "ts": deskbot.driver.next_ts()},
        },
        "previous_message": {
            "type": "message",
            "user": CUSTOMER,
            "ts": root,
            "text": "Export fails",
        },
    }
    assert deskbot.driver.event(edit).status == 200
    deskbot.drain()

    [message] = deskbot.messages()
    assert message.text == "Export to PDF fails" and message.edited_at is not None
    assert deskbot.ticket(1).subject == "Export to PDF fails"
    with deskbot.session() as session:
        [revision] = session.exec(select(MessageRevision)).all()
    assert (revision.kind, revision.text) == ("edit", "Export fails")
    assert "Export to PDF fails" in str(fake.calls_to("chat.update")[-1].args["blocks"])
    assert len(deskbot.tickets()) == 1


def test_edit_or_delete_of_unknown_message_never_creates_ticket(deskbot):
    ts = deskbot.driver.next_ts()
    for event in (
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": HELP,
            "ts": ts,
            "message": {"type": "message", "user": CUSTOMER, "ts": ts, "text": "new text"},
        },
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": HELP,
            "ts": ts,
            "deleted_ts": ts,
            "hidden": True,
        },
    ):
        assert deskbot.driver.event(event).status == 200
    deskbot.drain()
    assert deskbot.tickets() == [] and deskbot.messages() == []


def test_message_delete_marks_deleted_and_keeps_text(deskbot):
    root = ask(deskbot)
    customer_reply = reply(deskbot, root, CUSTOMER, "my password is hunter2", team=ACME)
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": HELP,
        "ts": deskbot.driver.next_ts(),
        "deleted_ts": customer_reply.ts,
        "event_ts": deskbot.driver.next_ts(),
        "previous_message": {
            "type": "message",
            "user": CUSTOMER,
            "ts": customer_reply.ts,
            "text": "my password is hunter2",
        },
    }
    assert deskbot.driver.event(deleted).status == 200
    deskbot.drain()
    gone = next(m for m in deskbot.messages() if m.ts == customer_reply.ts)
    assert gone.deleted_at is not None
    with deskbot.session() as session:
        [revision] = session.exec(select(MessageRevision)).all()
    assert (revision.kind, revision.text) == ("delete", "my password is hunter2")
    assert len(deskbot.tickets()) == 1


def test_subtypes_we_do_not_act_on_are_acknowledged(deskbot, fake):
    for subtype in (
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "pinned_item",
        "reminder_add",
        "huddle_thread",
    ):
        response = deskbot.driver.message(
            channel=HELP,
            user=CUSTOMER,
            team=ACME,
            text=f"<@{CUSTOMER}> did {subtype}",
            subtype=subtype,
        )
        assert response.status == 200, subtype
    deskbot.drain()
    assert deskbot.tickets() == [] and deskbot.messages() == []


def test_bot_messages_never_become_tickets(deskbot, fake):
    deskbot.driver.message(channel=HELP, user="UOTHERBOT", text="Deploy finished", bot_id="B0OTHER")
    deskbot.driver.message(
        channel=HELP, text="webhook post", subtype="bot_message", bot_id="B0HOOK", user=None
    )
    deskbot.driver.message(channel=HELP, user="UBOT", text="our own post", bot_id="BBOT")
    deskbot.drain()
    assert deskbot.tickets() == []


def test_texts_are_stored_intact(deskbot):
    texts = {
        "long": "x" * 39_996 + " end",  # exactly 40,000: Slack's limit
        "rtl": "הייצוא נכשל — لا يعمل التصدير",
        "cjk": "エクスポートが失敗します。导出失败。내보내기 실패",
        "combining": "e\u0301 Z\u0351\u0352 \u200d\u2063 👩‍👩‍👧",
    }
    for text in texts.values():
        ask(deskbot, text)
    # An emoji-only message is no question (no ticket), but in a thread it is kept as is.
    reply(deskbot, deskbot.ticket(1).root_ts, CUSTOMER, "🔥🔥🙏", team=ACME)
    stored = {m.text for m in deskbot.messages()}
    assert stored == {*texts.values(), "🔥🔥🙏"}
    assert deskbot.ticket(1).subject.endswith("…") and len(deskbot.ticket(1).subject) == 200


def test_file_only_message_becomes_ticket_with_file_metadata(deskbot):
    files = [
        {
            "id": "F0LOG",
            "name": "error.log",
            "mimetype": "text/plain",
            "size": 2048,
            "url_private": "https://files.slack.com/secret",
        }
    ]
    ask(deskbot, "", subtype="file_share", files=files)
    [message] = deskbot.messages()
    assert message.text == "" and message.subtype == "file_share"
    assert message.files == [
        {"id": "F0LOG", "name": "error.log", "mimetype": "text/plain", "size": 2048}
    ]
    assert deskbot.ticket(1).subject == "(file: error.log)"


def test_pleasantries_neither_open_nor_reopen_tickets(deskbot, fake):
    for text in ("hi!", "Thanks a lot 🙏", "ok", "danke!", "ありがとうございます", "спасибо"):
        ask(deskbot, text)
    assert deskbot.tickets() == []

    root = ask(deskbot, "Billing page is blank")
    mark_resolved(deskbot, 1)
    reply(deskbot, root, CUSTOMER, "thanks a lot!", team=ACME)
    ticket = deskbot.ticket(1)
    assert ticket.status == TicketStatus.RESOLVED and ticket.reopen_count == 0
    assert [m.text for m in deskbot.messages()][-1] == "thanks a lot!"  # still stored
    reply(deskbot, root, CUSTOMER, "actually it broke again", team=ACME)
    assert deskbot.ticket(1).status == TicketStatus.NEW
