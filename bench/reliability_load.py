"""The reliability run's traffic: conversations delivered the way Slack delivers them.

Slack sends each event once and retries only what was not answered 200 (a 5xx, a
timeout, a refused connection), to whichever replica the load balancer picks; it also
redelivers some events that were answered. Whatever deskbot answered 200 must be stored.
"""

import itertools
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.reliability_rig import AGENTS, HELP, SECRET, TRIAGE, customer_id, org_id
from fakeslack import SlackDriver
from fakeslack.state import micros_to_ts

MAX_ATTEMPTS = 8  # Slack gives up after 3 retries; the harness is more patient than that
QUESTIONS = [
    "The CSV export fails with a timeout since this morning",
    "Invoices page shows the wrong VAT number for our company",
    "SSO login loops back to the sign-in page",
    "Webhook deliveries are delayed by several minutes",
    "How do I add a second admin to our workspace?",
    "API returns 502 on the reports endpoint",
]


class RealTimeTs:
    """Slack-like message timestamps: the wall clock, strictly increasing."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self._last = max(int(time.time() * 1_000_000), self._last + 1)
            return micros_to_ts(self._last)


@dataclass
class Step:
    """One thing Slack delivers: an event, or two agents claiming one ticket at once."""

    position: float
    kind: str  # question | reply | followup | edit | delete | claim
    conversation: int
    user: str = ""
    team: str = ""
    text: str = ""


@dataclass
class Conversation:
    """A customer question and what happens in its thread."""

    index: int
    customer: str
    org: str
    root_ts: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # ts -> final text
    agent_reply_ts: str | None = None
    deleted: set[str] = field(default_factory=set)
    edited_text: str | None = None
    claimed_by: tuple[str, str] | None = None


def plan(events: int, orgs: int, seed: int) -> tuple[list[Conversation], list[Step]]:
    """Conversations and their steps, in delivery order, adding up to about `events`."""
    rng = random.Random(seed)
    conversations: list[Conversation] = []
    steps: list[Step] = []
    index = 0
    while len(steps) < events:
        conversation = Conversation(index, customer_id(index), org_id(index % orgs))
        conversations.append(conversation)
        start = float(index * 3)
        steps.append(Step(start, "question", index, conversation.customer, conversation.org))
        if rng.random() < 0.7:  # answered; some late enough to breach
            steps.append(Step(start + rng.uniform(5, 60), "reply", index, rng.choice(AGENTS)))
        if rng.random() < 0.4:
            steps.append(Step(start + rng.uniform(5, 90), "followup", index))
        if rng.random() < 0.05:
            steps.append(Step(start + rng.uniform(2, 40), "edit", index))
        if rng.random() < 0.15:
            steps.append(Step(start + rng.uniform(20, 80), "claim", index))
        if rng.random() < 0.03:
            steps.append(Step(start + rng.uniform(70, 100), "delete", index))
        index += 1
    steps.sort(key=lambda step: step.position)
    return conversations, steps


@dataclass
class Delivery:
    """Counters of what was sent and how it was answered."""

    sent: int = 0
    redelivered: int = 0
    retried: int = 0
    undeliverable: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    claims: list[tuple[int, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, status: str, latency: float | None) -> None:
        """Count one answer."""
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if latency is not None:
                self.latencies.append(latency)


class Sender:
    """Delivers steps to the replicas from several threads, retrying like Slack."""

    def __init__(
        self,
        urls: Callable[[], list[str]],
        conversations: list[Conversation],
        ticket_number: Callable[[str], int | None],
        *,
        redeliver: float,
        seed: int,
        workers: int = 8,
        run_id: str = "A",
    ) -> None:
        self._urls = urls
        self._conversations = conversations
        self._ticket_number = ticket_number
        self._redeliver = redeliver
        self._rng = random.Random(seed + 1)
        self._rng_lock = threading.Lock()
        self._ts = RealTimeTs()
        self._drivers: dict[str, SlackDriver] = {}
        self._retry: queue.Queue[tuple[float, dict[str, Any], str, str, int]] = queue.Queue()
        self.acked: set[str] = set()  # message ts, or edit:N / delete:N, answered 200
        self._workers = workers
        self._round_robin = itertools.count()
        self.delivery = Delivery()
        self.cards: dict[int, int] = {}  # ticket number -> triage cards posted (for the report)
        self._run_id = run_id  # keeps event ids of separate runs on one database apart

    def _driver(self, url: str) -> SlackDriver:
        if url not in self._drivers:
            self._drivers[url] = SlackDriver(
                app_url=url, signing_secret=SECRET, ts_factory=self._ts, timeout=10
            )
        return self._drivers[url]

    def _pick(self, avoid: str | None = None) -> str:
        urls = self._urls()
        choices = [url for url in urls if url != avoid] or urls
        return choices[next(self._round_robin) % len(choices)]

    def _chance(self, probability: float) -> bool:
        with self._rng_lock:
            return self._rng.random() < probability

    def post_event(self, event: dict[str, Any], event_id: str, key: str, attempt: int = 1) -> None:
        """One delivery attempt; not answered 200 means Slack tries again later."""
        url = self._pick()
        started = time.perf_counter()
        try:
            response = self._driver(url).event(
                event, event_id=event_id, retry_num=attempt - 1 if attempt > 1 else None
            )
            status = str(response.status)
        except OSError as error:
            status = type(error).__name__
        latency = time.perf_counter() - started if status == "200" else None
        self.delivery.note(status, latency)
        if status != "200":
            if attempt >= MAX_ATTEMPTS:
                with self.delivery.lock:
                    self.delivery.undeliverable += 1
                return
            with self.delivery.lock:
                self.delivery.retried += 1
            self._retry.put((time.monotonic() + 1.0, event, event_id, key, attempt + 1))
            return
        with self.delivery.lock:
            self.acked.add(key)
        if attempt == 1 and self._chance(self._redeliver):
            with self.delivery.lock:
                self.delivery.redelivered += 1
            self._retry.put((time.monotonic() + 0.2, event, event_id, key, 2))

    def _event_for(self, step: Step) -> dict[str, Any] | None:
        conversation = self._conversations[step.conversation]
        ts = self._ts()
        event: dict[str, Any] = {"type": "message", "channel": HELP, "ts": ts, "event_ts": ts}
        event["channel_type"] = "channel"
        if step.kind == "question":
            text = f"{QUESTIONS[step.conversation % len(QUESTIONS)]} (case {step.conversation})"
            conversation.root_ts = ts
            conversation.texts[ts] = text
            return {
                **event,
                "user": step.user,
                "team": step.team,
                "user_team": step.team,
                "text": text,
            }
        root = conversation.root_ts
        if root is None:
            return None
        if step.kind in ("reply", "followup"):
            user = step.user if step.kind == "reply" else conversation.customer
            team = "T0HOME" if step.kind == "reply" else conversation.org
            text = "Looking into it now" if step.kind == "reply" else "Any news on this?"
            if step.kind == "reply":
                conversation.agent_reply_ts = conversation.agent_reply_ts or ts
            conversation.texts[ts] = text
            return {
                **event,
                "user": user,
                "team": team,
                "user_team": team,
                "text": text,
                "thread_ts": root,
            }
        if step.kind == "edit":
            edited = conversation.texts[root] + " (edited: also on staging)"
            conversation.edited_text = edited
            message = {
                "type": "message",
                "user": conversation.customer,
                "text": edited,
                "ts": root,
                "edited": {"user": conversation.customer, "ts": ts},
            }
            return {**event, "subtype": "message_changed", "hidden": True, "message": message}
        if step.kind == "delete" and conversation.agent_reply_ts:
            gone = conversation.agent_reply_ts
            conversation.deleted.add(gone)
            return {
                **event,
                "subtype": "message_deleted",
                "hidden": True,
                "deleted_ts": gone,
                "previous_message": {"type": "message", "ts": gone},
            }
        return None

    def _claim(self, step: Step) -> None:
        """Two agents press claim on the same ticket at once, on two replicas."""
        conversation = self._conversations[step.conversation]
        number = None
        # Agents claim from the triage card, which appears just after the acknowledgement.
        for _ in range(30):
            number = self._ticket_number(conversation.root_ts) if conversation.root_ts else None
            if number is not None:
                break
            time.sleep(0.1)
        if number is None:
            return
        pair = AGENTS[step.conversation % 3], AGENTS[(step.conversation + 1) % 3]
        conversation.claimed_by = pair
        answers: list[str] = []

        def press(agent: str) -> None:
            driver = self._driver(self._pick())
            try:
                response = driver.command("/ticket", f"claim #{number}", user=agent, channel=TRIAGE)
            except OSError as error:  # the replica is down: Slack shows the agent an error
                answers.append(f"error {type(error).__name__}")
                return
            finally:  # this thread ends now: its connection must not stay open on the replica
                driver.close_thread_connection()
            answers.append(f"{response.status} {response.body[:200]}")

        threads = [threading.Thread(target=press, args=(agent,)) for agent in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with self.delivery.lock:
            self.delivery.claims.append((number, answers))

    def run(
        self,
        steps: list[Step],
        on_progress: Callable[[int], None],
        *,
        rate: float | None = None,
        until: float | None = None,
    ) -> None:
        """Deliver every step (and every retry) from the worker threads; `rate` paces
        them to that many steps per second instead of as fast as the replicas take them."""
        work: queue.Queue[Step | None] = queue.Queue(maxsize=self._workers * 4)
        done = itertools.count(1)
        finished = threading.Event()
        # Agents' button presses reach Slack on their own schedule: a slow claim must not
        # hold up message delivery, so claims run beside the event workers.
        claims = ThreadPoolExecutor(max_workers=4, thread_name_prefix="claims")

        def worker() -> None:
            while True:
                step = work.get()
                if step is None:
                    return
                if step.kind == "claim":
                    claims.submit(self._claim, step)
                else:
                    event = self._event_for(step)
                    if event is not None:
                        with self.delivery.lock:
                            self.delivery.sent += 1
                        key = (
                            f"{step.kind}:{step.conversation}"
                            if step.kind in ("edit", "delete")
                            else event["ts"]
                        )
                        self.post_event(
                            event, f"Ev{self._run_id}{step.conversation:06d}{step.kind}", key
                        )
                on_progress(next(done))

        def retrier() -> None:
            while not (finished.is_set() and self._retry.empty()):
                try:
                    due, event, event_id, key, attempt = self._retry.get(timeout=0.2)
                except queue.Empty:
                    continue
                time.sleep(max(0.0, due - time.monotonic()))
                self.post_event(event, event_id, key, attempt)

        threads = [threading.Thread(target=worker) for _ in range(self._workers)]
        retriers = [threading.Thread(target=retrier) for _ in range(2)]
        for thread in threads + retriers:
            thread.start()
        started = time.monotonic()
        for index, step in enumerate(steps):
            if until is not None and time.monotonic() >= until:
                break
            if rate:
                time.sleep(max(0.0, started + index / rate - time.monotonic()))
            work.put(step)
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
        claims.shutdown(wait=True, cancel_futures=until is not None)  # a timed run stops on time
        finished.set()
        for thread in retriers:
            thread.join()
