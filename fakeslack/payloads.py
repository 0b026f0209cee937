"""Shapes of what Slack's clients send: typed messages and block action entries."""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

from .state import ApiError


def channel_type(channel: dict[str, Any]) -> str:
    """The `channel_type` of a message event in this channel."""
    if channel["is_im"]:
        return "im"
    return "group" if channel["is_private"] else "channel"


def rich_text_block(text: str) -> dict[str, Any]:
    """The rich_text block Slack's clients send along with a typed message."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}


def iter_elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every interactive element; Slack names unnamed blocks."""
    for index, block in enumerate(blocks):
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and "action_id" in element:
                yield str(block.get("block_id", index)), element


def find_element(
    blocks: list[dict[str, Any]], block_id: str, action_id: str
) -> tuple[dict[str, Any], str]:
    """The interactive element with this block_id/action_id (Slack sends only real ones)."""
    for found_block, element in iter_elements(blocks):
        if found_block == block_id and element["action_id"] == action_id:
            return element, str(element.get("type"))
    raise ApiError("element_not_found", f"no element {block_id}/{action_id} to act on")


def block_action(
    element: dict[str, Any], kind: str, block_id: str, value: str | None
) -> dict[str, Any]:
    """The `actions[0]` entry Slack sends for a press or a choice."""
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block_id,
        "type": kind,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
        return action
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    chosen = next((o for o in options if o.get("value") == value), None)
    if chosen is None:
        raise ApiError("option_not_found", f"{element['action_id']} has no option {value!r}")
    action["selected_option"] = copy.deepcopy(chosen)
    if "placeholder" in element:
        action["placeholder"] = element["placeholder"]
    return action
