"""Fake Web API directory lists: conversations.list, users.list and usergroups.list.

Paginated as Slack paginates (`limit`, an opaque `cursor`, `response_metadata.next_cursor`
empty on the last page); usergroups.list answers in one page, as Slack's does. Arguments
are checked as Slack checks them, and a client bug (a cursor the fake never issued, a
limit out of range, an unknown conversation type) is recorded in `fake.errors`.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from .apiargs import Handler, flag, present
from .state import ApiError, Workspace

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
CONVERSATION_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})


def _cursor(method: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{method}:{offset}".encode()).decode()


def _page(method: str, items: list[dict[str, Any]], args: dict[str, Any]) -> tuple[list, str]:
    """The page of `items` that `limit` and `cursor` ask for, and the cursor after it."""
    limit = DEFAULT_LIMIT
    if present(args, "limit"):
        text = str(args["limit"])
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            raise ApiError("invalid_limit", f"limit must be 1..{MAX_LIMIT}, got {text[:20]!r}")
        limit = int(text)
    start = 0
    if present(args, "cursor"):
        try:
            decoded = base64.urlsafe_b64decode(str(args["cursor"])).decode()
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            decoded = ""
        prefix, _, offset = decoded.partition(":")
        if prefix != method or not offset.isdigit():
            raise ApiError("invalid_cursor", f"a cursor this fake never issued: {args['cursor']!r}")
        start = int(offset)
    following = start + limit
    cursor = _cursor(method, following) if following < len(items) else ""
    return [copy.deepcopy(item) for item in items[start:following]], cursor


def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.list: the channels of `types` the bot can see, a page at a time."""
    types = {t.strip() for t in str(args.get("types") or "public_channel").split(",")}
    unknown = sorted(types - CONVERSATION_TYPES)
    if unknown:
        raise ApiError("invalid_types", f"unknown conversation types {unknown}")
    exclude_archived = flag(args.get("exclude_archived", False))

    def listed(channel: dict[str, Any]) -> bool:
        if channel["is_im"]:
            return "im" in types
        if channel["is_mpim"]:
            return "mpim" in types
        if exclude_archived and channel["is_archived"]:
            return False
        if channel["is_private"]:  # a private channel is visible to its members only
            return "private_channel" in types and bool(channel.get("is_member"))
        return "public_channel" in types

    channels, cursor = _page(
        "conversations.list", [c for c in ws.channels.values() if listed(c)], args
    )
    return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": cursor}}


def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """users.list: every registered user, a page at a time."""
    members, cursor = _page("users.list", list(ws.users.values()), args)
    return {"ok": True, "members": members, "response_metadata": {"next_cursor": cursor}}


def usergroups_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.list: every user group (disabled ones on request), in one answer."""
    for name in ("cursor", "limit"):
        if present(args, name):
            raise ApiError("invalid_arguments", f"usergroups.list takes no {name!r}")
    include_users = flag(args.get("include_users", False))
    include_count = flag(args.get("include_count", False))
    include_disabled = flag(args.get("include_disabled", False))
    groups = []
    for group_id, info in ws.usergroup_info.items():
        if info["date_delete"] and not include_disabled:
            continue
        group = copy.deepcopy(info)
        members = ws.usergroups.get(group_id, [])
        if include_users:
            group["users"] = list(members)
        if include_count:
            group["user_count"] = len(members)
        groups.append(group)
    return {"ok": True, "usergroups": groups}


DIRECTORY_METHODS: dict[str, Handler] = {
    "conversations.list": conversations_list,
    "users.list": users_list,
    "usergroups.list": usergroups_list,
}
