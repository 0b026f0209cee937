"""In-memory workspace state of the fake Slack: channels, users, messages, reactions, views."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Slack ts values are "seconds.micros"; the fake counts in integer microseconds so that
# ordering and "strictly greater" checks never go through float rounding.
_MICROS = 1_000_000
_TS_STEP = 100


@dataclass
class Call:
    """One HTTP attempt against the fake Web API, in arrival order."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the call got HTTP 200 with ok true."""
        return self.status == 200 and bool(self.response.get("ok"))


class ApiError(Exception):
    """An ok:false answer; `violation` set means a client bug to report in fake.errors."""

    def __init__(
        self,
        error: str,
        violation: str | list[str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        if violation is None:
            self.violations: list[str] = []
        elif isinstance(violation, str):
            self.violations = [violation]
        else:
            self.violations = list(violation)
        self.extra = extra


def ts_to_micros(ts: str) -> int | None:
    """Parse "1700000000.000100" into microseconds; None if it is not a Slack ts."""
    sec, _, frac = str(ts).partition(".")
    if not sec.isdigit() or (frac and not frac.isdigit()) or len(frac) > 6:
        return None
    return int(sec) * _MICROS + int(frac.ljust(6, "0") or "0")


def micros_to_ts(micros: int) -> str:
    """Format microseconds as a Slack ts with exactly six decimals."""
    return f"{micros // _MICROS}.{micros % _MICROS:06d}"


class TsClock:
    """Issues strictly increasing ts values, always above every ts the fake has seen.

    With `now` (epoch seconds, e.g. a demo's accelerated clock) each ts is also at least
    that moment, so message times follow the clock the app runs on.
    """

    def __init__(
        self, start: str = "1700000000.000000", now: Callable[[], float] | None = None
    ) -> None:
        self._last = ts_to_micros(start) or 0
        self._now = now
        self._lock = threading.Lock()

    def next(self) -> str:
        """Return a fresh ts greater than all previous ones."""
        with self._lock:
            self._last += _TS_STEP
            if self._now is not None:
                self._last = max(self._last, int(self._now() * _MICROS))
            return micros_to_ts(self._last)

    def observe(self, ts: Any) -> None:
        """Note a ts from outside (seeded or sent by the app) so later ts sort after it."""
        micros = ts_to_micros(ts) if isinstance(ts, str) else None
        if micros is None:
            return
        with self._lock:
            if micros >= self._last:
                # +1 keeps fake-issued ts off the driver's 100µs grid, so they never collide.
                self._last = micros + 1


class Workspace:
    """Everything the fake remembers about one Slack workspace; callers hold `lock`."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        team_name: str,
        bot_user_id: str,
        bot_id: str,
        app_id: str,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.lock = threading.RLock()
        self.clock = TsClock(now=now)
        self.channels: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}  # group id -> member ids
        self.usergroup_info: dict[str, dict[str, Any]] = {}  # as usergroups.list shows each
        self.teams: dict[str, dict[str, Any]] = {}  # other organizations (Slack Connect)
        self.clear_activity()

    def clear_activity(self) -> None:
        """Forget messages, reactions and views but keep the directory (channels, users)."""
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.reactions: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.view_seq = 0
        # Who pressed for each trigger_id Humans sent, so views.open knows whose screen
        # the modal opens on; and the modal open on each person's screen (user -> view id).
        self.triggers: dict[str, str] = {}
        self.modals: dict[str, str] = {}

    # --- directory -------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_ext_shared: bool = False,
        is_private: bool = False,
        is_im: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create or replace a channel shaped like conversations.info's `channel`."""
        channel: dict[str, Any] = {
            "id": channel_id,
            "name": name,
            "name_normalized": name,
            "is_channel": not is_im and not is_private,
            "is_group": is_private and not is_im,
            "is_im": is_im,
            "is_mpim": False,
            "is_private": is_private or is_im,
            "is_archived": False,
            "is_general": False,
            "is_shared": is_ext_shared,
            "is_ext_shared": is_ext_shared,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "is_member": True,
            "created": 1_600_000_000,
            "creator": "",
            "context_team_id": self.team_id,
            "shared_team_ids": [self.team_id],
            "internal_team_ids": [],
            "conversation_host_id": self.team_id,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }
        channel.update(extra)
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, {})
        return channel

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        team_id: str | None = None,
        is_bot: bool = False,
        real_name: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create or replace a user shaped like users.info's `user`."""
        real = real_name if real_name is not None else name
        team = team_id or self.team_id
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": "Etc/UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "profile": {
                "display_name": name,
                "display_name_normalized": name,
                "real_name": real,
                "real_name_normalized": real,
                "team": team,
                "email": f"{name}@example.com" if not is_bot else "",
            },
            "is_admin": False,
            "is_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "is_stranger": team != self.team_id,
            "updated": 1_600_000_000,
        }
        if is_bot and user_id == self.bot_user_id:
            user["profile"]["bot_id"] = self.bot_id
            user["profile"]["api_app_id"] = self.app_id
        user.update(extra)
        self.users[user_id] = user
        return user

    def add_usergroup(
        self, group_id: str, handle: str, users: list[str], **extra: Any
    ) -> dict[str, Any]:
        """Create or replace a user group shaped like usergroups.list's entries."""
        group: dict[str, Any] = {
            "id": group_id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "name": handle,
            "description": "",
            "handle": handle,
            "is_external": False,
            "date_create": 1_600_000_000,
            "date_update": 1_600_000_000,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "",
            "updated_by": "",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
        }
        group.update(extra)
        self.usergroup_info[group_id] = group
        self.usergroups[group_id] = list(users)
        return group

    def resolve_channel(self, ref: Any) -> str | None:
        """Map a channel id, "#name", name or user id (opens a DM) to a channel id."""
        if not isinstance(ref, str) or not ref:
            return None
        if ref in self.channels:
            return ref
        bare = ref.removeprefix("#")
        for cid, channel in self.channels.items():
            if channel["name"] == bare and not channel["is_im"]:
                return cid
        if ref in self.users:
            return self.open_dm(ref)
        return None

    def open_dm(self, user_id: str) -> str:
        """Return (creating on first use) the IM channel between the bot and a user."""
        dm_id = "D" + user_id[1:]
        if dm_id not in self.channels:
            self.add_channel(dm_id, user_id, is_im=True, user=user_id)
        return dm_id

    # --- messages --------------------------------------------------------------------

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Return the stored message (live object) or None."""
        return self.messages.get(channel, {}).get(ts)

    def seed_message(
        self, channel: str, ts: str, user: str, text: str, thread_ts: str | None, **extra: Any
    ) -> dict[str, Any]:
        """Store a message a person wrote (in `user`'s team), as Slack keeps it."""
        if channel not in self.channels:
            raise KeyError(f"unknown channel {channel!r}: call add_channel first")
        team = self.users.get(user, {}).get("team_id", self.team_id)
        message: dict[str, Any] = {"type": "message", "user": user, "team": team, "text": text}
        message["ts"] = ts
        if thread_ts and thread_ts != ts:
            message["thread_ts"] = thread_ts
        message.update(extra)
        return self.store_message(channel, message)

    def store_message(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Store a message and keep its thread root's reply bookkeeping current."""
        self.clock.observe(message["ts"])
        self.messages.setdefault(channel, {})[message["ts"]] = message
        root_ts = message.get("thread_ts")
        if root_ts and root_ts != message["ts"]:
            self.clock.observe(root_ts)
            root = self.find_message(channel, root_ts)
            if root is not None:
                message.setdefault("parent_user_id", root.get("user", ""))
                root["thread_ts"] = root_ts
                root["reply_count"] = root.get("reply_count", 0) + 1
                users = root.setdefault("reply_users", [])
                if message.get("user") and message["user"] not in users:
                    users.append(message["user"])
                root["reply_users_count"] = len(users)
                root["latest_reply"] = message["ts"]
        return message

    def thread_root_ts(self, channel: str, ts: str) -> str:
        """Return the root ts of the thread that `ts` belongs to (itself if unknown)."""
        message = self.find_message(channel, ts)
        if message is not None and message.get("thread_ts"):
            return str(message["thread_ts"])
        return ts

    def thread(self, channel: str, root_ts: str) -> list[dict[str, Any]]:
        """Return the root (if known) and its replies, oldest first."""
        found = [
            m
            for m in self.messages.get(channel, {}).values()
            if m["ts"] == root_ts or m.get("thread_ts") == root_ts
        ]
        return sorted(found, key=lambda m: ts_to_micros(m["ts"]) or 0)

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        """Return deep copies of the bot's live messages in a channel, oldest first."""
        found = [
            m for m in self.messages.get(channel, {}).values() if m.get("bot_id") == self.bot_id
        ]
        found.sort(key=lambda m: ts_to_micros(m["ts"]) or 0)
        return copy.deepcopy(found)
