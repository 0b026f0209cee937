"""Fake Web API methods for the directory and views: auth, conversations, users, views
(the paginated lists are in api_directory)."""

from __future__ import annotations

import copy
from typing import Any

from .api_directory import DIRECTORY_METHODS
from .apiargs import Handler, channel_arg, invalid_blocks, present, require
from .blockkit import validate_view
from .state import ApiError, Workspace


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """auth.test: identify the bot token's workspace and bot user."""
    return {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.users.get(ws.bot_user_id, {}).get("name", "deskbot"),
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def conversations_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.info: the channel as registered with add_channel."""
    channel_id = str(require(args, "channel", "channel_not_found"))
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise ApiError("channel_not_found")
    return {"ok": True, "channel": copy.deepcopy(channel)}


def conversations_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.open: open (or reuse) a DM with one user."""
    if present(args, "channel"):
        return {"ok": True, "channel": {"id": channel_arg(ws, args)}}
    users = [u for u in str(require(args, "users", "users_list_not_supplied")).split(",") if u]
    if len(users) != 1:
        raise ApiError("not_supported", f"only 1:1 DMs are faked, got users={users}")
    if users[0] not in ws.users:
        raise ApiError("user_not_found")
    return {"ok": True, "channel": {"id": ws.open_dm(users[0])}}


def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """users.info: the user as registered with add_user."""
    user = ws.users.get(str(require(args, "user", "user_not_found")))
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": copy.deepcopy(user)}


def team_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """team.info: the home workspace, or an organization registered with add_team."""
    team_id = str(args.get("team") or ws.team_id)
    if team_id == ws.team_id:
        team = {"id": ws.team_id, "name": ws.team_name, "domain": ws.team_domain}
    elif team_id in ws.teams:
        team = ws.teams[team_id]
    else:
        raise ApiError("team_not_found")
    return {"ok": True, "team": copy.deepcopy(team)}


def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.users.list: member ids of a user group."""
    members = ws.usergroups.get(str(require(args, "usergroup", "no_such_subteam")))
    if members is None:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(members)}


def _checked_view(args: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return the `view` argument after Block Kit validation."""
    view = require(args, "view")
    problems = validate_view(view)
    if not problems and view.get("type") != kind:
        problems = [f"view.type: this method needs a {kind} view, got {view.get('type')!r}"]
    if problems:
        raise invalid_blocks(problems)
    return copy.deepcopy(view)


def _store_view(
    ws: Workspace, view: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict:
    """Give a view an id and the server-side fields Slack adds, then remember it."""
    ws.view_seq += 1
    view_id = previous["id"] if previous else f"V{ws.view_seq:09d}"
    stored = {
        "id": view_id,
        "team_id": ws.team_id,
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{ws.view_seq}.fakehash",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": previous["root_view_id"] if previous else view_id,
        "previous_view_id": None,
        "app_id": ws.app_id,
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }
    for key in ("title", "submit", "close"):
        if key in view:
            stored[key] = view[key]
    ws.views[view_id] = stored
    return stored


def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish: set a user's App Home tab."""
    user_id = str(require(args, "user_id"))
    view = _checked_view(args, "home")
    stored = _store_view(ws, view, ws.home_views.get(user_id))
    ws.home_views[user_id] = stored
    return {"ok": True, "view": copy.deepcopy(stored)}


def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.open / views.push: open a modal for a trigger_id."""
    trigger = str(require(args, "trigger_id", "invalid_trigger_id"))
    stored = _store_view(ws, _checked_view(args, "modal"))
    if (user := ws.triggers.get(trigger)) is not None:
        ws.modals[user] = stored["id"]
    return {"ok": True, "view": copy.deepcopy(stored)}


def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.update: replace a modal found by view_id or external_id."""
    if present(args, "view_id"):
        previous = ws.views.get(str(args["view_id"]))
    elif present(args, "external_id"):
        previous = next(
            (v for v in ws.views.values() if v["external_id"] == args["external_id"]), None
        )
    else:
        raise ApiError("invalid_arguments", "views.update needs view_id or external_id")
    if previous is None:
        raise ApiError("not_found")
    stored = _store_view(ws, _checked_view(args, previous["type"]), previous)
    return {"ok": True, "view": copy.deepcopy(stored)}


INFO_METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "conversations.info": conversations_info,
    "conversations.open": conversations_open,
    "users.info": users_info,
    "team.info": team_info,
    "usergroups.users.list": usergroups_users_list,
    "views.publish": views_publish,
    "views.open": views_open,
    "views.push": views_open,
    "views.update": views_update,
    **DIRECTORY_METHODS,
}
