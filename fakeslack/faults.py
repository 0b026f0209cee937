"""Fault injection for the fake: the next calls of a method, or a seeded share of all calls,
fail the way Slack and networks fail (429 with Retry-After, 5xx, a dropped connection).
"""

from __future__ import annotations

import random
import threading

# Start-up calls: failing them only stops a process from starting, which tests nothing.
_NEVER_FAILED = frozenset({"auth.test", "apps.connections.open"})
DROP = 0  # a fault "status": the connection is closed with no answer (a timeout, to clients)
_CALM: tuple[float, random.Random, tuple[int, ...], int] = (0.0, random.Random(), (), 1)


class FaultInjection:
    """Mixed into FakeSlack: which calls fail, and how."""

    _cond: threading.Condition

    def _init_faults(self) -> None:
        self._faults: dict[str, list[tuple[int, int]]] = {}
        self._chaos = _CALM

    def _reset_faults(self) -> None:
        """Called with the condition held."""
        self._faults.clear()
        self._chaos = _CALM

    def fail_next(
        self, method: str, status: int = 429, times: int = 1, retry_after: int = 1
    ) -> None:
        """Make the next `times` calls of `method` fail with HTTP `status` (429 or 5xx)."""
        with self._cond:
            self._faults.setdefault(method, []).extend([(status, retry_after)] * times)

    def chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        statuses: tuple[int, ...] = (429, 500, DROP),
        retry_after: int = 1,
    ) -> None:
        """Fail a random `rate` of all Web API calls with one of `statuses`, from now on.

        DROP closes the connection without an answer, as a network timeout looks to the
        client. rate=0 turns chaos off. The seed makes a run's faults reproducible.
        """
        with self._cond:
            self._chaos = (rate, random.Random(seed), statuses, retry_after)

    def _take_fault(self, method: str) -> tuple[int, int] | None:
        with self._cond:
            queue = self._faults.get(method)
            if queue:
                return queue.pop(0)
            rate, rng, statuses, retry_after = self._chaos
            if rate and method not in _NEVER_FAILED and rng.random() < rate:
                return rng.choice(statuses), retry_after
            return None
