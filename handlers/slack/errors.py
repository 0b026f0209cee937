"""The global error handler: every listener failure is logged with its traceback."""

import logging
from typing import Any

from slack_bolt import App

from bot.deps import Deps

logger = logging.getLogger(__name__)

API_METHODS = ("auth.test",)


def register(app: App, deps: Deps) -> None:
    """Log unexpected listener errors once, with enough context to find the event."""

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        logger.error(
            "listener failed (type=%s event_id=%s channel=%s ts=%s)",
            event.get("type") or body.get("type") or body.get("command"),
            body.get("event_id"),
            event.get("channel"),
            event.get("ts"),
            exc_info=error,
        )
