"""Security: replayed requests are refused, and secrets never reach the logs."""

import json
import logging
import time
from urllib.parse import urlencode

from tests.conftest import ACME, AGENT, CUSTOMER, HELP, TRIAGE
from tests.scenarios.test_tickets import activity, answer_text, open_ticket, ticket_cmd
from tests.support.harness import SIGNING_SECRET


def signed_form(bot, fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A form body and the headers Slack would send with it, signed now."""
    body = urlencode(fields).encode()
    headers = bot.driver.sign(body, int(time.time()))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return body, headers


def test_a_replayed_slash_command_is_refused_and_changes_nothing(deskbot, fake):
    open_ticket(deskbot)
    fields = {
        "team_id": "T0HOME",
        "channel_id": TRIAGE,
        "user_id": AGENT,
        "command": "/ticket",
        "text": "note #1 first look done",
        "response_url": "https://hooks.slack.test/cmd/1",
        "trigger_id": "1.2.abc",
    }
    body, headers = signed_form(deskbot, fields)
    first = deskbot.driver.post_raw(body, headers)
    replay = deskbot.driver.post_raw(body, headers)
    deskbot.drain()

    assert first.status == 200 and "#1" in answer_text(first)
    assert replay.status == 401
    assert [action for action, _ in activity(deskbot) if action == "note"] == ["note"]


def test_a_replayed_button_click_is_refused(deskbot, fake):
    open_ticket(deskbot)
    payload = deskbot.driver.block_action_payload("ticket_claim", "1", user=AGENT, channel=TRIAGE)

    body, headers = signed_form(deskbot, {"payload": json.dumps(payload)})
    assert deskbot.driver.post_raw(body, headers).status == 200
    assert deskbot.driver.post_raw(body, headers).status == 401
    deskbot.drain()
    assert deskbot.ticket(1).assignee_id == AGENT


def test_a_forged_signature_is_not_remembered_as_seen(deskbot, fake):
    fields = {"team_id": "T0HOME", "channel_id": TRIAGE, "user_id": AGENT, "command": "/ticket"}
    body, headers = signed_form(deskbot, {**fields, "text": "list"})
    forged = {**headers, "X-Slack-Signature": "v0=" + "1" * 64}
    assert deskbot.driver.post_raw(body, forged).status == 401
    assert deskbot.driver.post_raw(body, headers).status == 200  # the real one still works


def test_no_token_or_signing_secret_in_any_log_record(start_deskbot, fake, caplog):
    caplog.set_level(logging.DEBUG)  # everything every library logs, debug included
    bot = start_deskbot()
    bot.allow_listener_errors = True
    fake.fail_next("chat.postMessage", status=500, times=1)  # error paths log too
    root = open_ticket(bot, "Our SSO login fails")
    bot.driver.message(channel=HELP, user=AGENT, text="Looking", thread_ts=root)
    ticket_cmd(bot, "claim #1")
    ticket_cmd(bot, "note #1 customer is on the enterprise plan")
    ticket_cmd(bot, "resolve #1")
    bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Still broken", thread_ts=root)
    bot.driver.command("/ticket", "show #99", user=AGENT, channel=TRIAGE)
    bot.drain()

    logged = "\n".join(
        record.getMessage() + (caplog.text if record.exc_info else "") for record in caplog.records
    )
    assert len(caplog.records) > 20  # the scenario really was logged
    for secret in (SIGNING_SECRET, "xoxb-test"):
        leaked = [line for line in logged.splitlines() if secret in line]
        assert leaked == [], f"{secret!r} in logs: {leaked[:3]}"


def test_tickets_of_another_workspace_are_invisible(deskbot, fake):
    from datetime import UTC, datetime

    from sqlmodel import select

    from store.models import Message, Ticket

    with deskbot.session() as session:
        other = Ticket(
            workspace_id="T0OTHER",
            number=1,
            channel_id="C0ELSEWHERE",
            root_ts="1700000000.000100",
            customer_id="U0THEIRS",
            customer_team_id="T0THEIRS",
            subject="their secret outage",
            created_at=datetime(2026, 11, 20, tzinfo=UTC),
            updated_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
        session.add(other)
        session.flush()
        session.add(
            Message(
                ticket_id=other.id,
                channel_id="C0ELSEWHERE",
                ts="1700000000.000100",
                user_id="U0THEIRS",
                role="customer",
                text="their secret outage",
                sent_at=datetime(2026, 11, 20, tzinfo=UTC),
            )
        )
        session.commit()
    open_ticket(deskbot, "Our invoices are blank")

    listing = ticket_cmd(deskbot, "list")
    shown = ticket_cmd(deskbot, "show #1")
    ticket_cmd(deskbot, "claim #1")
    ticket_cmd(deskbot, "resolve #1")

    assert "secret" not in listing and "secret" not in shown
    assert "invoices" in shown.lower()
    with deskbot.session() as session:
        theirs = session.get(Ticket, other.id)
        assert theirs.status == "new" and theirs.assignee_id is None  # untouched
        ours = session.exec(
            select(Ticket).where(Ticket.workspace_id == "T0HOME", Ticket.number == 1)
        ).one()
        assert ours.status == "resolved" and ours.assignee_id == AGENT
