"""The job table: `deskbot run` and `deskbot demo` schedule exactly it, and a failing job
is logged once and stays scheduled."""

import argparse
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot import jobs
from bot.demo.workspace import start_demo
from bot.intake.inbox import LEASE_BEAT
from tests.support.harness import RunningBot

ALL_JOBS = {
    "sla-sweep",
    "routing-sweep",
    "finish-welcomes",
    "correct-organizations",
    "kpi-fold",
    "inbox-pull",
    "lease-heartbeat",
    "housekeeping",
    "daily-digest",
    "retention",
}
ONLY_CONFIGURED = {"daily-digest", "retention"}


def scheduled(scheduler: Any) -> dict[str, timedelta]:
    """Each scheduled job's id and its interval."""
    return {job.id: job.trigger.interval for job in scheduler.get_jobs()}


def paused_scheduling(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Make `jobs.start_jobs` leave its scheduler paused; remember (runtime, scheduler,
    what it scheduled) for each call."""
    started: list[Any] = []
    real = jobs.start_jobs

    def start_paused(runtime: Any, **kwargs: Any) -> Any:
        scheduler = real(runtime, **{**kwargs, "paused": True})
        started.append((runtime, scheduler, scheduled(scheduler)))
        return scheduler

    monkeypatch.setattr(jobs, "start_jobs", start_paused)
    return started


def test_the_table_has_every_job_at_its_interval(start_deskbot):
    bot = start_deskbot(
        {
            "leads_channel": "C0LEADS",
            "daily_digest": {"at": "09:00"},
            "retention": {"message_text": "365d"},
        }
    )
    table = {job.name: job.every for job in jobs.job_table(bot.app.runtime)}
    sweep = timedelta(seconds=bot.app.runtime.deps.desk.sla_sweep_seconds)
    assert table == {
        "sla-sweep": sweep,
        "routing-sweep": sweep,
        "finish-welcomes": sweep,
        "correct-organizations": sweep,
        "kpi-fold": sweep,
        "inbox-pull": timedelta(seconds=1),
        "lease-heartbeat": LEASE_BEAT,
        "housekeeping": timedelta(hours=1),
        "daily-digest": timedelta(minutes=1),
        "retention": timedelta(hours=1),
    }


def test_deskbot_run_schedules_the_table(deskbot: RunningBot, monkeypatch):
    started = paused_scheduling(monkeypatch)

    class Server:  # serves nothing: Ctrl-C at once
        port = 0

        def __init__(self, *_args: Any, **_kwargs: Any) -> None:
            pass

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr("bot.app.create_app", lambda *_args, **_kwargs: deskbot.app)
    monkeypatch.setattr("bot.web.HttpServer", Server)
    monkeypatch.setattr("store.db.migrate", lambda _engine: None)
    from bot.cli.run import run_bot

    args = argparse.Namespace(host="127.0.0.1", port=0)
    assert run_bot(deskbot.app.runtime.deps.settings, args) == 0

    [(runtime, scheduler, intervals)] = started
    assert runtime is deskbot.app.runtime
    table = {job.name: job.every for job in jobs.job_table(runtime)}
    assert intervals == table and set(table) == ALL_JOBS - ONLY_CONFIGURED
    assert not scheduler.running  # stopped with the server


def test_the_demo_runs_the_same_table_on_its_clock(db: Engine, monkeypatch):
    started = paused_scheduling(monkeypatch)
    demo = start_demo(
        port=0,
        speed=30,
        start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        database_url=db.url.render_as_string(hide_password=False),
    )
    try:
        demo.start_jobs()
        [(runtime, scheduler, intervals)] = started
        assert runtime is demo.runtime and demo.scheduler is scheduler
        table = jobs.job_table(runtime)
        assert intervals == {job.name: jobs.interval(job, 30) for job in table}
        assert {job.name for job in table} == ALL_JOBS - ONLY_CONFIGURED
        assert intervals["sla-sweep"] == timedelta(seconds=2)  # once a demo minute
        assert intervals["inbox-pull"] == timedelta(seconds=1)  # never faster than a second
    finally:
        demo.stop()


def test_a_failing_job_is_logged_once_and_stays_scheduled(deskbot, monkeypatch, caplog):
    scheduler = jobs.start_jobs(deskbot.app.runtime, paused=True)
    try:

        def database_down() -> None:
            raise RuntimeError("database down")

        monkeypatch.setattr(deskbot.app.runtime.deps.sweeper, "sweep", database_down)
        sweep = scheduler.get_job("sla-sweep")
        with caplog.at_level(logging.INFO):
            sweep.func()  # what the scheduler's executor calls: it returns, it never raises
            sweep.func()
        failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert [r.getMessage() for r in failures] == [
            "job sla-sweep failed; it runs again in 0:01:00"
        ] * 2  # once per run, by one mechanism
        assert all(r.exc_info and "database down" in str(r.exc_info[1]) for r in failures)
        assert scheduler.get_job("sla-sweep") is not None and scheduler.running
    finally:
        scheduler.shutdown(wait=False)


def test_a_job_that_succeeds_logs_its_outcome_only(deskbot, caplog):
    housekeeping = {job.name: job for job in jobs.job_table(deskbot.app.runtime)}["housekeeping"]
    with caplog.at_level(logging.INFO, logger="deskbot"):
        housekeeping()
    assert [r.getMessage() for r in caplog.records] == ["housekeeping: forgot 0 old event ids"]
