"""`GET /metrics`: every metric moves as traffic goes through the app."""

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot import jobs
from bot.app import create_app
from bot.clock import datetime_to_ts
from bot.transport.client import build_web_client
from bot.web import HttpServer, make_wsgi_app
from fakeslack import SlackDriver
from store.db import make_engine, migrate
from tests.conftest import (
    ACME,
    CUSTOMER,
    DEFAULT_CONFIG,
    HELP,
    HOME,
    INTERNAL_HELP,
    make_settings,
)
from tests.scenarios.test_durable_intake import down
from tests.support.harness import SIGNING_SECRET, RunningBot

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    """Every sample of one scrape, keyed by name and sorted labels."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def ask(bot: RunningBot, clock, text: str = "Export fails", **who: str | None) -> None:
    who = {"channel": HELP, "user": CUSTOMER, "team": ACME, **who}
    bot.driver.message(text=text, ts=datetime_to_ts(clock.now), **who)  # type: ignore[arg-type]
    bot.drain()
    clock.advance(seconds=1)


def test_events_and_slack_calls_move_as_a_question_comes_in(deskbot, clock):
    before = scrape(deskbot.server.url)
    ask(deskbot, clock)
    after = scrape(deskbot.server.url)
    for name in ("deskbot_events_received_total", "deskbot_events_acked_total"):
        assert moved(before, after, name, type="message") == 1, name
    assert moved(before, after, "deskbot_events_stored_total", type="message") == 1
    posted = moved(
        before, after, "deskbot_slack_api_calls_total", method="chat.postMessage", outcome="ok"
    )
    assert posted >= 1  # the triage card at least
    assert (
        moved(before, after, "deskbot_slack_api_calls_total", method="reactions.add", outcome="ok")
        == 1
    )


def test_retries_429s_and_failed_calls_are_counted_by_method(deskbot, fake, clock):
    before = scrape(deskbot.server.url)
    fake.fail_next("reactions.add", status=429)
    fake.fail_next("chat.postMessage", status=500)
    ask(deskbot, clock)
    # Slack cannot say who this is: users.info answers user_not_found.
    ask(deskbot, clock, "Who am I?", channel=INTERNAL_HELP, user="UNOBODY", team=None)
    after = scrape(deskbot.server.url)
    assert deskbot.sleeps  # the retries waited (on the injected sleep)
    assert moved(before, after, "deskbot_slack_api_ratelimited_total", method="reactions.add") == 1
    assert (
        moved(
            before,
            after,
            "deskbot_slack_api_retries_total",
            method="reactions.add",
            reason="ratelimited",
        )
        == 1
    )
    assert (
        moved(
            before,
            after,
            "deskbot_slack_api_retries_total",
            method="chat.postMessage",
            reason="server_error",
        )
        == 1
    )
    assert (
        moved(before, after, "deskbot_slack_api_calls_total", method="users.info", outcome="error")
        >= 1
    )


def test_inbox_depth_and_age_follow_events_waiting_to_be_stored(deskbot, clock):
    pipeline = deskbot.app.runtime.pipeline
    capacity, pipeline.capacity = pipeline.capacity, 0  # full: events wait in the inbox
    ask(deskbot, clock, "Kept for later")
    clock.advance(seconds=29)
    waiting = scrape(deskbot.server.url)
    assert value(waiting, "deskbot_inbox_depth") == 1
    assert value(waiting, "deskbot_inbox_oldest_age_seconds") == 30
    pipeline.capacity = capacity
    assert deskbot.app.runtime.pull_inbox() == 1
    deskbot.drain()
    done = scrape(deskbot.server.url)
    assert value(done, "deskbot_inbox_depth") == 0
    assert value(done, "deskbot_inbox_oldest_age_seconds") == 0
    assert moved(waiting, done, "deskbot_events_stored_total", type="message") == 1


def test_a_failed_store_is_counted_and_its_event_waits_in_the_inbox(deskbot, clock, monkeypatch):
    deskbot.allow_listener_errors = True  # the failure is logged as a listener's
    monkeypatch.setattr(deskbot.app.runtime.deps.intake, "receive_message", down)
    before = scrape(deskbot.server.url)
    ask(deskbot, clock, "Stored later")
    after = scrape(deskbot.server.url)
    assert moved(before, after, "deskbot_events_store_failures_total", type="message") == 1
    assert moved(before, after, "deskbot_events_stored_total", type="message") == 0
    assert value(after, "deskbot_inbox_depth") == 1


def test_the_sla_sweep_reports_its_duration_its_last_run_and_alerts_sent(start_deskbot, clock):
    bot = start_deskbot({"sla_policies": [{"name": "std", "first_response": "1h"}]})
    ask(bot, clock)
    before = scrape(bot.server.url)
    assert value(before, "deskbot_sla_sweep_last_success_timestamp_seconds") == 0
    clock.advance(hours=2)  # breached: the leads are told
    jobs.sla_sweep(bot.app.runtime)
    after = scrape(bot.server.url)
    assert moved(before, after, "deskbot_sla_sweep_duration_seconds_count") == 1
    assert moved(before, after, "deskbot_sla_sweep_duration_seconds_sum") > 0
    assert value(after, "deskbot_sla_sweep_last_success_timestamp_seconds") > 1.7e9
    assert moved(before, after, "deskbot_sla_alerts_total", outcome="sent") == 1


def test_database_errors_are_counted_and_a_refused_event_is_not_acked(
    fake, clock, tmp_path, slack_server
):
    url = f"sqlite:///{tmp_path / 'deskbot.db'}"
    engine = make_engine(url)
    migrate(engine)
    app = create_app(
        make_settings(DEFAULT_CONFIG, fake.api_url, url),
        client=build_web_client("xoxb-test", base_url=fake.api_url, sleep=lambda _: None),
        engine=engine,
        clock=clock,
    )
    server = HttpServer(make_wsgi_app(app, engine), host="127.0.0.1", port=0).start()
    try:
        driver = SlackDriver(
            app_url=f"{server.url}/slack/events",
            signing_secret=SIGNING_SECRET,
            team_id=HOME,
            api_app_id="A0DESK",
        )
        before = scrape(server.url)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE inbox_event"))  # the database breaks
        refused = driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Lost?")
        after = scrape(server.url)
    finally:
        server.stop()
    assert refused.status == 503  # Slack will redeliver it
    assert moved(before, after, "deskbot_db_errors_total", kind="OperationalError") >= 1
    assert moved(before, after, "deskbot_events_received_total", type="message") == 1
    assert moved(before, after, "deskbot_events_acked_total", type="message") == 0
    assert "deskbot_inbox_depth" not in {name for name, _ in after}  # cannot say: no gauge


def test_an_unreachable_health_database_counts_as_a_database_error(deskbot, tmp_path):
    gone = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'deskbot.db'}")
    server = HttpServer(make_wsgi_app(deskbot.app, gone), host="127.0.0.1", port=0).start()
    try:
        before = scrape(server.url)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{server.url}/healthz", timeout=5)
        after = scrape(server.url)
    finally:
        server.stop()
    assert moved(before, after, "deskbot_db_errors_total", kind="OperationalError") == 1


def test_each_app_counts_on_its_own(start_deskbot, clock):
    first, second = start_deskbot(), start_deskbot()
    ask(first, clock)
    assert value(scrape(first.server.url), "deskbot_events_received_total", type="message") == 1
    assert value(scrape(second.server.url), "deskbot_events_received_total", type="message") == 0


def test_metrics_answers_get_only_and_speaks_openmetrics_when_asked(deskbot):
    request = urllib.request.Request(
        f"{deskbot.server.url}/metrics", headers={"Accept": "application/openmetrics-text"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Type"].startswith("application/openmetrics-text")
        assert response.read().decode().rstrip().endswith("# EOF")
    post: Callable[[], object] = lambda: urllib.request.urlopen(  # noqa: E731
        urllib.request.Request(f"{deskbot.server.url}/metrics", data=b"", method="POST"), timeout=5
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        post()
    assert raised.value.code == 405


def test_the_readmes_alert_rules_name_only_metrics_deskbot_serves(deskbot):
    readme = (Path(__file__).resolve().parents[2] / "docs" / "admin-guide.md").read_text()
    [block] = re.findall(r"```yaml\n(groups:\n.*?)```", readme, flags=re.DOTALL)
    rules = yaml.safe_load(block)["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} >= {"DeskbotInboxGrowing", "DeskbotSlaSweepLate"}
    served = {name for name, _ in scrape(deskbot.server.url)}
    served |= {name.removesuffix("_total") for name in served}
    named = {name for rule in rules for name in re.findall(r"deskbot_\w+", rule["expr"])}
    assert named and named <= served, named - served
