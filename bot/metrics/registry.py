"""The metrics of one deskbot: Slack events, Web API calls, the SLA sweep, the database."""

import logging
import time
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from store.db import is_unique_violation

logger = logging.getLogger(__name__)

Backlog = Callable[[], tuple[int, datetime | None]]  # (events waiting, the oldest's arrival)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters, gauges and a histogram in a registry of their own (see the package doc)."""

    def __init__(self, *, wall: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self._wall = wall
        into = {"registry": self.registry}
        self.events_received = Counter(
            "deskbot_events_received",
            "Slack events delivered to deskbot, redeliveries included, by event type",
            ["type"],
            **into,
        )
        self.events_acked = Counter(
            "deskbot_events_acked",
            "Slack events answered with a 2xx (Slack does not redeliver them), by event type",
            ["type"],
            **into,
        )
        self.events_stored = Counter(
            "deskbot_events_stored",
            "Kept events the intake pipeline stored as tickets and messages, by event type",
            ["type"],
            **into,
        )
        self.events_store_failures = Counter(
            "deskbot_events_store_failures",
            "Kept events whose storing failed (they stay in the inbox and are retried)",
            ["type"],
            **into,
        )
        self.slack_calls = Counter(
            "deskbot_slack_api_calls",
            "Slack Web API calls by method and outcome (ok, error, ratelimited, "
            "server_error, network_error), retries included in one call",
            ["method", "outcome"],
            **into,
        )
        self.slack_retries = Counter(
            "deskbot_slack_api_retries",
            "Slack Web API requests sent again, by method and the failure before them",
            ["method", "reason"],
            **into,
        )
        self.slack_ratelimited = Counter(
            "deskbot_slack_api_ratelimited",
            "HTTP 429 answers from the Slack Web API, by method",
            ["method"],
            **into,
        )
        self.sla_sweep_duration = Histogram(
            "deskbot_sla_sweep_duration_seconds",
            "How long each SLA sweep took",
            buckets=SWEEP_BUCKETS,
            **into,
        )
        self.sla_sweep_last_success = Gauge(
            "deskbot_sla_sweep_last_success_timestamp_seconds",
            "When the last SLA sweep finished without an error (Unix time)",
            **into,
        )
        self.sla_alerts = Counter(
            "deskbot_sla_alerts",
            "SLA alerts (warnings, breaches, escalations) by delivery: sent or failed",
            ["outcome"],
            **into,
        )
        self.db_errors = Counter(
            "deskbot_db_errors",
            "Database errors by kind (duplicate keys, which intake expects, not counted)",
            ["kind"],
            **into,
        )
        ProcessCollector(**into)
        PlatformCollector(**into)
        GCCollector(**into)

    # --- Slack events ------------------------------------------------------------------

    def event_answered(self, event_type: str, status: int) -> None:
        """A Slack event came in and was answered with `status`."""
        self.events_received.labels(event_type).inc()
        if 200 <= status < 300:
            self.events_acked.labels(event_type).inc()

    def event_stored(self, event_type: str, *, ok: bool) -> None:
        """The intake pipeline stored a kept event, or failed to."""
        (self.events_stored if ok else self.events_store_failures).labels(event_type).inc()

    # --- Slack Web API (bot.transport.client.CallObserver) -------------------------------

    def call_finished(self, method: str, outcome: str) -> None:
        """A Web API call ended (after any retries)."""
        self.slack_calls.labels(method, outcome).inc()

    def attempt_failed(self, method: str, reason: str) -> None:
        """One HTTP attempt failed: `ratelimited`, `server_error` or `connection`."""
        if reason == "ratelimited":
            self.slack_ratelimited.labels(method).inc()

    def retried(self, method: str, reason: str) -> None:
        """An attempt is made again after a failure of `reason`."""
        self.slack_retries.labels(method, reason).inc()

    # --- SLA sweep -----------------------------------------------------------------------

    def sla_swept(self, seconds: float, *, sent: int, failed: int) -> None:
        """A sweep finished: how long it took, and what it delivered."""
        self.sla_sweep_duration.observe(seconds)
        self.sla_sweep_last_success.set(self._wall())
        if sent:
            self.sla_alerts.labels("sent").inc(sent)
        if failed:
            self.sla_alerts.labels("failed").inc(failed)

    # --- what is asked at scrape time ------------------------------------------------

    def watch_inbox(self, backlog: Backlog, clock: Callable[[], datetime]) -> None:
        """Report the inbox's depth and the age of its oldest event on every scrape."""
        self.registry.register(_InboxCollector(backlog, clock))

    def database_error(self, kind: str) -> None:
        """A database error seen outside SQLAlchemy's execution (the health check's)."""
        self.db_errors.labels(kind).inc()

    def watch_engine(self, engine: Engine) -> None:
        """Count the database errors of `engine` (held weakly: a dropped app stops counting)."""
        counter = weakref.ref(self.db_errors)

        def on_error(context: Any) -> None:
            errors = counter()
            original = context.sqlalchemy_exception
            if errors is None or (
                isinstance(original, IntegrityError) and is_unique_violation(original)
            ):
                return
            if context.is_disconnect:
                kind = "disconnect"
            else:
                kind = type(original).__name__ if original is not None else "DBAPIError"
            errors.labels(kind).inc()

        event.listen(engine, "handle_error", on_error)


class _InboxCollector(Collector):
    """The inbox, read from the database on each scrape (every replica sees the same)."""

    def __init__(self, backlog: Backlog, clock: Callable[[], datetime]) -> None:
        self._backlog = backlog
        self._clock = clock

    def describe(self) -> list[Any]:
        """No query at registration."""
        return []

    def collect(self) -> Any:
        """Two gauges, or none while the database cannot say."""
        try:
            depth, oldest = self._backlog()
        except Exception:  # counted by watch_engine; a scrape must still answer
            logger.warning("metrics: cannot read the inbox's depth", exc_info=True)
            return
        yield GaugeMetricFamily(
            "deskbot_inbox_depth",
            "Kept Slack events not stored yet (failed ones excluded), across replicas",
            value=depth,
        )
        age = (self._clock() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "deskbot_inbox_oldest_age_seconds",
            "How long the oldest kept event has waited to be stored (0 when none waits)",
            value=max(age, 0.0),
        )
