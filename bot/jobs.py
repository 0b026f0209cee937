"""THE job table: every background job deskbot runs, declared once, as data.

`deskbot run` and `deskbot demo` schedule the same table (the demo on its accelerated
clock). Every job is safe to run on every replica at once: the database, not the
scheduler, makes each piece of work happen once (claims, leases, unique keys).

A job that raises is logged here, once, by `Job.__call__`; the scheduler never sees the
exception, so the job stays scheduled and simply runs again at its next interval.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot import retention
from bot.intake.inbox import LEASE_BEAT
from bot.intake.organizations import correct_unknown_teams
from bot.intake.service import FOLLOWUP_LEASE
from bot.runtime import Runtime
from store.kpi.triggers import rollup

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

logger = logging.getLogger("deskbot")

MIN_INTERVAL = timedelta(seconds=1)  # an accelerated clock never schedules faster than this


@dataclass(frozen=True)
class Job:
    """One background job: what it is called, how often it runs, and what it does."""

    name: str
    every: timedelta
    work: Callable[[], None]

    def __call__(self) -> None:
        """Run the job once; a failure is logged and left for the next run to retry."""
        try:
            self.work()
        except Exception:  # the one place job failures are reported; the job must survive
            logger.exception("job %s failed; it runs again in %s", self.name, self.every)


def job_table(runtime: Runtime) -> tuple[Job, ...]:
    """Every background job of a built deskbot (the daily digest only when configured)."""
    deps = runtime.deps
    sweep_every = timedelta(seconds=deps.desk.sla_sweep_seconds)
    jobs = [
        Job("sla-sweep", sweep_every, lambda: sla_sweep(runtime)),
        Job("routing-sweep", sweep_every, lambda: routing_sweep(runtime)),
        Job("finish-welcomes", sweep_every, lambda: finish_welcomes(runtime)),
        Job("correct-organizations", sweep_every, lambda: correct_organizations(runtime)),
        Job("kpi-fold", sweep_every, lambda: fold_kpi_counters(runtime)),
        Job("inbox-pull", timedelta(seconds=1), lambda: pull_inbox(runtime)),
        Job("lease-heartbeat", LEASE_BEAT, lambda: renew_leases(runtime)),
        Job("housekeeping", timedelta(hours=1), lambda: housekeeping(runtime)),
    ]
    if deps.digest.enabled:
        jobs.append(Job("daily-digest", timedelta(minutes=1), lambda: daily_digest(runtime)))
    if deps.desk.retention.message_text is not None:
        jobs.append(Job("retention", timedelta(hours=1), lambda: expire_old_text(runtime)))
    return tuple(jobs)


def start_jobs(
    runtime: Runtime, *, speed: float = 1.0, paused: bool = False
) -> "BackgroundScheduler":
    """Schedule the job table and start the scheduler; `speed` > 1 runs it on a faster clock."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    for job in job_table(runtime):
        scheduler.add_job(
            job,
            "interval",
            seconds=interval(job, speed).total_seconds(),
            max_instances=1,
            coalesce=True,
            id=job.name,
            name=job.name,
        )
    scheduler.start(paused=paused)
    return scheduler


def interval(job: Job, speed: float = 1.0) -> timedelta:
    """How often a job runs in real time when the clock runs `speed` times faster."""
    if speed <= 0 or speed == 1:  # a stopped demo clock: run at the normal pace
        return job.every
    return max(MIN_INTERVAL, job.every / speed)


def sla_sweep(runtime: Runtime) -> None:
    """Plan and send SLA nudges that are due; its duration and alerts go to /metrics."""
    started = time.perf_counter()
    report = runtime.deps.sweeper.sweep()
    runtime.metrics.sla_swept(time.perf_counter() - started, sent=report.sent, failed=report.failed)
    if report.planned or report.sent or report.failed:
        logger.info("SLA sweep: %s", report)


def routing_sweep(runtime: Runtime) -> None:
    """Claim timeouts and tickets waiting for an agent, then CSAT surveys not yet posted."""
    deps = runtime.deps
    routed = deps.routing.sweep()
    surveys = deps.csat.retry_undelivered()
    if routed.released or routed.assigned or surveys:
        logger.info("routing sweep: %s; %d CSAT surveys posted late", routed, surveys)


def finish_welcomes(runtime: Runtime) -> None:
    """New tickets whose welcome or card a crash cut short (a job of its own, so a failing
    routing sweep never holds them back)."""
    finished = runtime.finish_unfinished_tickets(runtime.deps.clock())
    if finished:
        logger.info("finished %d new tickets a crash had cut short", finished)


def correct_organizations(runtime: Runtime) -> None:
    """Tickets recorded under an unknown organization (Slack could not say) get the real one."""
    deps = runtime.deps
    moved = correct_unknown_teams(
        runtime.engine, deps.people, clock=deps.clock, dispatcher=deps.events
    )
    if moved:
        logger.info("moved %d tickets from an unknown organization to their real one", moved)


def fold_kpi_counters(runtime: Runtime) -> None:
    """Fold the KPI counter deltas; readers stay exact without it, it keeps them fast."""
    with runtime.engine.begin() as connection:
        rollup.fold(connection)


def pull_inbox(runtime: Runtime) -> None:
    """Take up kept events that nobody is storing, while this replica has room."""
    taken = runtime.pull_inbox()
    if taken:
        logger.info("took up %d kept events nobody was storing", taken)


def renew_leases(runtime: Runtime) -> None:
    """Renew the leases of work in hand; a lease outlives several missed beats."""
    runtime.deps.inbox.renew_leases(followup_lease=FOLLOWUP_LEASE)


def housekeeping(runtime: Runtime) -> None:
    """Forget old event ids."""
    pruned = runtime.deps.intake.prune_event_keys()
    logger.info("housekeeping: forgot %d old event ids", pruned)


def expire_old_text(runtime: Runtime) -> None:
    """Redact text older than `retention.message_text` (whole UTC days, once each)."""
    keep = runtime.deps.desk.retention.message_text
    assert keep is not None  # scheduled only when set
    now = runtime.deps.clock()
    counts = retention.expire_old_text(runtime.engine, keep=keep, now=now)
    if any(counts.values()):
        shown = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
        before = retention.cutoff(keep=keep, now=now)
        logger.info("retention: redacted text written before %s: %s", f"{before:%Y-%m-%d}", shown)


def daily_digest(runtime: Runtime) -> None:
    """Every minute: the database decides whether today's digest is owed (once a day)."""
    outcome = runtime.deps.digest.run()
    if outcome.sent or outcome.failed:
        logger.info("daily digest: %s", outcome)
