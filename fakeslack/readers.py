"""What tests and the demo read back from the fake: the bot's messages, ephemerals,
reactions, views and shared files."""

from __future__ import annotations

import copy
from typing import Any

from .api_files import FakeFile, FileStore
from .state import Workspace


class StateReaders:
    """Mixed into FakeSlack: snapshots of the workspace state, taken under its lock."""

    _ws: Workspace
    _files: FileStore

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Live messages the bot posted (as last updated) in a channel, oldest first."""
        with self._ws.lock:
            resolved = self._ws.resolve_channel(channel) or channel
            return self._ws.bot_messages(resolved)

    def ephemerals(self, channel: str, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages posted in a channel, optionally only those for one user."""
        with self._ws.lock:
            return copy.deepcopy(
                [
                    e
                    for e in self._ws.ephemerals
                    if e["channel"] == channel and (user is None or e["user"] == user)
                ]
            )

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Reaction names the bot added to a message, in order."""
        with self._ws.lock:
            return [r["name"] for r in self._ws.reactions.get((channel, ts), [])]

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._ws.lock:
            return copy.deepcopy(self._ws.home_views.get(user_id))

    def views(self) -> list[dict[str, Any]]:
        """Every view stored by views.publish/open/push/update, by creation order."""
        with self._ws.lock:
            return copy.deepcopy(list(self._ws.views.values()))

    @property
    def files(self) -> list[FakeFile]:
        """Files shared with files.completeUploadExternal (bytes in `.content`), in order."""
        return self._files.shared()
