"""People named as people type them: `@ana`, `ana`, `Ana Silva` to one user id.

Slack sends a slash command's mentions as `<@U123|ana>` when the command escapes them, but
people also type a plain name (in a client that does not complete it, or in a command
whose escaping is off). The directory is Slack's users.list, read at most every few
minutes and only when a plain name must be resolved.
"""

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock

FRESH_FOR = timedelta(minutes=10)  # a new colleague is found within this long


class NameNotResolved(ValueError):
    """A typed name that matches nobody, or more than one person (the message says which)."""


class UserNames:
    """Finds the one active person a typed name means, from a cached users.list."""

    def __init__(self, *, clock: Clock, fetch: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
        self._clock = clock
        self._fetch = fetch
        self._lock = threading.Lock()
        self._users: list[Mapping[str, Any]] = []
        self._read_at: datetime | None = None

    def resolve(self, typed: str) -> str:
        """The user id `typed` names (its handle, display name or real name, any case)."""
        name = typed.strip().lstrip("@").strip()
        if not name:
            raise NameNotResolved("Name someone, like `@ana`.")
        matches = self._matching(name)
        if not matches:
            raise NameNotResolved(
                f"Nobody here is called `@{name[:40]}`: mention them, like `@ana`."
            )
        if len(matches) > 1:
            names = ", ".join(f"<@{user_id}>" for user_id in sorted(matches)[:5])
            raise NameNotResolved(f"`@{name[:40]}` could be {names}: mention the one you mean.")
        return next(iter(matches))

    def _matching(self, name: str) -> set[str]:
        wanted = name.casefold()
        return {
            str(user["id"])
            for user in self._directory()
            if not user.get("deleted") and not user.get("is_bot") and wanted in _names(user)
        }

    def _directory(self) -> list[Mapping[str, Any]]:
        now = self._clock()
        with self._lock:
            if self._read_at is None or now - self._read_at >= FRESH_FOR:
                self._users = list(self._fetch())
                self._read_at = now
            return self._users


def _names(user: Mapping[str, Any]) -> set[str]:
    """Every name a person may be typed as, case-folded."""
    profile = user.get("profile") or {}
    candidates = (
        user.get("name"),
        user.get("real_name"),
        profile.get("display_name"),
        profile.get("real_name"),
    )
    return {str(value).casefold() for value in candidates if value}
