"""fakeslack's people (Humans): what they do lands in the workspace and reaches the app as
Slack would send it: signed, shaped like Slack's payloads, response_url honoured."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App

from fakeslack import BoltHTTPServer, FakeSlack, SlackDriver
from fakeslack.humans import Humans, Target
from fakeslack.state import ApiError

SECRET = "humans-secret"
HOME, OTHER = "T0HOME", "T0OTHER"


class Recorder:
    """A tiny Bolt app recording what it receives, answering like a real app would."""

    def __init__(self, fake: FakeSlack) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.done = threading.Event()
        self.app = App(signing_secret=SECRET, token="xoxb-test", token_verification_enabled=False)
        self.app.client.base_url = fake.api_url

        @self.app.event("message")
        def on_message(event: dict[str, Any]) -> None:
            self.received.append(("message", event))

        @self.app.event("reaction_added")
        def on_reaction(event: dict[str, Any]) -> None:
            self.received.append(("reaction_added", event))

        @self.app.command("/echo")
        def on_echo(ack: Any, command: dict[str, Any]) -> None:
            ack(text=f"echo: {command['text']}")

        @self.app.action("approve")
        def on_approve(ack: Any, body: dict[str, Any], respond: Any) -> None:
            ack()
            self.received.append(("block_actions", body))
            respond(replace_original=True, text="Approved")
            respond(text="Only you see this")
            self.done.set()

        @self.app.action("size")
        def on_size(ack: Any, body: dict[str, Any]) -> None:
            ack()
            self.received.append(("block_actions", body))


@pytest.fixture
def world() -> Iterator[tuple[FakeSlack, Humans, Recorder]]:
    with FakeSlack(team_id=HOME) as fake:
        fake.add_channel("C1", "general")
        fake.add_channel("CSHARED", "with-other", is_ext_shared=True)
        fake.add_user("U1", "uma", team_id=HOME)
        fake.add_user("U2", "oskar", team_id=OTHER)
        recorder = Recorder(fake)
        with BoltHTTPServer(recorder.app) as server:
            driver = SlackDriver(
                app_url=server.url,
                signing_secret=SECRET,
                team_id=HOME,
                response_url_base=fake.response_url_base,
                ts_factory=fake.next_ts,
            )
            humans = Humans(
                fake,
                driver,
                commands=["/echo"],
                events=["message.channels", "reaction_added"],
            )
            yield fake, humans, recorder
        assert fake.errors == []


def received(fake: FakeSlack, recorder: Recorder, count: int) -> list[str]:
    """Kinds of what the app got, once it got `count` things (listeners run after the ack)."""
    fake.wait_for(lambda: len(recorder.received) >= count)
    return [kind for kind, _ in recorder.received]


def test_a_post_is_stored_and_delivered_like_slack(world):
    fake, humans, recorder = world
    message = humans.post("U2", "CSHARED", "a <b> & c")
    assert received(fake, recorder, 1) == ["message"]
    [(kind, event)] = recorder.received
    assert kind == "message"
    assert event["text"] == "a &lt;b&gt; &amp; c"  # escaped like Slack's clients do
    assert event["user_team"] == OTHER and event["channel_type"] == "channel"
    assert event["blocks"][0]["type"] == "rich_text"
    stored = fake.workspace.find_message("CSHARED", message["ts"])
    assert stored is not None and stored["client_msg_id"] == event["client_msg_id"]
    humans.post("U1", "CSHARED", "reply", thread_ts=message["ts"])
    assert fake.workspace.find_message("CSHARED", message["ts"])["reply_count"] == 1


def test_reactions_toggle_and_only_subscribed_events_are_sent(world):
    fake, humans, recorder = world
    message = humans.post("U1", "C1", "hello")
    assert humans.react("U1", "C1", message["ts"], ":eyes:") is True
    assert fake.workspace.find_message("C1", message["ts"])["reactions"][0]["count"] == 1
    assert humans.react("U1", "C1", message["ts"], "eyes") is False  # removed again
    assert "reactions" not in fake.workspace.find_message("C1", message["ts"])
    # reaction_removed is not subscribed, so it is never sent (Slack would not either).
    assert sorted(received(fake, recorder, 2)) == ["message", "reaction_added"]
    humans.post("U1", "U1", "a DM")  # message.im is not subscribed either
    humans.post("U1", "C1", "and a last one")
    assert sorted(received(fake, recorder, 3)) == ["message", "message", "reaction_added"]


def test_commands_show_the_ack_to_the_user_only(world):
    fake, humans, _ = world
    shown = humans.command("U1", "C1", "/echo  hi there")
    assert shown is not None and shown["text"] == "echo: hi there"
    assert [e["text"] for e in fake.ephemerals("C1", "U1")] == ["echo: hi there"]
    assert fake.ephemerals("C1", "U2") == []
    unknown = humans.command("U1", "C1", "/nope")
    assert unknown is not None and "not a valid command" in unknown["text"]


def test_a_button_press_is_signed_and_response_url_replaces_and_answers(world):
    fake, humans, recorder = world
    with fake.workspace.lock:
        ts = fake.next_ts()
        fake.workspace.store_message(
            "C1",
            {
                "type": "message",
                "user": fake.bot_user_id,
                "bot_id": fake.bot_id,
                "text": "Approve?",
                "ts": ts,
                "blocks": [
                    {
                        "type": "actions",
                        "block_id": "b1",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "approve",
                                "value": "42",
                                "text": {"type": "plain_text", "text": "Approve"},
                            },
                            {
                                "type": "static_select",
                                "action_id": "size",
                                "options": [
                                    {"text": {"type": "plain_text", "text": s}, "value": s}
                                    for s in ("S", "L")
                                ],
                            },
                        ],
                    }
                ],
            },
        )
    target = Target(channel="C1", ts=ts)
    humans.press("U1", target, block_id="b1", action_id="size", value="L")
    assert received(fake, recorder, 1) == ["block_actions"]
    chosen = recorder.received[-1][1]
    assert chosen["actions"][0]["selected_option"]["value"] == "L"
    assert chosen["state"]["values"]["b1"]["size"]["selected_option"]["value"] == "L"
    with pytest.raises(ApiError):  # Slack only sends actions of elements that exist
        humans.press("U1", target, block_id="b1", action_id="size", value="XXL")
    with pytest.raises(ApiError):
        humans.press("U1", target, block_id="b1", action_id="missing")

    assert humans.press("U1", target, block_id="b1", action_id="approve") == 200
    assert recorder.done.wait(5)
    body = recorder.received[-1][1]
    assert body["actions"][0]["value"] == "42" and body["message"]["ts"] == ts
    assert body["user"] == {"id": "U1", "username": "uma", "name": "uma", "team_id": HOME}
    assert body["response_url"].startswith(fake.response_url_base)
    assert fake.wait_for(lambda: fake.workspace.find_message("C1", ts)["text"] == "Approved")
    assert fake.wait_for(lambda: len(fake.ephemerals("C1", "U1")) == 1)
    assert [r["body"]["text"] for r in fake.responded] == ["Approved", "Only you see this"]
