"""A running service logs its events, not the scheduler's every beat."""

import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging


@pytest.fixture
def restored() -> Iterator[None]:
    """Put the root logger and APScheduler's back as pytest had them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.NOTSET)


def test_scheduler_chatter_is_hidden_at_info(restored, capfd):
    configure_logging("INFO")
    executor = logging.getLogger("apscheduler.executors.default")
    # What APScheduler says at every beat of every job:
    executor.info('Running job "sla_sweep (trigger: interval[0:00:01])"')
    executor.info('Job "sla_sweep" executed successfully')
    executor.warning("Run time of job was missed by 0:00:05")
    logging.getLogger("deskbot").info("serving Slack on :3000/slack/events")
    err = capfd.readouterr().err
    assert "Running job" not in err and "executed successfully" not in err
    assert "was missed" in err and "serving Slack" in err


def test_debug_shows_the_chatter(restored, capfd):
    configure_logging("DEBUG")
    logging.getLogger("apscheduler.executors.default").info('Running job "sla_sweep"')
    assert "Running job" in capfd.readouterr().err
