"""`GET /metrics`: what a running deskbot counts, in Prometheus' text format.

One `Metrics` per app (`create_app` builds it; nothing is registered at import), so every
app a test builds counts on its own. `registry` holds the counters the app moves as it
works; `collectors` reads what is better asked at scrape time (the inbox's depth).
"""

from bot.metrics.registry import Metrics

__all__ = ["Metrics"]
