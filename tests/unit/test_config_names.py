"""Names in deskbot.yaml: what counts as a name, matching, and how listing failures read."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.config import ConfigError, parse_config
from bot.names.refs import Kind, is_id, is_name
from bot.names.resolve import SlackDirectory, all_pages, names_in, resolve_config


def test_ids_and_names_are_told_apart():
    assert is_id(Kind.CHANNEL, "C0123ABC") and is_id(Kind.CHANNEL, "G0PRIV")
    assert is_name(Kind.CHANNEL, "#support-triage") and is_name(Kind.CHANNEL, "#サポート")
    assert is_name(Kind.USER, "@Ana Lima") and is_name(Kind.USERGROUP, "@support-team")
    for bad in ("#", "# x", "#a#b", "#" + "x" * 81, "support", "@x"):
        assert not is_name(Kind.CHANNEL, bad), bad
    assert not is_name(Kind.USER, "ana") and not is_name(Kind.USER, "@ana ")


def test_names_in_lists_each_name_once_in_order():
    desk = parse_config(
        {
            "triage_channel": "#triage",
            "agents": ["@ana", "UAGENT2", "@ana"],
            "routing": {"agents": ["@ben"], "channels": {"#help": {"agents": ["@ana"]}}},
        }
    )
    assert names_in(desk) == [
        (Kind.CHANNEL, "#triage"),
        (Kind.USER, "@ana"),
        (Kind.USER, "@ben"),
        (Kind.CHANNEL, "#help"),
    ]
    assert names_in(parse_config({"triage_channel": "C0TRIAGE"})) == []


def test_two_routing_keys_naming_one_channel_are_refused():
    desk = parse_config({"routing": {"channels": {"#help": {}, "C0HELP": {"mode": "none"}}}})

    class Directory:
        def resolve(self, kind: Kind, name: str) -> str:
            return "C0HELP"

    with pytest.raises(ConfigError, match="two keys name the same channel"):
        resolve_config(desk, Directory())


def test_a_cursor_that_comes_round_again_ends_the_listing():
    asked: list[str | None] = []

    def call(**args: object) -> dict:
        asked.append(args.get("cursor"))  # type: ignore[arg-type]
        return {"items": [len(asked)], "response_metadata": {"next_cursor": "same"}}

    assert list(all_pages(call, "items", limit=2)) == [1, 2]
    assert asked == [None, "same"]


class _Refusing:
    """A Web client whose lists Slack refuses (the scope is missing)."""

    calls = 0

    def conversations_list(self, **_args: object) -> None:
        self.calls += 1
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url="conversations.list",
            req_args={},
            data={"ok": False, "error": "missing_scope"},
            headers={},
            status_code=200,
        )
        raise SlackApiError("missing_scope", response)


def test_a_refused_list_is_one_clear_problem_per_name_and_asked_once():
    client = _Refusing()
    desk = parse_config({"triage_channel": "#triage", "leads_channel": "#leads"})
    with pytest.raises(ConfigError) as raised:
        resolve_config(desk, SlackDirectory(client))
    lines = str(raised.value).splitlines()
    assert lines[1] == (
        "  triage_channel: cannot list channels: Slack answered conversations.list with "
        "missing_scope (see app_manifest.yaml for the scopes)"
    )
    assert lines[2].startswith("  leads_channel: cannot list channels") and client.calls == 1
