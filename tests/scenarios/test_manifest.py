"""The Slack app manifest is valid and asks for exactly what the code uses."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import handlers

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest-schema" / "manifest.schema.1.0.0.json"

# Slack's documented scope for each Web API method and bot event deskbot uses.
METHOD_SCOPES = {
    "auth.test": None,
    "chat.getPermalink": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "reactions.add": "reactions:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "team.info": "team:read",
    "reactions.remove": "reactions:write",
    "usergroups.users.list": "usergroups:read",
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.list": ("channels:read", "groups:read"),
    "usergroups.list": "usergroups:read",
    "conversations.replies": "channels:history",
    "conversations.history": ("channels:history", "groups:history"),
    "views.publish": None,
    "views.open": None,
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "app_home_opened": None,
    "channel_shared": ("channels:read", "groups:read"),
    "channel_unshared": ("channels:read", "groups:read"),
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "app_manifest.yaml").read_text())


def test_manifest_validates_against_slack_schema(manifest):
    if not SCHEMA.exists():
        pytest.skip(f"Slack's manifest schema not found at {SCHEMA}")
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))


def test_bot_events_match_what_the_code_listens_to(manifest):
    assert (
        set(manifest["settings"]["event_subscriptions"]["bot_events"]) == handlers.declared_events()
    )


def test_slash_commands_match_what_the_code_registers(manifest):
    listed = {command["command"] for command in manifest["features"].get("slash_commands", [])}
    assert listed == handlers.declared_commands()


def test_slash_commands_have_mentions_escaped(manifest):
    # Escaped, Slack sends `@ana` as `<@U…|ana>`: a person, not a guess at a name.
    for command in manifest["features"]["slash_commands"]:
        assert command["should_escape"] is True, command["command"]


def test_shortcuts_match_what_the_code_registers(manifest):
    listed = {item["callback_id"] for item in manifest["features"].get("shortcuts", [])}
    assert listed == handlers.declared_shortcuts()


def test_scopes_are_exactly_those_the_code_needs(manifest):
    needed: set[str | None] = set()
    for method in handlers.declared_methods():
        scopes = METHOD_SCOPES[method]
        needed |= set(scopes) if isinstance(scopes, tuple) else {scopes}
    for event in handlers.declared_events():
        scopes = EVENT_SCOPES[event]
        needed |= set(scopes) if isinstance(scopes, tuple) else {scopes}
    if handlers.declared_commands() or handlers.declared_shortcuts():
        needed.add("commands")
    needed.discard(None)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_sign_in_with_slack_is_set_up_for_the_dashboard(manifest):
    from bot.dashboard.auth import CALLBACK_PATH, SCOPES

    oauth = manifest["oauth_config"]
    assert oauth["scopes"]["user"] == list(SCOPES)
    assert [url.endswith(CALLBACK_PATH) for url in oauth["redirect_urls"]] == [True]


def test_every_manifest_event_reaches_a_listener(deskbot, manifest):
    """An event type the manifest subscribes to but no listener takes would answer 404."""
    bolt_types = {
        name.split(".")[0] for name in manifest["settings"]["event_subscriptions"]["bot_events"]
    }
    for event_type in bolt_types:
        event = {
            "type": event_type,
            "channel": "C0HELP",
            "user": "UINT1",
            "ts": "1.000001",
            "subtype": "channel_join",
            "event_ts": "1.000001",
        }
        assert deskbot.driver.event(event).status == 200, event_type
    deskbot.drain()
