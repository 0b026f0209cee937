"""Reliability under load and faults: replicas on PostgreSQL, Slack failures, crashes.

Three `deskbot run` replicas share one PostgreSQL (a cluster of the run's own, so it can be
restarted). A driver delivers conversations the way Slack does (retrying what was not
answered 200, to any replica; redelivering some answered events), two agents claim the same
tickets on two replicas at once, and short SLA targets make unanswered tickets breach while
every replica sweeps. Meanwhile the fake Slack fails a share of all Web API calls (429, 500,
dropped connections), PostgreSQL is restarted, and replicas are killed with SIGKILL during
intake and during SLA alerting. At the end everything is counted.

    python bench/reliability.py [--events 10000] [--replicas 3] [--faults 0.1]
    python bench/reliability.py --events 600 --replicas 2        # small, a few minutes
    python bench/reliability.py --soak-minutes 20 --soak-rate 50  # memory under steady load

Needs root for its own cluster (pg_createcluster, pg_ctlcluster); see --cluster.
"""

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reliability_load import Sender, plan  # noqa: E402
from bench.reliability_report import SLA_SECONDS, count, print_table  # noqa: E402
from bench.reliability_rig import (  # noqa: E402
    LEADS,
    Cluster,
    FakeSlackProcess,
    Replica,
    deskbot_env,
)
from bench.reliability_soak import print_soak, soak  # noqa: E402


def progress(label: str, total: int) -> "callable":
    """A callback printing progress to stderr every 10%."""
    step = max(total // 10, 1)

    def report(done: int) -> None:
        if done % step == 0 or done == total:
            print(f"  {label}: {done}/{total}", file=sys.stderr, flush=True)

    return report


class Faults:
    """Injects the database restart and the replica kills at points of the run."""

    def __init__(self, cluster: Cluster, replicas: list[Replica], fake: FakeSlackProcess) -> None:
        self.cluster, self.replicas, self.fake = cluster, replicas, fake
        self.log: list[str] = []
        self._fired: set[str] = set()

    def at_progress(self, done: int, total: int) -> None:
        """Restart PostgreSQL at 30% of the traffic; kill a replica at 55%."""
        if done >= total * 0.3 and "pg" not in self._fired:
            self._fired.add("pg")
            threading.Thread(target=self._restart_database).start()
        if done >= total * 0.55 and "kill-intake" not in self._fired:
            self._fired.add("kill-intake")
            threading.Thread(target=self._kill, args=(self.replicas[0], "intake")).start()

    def _restart_database(self) -> None:
        away = self.cluster.restart()
        self.log.append(f"PostgreSQL restarted mid-intake ({away:.1f} s down)")

    def _kill(self, replica: Replica, during: str) -> None:
        replica.kill()
        time.sleep(3)
        replica.start()
        self.log.append(f"replica {replica.index} SIGKILLed mid-{during}, restarted 3 s later")

    def kill_mid_sweep(self, timeout: float = 120) -> None:
        """Once breach alerts are flowing, kill the last replica while it sweeps."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(channel == LEADS for channel, _ in self.fake.posts()):
                self._kill(self.replicas[-1], "sweep")
                return
            time.sleep(0.5)
        self.log.append("no breach alert seen in time: the mid-sweep kill was skipped")


def wait_until(check: "callable", timeout: float, every: float = 1.0) -> bool:
    """Poll `check` until it is true or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def main() -> None:
    """Run the reliability scenario and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--faults", type=float, default=0.1, help="share of Slack calls failed")
    parser.add_argument("--redeliver", type=float, default=0.1)
    parser.add_argument("--orgs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--soak-minutes", type=float, default=0)
    parser.add_argument("--soak-rate", type=float, default=50)
    parser.add_argument(
        "--store-wait",
        type=float,
        default=600,
        help="seconds to wait after the last send for every acknowledged event to be stored",
    )
    parser.add_argument("--logs", help="keep the replicas' logs (and configs) in this folder")
    parser.add_argument(
        "--cluster",
        default="15/deskbot_reliability:5499",
        help="VERSION/NAME:PORT of a PostgreSQL cluster the run may restart",
    )
    args = parser.parse_args()

    version_name, _, port = args.cluster.partition(":")
    version, _, name = version_name.partition("/")
    cluster = Cluster(version, name, int(port))
    cluster.ensure()
    database_url = cluster.fresh_database("deskbot_reliability")
    conversations, steps = plan(args.events, args.orgs, args.seed)
    fake = FakeSlackProcess(customers=len(conversations), orgs=args.orgs)
    if args.logs:
        Path(args.logs).mkdir(parents=True, exist_ok=True)
    keep_or_temp = (
        contextlib.nullcontext(args.logs)
        if args.logs
        else tempfile.TemporaryDirectory(prefix="deskbot-reliability-")
    )
    with keep_or_temp as workdir:
        env = deskbot_env(fake.api_url, database_url, Path(workdir), SLA_SECONDS)
        level = "INFO" if args.logs else "WARNING"
        replicas = [
            Replica(index, Path(workdir), env, log_level=level) for index in range(args.replicas)
        ]
        for replica in replicas:
            replica.start()
        fake.chaos(args.faults, args.seed)
        faults = Faults(cluster, replicas, fake)
        engine = create_engine(database_url, pool_pre_ping=True)

        def ticket_number(root_ts: str) -> int | None:
            try:
                with engine.connect() as db:
                    return db.execute(
                        text("SELECT number FROM ticket WHERE root_ts = :ts"), {"ts": root_ts}
                    ).scalar()
            except OperationalError:  # the database is being restarted: no claim this time
                return None

        sender = Sender(
            lambda: [r.url for r in replicas],
            conversations,
            ticket_number,
            redeliver=args.redeliver,
            seed=args.seed,
        )
        report = progress("steps delivered", len(steps))

        def on_progress(done: int) -> None:
            report(done)
            faults.at_progress(done, len(steps))

        started = time.monotonic()
        sweeping_kill = threading.Thread(target=faults.kill_mid_sweep)
        sweeping_kill.start()
        sender.run(steps, on_progress)
        sent_in = time.monotonic() - started
        sweeping_kill.join()
        print("  waiting for every acknowledged event to be stored...", file=sys.stderr)
        wanted = {ts for c in conversations for ts in c.texts if ts in sender.acked}

        def all_stored() -> bool:
            with engine.connect() as db:
                stored = {row[0] for row in db.execute(text("SELECT ts FROM message"))}
            return wanted <= stored

        # Events queued in a killed replica wait out their lease before others replay them,
        # so the backlog can take minutes to drain; what is still missing after this is lost.
        if wait_until(all_stored, timeout=args.store_wait):
            drained = time.monotonic() - started - sent_in
            faults.log.append(
                f"every acknowledged event stored {drained:.0f} s after the last send"
            )
        else:
            faults.log.append(f"acknowledged events still not stored {args.store_wait:.0f} s after")
        print("  waiting for SLA alerts to settle (leases included)...", file=sys.stderr)

        def settled() -> bool:
            with engine.connect() as db:
                open_rows = db.execute(
                    text("SELECT count(*) FROM sla_notification WHERE status <> 'sent'")
                ).scalar()
            return open_rows == 0

        time.sleep(SLA_SECONDS + 15)
        wait_until(settled, timeout=300, every=2)
        print("  waiting for cards a crash cut short to be finished...", file=sys.stderr)

        def cards_done() -> bool:
            with engine.connect() as db:
                missing = db.execute(
                    text("SELECT count(*) FROM ticket WHERE triage_ts IS NULL")
                ).scalar()
            return missing == 0

        wait_until(cards_done, timeout=240, every=2)
        posts = fake.posts()
        fault_counts = fake.faults()
        rows = count(database_url, conversations, sender, posts)
        print_table(args, rows, sender, faults.log, fault_counts, sent_in)
        sys.stdout.flush()
        soaked = None
        if args.soak_minutes:
            print("  soaking...", file=sys.stderr)
            soaked = soak(
                replicas,
                lambda convs: Sender(
                    lambda: [r.url for r in replicas],
                    convs,
                    ticket_number,
                    redeliver=args.redeliver,
                    seed=args.seed,
                    run_id="S",
                ),
                args.soak_minutes,
                args.soak_rate,
                args.orgs,
                args.seed,
            )
            soak_ended = time.monotonic()

            def soak_missing() -> int:
                with engine.connect() as db:
                    stored = {row[0] for row in db.execute(text("SELECT ts FROM message"))}
                return len(soaked.acked - stored)

            wait_until(lambda: soak_missing() == 0, timeout=300)
            soaked.drain_seconds = time.monotonic() - soak_ended
            soaked.not_stored = soak_missing()
        for replica in replicas:
            replica.stop()
        engine.dispose()
    fake.stop()
    if soaked is not None:
        print_soak(soaked)


if __name__ == "__main__":
    main()
