"""Slack listeners, one module per feature, each exposing `register(app, deps)`.

Each module also declares what it needs from Slack (event types, slash commands,
Web API methods), so a test can hold `app_manifest.yaml` to exactly that.
"""

from slack_bolt import App

from bot.deps import Deps
from handlers import (
    channels,
    conversations,
    csat,
    digest,
    home,
    kb,
    messages,
    reactions,
    routing,
    sla,
    startup,
    threads,
)
from handlers.kpi import listeners as kpi
from handlers.slack import card, effects, errors, guard
from handlers.tickets import listeners as tickets

FEATURES = (
    messages,
    tickets,
    reactions,
    home,
    kb,
    kpi,
    csat,
    routing,
    card,
    sla,
    digest,
    guard,
    errors,
    conversations,
    threads,
    effects,
    channels,
    startup,
)


def register_all(app: App, deps: Deps) -> None:
    """Attach every feature's listeners to the app."""
    for feature in FEATURES:
        register = getattr(feature, "register", None)
        if register is not None:
            register(app, deps)


def declared_events() -> set[str]:
    """Bot event subscriptions (manifest names, e.g. `message.channels`)."""
    return {name for feature in FEATURES for name in getattr(feature, "BOT_EVENTS", ())}


def declared_commands() -> set[str]:
    """Slash commands the app answers."""
    return {name for feature in FEATURES for name in getattr(feature, "COMMANDS", ())}


def declared_shortcuts() -> set[str]:
    """Callback ids of the message shortcuts the app answers."""
    return {name for feature in FEATURES for name in getattr(feature, "SHORTCUTS", ())}


def declared_methods() -> set[str]:
    """Web API methods the app calls."""
    return {name for feature in FEATURES for name in getattr(feature, "API_METHODS", ())}
