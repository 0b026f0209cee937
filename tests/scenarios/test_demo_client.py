"""The demo workspace's browser client API: what each person may read and do, live updates,
and the static page (the browser test drives the same endpoints through the page)."""

import http.client
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import Engine

from bot.demo.scenario import find_action
from bot.demo.workspace import ANA, CARLA, HELP, LEE, TRIAGE, Demo, start_demo


@pytest.fixture
def demo(db: Engine) -> Iterator[Demo]:
    running = start_demo(
        port=0,
        speed=0,
        start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        database_url=db.url.render_as_string(hide_password=False),
    )
    yield running
    running.stop()
    assert running.fake.errors == [], f"invalid Slack API usage: {running.fake.errors}"


def call(demo: Demo, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    split = urlsplit(demo.url)
    conn = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    if body is None:
        conn.request("GET", path)
    else:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(data) if "json" in kind else data.decode()


def test_the_page_and_its_scripts_are_served_offline_and_nothing_else(demo):
    status, page = call(demo, "/")
    assert status == 200 and "/static/app.js" in page and "http" not in page.lower()
    for name in ("app.js", "blocks.js", "slack.css"):
        assert call(demo, f"/static/{name}")[0] == 200
    for bad in (
        "/static/../server.py",
        "/static/nope.js",
        "/static/.hidden.js",
        "/x.py",
        "/files/F9",
    ):
        assert call(demo, bad)[0] == 404


def test_the_workspace_lists_people_by_role_and_organization(demo):
    status, workspace = call(demo, "/client/workspace")
    assert status == 200
    people = {u["id"]: u for u in workspace["users"]}
    assert people[CARLA]["role"] == "customer" and people[CARLA]["external"] is True
    assert people[CARLA]["team_name"] == "Acme Corp"
    assert people[LEE]["role"] == "lead" and people[ANA]["external"] is False
    shared = {c["name"]: c["is_ext_shared"] for c in workspace["channels"]}
    assert shared == {"help-acme": True, "support-triage": False, "support-leads": False}
    assert {"/ticket", "/kb"} <= set(workspace["commands"])
    _, clock = call(demo, "/client/clock")
    assert clock == {"now": demo.clock.epoch(), "speed": 0.0}


def test_a_customer_reads_and_writes_only_the_shared_channel(demo):
    assert call(demo, f"/client/channel?user={CARLA}&channel={HELP}")[0] == 200
    status, answer = call(demo, f"/client/channel?user={CARLA}&channel={TRIAGE}")
    assert status == 400 and answer["error"] == "not_in_channel"
    status, _ = call(demo, "/client/post", {"user": CARLA, "channel": TRIAGE, "text": "hi"})
    assert status == 400
    assert demo.fake.workspace.messages[TRIAGE] == {}


def test_posting_makes_a_ticket_and_ephemerals_reach_only_their_user(demo):
    status, posted = call(
        demo, "/client/post", {"user": CARLA, "channel": HELP, "text": "Invoice is wrong"}
    )
    assert status == 200
    demo.drain()
    status, triage = call(demo, f"/client/channel?user={ANA}&channel={TRIAGE}")
    assert "Ticket #1" in triage["messages"][0]["text"]
    status, shown = call(
        demo, "/client/post", {"user": ANA, "channel": TRIAGE, "text": "/ticket show #1"}
    )
    assert status == 200 and shown["command"] and "#1" in shown["shown"]["text"]
    ana_view = call(demo, f"/client/channel?user={ANA}&channel={TRIAGE}")[1]
    lee_view = call(demo, f"/client/channel?user={LEE}&channel={TRIAGE}")[1]
    assert len(ana_view["ephemerals"]) == 1 and lee_view["ephemerals"] == []
    # A command the app does not have is answered by Slack itself, not sent to the app.
    _, unknown = call(demo, "/client/post", {"user": ANA, "channel": TRIAGE, "text": "/nope"})
    assert "not a valid command" in unknown["shown"]["text"]
    _, help_channel = call(demo, f"/client/channel?user={CARLA}&channel={HELP}")
    root = help_channel["messages"][0]
    assert root["ts"] == posted["ts"] and root["reactions"][0]["name"] == "ticket"


def test_reacting_on_the_page_claims_and_home_publishes(demo):
    ts = demo.humans.post(CARLA, HELP, "Webhooks stopped arriving")["ts"]
    demo.drain()
    status, _ = call(
        demo, "/client/react", {"user": ANA, "channel": HELP, "ts": ts, "name": "eyes"}
    )
    assert status == 200
    demo.drain()
    assert call(demo, "/client/home", {"user": ANA})[0] == 200
    demo.drain()
    _, home = call(demo, f"/client/home?user={ANA}")
    assert "Mine (1)" in json.dumps(home["view"]["blocks"])


def test_bad_requests_are_refused_with_a_reason(demo):
    status, answer = call(demo, "/client/post", {"channel": HELP})
    assert status == 400 and answer["error"] == "bad_request"
    status, answer = call(demo, "/client/post", {"user": "UNOBODY", "channel": HELP, "text": "x"})
    assert status == 400
    status, answer = call(
        demo,
        "/client/action",
        {"user": CARLA, "channel": HELP, "ts": "1.000001", "block_id": "b", "action_id": "a"},
    )
    assert status == 400 and answer["error"] == "message_not_found"


def test_the_stream_announces_every_change(demo):
    split = urlsplit(demo.url)
    conn = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    conn.request("GET", "/client/stream")
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    first = int(response.fp.readline().decode().removeprefix("data: "))
    response.fp.readline()  # the blank line ending the event
    demo.humans.post(CARLA, HELP, "Is the API down?")
    second = int(response.fp.readline().decode().removeprefix("data: "))
    assert second > first
    conn.close()


def test_the_page_draws_every_emoji_shortcode_the_product_writes():
    """`:twisted_rightwards_arrows:` and friends are emoji in the demo page, not text."""
    root = Path(__file__).resolve().parents[2]
    script = (root / "fakeslack" / "web" / "blocks.js").read_text()
    table = script[script.index("const EMOJI = {") : script.index("};")]
    drawn = set(re.findall(r'"?([a-z0-9_+\-]+)"?: "', table))
    not_emoji = {"memory"}  # SQLite's ":memory:" database, not a shortcode
    used = set()
    for folder in ("handlers", "bot"):
        for path in (root / folder).rglob("*.py"):
            used |= set(re.findall(r":([a-z][a-z0-9_]+):", path.read_text()))
    missing = sorted(used - drawn - not_emoji)
    assert "twisted_rightwards_arrows" in used and missing == []


def test_a_modal_opens_for_the_person_who_pressed_and_its_errors_keep_it_open(demo):
    carla_asks = {"user": CARLA, "channel": HELP, "text": "Our SSO login loops back"}
    assert call(demo, "/client/post", carla_asks)[0] == 200
    demo.drain()
    demo.humans.command(ANA, TRIAGE, "/ticket resolve #1 fixed")
    demo.drain()
    survey = next(
        m
        for m in demo.fake.messages(HELP)
        if find_action(m, lambda e: e.get("action_id") == "csat_rate_5")
    )
    press = {"user": CARLA, "channel": HELP, "ts": survey["ts"], "block_id": "csat_stars"}
    call(demo, "/client/action", {**press, "action_id": "csat_rate_2", "value": "1|2"})
    demo.drain()
    survey = demo.fake.workspace.find_message(HELP, survey["ts"])
    block_id, comment = find_action(survey, lambda e: e.get("action_id") == "csat_comment")
    press.update(block_id=block_id, action_id="csat_comment", value=comment["value"])
    assert call(demo, "/client/action", press)[1]["ok"]
    demo.drain()
    assert call(demo, f"/client/modal?user={ANA}")[1] == {"view": None}  # not on Ana's screen
    view = call(demo, f"/client/modal?user={CARLA}")[1]["view"]
    assert view["callback_id"] == "csat_comment_view"
    typed = {"comment": {"text": "x" * 5000}}  # over the input's limit: the app says why
    submit = {"user": CARLA, "view_id": view["id"], "values": typed}
    status, answer = call(demo, "/client/modal/submit", submit)
    assert status == 200 and answer["ok"] is False and answer["errors"]["comment"]
    submit["values"] = {"comment": {"text": "Took a while"}}
    assert call(demo, "/client/modal/submit", submit)[1] == {"ok": True}
    assert call(demo, f"/client/modal?user={CARLA}")[1] == {"view": None}
    assert call(demo, "/client/modal/submit", submit)[0] == 400  # already closed: a 4xx


def test_the_composer_turns_an_at_name_into_a_mention_as_slack_does(demo):
    from sqlmodel import Session, select

    from store.models import Ticket

    call(demo, "/client/post", {"user": CARLA, "channel": HELP, "text": "Invoice is wrong"})
    demo.drain()
    # A command: the manifest's should_escape sends the picked person as <@U…|name>.
    _, shown = call(
        demo, "/client/post", {"user": LEE, "channel": TRIAGE, "text": "/ticket assign #1 @Ana"}
    )
    demo.drain()
    assert "is not a person" not in json.dumps(shown)
    with Session(demo.engine) as session:
        assert session.exec(select(Ticket)).one().assignee_id == ANA
    # A message: a mention Slack renders as a name; nobody by that name stays as typed.
    text = "@ana could you look? @nobody knows & <b>"
    _, posted = call(demo, "/client/post", {"user": LEE, "channel": TRIAGE, "text": text})
    stored = demo.fake.workspace.find_message(TRIAGE, posted["ts"])
    assert stored["text"] == f"<@{ANA}> could you look? @nobody knows &amp; &lt;b&gt;"
