"""The soak part of the reliability run: a steady event rate for a long time, with the
replicas' resident memory sampled, to show that nothing grows without bound."""

import sys
import threading
import time
from dataclasses import dataclass, field

from bench.reliability_load import Sender, plan
from bench.reliability_rig import Replica


@dataclass
class Soak:
    """RSS samples (MiB) per replica, and the delivery counters of the soak."""

    minutes: float
    rate: float
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)  # message ts answered 200
    not_stored: int = 0  # acknowledged soak messages missing once the backlog drained
    drain_seconds: float = 0.0  # from the soak's end until every acked message was stored

    def growth(self, index: int) -> tuple[float, float, float]:
        """(RSS after warm-up, RSS at the end, growth) for one replica.

        Warm-up is the first quarter of the soak (at least two minutes): caches, pools
        and the knowledge index fill up then. The end is the mean of the last 3 samples.
        """
        samples = self.samples[index]
        warm_until = max(120.0, self.minutes * 60 / 4)
        after = [rss for at, rss in samples if at >= warm_until] or [samples[-1][1]]
        base, end = after[0], sum(rss for _, rss in samples[-3:]) / len(samples[-3:])
        return base, end, (end - base) / base if base else 0.0


def soak(
    replicas: list[Replica],
    sender_for: "callable",
    minutes: float,
    rate: float,
    orgs: int,
    seed: int,
) -> Soak:
    """Send `rate` events per second for `minutes`, sampling memory every 10 s."""
    result = Soak(minutes, rate)
    events = int(minutes * 60 * rate)
    conversations, steps = plan(events, orgs, seed + 7)
    sender: Sender = sender_for(conversations)
    done = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not done.is_set():
            for replica in replicas:
                result.samples.setdefault(replica.index, []).append(
                    (time.monotonic() - started, replica.rss_mb())
                )
            done.wait(10)

    def progress(count: int) -> None:
        if count % max(len(steps) // 20, 1) == 0:
            elapsed = (time.monotonic() - started) / 60
            rss = ", ".join(f"{r.rss_mb():.0f}" for r in replicas)
            print(
                f"  soak: {count}/{len(steps)} steps, {elapsed:.1f} min, RSS MiB {rss}",
                file=sys.stderr,
                flush=True,
            )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # The soak lasts `minutes` whatever the replicas manage: steps not sent by then are not.
    deadline = started + minutes * 60
    sender.run(steps, progress, rate=rate, until=deadline)
    done.set()
    sampler.join()
    result.sent = sender.delivery.sent
    result.latencies = list(sender.delivery.latencies)
    result.acked = {key for key in sender.acked if ":" not in key}
    return result


def print_soak(result: Soak) -> None:
    """The soak's memory table."""
    print()
    achieved = result.sent / (result.minutes * 60)
    print(
        f"Soak: {result.sent} events over {result.minutes:g} min "
        f"(offered {result.rate:g}/s, delivered {achieved:.0f}/s)"
    )
    ordered = sorted(result.latencies) or [0.0]
    p50, p99 = (ordered[min(int(len(ordered) * q), len(ordered) - 1)] for q in (0.5, 0.99))
    print(
        f"- ack latency during the soak: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
        f"every acknowledged message stored {result.drain_seconds:.0f} s after the soak ended "
        f"({result.not_stored} missing)"
    )
    print()
    print("| replica | RSS after warm-up MiB | RSS at end MiB | growth | target < 10% |")
    print("|---|---:|---:|---:|---|")
    for index in sorted(result.samples):
        base, end, growth = result.growth(index)
        verdict = "met" if growth < 0.10 else "MISSED"
        print(f"| {index} | {base:.1f} | {end:.1f} | {growth:+.1%} | {verdict} |")
