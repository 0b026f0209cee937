"""Fake Web API methods that write or read messages: chat.*, reactions.*, conversations.replies."""

from __future__ import annotations

import copy
from typing import Any

from .apiargs import Handler, channel_arg, message_content, present, require
from .state import ApiError, Workspace, ts_to_micros


def bot_message(ws: Workspace, ts: str, content: dict[str, Any]) -> dict[str, Any]:
    """Build a message as Slack stores one posted with the bot token."""
    message: dict[str, Any] = {
        "type": "message",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "team": ws.team_id,
        "text": content.get("text", ""),
        "blocks": content.get("blocks", []),
        "ts": ts,
        "bot_profile": {
            "id": ws.bot_id,
            "app_id": ws.app_id,
            "name": ws.users.get(ws.bot_user_id, {}).get("name", "deskbot"),
            "team_id": ws.team_id,
            "deleted": False,
        },
    }
    if "attachments" in content:
        message["attachments"] = content["attachments"]
    return message


def _thread_root(ws: Workspace, channel: str, args: dict[str, Any]) -> str | None:
    """Return the thread root a post belongs in, following a reply's ts to its root."""
    thread_ts = args.get("thread_ts")
    if not present(args, "thread_ts"):
        return None
    thread_ts = str(thread_ts)
    ws.clock.observe(thread_ts)
    return ws.thread_root_ts(channel, thread_ts)


def chat_post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage: store a new bot message (optionally in a thread)."""
    channel = channel_arg(ws, args)
    content = message_content(args)
    thread_ts = _thread_root(ws, channel, args)
    message = bot_message(ws, ws.clock.next(), content)
    if thread_ts:
        message["thread_ts"] = thread_ts
    if present(args, "metadata"):
        message["metadata"] = copy.deepcopy(args["metadata"])
    ws.store_message(channel, message)
    return {"ok": True, "channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}


def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral: remember a message only `user` would see."""
    channel = channel_arg(ws, args)
    user = str(require(args, "user", "user_not_found"))
    content = message_content(args)
    ts = ws.clock.next()
    ws.ephemerals.append(
        {
            "channel": channel,
            "user": user,
            "ts": ts,
            "text": content.get("text", ""),
            "blocks": content.get("blocks", []),
            "thread_ts": _thread_root(ws, channel, args),
        }
    )
    return {"ok": True, "message_ts": ts}


def _own_message(ws: Workspace, args: dict[str, Any], refuse: str) -> tuple[str, dict[str, Any]]:
    """Return (channel, message) for a bot-authored message named by channel+ts."""
    channel = channel_arg(ws, args)
    ts = str(require(args, "ts", "message_not_found"))
    message = ws.find_message(channel, ts)
    if message is None:
        raise ApiError("message_not_found")
    if message.get("bot_id") != ws.bot_id:
        # A bot token can only edit or delete the bot's own messages.
        raise ApiError(refuse)
    return channel, message


def chat_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update: replace text/blocks of a bot message; omitted fields are kept."""
    channel, message = _own_message(ws, args, "cant_update_message")
    message.update(message_content(args))
    message["edited"] = {"user": ws.bot_user_id, "ts": ws.clock.next()}
    return {
        "ok": True,
        "channel": channel,
        "ts": message["ts"],
        "text": message["text"],
        "message": copy.deepcopy(message),
    }


def chat_delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete: remove a bot message."""
    channel, message = _own_message(ws, args, "cant_delete_message")
    del ws.messages[channel][message["ts"]]
    return {"ok": True, "channel": channel, "ts": message["ts"]}


def chat_get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink: build the archive URL Slack would give for a message."""
    channel = channel_arg(ws, args)
    ts = str(require(args, "message_ts"))
    link = f"https://{ws.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    message = ws.find_message(channel, ts)
    if message is not None and message.get("thread_ts") not in (None, ts):
        # Slack links replies through their thread so the client opens the thread pane.
        link += f"?thread_ts={message['thread_ts']}&cid={channel}"
    return {"ok": True, "channel": channel, "permalink": link}


def _reaction_target(ws: Workspace, args: dict[str, Any]) -> tuple[str, str, str]:
    channel = channel_arg(ws, args)
    ts = str(require(args, "timestamp", "message_not_found"))
    name = str(require(args, "name", "invalid_name")).strip(":")
    ws.clock.observe(ts)
    return channel, ts, name


def _sync_message_reactions(ws: Workspace, channel: str, ts: str) -> None:
    """Mirror reactions onto a stored message the way conversations.replies shows them."""
    message = ws.find_message(channel, ts)
    if message is None:
        return
    summary: dict[str, list[str]] = {}
    for r in ws.reactions.get((channel, ts), []):
        summary.setdefault(r["name"], []).append(r["user"])
    message["reactions"] = [{"name": n, "users": u, "count": len(u)} for n, u in summary.items()]
    if not message["reactions"]:
        del message["reactions"]


def reactions_add(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """reactions.add: react as the bot; messages unknown to the fake are accepted."""
    channel, ts, name = _reaction_target(ws, args)
    existing = ws.reactions.setdefault((channel, ts), [])
    if any(r["name"] == name and r["user"] == ws.bot_user_id for r in existing):
        raise ApiError("already_reacted")
    existing.append({"name": name, "user": ws.bot_user_id})
    _sync_message_reactions(ws, channel, ts)
    return {"ok": True}


def reactions_remove(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """reactions.remove: take back one of the bot's reactions."""
    channel, ts, name = _reaction_target(ws, args)
    existing = ws.reactions.get((channel, ts), [])
    mine = [r for r in existing if r["name"] == name and r["user"] == ws.bot_user_id]
    if not mine:
        raise ApiError("no_reaction")
    existing.remove(mine[0])
    _sync_message_reactions(ws, channel, ts)
    return {"ok": True}


def conversations_replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: root plus replies, oldest first, with cursor paging."""
    channel = channel_arg(ws, args)
    ts = str(require(args, "ts", "thread_not_found"))
    messages = ws.thread(channel, ws.thread_root_ts(channel, ts))
    if not messages:
        raise ApiError("thread_not_found")
    try:
        limit = max(1, int(args.get("limit") or 1000))
        start = int(args.get("cursor") or 0)
    except ValueError as exc:
        raise ApiError("invalid_cursor", f"bad limit/cursor: {exc}") from exc
    page = messages[start : start + limit]
    more = start + limit < len(messages)
    return {
        "ok": True,
        "messages": copy.deepcopy(page),
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages and thread roots, newest first, paged."""
    channel = channel_arg(ws, args)
    try:
        oldest = ts_to_micros(str(args.get("oldest") or "0")) or 0
        latest = ts_to_micros(str(args.get("latest") or "9999999999")) or 0
        limit = max(1, min(int(args.get("limit") or 100), 999))
        start = int(args.get("cursor") or 0)
    except ValueError as exc:
        raise ApiError("invalid_arguments", f"bad oldest/latest/limit/cursor: {exc}") from exc
    with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
    found = sorted(
        (
            m
            for m in ws.messages.get(channel, {}).values()
            if m.get("thread_ts") in (None, m["ts"])
            and oldest < (ts_to_micros(m["ts"]) or 0) < latest
        ),
        key=lambda m: ts_to_micros(m["ts"]) or 0,
        reverse=True,
    )
    page = copy.deepcopy(found[start : start + limit])
    if not with_metadata:
        for message in page:
            message.pop("metadata", None)
    more = start + limit < len(found)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


CHAT_METHODS: dict[str, Handler] = {
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "conversations.replies": conversations_replies,
    "conversations.history": conversations_history,
}
