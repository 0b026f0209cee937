"""The ports bot/ talks to Slack through, as Protocols the handlers' classes satisfy.

bot/ never imports handlers/ (bot/app.py alone wires them), so what the services and the
listeners' `Deps` hold from the Slack side is named here by what it does: the leak guard
that every post goes through, and the intake pipeline that keeps events before Slack
gets its answer.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from slack_sdk import WebClient

Event = dict[str, Any]  # a Slack event callback's body


class Audience(StrEnum):
    """Who may read a message."""

    CUSTOMER = "customer"  # fine anywhere: acknowledgements, suggestions, surveys
    INTERNAL = "internal"  # only where every reader belongs to the installing organization


class Poster(Protocol):
    """Posts, updates, ephemerals and uploads, refusing internal content where it leaks."""

    def post(self, *, audience: Audience, channel: str, text: str, **kwargs: Any) -> Any | None:
        """chat.postMessage if the audience may read it there; None when refused."""
        ...

    def update(
        self, *, audience: Audience, channel: str, ts: str, text: str, **kwargs: Any
    ) -> Any | None:
        """chat.update if the audience may read it there; None when refused."""
        ...

    def ephemeral(self, *, channel: str, user: str, text: str, **kwargs: Any) -> Any:
        """chat.postEphemeral: only `user` sees it."""
        ...

    def upload(self, *, audience: Audience, channel: str, **kwargs: Any) -> Any | None:
        """An upload if the audience may read it there (a user id means their DM)."""
        ...

    def forget(self, channel_id: str) -> None:
        """Drop what is known about whether the channel is shared (it changed)."""
        ...


class KeptEvents(Protocol):
    """The intake pipeline: events kept in the inbox before the acknowledgement."""

    workers: int
    capacity: int

    def keep_kind(
        self,
        event_type: str,
        *,
        worth_keeping: Callable[[dict[str, Any]], bool],
        store: Callable[[WebClient, int, Event], Any],
        follow_up: Callable[[WebClient, Any], None] | None = None,
        queued: bool = True,
    ) -> None:
        """Keep events of this type before they are acknowledged; `store` handles one."""
        ...

    def hand_over(self, client: WebClient, row_id: int, body: Event) -> None:
        """Queue a kept event for storing and its Slack side; returns at once."""
        ...

    def pull(self, client: WebClient) -> int:
        """Take up unleased or expired events from the inbox while there is room."""
        ...
