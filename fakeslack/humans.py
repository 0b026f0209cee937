"""The people of a fake workspace acting as their Slack client would.

A person posts, reacts, presses buttons, runs slash commands and opens App Home; each
action changes the fake's state the way Slack would and delivers to the app exactly the
signed request Slack would send (through a SlackDriver). The demo's web client and tests
use it alike.
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .api_chat import _sync_message_reactions
from .driver import SlackDriver
from .payloads import block_action, channel_type, find_element, rich_text_block
from .state import ApiError, Workspace

if TYPE_CHECKING:
    from .server import FakeSlack

SLACKBOT = "USLACKBOT"
# What the composer's autocomplete turns into a mention: "@" and a handle or display name.
_AT_NAME = re.compile(r"(?<![\w<])@([\w][\w.\-]*)")
_MESSAGE_SUBSCRIPTIONS = {
    "channel": "message.channels",
    "group": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}


@dataclass(frozen=True)
class Target:
    """Where an interactive element lives: a message, an ephemeral message or a view."""

    channel: str | None = None
    ts: str | None = None
    ephemeral: bool = False
    view_id: str | None = None


class Humans:
    """Acts for the workspace's people; every method returns once the app acknowledged."""

    def __init__(
        self,
        fake: FakeSlack,
        driver: SlackDriver,
        *,
        commands: Iterable[str] = (),
        events: Iterable[str] | None = None,
    ) -> None:
        self.fake = fake
        self.driver = driver
        self.commands = set(commands)
        # Event types the app subscribed to (None: all); Slack delivers nothing else.
        self.events = set(events) if events is not None else None
        self.ws: Workspace = fake.workspace

    # --- messages --------------------------------------------------------------------

    def post(
        self, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Post a message as `user`; the app receives the `message` event. Returns it."""
        with self.ws.lock:
            self._check_user(user)
            channel_id = self._channel(channel)
            team = self.ws.users[user]["team_id"]
            ts = self.ws.clock.next()
            message: dict[str, Any] = {
                "type": "message",
                "user": user,
                "team": team,
                # Slack's clients escape the three control characters of mrkdwn and turn
                # an @name picked from the autocomplete into a mention.
                "text": with_mentions(self.ws, escape(text)),
                "ts": ts,
                "client_msg_id": str(uuid.uuid4()),
                "blocks": [rich_text_block(text)],
            }
            if thread_ts:
                message["thread_ts"] = self.ws.thread_root_ts(channel_id, thread_ts)
            self.ws.store_message(channel_id, message)
            event = {
                **copy.deepcopy(message),
                "channel": channel_id,
                "user_team": team,
                "source_team": team,
                "event_ts": ts,
                "channel_type": channel_type(self.ws.channels[channel_id]),
            }
            shared = bool(self.ws.channels[channel_id]["is_ext_shared"])
        self.fake.touch()
        self._deliver(event, shared=shared)
        return message

    def react(self, user: str, channel: str, ts: str, name: str) -> bool:
        """Toggle `user`'s reaction; the app receives reaction_added/removed. True if added."""
        name = name.strip(":")
        with self.ws.lock:
            self._check_user(user)
            channel_id = self._channel(channel)
            message = self.ws.find_message(channel_id, ts)
            if message is None:
                raise ApiError("message_not_found")
            reactions = self.ws.reactions.setdefault((channel_id, ts), [])
            mine = [r for r in reactions if r["name"] == name and r["user"] == user]
            if mine:
                reactions.remove(mine[0])
            else:
                reactions.append({"name": name, "user": user})
            _sync_message_reactions(self.ws, channel_id, ts)
            event_ts = self.ws.clock.next()
            shared = bool(self.ws.channels[channel_id]["is_ext_shared"])
        self.fake.touch()
        event = {
            "type": "reaction_removed" if mine else "reaction_added",
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
            "item_user": message.get("user", ""),
            "event_ts": event_ts,
        }
        self._deliver(event, shared=shared)
        return not mine

    # --- App Home --------------------------------------------------------------------

    def open_home(self, user: str) -> None:
        """Open the app's Home tab; the app receives app_home_opened."""
        with self.ws.lock:
            self._check_user(user)
            view = copy.deepcopy(self.ws.home_views.get(user))
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user,
                "channel": self.ws.open_dm(user),
                "tab": "home",
                "event_ts": self.ws.clock.next(),
            }
        if view is not None:
            event["view"] = view
        self._deliver(event, shared=False)

    # --- slash commands --------------------------------------------------------------

    def command(self, user: str, channel: str, line: str) -> dict[str, Any] | None:
        """Run `/command text` as Slack would; the answer shown to the user, if any."""
        command, _, text = line.strip().partition(" ")
        with self.ws.lock:
            self._check_user(user)
            channel_id = self._channel(channel)
            channel_name = self.ws.channels[channel_id]["name"]
        if command not in self.commands:
            return self._slackbot_says(
                user, channel_id, f"`{command}` is not a valid command in this workspace."
            )
        url = self._response_url(user, channel_id, Target(channel=channel_id))
        name = self.ws.users[user]["name"]
        response = self.driver.command(
            command,
            # The manifest asks for should_escape: mentions arrive as <@U…|name>.
            with_mentions(self.ws, escape(text.strip()), named=True),
            user=user,
            channel=channel_id,
            user_name=name,
            channel_name=channel_name,
            response_url=url,
        )
        if response.status != 200:
            return self._slackbot_says(
                user, channel_id, f"`{command}` failed: the app answered HTTP {response.status}."
            )
        if not response.body.strip():
            return None
        try:
            answer = json.loads(response.body)
        except ValueError:
            answer = {"text": response.body}
        return self._respond(user, channel_id, Target(channel=channel_id), answer)

    # --- interactivity ---------------------------------------------------------------

    def press(
        self,
        user: str,
        target: Target,
        *,
        block_id: str,
        action_id: str,
        value: str | None = None,
    ) -> int:
        """Press a button or choose a select option (by its value); returns the HTTP status."""
        with self.ws.lock:
            self._check_user(user)
            holder, view = self._holder(user, target)
            element, kind = find_element(holder.get("blocks") or [], block_id, action_id)
            action = block_action(element, kind, block_id, value)
            account = self.ws.users[user]
            thread_ts = holder.get("thread_ts")
        url = self._response_url(user, target.channel, target)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": account["name"],
                "name": account["name"],
                "team_id": account["team_id"],
            },
            "api_app_id": self.driver.api_app_id,
            "token": "fake-verification-token",
            "trigger_id": self.trigger_for(user),
            "team": {"id": self.ws.team_id, "domain": self.ws.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            container: dict[str, Any] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": target.ephemeral,
            }
            if thread_ts:
                container["thread_ts"] = thread_ts
            payload["container"] = container
            payload["channel"] = {"id": target.channel, "name": self._channel_name(target)}
            payload["response_url"] = url
            if not target.ephemeral:
                payload["message"] = copy.deepcopy(holder)
        if kind == "static_select":
            selected = {"type": kind, "selected_option": action["selected_option"]}
            payload["state"]["values"] = {block_id: {action_id: selected}}
        return self.driver.action(payload).status

    def trigger_for(self, user: str) -> str:
        """A new trigger_id, remembered as this person's (a modal it opens is theirs)."""
        trigger = f"{int(time.time())}.{uuid.uuid4().hex}"
        with self.ws.lock:
            self.ws.triggers[trigger] = user
        return trigger

    # --- helpers ---------------------------------------------------------------------

    def _deliver(self, event: dict[str, Any], *, shared: bool) -> None:
        """Send the event if the app subscribed to it (manifest names: message.channels...)."""
        name = event["type"]
        if name == "message":
            name = _MESSAGE_SUBSCRIPTIONS.get(event.get("channel_type", ""), "message.channels")
        if self.events is None or name in self.events:
            self.driver.event(event, is_ext_shared_channel=shared)

    def _check_user(self, user: str) -> None:
        if user not in self.ws.users or self.ws.users[user]["is_bot"]:
            raise ApiError("user_not_found", f"no person {user!r} in the workspace")

    def _channel(self, ref: str) -> str:
        channel_id = self.ws.resolve_channel(ref)
        if channel_id is None:
            raise ApiError("channel_not_found", f"no channel {ref!r}")
        return channel_id

    def _channel_name(self, target: Target) -> str:
        with self.ws.lock:
            return str(self.ws.channels.get(target.channel or "", {}).get("name", ""))

    def _holder(self, user: str, target: Target) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The message, ephemeral or view holding the element (copied), and the view."""
        if target.view_id:
            view = self.ws.views.get(target.view_id)
            if view is None:
                raise ApiError("not_found", f"no view {target.view_id}")
            return copy.deepcopy(view), copy.deepcopy(view)
        if target.ephemeral:
            for eph in self.ws.ephemerals:
                if eph["ts"] == target.ts and eph["user"] == user:
                    return copy.deepcopy(eph), None
            raise ApiError("message_not_found", "no such ephemeral message for this user")
        message = self.ws.find_message(target.channel or "", target.ts or "")
        if message is None:
            raise ApiError("message_not_found", f"no message {target.ts} in {target.channel}")
        return copy.deepcopy(message), None

    def _response_url(self, user: str, channel: str | None, target: Target) -> str:
        url = self.driver.new_response_url("act")
        self.fake.on_response(url, lambda body: self._respond(user, channel, target, body))
        return url

    def _respond(
        self, user: str, channel: str | None, target: Target, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply an ack body or response_url POST as Slack would; return what was shown."""
        if channel is None or not any(k in body for k in ("text", "blocks", "delete_original")):
            return None
        # A reply replaces a whole message: what it leaves out is gone, as in Slack.
        content = {"text": body.get("text", ""), "blocks": copy.deepcopy(body.get("blocks", []))}
        with self.ws.lock:
            if body.get("delete_original") or body.get("replace_original"):
                if target.ephemeral:
                    self._edit_ephemeral(user, target, content, delete=body.get("delete_original"))
                elif target.ts and (message := self.ws.find_message(channel, target.ts)):
                    if body.get("delete_original"):
                        del self.ws.messages[channel][target.ts]
                    else:
                        message.update(content)
                self.fake.touch()
                return None
            if body.get("response_type") == "in_channel":
                shown = self._bot_post(channel, content, body.get("thread_ts"))
            else:
                shown = {"channel": channel, "user": user, "ts": self.ws.clock.next()}
                shown.update(text=content.get("text", ""), blocks=content.get("blocks", []))
                shown["thread_ts"] = body.get("thread_ts")
                self.ws.ephemerals.append(shown)
        self.fake.touch()
        return copy.deepcopy(shown)

    def _edit_ephemeral(
        self, user: str, target: Target, content: dict[str, Any], *, delete: Any
    ) -> None:
        for eph in list(self.ws.ephemerals):
            if eph["ts"] == target.ts and eph["user"] == user:
                if delete:
                    self.ws.ephemerals.remove(eph)
                else:
                    eph.update(content)

    def _bot_post(
        self, channel: str, content: dict[str, Any], thread_ts: str | None
    ) -> dict[str, Any]:
        ts = self.ws.clock.next()
        message = {
            "type": "message",
            "user": self.ws.bot_user_id,
            "bot_id": self.ws.bot_id,
            "app_id": self.ws.app_id,
            "team": self.ws.team_id,
            "text": content.get("text", ""),
            "blocks": content.get("blocks", []),
            "ts": ts,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self.ws.store_message(channel, message)

    def _slackbot_says(self, user: str, channel: str, text: str) -> dict[str, Any]:
        with self.ws.lock:
            shown = {
                "channel": channel,
                "user": user,
                "ts": self.ws.clock.next(),
                "text": text,
                "blocks": [],
                "thread_ts": None,
                "from": SLACKBOT,
            }
            self.ws.ephemerals.append(shown)
        self.fake.touch()
        return copy.deepcopy(shown)


def escape(text: str) -> str:
    """What Slack's clients do to the three control characters of mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def with_mentions(ws: Workspace, text: str, *, named: bool = False) -> str:
    """Each `@name` that names exactly one person (handle or display name, any case)
    becomes a mention, as picking them from the composer's autocomplete does."""

    def mention(match: re.Match[str]) -> str:
        wanted = match.group(1).casefold()
        found = [
            user_id
            for user_id, user in ws.users.items()
            if wanted
            in {
                str(user.get("name", "")).casefold(),
                str(user.get("profile", {}).get("display_name", "")).casefold(),
            }
        ]
        if len(found) != 1:
            return match.group(0)  # nobody or several: left as typed, as Slack would
        return f"<@{found[0]}|{match.group(1)}>" if named else f"<@{found[0]}>"

    return _AT_NAME.sub(mention, text)
