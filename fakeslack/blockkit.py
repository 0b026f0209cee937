"""Block Kit limit checks, so tests catch payloads that real Slack would refuse.

Each check returns human-readable violations naming the rule that was broken, e.g.
"blocks[2].text: section text longer than 3000 chars (3001)". An empty list means valid.
"""

from __future__ import annotations

import json
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

BLOCK_TYPES = frozenset({
    "section", "header", "context", "actions", "divider", "image", "input", "rich_text",
    "markdown", "video", "file",
})  # fmt: skip
ELEMENT_TYPES = frozenset({
    "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input", "file_input",
    "image", "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select", "number_input", "overflow",
    "plain_text_input", "radio_buttons", "rich_text_input", "static_select", "external_select",
    "users_select", "conversations_select", "channels_select", "timepicker", "url_text_input",
    "workflow_button",
})  # fmt: skip
_OPTION_ELEMENTS = {
    # element type -> (max options, option text may be mrkdwn)
    "static_select": (100, False),
    "multi_static_select": (100, False),
    "overflow": (5, False),
    "checkboxes": (10, True),
    "radio_buttons": (10, True),
}


def parse_json_value(value: Any) -> Any:
    """Decode a form-encoded JSON argument (blocks, view, ...); other values pass through."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


class _Checker:
    """Collects violations while walking one message or view."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.block_ids: set[str] = set()

    def fail(self, path: str, rule: str) -> None:
        """Record one violation at `path`."""
        self.problems.append(f"{path}: {rule}")

    def length(self, path: str, value: Any, limit: int, what: str) -> None:
        """Fail if a string value is longer than `limit`."""
        if isinstance(value, str) and len(value) > limit:
            self.fail(path, f"{what} longer than {limit} chars ({len(value)})")

    def text(
        self,
        path: str,
        obj: Any,
        limit: int,
        *,
        what: str,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        """Check a text object: type, non-empty string text, length limit."""
        if obj is None:
            if required:
                self.fail(path, f"{what} is required")
            return
        if not isinstance(obj, dict):
            self.fail(path, f"{what} must be a text object, got {type(obj).__name__}")
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.fail(path, f"{what} type must be {'|'.join(allowed)}, got {kind!r}")
        value = obj.get("text")
        if not isinstance(value, str):
            self.fail(path, f"{what} text must be a string")
        elif not value:
            self.fail(path, f"{what} text must not be empty")
        else:
            self.length(path, value, limit, what)

    def option(self, path: str, opt: Any, *, mrkdwn_ok: bool) -> None:
        """Check one option object of a select, overflow, checkbox or radio group."""
        if not isinstance(opt, dict):
            self.fail(path, "option must be an object")
            return
        self.text(f"{path}.text", opt.get("text"), 75, what="option text", plain_only=not mrkdwn_ok)
        value = opt.get("value")
        if not isinstance(value, str):
            self.fail(f"{path}.value", "option value must be a string")
        else:
            self.length(f"{path}.value", value, 150, "option value")

    def element(self, path: str, el: Any, action_ids: set[str]) -> None:
        """Check an interactive or image element and its action_id."""
        if not isinstance(el, dict):
            self.fail(path, "element must be an object")
            return
        kind = el.get("type")
        if kind not in ELEMENT_TYPES:
            self.fail(path, f"unknown element type {kind!r}")
            return
        if kind == "image":
            self.image(path, el)
            return
        action_id = el.get("action_id")
        if action_id is not None:
            if not isinstance(action_id, str):
                self.fail(f"{path}.action_id", "action_id must be a string")
            else:
                self.length(f"{path}.action_id", action_id, 255, "action_id")
                # Slack requires action_id uniqueness within the containing block.
                if action_id in action_ids:
                    self.fail(f"{path}.action_id", f"duplicate action_id {action_id!r} in block")
                action_ids.add(action_id)
        if "placeholder" in el:
            self.text(
                f"{path}.placeholder", el["placeholder"], 150, what="placeholder", plain_only=True
            )
        if kind == "button":
            self.text(f"{path}.text", el.get("text"), 75, what="button text", plain_only=True)
            self.length(f"{path}.value", el.get("value"), 2000, "button value")
            self.length(f"{path}.url", el.get("url"), 3000, "button url")
            if "style" in el and el["style"] not in ("primary", "danger"):
                self.fail(
                    f"{path}.style", f"button style must be primary|danger, got {el['style']!r}"
                )
        elif kind in _OPTION_ELEMENTS:
            self.options(path, el, kind)

    def options(self, path: str, el: dict[str, Any], kind: str) -> None:
        """Check the options or option_groups of an option-bearing element."""
        limit, mrkdwn_ok = _OPTION_ELEMENTS[kind]
        options, groups = el.get("options"), el.get("option_groups")
        if options is None and groups is None:
            self.fail(path, f"{kind} needs options or option_groups")
            return
        if options is not None:
            if not isinstance(options, list) or not options:
                self.fail(f"{path}.options", "options must be a non-empty list")
                return
            if len(options) > limit:
                self.fail(
                    f"{path}.options", f"{kind} has more than {limit} options ({len(options)})"
                )
            for i, opt in enumerate(options):
                self.option(f"{path}.options[{i}]", opt, mrkdwn_ok=mrkdwn_ok)
        if groups is not None:
            if not isinstance(groups, list) or len(groups) > 100:
                self.fail(f"{path}.option_groups", "option_groups must be a list of at most 100")
                return
            for g, group in enumerate(groups):
                gpath = f"{path}.option_groups[{g}]"
                group = group if isinstance(group, dict) else {}
                self.text(
                    f"{gpath}.label",
                    group.get("label"),
                    75,
                    what="option group label",
                    plain_only=True,
                )
                opts = group.get("options") or []
                if len(opts) > 100:
                    self.fail(
                        f"{gpath}.options", f"option group has more than 100 options ({len(opts)})"
                    )
                for i, opt in enumerate(opts):
                    self.option(f"{gpath}.options[{i}]", opt, mrkdwn_ok=False)

    def image(self, path: str, obj: dict[str, Any]) -> None:
        """Check an image block or element: a source and alt_text."""
        if "image_url" not in obj and "slack_file" not in obj:
            self.fail(path, "image needs image_url or slack_file")
        self.length(f"{path}.image_url", obj.get("image_url"), 3000, "image_url")
        alt = obj.get("alt_text")
        if not isinstance(alt, str) or not alt:
            self.fail(f"{path}.alt_text", "image alt_text is required")
        else:
            self.length(f"{path}.alt_text", alt, 2000, "alt_text")

    def block(self, path: str, block: Any) -> None:
        """Check one block's type and block_id, then its type-specific rules."""
        if not isinstance(block, dict):
            self.fail(path, "block must be an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(path, f"unknown block type {kind!r}")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                self.fail(f"{path}.block_id", "block_id must be a non-empty string")
            else:
                self.length(f"{path}.block_id", block_id, 255, "block_id")
                if block_id in self.block_ids:
                    self.fail(f"{path}.block_id", f"duplicate block_id {block_id!r}")
                self.block_ids.add(block_id)
        getattr(self, f"block_{kind}", lambda _p, _b: None)(path, block)

    def block_section(self, path: str, block: dict[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.fail(path, "section needs text or fields")
        if text is not None:
            self.text(f"{path}.text", text, 3000, what="section text")
        if fields is not None:
            if not isinstance(fields, list) or not fields:
                self.fail(f"{path}.fields", "fields must be a non-empty list")
            else:
                if len(fields) > 10:
                    self.fail(f"{path}.fields", f"section has more than 10 fields ({len(fields)})")
                for i, f in enumerate(fields):
                    self.text(f"{path}.fields[{i}]", f, 2000, what="section field")
        if "accessory" in block:
            self.element(f"{path}.accessory", block["accessory"], set())

    def block_header(self, path: str, block: dict[str, Any]) -> None:
        self.text(f"{path}.text", block.get("text"), 150, what="header text", plain_only=True)

    def block_context(self, path: str, block: dict[str, Any]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(f"{path}.elements", "context needs a non-empty elements list")
            return
        if len(elements) > 10:
            self.fail(f"{path}.elements", f"context has more than 10 elements ({len(elements)})")
        for i, el in enumerate(elements):
            epath = f"{path}.elements[{i}]"
            if isinstance(el, dict) and el.get("type") == "image":
                self.image(epath, el)
            else:
                self.text(epath, el, 3000, what="context element")

    def block_actions(self, path: str, block: dict[str, Any]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.fail(f"{path}.elements", "actions needs a non-empty elements list")
            return
        if len(elements) > 25:
            self.fail(f"{path}.elements", f"actions has more than 25 elements ({len(elements)})")
        action_ids: set[str] = set()
        for i, el in enumerate(elements):
            self.element(f"{path}.elements[{i}]", el, action_ids)

    def block_image(self, path: str, block: dict[str, Any]) -> None:
        self.image(path, block)
        if "title" in block:
            self.text(f"{path}.title", block["title"], 2000, what="image title", plain_only=True)

    def block_input(self, path: str, block: dict[str, Any]) -> None:
        self.text(f"{path}.label", block.get("label"), 2000, what="input label", plain_only=True)
        if "hint" in block:
            self.text(f"{path}.hint", block["hint"], 2000, what="input hint", plain_only=True)
        if "element" not in block:
            self.fail(path, "input needs an element")
        else:
            self.element(f"{path}.element", block["element"], set())

    def block_rich_text(self, path: str, block: dict[str, Any]) -> None:
        if not isinstance(block.get("elements"), list):
            self.fail(f"{path}.elements", "rich_text needs an elements list")

    def block_markdown(self, path: str, block: dict[str, Any]) -> None:
        if not isinstance(block.get("text"), str):
            self.fail(f"{path}.text", "markdown block needs a string text")
        else:
            self.length(f"{path}.text", block["text"], 12_000, "markdown text")


def validate_blocks(blocks: Any, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Return the Block Kit violations in a blocks list (a JSON string is decoded first)."""
    try:
        blocks = parse_json_value(blocks)
    except ValueError:
        return ["blocks: not valid JSON"]
    if not isinstance(blocks, list):
        return [f"blocks: must be a list, got {type(blocks).__name__}"]
    checker = _Checker()
    if len(blocks) > max_blocks:
        checker.fail("blocks", f"more than {max_blocks} blocks ({len(blocks)})")
    for i, block in enumerate(blocks):
        checker.block(f"blocks[{i}]", block)
    return checker.problems


def validate_view(view: Any) -> list[str]:
    """Return the violations in a home tab or modal view (a JSON string is decoded first)."""
    try:
        view = parse_json_value(view)
    except ValueError:
        return ["view: not valid JSON"]
    if not isinstance(view, dict):
        return [f"view: must be an object, got {type(view).__name__}"]
    checker = _Checker()
    kind = view.get("type")
    if kind not in ("home", "modal"):
        checker.fail("view.type", f"view type must be home|modal, got {kind!r}")
    if kind == "modal":
        checker.text("view.title", view.get("title"), 24, what="modal title", plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text(f"view.{key}", view[key], 24, what=f"modal {key}", plain_only=True)
        blocks = view.get("blocks")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.fail("view.submit", "modal with input blocks needs submit")
    checker.length("view.callback_id", view.get("callback_id"), 255, "callback_id")
    checker.length("view.external_id", view.get("external_id"), 255, "external_id")
    checker.length("view.private_metadata", view.get("private_metadata"), 3000, "private_metadata")
    problems = checker.problems
    if "blocks" not in view:
        problems.append("view.blocks: blocks is required")
    else:
        problems += [
            f"view.{p}" for p in validate_blocks(view["blocks"], max_blocks=MAX_VIEW_BLOCKS)
        ]
    return problems
