"""The intake pipeline: kept message events are stored on threads of their own, then
followed up on Slack, and a replica with room takes up what others could not.

The listener only hands an event over, so Bolt's listener threads stay free for slash
commands and buttons, which must answer within three seconds. SQLite writes one
transaction at a time, so one storing thread is all it can use; PostgreSQL overlaps a few
transactions' round trips. The Slack side runs on a separate pool, as Slack's latency, not
the database, bounds it.

Each replica holds at most `capacity` events waiting to be stored. An event kept while the
replica is full stays in the inbox unleased, and `pull` (the job table's inbox pull, every second)
takes up unleased and expired events whenever a replica has room: overflow, a dead
replica's work, and events whose storing failed. A replica that left events there also
tops its queue up itself as soon as it runs half empty. So a burst is shared by every
replica instead of queueing in the memory of the one that acknowledged it.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.intake.inbox import LEASE, Inbox
from bot.metrics import Metrics

logger = logging.getLogger(__name__)
errors_logger = logging.getLogger("handlers.slack.errors")  # where listener failures are reported

KEPT = "deskbot_inbox_row"  # where the middleware leaves the inbox row for the listener
ROOM_PER_WORKER = 50  # events waiting per storing thread: a second or two of work
FOLLOW_UP_ROOM = 200  # stored events waiting for their Slack side, at most


class Storable(Protocol):
    """What storing an event gives the Slack side to work on."""

    @property
    def welcome_for(self) -> int | None:
        """The id of a ticket the event created, whose welcome is still to be posted."""
        ...


StoreKept = Callable[[WebClient, int, dict[str, Any]], Storable | None]  # (.., row id, body)
FollowUp = Callable[[WebClient, Any], None]  # (.., what `store` returned)


@dataclass(frozen=True)
class KeptKind:
    """An event type kept in the inbox before it is acknowledged, and how it is handled."""

    worth_keeping: Callable[[dict[str, Any]], bool]  # decided without the database
    store: StoreKept
    follow_up: FollowUp | None  # the Slack side of what `store` returned
    queued: bool  # stored on the pipeline's threads; else by its own listener at once


class IntakePipeline:
    """Stores kept events on a few threads of its own, then does their Slack side."""

    def __init__(self, inbox: Inbox, *, workers: int, metrics: Metrics | None = None) -> None:
        self._inbox = inbox
        self._metrics = metrics
        self._kinds: dict[str, KeptKind] = {}
        self._pulling = threading.Lock()
        self._more_waiting = False  # events were left in the inbox for whoever has room
        self.workers = workers
        self.capacity = workers * ROOM_PER_WORKER
        self._lane = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intake")
        self._slack_side = ThreadPoolExecutor(max_workers=8, thread_name_prefix="follow-up")
        self._slack_room = threading.BoundedSemaphore(FOLLOW_UP_ROOM)

    def keep_kind(
        self,
        event_type: str,
        *,
        worth_keeping: Callable[[dict[str, Any]], bool],
        store: StoreKept,
        follow_up: FollowUp | None = None,
        queued: bool = True,
    ) -> None:
        """Keep events of this type before they are acknowledged; `store` handles one."""
        self._kinds[event_type] = KeptKind(worth_keeping, store, follow_up, queued)

    def attach(self, app: App) -> None:
        """Keep events in the inbox before `app` acknowledges them (before any listener)."""
        app.middleware(self._keep_before_ack)

    def _keep_before_ack(
        self, body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return next()
        kind = self._kinds.get(str(event.get("type")))
        if kind is None or not kind.worth_keeping(event):
            return next()
        hold = not kind.queued or self.has_room()  # when full, any replica with room takes it
        if not hold:
            self._more_waiting = True
        try:
            row_id = self._inbox.keep(event, body.get("event_id"), hold=hold)
        except SQLAlchemyError:
            logger.exception(
                "could not keep %s event %s; answering 503 so Slack redelivers it",
                event.get("type"),
                body.get("event_id"),
            )
            return BoltResponse(status=503, body="")
        context[KEPT] = row_id if hold else None
        return next()

    def has_room(self) -> bool:
        """Whether one more event may wait here rather than in the shared inbox."""
        return self._inbox.in_hand.rows_waiting() < self.capacity

    def hand_over(self, client: WebClient, row_id: int, body: dict[str, Any]) -> None:
        """Queue a kept event for storing and its Slack side; returns at once."""
        self._inbox.in_hand.add(row_id)
        self._lane.submit(self._store, client, row_id, body, 0)

    def pull(self, client: WebClient) -> int:
        """Take up unleased or expired events from the inbox while there is room."""
        if not self._pulling.acquire(blocking=False):
            return 0  # another thread is pulling for this replica right now
        try:
            room = self.capacity - self._inbox.in_hand.rows_waiting()
            if room <= 0 or room < self.capacity // 2:  # busy enough; pulling only moves work
                return 0
            rows = self._inbox.take_expired(limit=room, lease=LEASE)
            # A full batch means more may be waiting: refill as soon as the queue runs low.
            self._more_waiting = len(rows) == room
            for row in rows:
                assert row.id is not None
                self._inbox.in_hand.add(row.id)
                self._lane.submit(self._store, client, row.id, row.payload, row.attempts)
            return len(rows)
        finally:
            self._pulling.release()

    def _refill(self, client: WebClient) -> None:
        """Top up from the inbox when the queue runs low and work was left there."""
        if self._more_waiting and self._inbox.in_hand.rows_waiting() <= self.capacity // 2:
            try:
                self.pull(client)
            except Exception:  # the scheduled pull tries again within a second
                logger.exception("refilling the intake queue from the inbox failed")

    def _store(self, client: WebClient, row_id: int, body: dict[str, Any], attempts: int) -> None:
        in_hand = self._inbox.in_hand
        kind = self._kinds[body["event"]["type"]]
        try:
            stored = kind.store(client, row_id, body)
        except Exception as error:  # kept in the inbox: taken up again once its lease runs out
            _report(body, error)
            self._count(body, ok=False)
            self._give_up_after(row_id, attempts)
            in_hand.done(row_id=row_id)
            return
        self._count(body, ok=True)
        self._refill(client)  # before this event counts as done, so a drain waits for it
        if stored is None or kind.follow_up is None:
            in_hand.done(row_id=row_id)
            return
        welcome_for = stored.welcome_for
        in_hand.stored(row_id, welcome_for=welcome_for)
        # When Slack is slow, storing waits too: the backlog stays in the inbox, not here.
        self._slack_room.acquire()
        self._slack_side.submit(self._follow_up, kind.follow_up, client, stored, body, welcome_for)

    def _count(self, body: dict[str, Any], *, ok: bool) -> None:
        if self._metrics is not None:
            self._metrics.event_stored(str(body["event"]["type"]), ok=ok)

    def _give_up_after(self, row_id: int, attempts: int) -> None:
        """Set an event aside (never delete it) once it has failed `max_attempts` times."""
        if attempts < self._inbox.max_attempts:
            return
        logger.error("giving up on kept event %s; it stays in inbox_event", row_id)
        try:
            self._inbox.give_up(row_id)
        except Exception:  # still leased for a while; the next failure sets it aside
            logger.exception("could not set kept event %s aside", row_id)

    def _follow_up(
        self,
        follow: FollowUp,
        client: WebClient,
        stored: Storable,
        body: dict[str, Any],
        welcome_for: int | None,
    ) -> None:
        try:
            follow(client, stored)
        except Exception as error:  # stored; finish_unfinished_tickets completes a welcome
            _report(body, error)
        finally:
            self._slack_room.release()
            self._inbox.in_hand.done(ticket_id=welcome_for)


def _report(body: dict[str, Any], error: Exception) -> None:
    """Log a failure the way the global error handler logs listener failures."""
    event = body.get("event") or {}
    errors_logger.error(
        "listener failed (type=%s event_id=%s channel=%s ts=%s)",
        event.get("type"),
        body.get("event_id"),
        event.get("channel"),
        event.get("ts"),
        exc_info=error,
    )
