"""Channels becoming shared or private again (Slack Connect): the leak guard forgets.

The guard caches whether a channel is shared; when an organization joins or leaves the
channel, that answer is dropped so the next post asks Slack again (and, until Slack
answers, treats the channel as shared).
"""

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps
from handlers.slack.gates import bind

logger = logging.getLogger(__name__)

BOT_EVENTS = ("channel_shared", "channel_unshared")


def register(app: App, deps: Deps) -> None:
    """Listen to channels being shared with, or unshared from, another organization."""
    app.event("channel_shared")(bind(on_sharing_changed, deps))
    app.event("channel_unshared")(bind(on_sharing_changed, deps))


def on_sharing_changed(deps: Deps, event: dict[str, Any]) -> None:
    """Forget the channel's cached shared-or-not answer."""
    channel = event["channel"]  # DeskApp checked its shape before any listener
    deps.guard.forget(channel)
    logger.info("%s: %s, asking Slack again before the next internal post", event["type"], channel)
