"""Resolve the names in deskbot.yaml through Slack's directory, once, at start.

Each list (conversations.list, users.list, usergroups.list) is fetched only when a name of
its kind is written, a page at a time, and only once per start. A name must match exactly
one thing (case does not matter): none or several is a problem, named with its key.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.config import ConfigError, DeskConfig, describe_validation_error
from bot.names.refs import RESOLVER, Kind

logger = logging.getLogger(__name__)

PAGE = 200  # Slack's advice for paginated lists
MAX_PAGES = 10_000  # 2 million entries: past that a cursor is going round in circles
_NOUNS = {Kind.CHANNEL: "channel", Kind.USER: "person", Kind.USERGROUP: "user group"}
_PLURALS = {Kind.CHANNEL: "channels", Kind.USER: "people", Kind.USERGROUP: "user groups"}
_METHODS = {
    Kind.CHANNEL: "conversations.list",
    Kind.USER: "users.list",
    Kind.USERGROUP: "usergroups.list",
}
_HINTS = {
    Kind.CHANNEL: " (a private channel is found only once deskbot is invited to it; "
    "an archived one never)",
    Kind.USER: " (deactivated accounts and bots are not matched)",
    Kind.USERGROUP: " (disabled user groups are not matched)",
}


@dataclass(frozen=True)
class Resolution:
    """One name and what it turned out to be."""

    kind: Kind
    name: str
    slack_id: str
    label: str  # how Slack shows it: "#support-triage", "@support", a display name

    def __str__(self) -> str:
        same = self.label.casefold() in (self.name.casefold(), self.name[1:].casefold())
        return f"{self.name} -> {self.slack_id}" + ("" if same else f" ({self.label})")


def all_pages(call: Callable[..., Any], key: str, **args: Any) -> Iterator[dict[str, Any]]:
    """Every item under `key` of a cursor-paginated Web API method, page after page."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = call(**args, cursor=cursor) if cursor else call(**args)
        yield from page.get(key) or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None or cursor in seen:
            return
        seen.add(cursor)


class SlackDirectory:
    """A `Resolver` asking Slack's Web API, listing each kind at most once."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lists: dict[Kind, list[dict[str, Any]]] = {}
        self._refused: dict[Kind, str] = {}
        self.resolutions: dict[tuple[Kind, str], Resolution] = {}

    def resolve(self, kind: Kind, name: str) -> str:
        """The one ID `name` names; ValueError for none, several, or a refused list."""
        known = self.resolutions.get((kind, name))
        if known is not None:
            return known.slack_id
        matches = [item for item in self._listed(kind) if name_matches(kind, item, name)]
        if not matches:
            raise ValueError(f"no {_NOUNS[kind]} named {name} in this workspace{_HINTS[kind]}")
        if len(matches) > 1:
            some = ", ".join(f"{item['id']} {label(kind, item)}" for item in matches[:5])
            raise ValueError(
                f"{name} matches {len(matches)} {_PLURALS[kind]} ({some}); write the ID instead"
            )
        found = Resolution(kind, name, str(matches[0]["id"]), label(kind, matches[0]))
        self.resolutions[(kind, name)] = found
        return found.slack_id

    def _listed(self, kind: Kind) -> list[dict[str, Any]]:
        if kind in self._refused:
            raise ValueError(self._refused[kind])
        if kind not in self._lists:
            from slack_sdk.errors import SlackApiError

            try:
                self._lists[kind] = self._fetch(kind)
            except SlackApiError as error:
                self._refused[kind] = (
                    f"cannot list {_PLURALS[kind]}: Slack answered {_METHODS[kind]} with "
                    f"{error.response.get('error')} (see app_manifest.yaml for the scopes)"
                )
                raise ValueError(self._refused[kind]) from None
            logger.debug("listed %d %s to resolve names", len(self._lists[kind]), _PLURALS[kind])
        return self._lists[kind]

    def _fetch(self, kind: Kind) -> list[dict[str, Any]]:
        client = self._client
        if kind is Kind.CHANNEL:
            pages = all_pages(
                client.conversations_list,
                "channels",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=PAGE,
            )
        elif kind is Kind.USER:
            pages = all_pages(client.users_list, "members", limit=PAGE)
        else:  # usergroups.list answers in one page; a cursor would be followed all the same
            pages = all_pages(client.usergroups_list, "usergroups")
        return list(pages)


def name_matches(kind: Kind, item: dict[str, Any], name: str) -> bool:
    """Whether a listed channel, person or group goes by `name` (its sigil stripped)."""
    wanted = name[1:].casefold()
    if kind is Kind.CHANNEL:
        candidates = [item.get("name"), item.get("name_normalized")]
    elif kind is Kind.USER:
        if item.get("deleted") or item.get("is_bot") or item.get("id") == "USLACKBOT":
            return False
        profile = item.get("profile") or {}
        candidates = [
            item.get("name"),
            item.get("real_name"),
            profile.get("display_name"),
            profile.get("real_name"),
        ]
    else:
        if item.get("date_delete"):
            return False
        candidates = [item.get("handle"), item.get("name")]
    return any(isinstance(c, str) and c and c.casefold() == wanted for c in candidates)


def label(kind: Kind, item: dict[str, Any]) -> str:
    """How a person reads what a name resolved to."""
    if kind is Kind.CHANNEL:
        return f"#{item.get('name')}"
    if kind is Kind.USERGROUP:
        return f"@{item.get('handle')}"
    profile = item.get("profile") or {}
    return str(profile.get("display_name") or item.get("real_name") or item.get("name"))


class _Collector:
    """A resolver that resolves nothing: it notes each name and keeps it as written."""

    def __init__(self) -> None:
        self.names: list[tuple[Kind, str]] = []

    def resolve(self, kind: Kind, name: str) -> str:
        if (kind, name) not in self.names:
            self.names.append((kind, name))
        return name


def names_in(desk: DeskConfig) -> list[tuple[Kind, str]]:
    """Every name (not ID) the config writes, in the order it writes them."""
    collector = _Collector()
    DeskConfig.model_validate(desk.model_dump(), context={RESOLVER: collector})
    return collector.names


def resolve_config(desk: DeskConfig, resolver: Any, *, source: str = "deskbot.yaml") -> DeskConfig:
    """The config with every name replaced by its ID; ConfigError listing each problem."""
    try:
        resolved = DeskConfig.model_validate(desk.model_dump(), context={RESOLVER: resolver})
    except ValidationError as error:
        raise ConfigError(
            describe_validation_error(error, source=source, headline="names Slack cannot resolve")
        ) from None
    if len(resolved.routing.channels) != len(desk.routing.channels):
        raise ConfigError(
            f"{source}: names Slack cannot resolve\n"
            "  routing.channels: two keys name the same channel; merge them"
        )
    return resolved
