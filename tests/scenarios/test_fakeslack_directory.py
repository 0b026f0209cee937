"""The fake's directory lists page and check their arguments as Slack does, and names are
resolved across every page of them."""

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.names.refs import Kind
from bot.names.resolve import SlackDirectory
from bot.transport.client import build_web_client
from fakeslack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.add_channel("C1", "help", is_ext_shared=True)
    fake.add_channel("C2", "old", is_archived=True)
    fake.add_channel("G1", "secret", is_private=True, is_member=False)
    fake.add_channel("G2", "vip", is_private=True)
    fake.add_user("U1", "alice")
    fake.add_usergroup("S1", "support", ["U1"])
    fake.add_usergroup("S2", "retired", [], date_delete=1_700_000_000)
    yield fake
    fake.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def _ids(items: list) -> list[str]:
    return [item["id"] for item in items]


def test_conversations_list_shows_what_the_bot_may_see(client, fake):
    assert _ids(client.conversations_list()["channels"]) == ["C1", "C2"]
    both = client.conversations_list(types="public_channel,private_channel", exclude_archived=True)
    assert _ids(both["channels"]) == ["C1", "G2"]  # not archived, not a stranger's secret
    assert fake.errors == []


def test_lists_page_with_opaque_cursors(client, fake):
    for n in range(5):
        fake.add_channel(f"C9{n}", f"extra-{n}")
    first = client.conversations_list(limit=4)
    cursor = first["response_metadata"]["next_cursor"]
    assert len(first["channels"]) == 4 and cursor and not cursor.isdigit()
    rest = client.conversations_list(limit=4, cursor=cursor)
    assert len(rest["channels"]) == 3 and rest["response_metadata"]["next_cursor"] == ""
    users = client.users_list(limit=1)
    assert len(users["members"]) == 1 and users["response_metadata"]["next_cursor"]


@pytest.mark.parametrize(
    ("method", "args", "error"),
    [
        ("conversations.list", {"types": "public_channel,dm"}, "invalid_types"),
        ("conversations.list", {"limit": 1001}, "invalid_limit"),
        ("conversations.list", {"cursor": "1"}, "invalid_cursor"),
        ("users.list", {"limit": 0}, "invalid_limit"),
        ("users.list", {"cursor": "dXNlcnM6Mg=="}, "invalid_cursor"),  # not this method's
        ("usergroups.list", {"cursor": "abc"}, "invalid_arguments"),
    ],
)
def test_wrong_list_arguments_are_refused_and_recorded(client, fake, method, args, error):
    with pytest.raises(SlackApiError) as raised:
        client.api_call(method, params=args)
    assert raised.value.response["error"] == error
    assert len(fake.errors) == 1 and fake.errors[0].startswith(method)


def test_usergroups_list_answers_in_one_page_and_hides_disabled_groups(client):
    groups = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [("S1", "support", ["U1"])]
    assert _ids(client.usergroups_list(include_disabled=True)["usergroups"]) == ["S1", "S2"]


def test_names_resolve_across_pages(fake):
    for n in range(450):
        fake.add_channel(f"C{n:04d}X", f"team-{n}")
        fake.add_user(f"U{n:04d}X", f"person-{n}")
    directory = SlackDirectory(build_web_client("xoxb-test", base_url=fake.api_url))
    assert directory.resolve(Kind.CHANNEL, "#team-449") == "C0449X"
    assert directory.resolve(Kind.CHANNEL, "#TEAM-3") == "C0003X"  # listed once
    assert directory.resolve(Kind.USER, "@person-420") == "U0420X"
    pages = [call for call in fake.calls if call.method == "conversations.list"]
    assert len(pages) == 3 and "cursor" not in pages[0].args
    assert [call.args.get("limit") for call in pages] == ["200"] * 3
    assert len([call for call in fake.calls if call.method == "users.list"]) == 3
    assert fake.errors == []
