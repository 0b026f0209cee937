"""Test helpers: a settable clock, an executor the tests can drain, a running deskbot."""

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.web import HttpServer
from fakeslack import SlackDriver
from store.models import Message, Ticket

SIGNING_SECRET = "test-signing-secret"


class MutableClock:
    """A clock tests move by hand; it never moves on its own."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        """Move time forward."""
        self.now += timedelta(**kwargs)


class DrainableExecutor(ThreadPoolExecutor):
    """The listener pool, remembering its work so tests can wait for it to finish."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def drain(self, timeout: float = 15) -> None:
        """Block until every listener submitted so far has finished."""
        while True:
            with self._lock:
                pending = [future for future in self._futures if not future.done()]
            if not pending:
                return
            _, not_done = wait(pending, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} listeners still running after {timeout}s")


class ErrorCollector(logging.Handler):
    """Collects listener failures reported by the global error handler."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class RunningBot:
    """A deskbot app served over real HTTP, with a signed driver and its database."""

    app: App
    server: HttpServer
    driver: SlackDriver
    engine: Engine
    executor: DrainableExecutor
    sleeps: list[float]
    errors: ErrorCollector = field(default_factory=ErrorCollector)
    allow_listener_errors: bool = False

    def drain(self) -> None:
        """Wait until the app has finished everything it was sent."""
        self.executor.drain()
        if not self.app.runtime.deps.inbox.in_hand.wait_idle(timeout=15):
            raise TimeoutError("kept events still being stored after 15s")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session on the app's database."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def tickets(self) -> list[Ticket]:
        """All tickets, by number."""
        with self.session() as session:
            return list(session.exec(select(Ticket).order_by(Ticket.number)))

    def messages(self) -> list[Message]:
        """All stored messages, in Slack order."""
        with self.session() as session:
            return list(session.exec(select(Message).order_by(Message.ts)))

    def ticket(self, number: int) -> Ticket:
        """The ticket `#number`."""
        with self.session() as session:
            found = session.exec(select(Ticket).where(Ticket.number == number)).first()
        assert found is not None, f"no ticket #{number}"
        return found
