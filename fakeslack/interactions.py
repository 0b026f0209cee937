"""Modals and message shortcuts, as a person's Slack client sends them to the app.

A modal the app opens with views.open (for a trigger_id Humans sent) shows on the screen
of the person who pressed; submitting it sends a signed `view_submission` and applies the
app's answer as Slack would: an empty answer closes the modal, `errors` keep it open with
the messages under the inputs. A message shortcut sends a signed `message_action`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .humans import Humans, Target
from .state import ApiError


def open_modal(humans: Humans, user: str) -> dict[str, Any] | None:
    """The modal open on this person's screen, or None."""
    with humans.ws.lock:
        view_id = humans.ws.modals.get(user)
        view = humans.ws.views.get(view_id or "")
        return copy.deepcopy(view) if view is not None else None


def close_modal(humans: Humans, user: str, view_id: str) -> None:
    """The person pressed Cancel (or the app's answer closed it)."""
    with humans.ws.lock:
        if humans.ws.modals.get(user) == view_id:
            del humans.ws.modals[user]
    humans.fake.touch()


def submit_modal(
    humans: Humans, user: str, view_id: str, values: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Send a view_submission with what the person typed ({block_id: {action_id: value}}).

    Returns {"ok": True} when the modal closed, {"ok": False, "errors": {...}} when the app
    answered with errors for some inputs.
    """
    with humans.ws.lock:
        if humans.ws.modals.get(user) != view_id or view_id not in humans.ws.views:
            raise ApiError("not_found", f"no modal {view_id} open for {user}")
        view = copy.deepcopy(humans.ws.views[view_id])
        account = humans.ws.users[user]
    view["state"] = {"values": _state(view, values)}
    payload = {
        "type": "view_submission",
        "enterprise": None,
        "team": {"id": humans.ws.team_id, "domain": humans.ws.team_domain},
        "user": {
            "id": user,
            "username": account["name"],
            "name": account["name"],
            "team_id": account["team_id"],
        },
        "api_app_id": humans.driver.api_app_id,
        "token": "fake-verification-token",
        "trigger_id": humans.trigger_for(user),
        "view": view,
        "is_enterprise_install": False,
        "response_urls": [],
    }
    response = humans.driver.action(payload)
    if response.status != 200:
        raise ApiError("app_error", f"the app answered {response.status}")
    answer = json.loads(response.body) if response.body.strip() else {}
    if answer.get("response_action") == "errors":
        return {"ok": False, "errors": answer.get("errors", {})}
    close_modal(humans, user, view_id)
    return {"ok": True}


def message_shortcut(humans: Humans, user: str, channel: str, ts: str, callback_id: str) -> int:
    """Use the app's message shortcut `callback_id` on a message; returns the HTTP status."""
    with humans.ws.lock:
        message = humans.ws.find_message(channel, ts)
        if message is None:
            raise ApiError("message_not_found", f"no message {ts} in {channel}")
        message = copy.deepcopy(message)
        account = humans.ws.users[user]
        name = str(humans.ws.channels.get(channel, {}).get("name", ""))
    payload = {
        "type": "message_action",
        "token": "fake-verification-token",
        "action_ts": humans.fake.next_ts(),
        "team": {"id": humans.ws.team_id, "domain": humans.ws.team_domain},
        "user": {"id": user, "name": account["name"], "team_id": account["team_id"]},
        "channel": {"id": channel, "name": name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": humans.trigger_for(user),
        "response_url": humans._response_url(user, channel, Target(channel=channel, ts=ts)),
        "message_ts": ts,
        "message": message,
    }
    return humans.driver.action(payload).status


def _state(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Slack's view.state.values for the typed values, shaped by each input's element."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if block.get("type") != "input" or "action_id" not in element:
            continue
        block_id, action_id = block.get("block_id", ""), element["action_id"]
        value = values.get(block_id, {}).get(action_id)
        kind = element.get("type")
        entry: dict[str, Any] = {"type": kind}
        if kind == "static_select":
            chosen = [o for o in element.get("options", []) if o.get("value") == value]
            entry["selected_option"] = chosen[0] if chosen else None
        else:
            entry["value"] = value if value not in ("", None) else None
        state[block_id] = {action_id: entry}
    return state
