"""Tests of the Slack test doubles themselves: FakeSlack, its Socket Mode side, SlackDriver."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from fakeslack import BoltHTTPServer, Call, FakeSlack, SlackDriver

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "slack"
ROOT_TS = "1763900000.000100"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_channel("C1", "help-acme", is_ext_shared=True)
    fake.add_channel("C2", "support-internal", is_private=True)
    fake.add_user("U1", "alice", real_name="Alice A")
    fake.add_user("U2", "bob", team_id="T0ACME")
    fake.add_usergroup("S1", "support", ["U1", "U3"])
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def err(method: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Call a WebClient method that must fail; return Slack's error code."""
    with pytest.raises(SlackApiError) as info:
        method(*args, **kwargs)
    return str(info.value.response["error"])


def sample(name: str) -> dict[str, Any]:
    """One of Slack's own sample payloads from shared/slack."""
    if not SAMPLES.is_dir():
        pytest.skip("shared/slack samples not present")
    return json.loads((SAMPLES / name).read_text())


def keys(d: dict[str, Any]) -> set[str]:
    return set(d)


# fmt: off
def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, text: str = "Go", value: str = "v") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "value": value,
            "text": {"type": "plain_text", "text": text}}


def select(options: int, text: str = "o", value: str = "v") -> dict[str, Any]:
    opts = [{"text": {"type": "plain_text", "text": text}, "value": value}] * options
    return {"type": "actions", "elements": [{"type": "static_select", "action_id": "pick",
            "placeholder": {"type": "plain_text", "text": "Pick"}, "options": opts}]}


def actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}
# fmt: on


def test_auth_test_identifies_the_bot(fake: FakeSlack, client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["team_id"] == "T0HOME" and resp["user_id"] == "UBOT" and resp["bot_id"] == "BBOT"
    assert resp["user"] == "deskbot" and resp["is_enterprise_install"] is False
    assert fake.calls == [Call("auth.test", {}, 200, resp.data)]


def test_messages_threads_replies_and_permalinks(fake: FakeSlack, client: WebClient) -> None:
    root = client.chat_postMessage(channel="C1", text="ack", blocks=[section("*Ticket #1*")])
    assert root["ts"] == "1700000000.000100" and root["message"]["blocks"][0]["type"] == "section"
    fake.seed_message("C1", ROOT_TS, "U1", "printer is on fire")
    reply = client.chat_postMessage(channel="C1", text="on it", thread_ts=ROOT_TS)
    # ts values are strictly increasing and sort after any ts the fake has seen.
    assert reply["ts"] > ROOT_TS and len(reply["ts"].split(".")[1]) == 6
    assert [m["text"] for m in fake.messages("C1")] == ["ack", "on it"]
    thread = client.conversations_replies(channel="C1", ts=ROOT_TS)["messages"]
    assert [m["text"] for m in thread] == ["printer is on fire", "on it"]
    assert thread[0]["reply_count"] == 1 and thread[1]["parent_user_id"] == "U1"
    link = client.chat_getPermalink(channel="C1", message_ts=root["ts"])["permalink"]
    assert link == "https://home.slack.com/archives/C1/p1700000000000100"
    assert err(client.chat_postMessage, channel="C404", text="x") == "channel_not_found"
    assert err(client.conversations_replies, channel="C1", ts="1.2") == "thread_not_found"
    assert fake.errors == []


def test_form_json_and_query_string_args_are_parsed(fake: FakeSlack, client: WebClient) -> None:
    client.reactions_add(channel="C1", timestamp=ROOT_TS, name=":eyes:")  # form-encoded
    client.chat_postEphemeral(channel="C1", user="U1", text="x", blocks=[section("just you")])
    request = urllib.request.Request(  # GET with query-string args
        fake.api_url + "users.info?user=U1", headers={"Authorization": "Bearer xoxb-test"}
    )
    with urllib.request.urlopen(request) as http_resp:
        assert json.load(http_resp)["user"]["name"] == "alice"
    expected = {"channel": "C1", "timestamp": ROOT_TS, "name": ":eyes:"}
    assert fake.calls_to("reactions.add")[0].args == expected
    assert fake.calls_to("chat.postEphemeral")[0].args["blocks"] == [section("just you")]
    assert fake.reactions("C1", ROOT_TS) == ["eyes"]
    assert fake.ephemerals("C1", user="U1")[0]["blocks"][0]["text"]["text"] == "just you"
    assert fake.ephemerals("C1", user="U2") == [] and fake.errors == []


def test_update_delete_and_reactions(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="open")["ts"]
    client.chat_update(channel="C1", ts=ts, text="claimed", blocks=[section("claimed by alice")])
    [message] = fake.messages("C1")
    assert message["text"] == "claimed" and message["blocks"][0]["text"]["text"].endswith("alice")
    assert err(client.chat_update, channel="C1", ts="1.000001", text="x") == "message_not_found"
    client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    again = err(client.reactions_add, channel="C1", timestamp=ts, name="white_check_mark")
    assert again == "already_reacted" and fake.calls[-1].status == 200
    assert fake.reactions("C1", ts) == ["white_check_mark"]
    client.chat_delete(channel="C1", ts=ts)
    assert fake.messages("C1") == [] and fake.errors == []


def test_directory_lookups(fake: FakeSlack, client: WebClient) -> None:
    channel = client.conversations_info(channel="C1")["channel"]
    assert channel["name"] == "help-acme" and channel["is_ext_shared"] and channel["is_member"]
    assert channel["context_team_id"] == "T0HOME"
    assert client.conversations_info(channel="C2")["channel"]["is_private"] is True
    alice = client.users_info(user="U1")["user"]
    assert alice["team_id"] == "T0HOME" and alice["profile"]["real_name"] == "Alice A"
    assert client.users_info(user="U2")["user"]["team_id"] == "T0ACME"
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U3"]
    assert err(client.users_info, user="U404") == "user_not_found"
    assert err(client.usergroups_users_list, usergroup="S404") == "no_such_subteam"
    assert err(client.conversations_info, channel="C404") == "channel_not_found"
    assert fake.errors == []


def test_views_publish_validates_blocks(fake: FakeSlack, client: WebClient) -> None:
    view = {"type": "home", "blocks": [section(f"row {i}") for i in range(100)]}
    assert client.views_publish(user_id="U1", view=view)["view"]["id"].startswith("V")
    assert len(fake.home_view("U1")["blocks"]) == 100 and fake.errors == []
    view["blocks"].append(section("one too many"))
    assert err(client.views_publish, user_id="U1", view=view) == "invalid_blocks"
    assert fake.errors == ["views.publish: view.blocks: more than 100 blocks (101)"]


# fmt: off
VIOLATIONS = [
    ([section("x")] * 51, "more than 50 blocks"),
    ([{"type": "carousel"}], "unknown block type"),
    ([section("a", block_id="b"), section("b", block_id="b")], "duplicate block_id"),
    ([section("x", block_id="b" * 256)], "block_id longer than 255"),
    ([section("x" * 3001)], "section text longer than 3000"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "10 fields"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "2000"),
    ([{"type": "section"}], "section needs text or fields"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "150"),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "must be plain_text"),
    ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "10 elements"),
    ([actions(*[button(f"a{i}") for i in range(26)])], "more than 25 elements"),
    ([actions(button("a", text="t" * 76))], "button text longer than 75"),
    ([actions(button("a", value="v" * 2001))], "button value longer than 2000"),
    ([actions(button("a" * 256))], "action_id longer than 255"),
    ([actions(button("a"), button("a"))], "duplicate action_id"),
    ([select(101)], "more than 100 options"),
    ([select(1, text="t" * 76)], "option text longer than 75"),
    ([select(1, value="v" * 151)], "option value longer than 150"),
    ([{"type": "section", "text": {"type": "html", "text": "x"}}], "plain_text|mrkdwn"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": 5}}], "must be a string"),
    ({"type": "section"}, "must be a list"),
]
# fmt: on


@pytest.mark.parametrize(("blocks", "rule"), VIOLATIONS)
def test_block_kit_violations_are_rejected_and_recorded(
    fake: FakeSlack, client: WebClient, blocks: Any, rule: str
) -> None:
    # api_call(json=...) sends blocks untouched; chat_postMessage would coerce them first.
    payload = {"channel": "C1", "text": "t", "blocks": blocks}
    assert err(client.api_call, "chat.postMessage", json=payload) == "invalid_blocks"
    assert fake.errors and all(e.startswith("chat.postMessage: ") for e in fake.errors)
    assert any(rule in e for e in fake.errors), fake.errors
    assert fake.messages("C1") == []


def test_valid_rich_message_passes(fake: FakeSlack, client: WebClient) -> None:
    image = {"type": "image", "image_url": "https://x/y.png", "alt_text": "a"}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Ticket #42"}},
        section("*Printer*", block_id="summary", accessory=button("open")),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Status*\nopen"}] * 10},
        {"type": "context", "elements": [image, {"type": "mrkdwn", "text": "c"}]},
        {"type": "divider"},
        actions(button("claim"), button("close")),
        actions(button("claim")),  # action_ids need only be unique within their block
        select(100),
        {"type": "rich_text", "elements": []},
    ]
    ts = client.chat_postMessage(channel="C1", text="Ticket #42", blocks=blocks)["ts"]
    client.chat_update(channel="C1", ts=ts, text="done", blocks=[section("done")])
    assert fake.errors == []


def test_text_limit_and_missing_args_are_client_errors(fake: FakeSlack, client: WebClient) -> None:
    assert err(client.chat_postMessage, channel="C1", text="x" * 40001) == "msg_too_long"
    assert err(client.api_call, "chat.postMessage", json={"channel": "C1"}) == "no_text"
    assert err(client.api_call, "chat.postMessage", json={"text": "x"}) == "channel_not_found"
    assert len(fake.errors) == 3 and "missing required arg 'channel'" in fake.errors[2]


def test_auth_failures_and_unknown_methods(fake: FakeSlack) -> None:
    tokens = {None: "not_authed", "xoxb-no": "invalid_auth", "xapp-test": "not_allowed_token_type"}
    for token, error in tokens.items():
        assert err(WebClient(token=token, base_url=fake.api_url).auth_test) == error
    bot = WebClient(token="xoxb-test", base_url=fake.api_url)
    assert err(bot.apps_connections_open, app_token="xoxb-test") == "not_allowed_token_type"
    assert bot.apps_connections_open(app_token="xapp-test")["url"].startswith("ws://127.0.0.1:")
    assert err(bot.api_call, "pins.add", params={"channel": "C1"}) == "unknown_method"
    assert len(fake.errors) == 5 and fake.errors[-1] == "pins.add: unknown method"


def test_rate_limit_then_success_is_visible(fake: FakeSlack) -> None:
    retry = RateLimitErrorRetryHandler(max_retry_count=1)
    client = WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[retry])
    fake.fail_next("reactions.add", status=429, retry_after=0)  # the SDK sleeps 0-1 s
    client.reactions_add(channel="C1", timestamp=ROOT_TS, name="eyes")
    assert [c.status for c in fake.calls] == [429, 200]
    assert {c.method for c in fake.calls} == {"reactions.add"}
    assert fake.calls[0].response == {"ok": False, "error": "ratelimited"}
    assert len(fake.calls_to("reactions.add")) == 1


def test_server_errors_and_reset(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=503, times=2)
    for _ in range(2):
        assert err(client.chat_postMessage, channel="C1", text="x") == "internal_error"
    client.chat_postMessage(channel="C1", text="x")
    assert [c.status for c in fake.calls] == [503, 503, 200] and fake.errors == []
    assert err(client.api_call, "nope") == "unknown_method"  # leaves an error behind
    fake.fail_next("auth.test", status=500)
    fake.reset()
    assert fake.calls == [] and fake.errors == [] and fake.messages("C1") == []
    assert client.auth_test()["ok"] and client.conversations_info(channel="C1")["ok"]


def test_chaos_fails_a_seeded_share_of_calls_and_drops_connections(fake: FakeSlack) -> None:
    from fakeslack.faults import DROP

    plain = WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[])
    fake.chaos(1.0, statuses=(DROP,))
    with pytest.raises(OSError):  # no answer at all, as a timed-out request looks
        plain.chat_postMessage(channel="C1", text="lost")
    assert plain.auth_test()["ok"]  # start-up calls are never failed
    fake.chaos(0.3, seed=7, statuses=(429, 500))
    outcomes = []
    for _ in range(200):
        try:
            plain.chat_postMessage(channel="C1", text="x")
            outcomes.append(200)
        except SlackApiError as error:
            outcomes.append(error.response.status_code)
    assert 30 <= outcomes.count(429) + outcomes.count(500) <= 90
    assert len(fake.messages("C1")) == outcomes.count(200)  # failed calls change nothing
    fake.reset()
    plain.chat_postMessage(channel="C1", text="calm again")


def test_shapes_follow_slack_samples(fake: FakeSlack, client: WebClient) -> None:
    assert keys(client.auth_test().data) <= keys(sample("api-responses/auth.test.json"))
    channel = client.conversations_info(channel="C1")["channel"]
    assert keys(channel) <= keys(sample("api-responses/conversations.info.json")["channel"])
    user, user_sample = (
        client.users_info(user="U1")["user"],
        sample("api-responses/users.info.json"),
    )
    assert keys(user) <= keys(user_sample["user"])
    assert keys(user["profile"]) <= keys(user_sample["user"]["profile"])
    eph = client.chat_postEphemeral(channel="C1", user="U1", text="x").data
    assert keys(eph) <= keys(sample("api-responses/chat.postEphemeral.json"))
    deleted = client.chat_delete(
        channel="C1", ts=client.chat_postMessage(channel="C1", text="x")["ts"]
    )
    assert keys(deleted.data) <= keys(sample("api-responses/chat.delete.json"))
    # An app_url-less driver still builds payloads; compare them with Slack's samples.
    action = SlackDriver("", "secret").block_action_payload("claim", "42")
    action_sample = sample("app-backend/BlockActionPayload.json")
    assert keys(action) <= keys(action_sample) | {"enterprise"}
    assert keys(action["actions"][0]) <= keys(action_sample["actions"][0])


def test_socket_mode_with_bolt_end_to_end(fake: FakeSlack) -> None:
    app = App(client=WebClient(token="xoxb-test", base_url=fake.api_url))
    seen: list[dict[str, Any]] = []

    @app.event("message")
    def on_message(event: dict[str, Any], say: Any) -> None:
        seen.append(event)
        say(text="got it", thread_ts=event["ts"])

    @app.command("/ticket")
    def on_ticket(ack: Any, command: dict[str, Any]) -> None:
        ack(f"claiming {command['text']}")

    # fmt: off
    event = {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": ROOT_TS,
             "team": "T0HOME", "channel_type": "channel"}
    callback = {"type": "event_callback", "team_id": "T0HOME", "api_app_id": "A0DESK",
                "event": event, "event_id": "Ev1", "event_time": 1700000000}
    command = {"command": "/ticket", "text": "42", "team_id": "T0HOME", "user_id": "U1",
               "channel_id": "C1", "api_app_id": "A0DESK", "trigger_id": "1.2.3",
               "response_url": fake.response_url_base + "/x"}
    # fmt: on
    handler = SocketModeHandler(app, "xapp-test")
    try:
        handler.connect()
        assert fake.wait_socket_connected(timeout=10)
        envelope_id = fake.push_envelope("events_api", callback)
        assert fake.wait_ack(envelope_id, timeout=10) == {"envelope_id": envelope_id}
        [posted] = fake.wait_calls("chat.postMessage", timeout=10)
        assert seen[0]["text"] == "hi" and posted.args["thread_ts"] == ROOT_TS

        fake.push_disconnect()  # Slack recycles connections; the client must dial back in
        assert fake.wait_socket_connected(timeout=10, connects=2)
        command_id = fake.push_envelope("slash_commands", command)
        ack = fake.wait_ack(command_id, timeout=10)
        assert ack == {"envelope_id": command_id, "payload": {"text": "claiming 42"}}
        assert set(fake.socket_acks) == {envelope_id, command_id}
        assert len(fake.calls_to("apps.connections.open")) == 2 and fake.errors == []
    finally:
        # With auto-reconnect off, hanging up server-side lets close() return at once
        # instead of after the builtin client's 3 s read timeout.
        handler.client.default_auto_reconnect_enabled = False
        handler.client.auto_reconnect_enabled = False
        fake.drop_socket_clients()
        # slack_sdk's builtin client can race its own reconnect thread on close and find
        # its socket already gone (AttributeError on None); the test is over by then.
        with contextlib.suppress(AttributeError):
            handler.close()


@pytest.fixture
def bolt_http(fake: FakeSlack) -> Iterator[tuple[App, SlackDriver]]:
    app = App(signing_secret="secret", client=WebClient(token="xoxb-test", base_url=fake.api_url))
    with BoltHTTPServer(app) as server:
        driver = SlackDriver(server.url, "secret", response_url_base=fake.response_url_base)
        yield app, driver
        driver.close()


def test_driver_drives_bolt_over_http(fake: FakeSlack, bolt_http: tuple[App, SlackDriver]) -> None:
    app, drv = bolt_http
    bodies: list[dict[str, Any]] = []
    retries: list[str | None] = []

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], say: Any, request: Any) -> None:
        bodies.append(body)
        retries.append(request.headers.get("x-slack-retry-num", [None])[0])
        say(text="ack", thread_ts=event["ts"])

    @app.command("/ticket")
    def on_ticket(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack(f"claiming {command['text']}")
        respond(blocks=[section("claimed")], text="claimed")

    @app.action("claim")
    def on_claim(ack: Any, body: dict[str, Any]) -> None:
        bodies.append(body)  # before ack(): the HTTP response goes out as soon as it acks
        ack()

    resp = drv.message(channel="C1", user="U1", text="printer broken")
    assert resp.status == 200 and resp.ts == ROOT_TS
    [posted] = fake.wait_calls("chat.postMessage")
    assert posted.args["thread_ts"] == resp.ts
    envelope = bodies[0]
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    auth = {"enterprise_id": None, "team_id": "T0HOME", "user_id": "UBOT", "is_bot": True}
    assert envelope["authorizations"][0] == {**auth, "is_enterprise_install": False}
    assert envelope["event"]["event_ts"] == resp.ts and envelope["event"]["user_team"] == "T0HOME"
    message_sample = sample("events/MessagePayload.json")
    # Real deliveries carry these keys too; the java-sdk sample predates them.
    assert keys(envelope) <= keys(message_sample) | {"context_team_id", "context_enterprise_id"}
    assert keys(envelope["event"]) <= keys(message_sample["event"]) | {"user_team", "source_team"}

    assert drv.message(text="no team", team=None).status == 200
    assert drv.event(dict(envelope["event"]), retry_num=1).status == 200
    assert len(fake.wait_calls("chat.postMessage", 3)) == 3
    assert "user_team" not in bodies[1]["event"] and retries == [None, None, "1"]

    cmd = drv.command("/ticket", "42", user="U1", channel="C1")
    assert cmd.status == 200 and cmd.body == "claiming 42"  # HTTP mode acks in text/plain
    assert fake.wait_for(lambda: len(fake.responded) == 1)
    assert fake.responded[0]["body"]["text"] == "claimed"

    assert drv.block_action("claim", "42", message_ts=resp.ts).status == 200
    assert bodies[-1]["actions"][0]["value"] == "42"
    assert bodies[-1]["container"]["message_ts"] == resp.ts

    bad = drv.post_raw(b"{}", {"Content-Type": "application/json", **drv.sign(b"{}", 1)})
    assert bad.status == 401  # stale timestamp
    forged = {**drv.sign(b"{}", int(time.time())), "Content-Type": "application/json"}
    assert drv.post_raw(b'{"x":1}', forged).status == 401  # signature of another body
    assert fake.errors == []


def test_driver_is_thread_safe_and_reuses_connections(
    fake: FakeSlack, bolt_http: tuple[App, SlackDriver]
) -> None:
    app, drv = bolt_http
    counted: list[str] = []
    lock = threading.Lock()

    @app.event("reaction_added")
    def on_reaction(event: dict[str, Any]) -> None:
        with lock:
            counted.append(event["reaction"])

    statuses: list[int] = []

    def burst() -> None:
        item = {"type": "message", "channel": "C1", "ts": drv.next_ts()}
        event = {"type": "reaction_added", "user": "U1", "reaction": "eyes", "item": item}
        statuses.extend(drv.event(event).status for _ in range(50))

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * 200
    assert drv.connection_count == 4  # one keep-alive connection per thread
    assert fake.wait_for(lambda: len(counted) == 200, timeout=10)
    assert len({drv.next_ts() for _ in range(100)}) == 100


def test_history_lists_roots_newest_first_with_metadata_only_on_request(
    fake: FakeSlack, client: WebClient
) -> None:
    meta = {"event_type": "thing", "event_payload": {"id": 7}}
    first = client.chat_postMessage(channel="C1", text="one", metadata=meta)["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=first)
    second = client.chat_postMessage(channel="C1", text="two")["ts"]

    plain = client.conversations_history(channel="C1")["messages"]
    assert [m["ts"] for m in plain] == [second, first] and "metadata" not in plain[1]
    full = client.conversations_history(channel="C1", include_all_metadata=True, oldest=first)
    assert [m["ts"] for m in full["messages"]] == [second]  # oldest is exclusive
    paged = client.conversations_history(channel="C1", include_all_metadata=True, limit=1)
    assert paged["has_more"] and paged["messages"][0]["ts"] == second
    rest = client.conversations_history(
        channel="C1",
        include_all_metadata=True,
        limit=1,
        cursor=paged["response_metadata"]["next_cursor"],
    )
    assert rest["messages"][0]["metadata"] == meta
