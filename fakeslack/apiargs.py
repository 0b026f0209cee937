"""Argument helpers shared by the fake's Web API method handlers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .blockkit import MAX_MESSAGE_TEXT, validate_blocks
from .state import ApiError, Workspace

# A handler answers one Web API method: it gets the workspace (lock held) and the decoded
# arguments and returns the JSON response, or raises ApiError for ok:false.
Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


def present(args: dict[str, Any], name: str) -> bool:
    """Whether an argument was sent with a non-empty value."""
    value = args.get(name)
    return value is not None and value != ""


def require(args: dict[str, Any], name: str, error: str = "invalid_arguments") -> Any:
    """Return a required argument or fail with `error` and a recorded violation."""
    if not present(args, name):
        raise ApiError(error, f"missing required arg {name!r}")
    return args[name]


def flag(value: Any) -> bool:
    """Interpret Slack's boolean encodings (true, "1", "true")."""
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def channel_arg(ws: Workspace, args: dict[str, Any], name: str = "channel") -> str:
    """Return the channel id an argument refers to, or fail with channel_not_found."""
    ref = require(args, name, "channel_not_found")
    channel = ws.resolve_channel(ref)
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def invalid_blocks(problems: list[str]) -> ApiError:
    """Build Slack's invalid_blocks answer, which lists each problem in response_metadata."""
    return ApiError(
        "invalid_blocks",
        problems,
        errors=problems,
        response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
    )


def message_content(args: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """Validate text/blocks/attachments and return those that were sent."""
    if required and not any(present(args, k) for k in ("text", "blocks", "attachments")):
        raise ApiError("no_text", "one of text/blocks/attachments is required")
    content: dict[str, Any] = {}
    if "text" in args and args["text"] is not None:
        text = str(args["text"])
        if len(text) > MAX_MESSAGE_TEXT:
            raise ApiError(
                "msg_too_long", f"text longer than {MAX_MESSAGE_TEXT} chars ({len(text)})"
            )
        content["text"] = text
    if "blocks" in args and args["blocks"] is not None:
        problems = validate_blocks(args["blocks"])
        if problems:
            raise invalid_blocks(problems)
        content["blocks"] = copy.deepcopy(args["blocks"])
    if "attachments" in args and args["attachments"] is not None:
        content["attachments"] = copy.deepcopy(args["attachments"])
    return content


APP_TOKEN_METHODS = frozenset({"apps.connections.open"})  # the rest take the bot token


def token_error(method: str, token: str | None, *, bot: str, app: str) -> ApiError | None:
    """What Slack answers a call of `method` with `token` (None: the right token)."""
    wanted = app if method in APP_TOKEN_METHODS else bot
    if token == wanted:
        return None
    if not token:
        return ApiError("not_authed", "no token sent")
    if token in (bot, app):
        kind = "app (xapp-)" if method in APP_TOKEN_METHODS else "bot (xoxb-)"
        return ApiError("not_allowed_token_type", f"needs the {kind} token")
    return ApiError("invalid_auth", "unknown token")
