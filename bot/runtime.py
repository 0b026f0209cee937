"""`Runtime`: what `create_app` built, for the CLI, the demo, the job table and tests.

One explicit attribute of the app (`app.runtime`) instead of lookups keyed by the app:
the listeners' `Deps`, the engine, the intake pipeline, the handlers' callables the
jobs run and the app's metrics, so nothing in bot/ but bot/app.py needs to import handlers/.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.deps import Deps
from bot.metrics import Metrics
from bot.ports import KeptEvents


@dataclass(frozen=True)
class Runtime:
    """A built deskbot: its services, its database and the Slack-side work the jobs run."""

    deps: Deps
    engine: Engine
    pipeline: KeptEvents
    pull_inbox: Callable[[], int]  # take up kept events nobody holds; returns how many
    finish_unfinished_tickets: Callable[[datetime], int]  # (now) -> how many were finished
    slack_commands: frozenset[str]  # the slash commands the app answers
    slack_events: frozenset[str]  # its bot event subscriptions (manifest names)
    metrics: Metrics  # what GET /metrics shows
