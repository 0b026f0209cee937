"""Both transports carry the same intake: HTTP (`deskbot run`) and Socket Mode; plus health
and the migrations that `deskbot run` applies."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlmodel import Session, SQLModel, select

from fakeslack import SlackDriver
from store.models import Ticket
from tests.conftest import ACME, CUSTOMER, DEFAULT_CONFIG, HELP, TRIAGE
from tests.support.harness import SIGNING_SECRET


def test_healthz_reports_database(deskbot):
    with urllib.request.urlopen(f"{deskbot.server.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"ok": True, "database": "up"}


def test_healthz_answers_while_every_pooled_connection_is_busy(deskbot, db):
    # Intake can hold the whole pool; a check queued behind it waited for the pool's
    # timeout. It asks the database, not the pool.
    busy = [db.connect() for _ in range(db.pool.size() + db.pool._max_overflow)]
    try:
        started = time.monotonic()
        with urllib.request.urlopen(f"{deskbot.server.url}/healthz", timeout=10) as response:
            assert response.status == 200
        assert time.monotonic() - started < 5  # not the pool's 30 s timeout
    finally:
        for connection in busy:
            connection.close()


def test_healthz_says_503_when_the_database_is_gone(deskbot, tmp_path):
    from bot.web import HttpServer, make_wsgi_app
    from store.db import make_engine

    gone = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'deskbot.db'}")
    server = HttpServer(make_wsgi_app(deskbot.app, gone), host="127.0.0.1", port=0).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"{server.url}/healthz", timeout=5)
        assert raised.value.code == 503
        assert json.loads(raised.value.read()) == {"ok": False, "database": "down"}
    finally:
        server.stop()


def test_unknown_paths_are_404(deskbot):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{deskbot.server.url}/nope", timeout=5)
    assert raised.value.code == 404


def test_migrations_match_the_models(db):
    with db.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def _event_envelope(ts: str) -> dict:
    return {
        "token": "",
        "team_id": "T0HOME",
        "api_app_id": "A0DESK",
        "type": "event_callback",
        "event_id": f"Ev{ts.replace('.', '')}",
        "event_time": int(float(ts)),
        "authorizations": [{"team_id": "T0HOME", "user_id": "UBOT", "is_bot": True}],
        "is_ext_shared_channel": True,
        "event": {
            "type": "message",
            "channel": HELP,
            "user": CUSTOMER,
            "team": ACME,
            "user_team": ACME,
            "text": "Login loops forever",
            "ts": ts,
            "event_ts": ts,
            "channel_type": "channel",
        },
    }


def test_intake_over_socket_mode(start_deskbot, fake):
    bot = start_deskbot()
    handler = SocketModeHandler(bot.app, "xapp-test")
    handler.connect()
    try:
        assert fake.wait_socket_connected(timeout=10)
        ts = bot.driver.next_ts()
        envelope_id = fake.push_envelope("events_api", _event_envelope(ts))
        assert fake.wait_ack(envelope_id, timeout=10) is not None
        bot.drain()
    finally:
        handler.close()
    [ticket] = bot.tickets()
    assert ticket.root_ts == ts and ticket.customer_team_id == ACME
    assert fake.reactions(HELP, ts) == ["ticket"]
    assert len(fake.messages(TRIAGE)) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _deskbot_run(tmp_path: Path, fake, db, *, socket_mode: bool) -> tuple[subprocess.Popen, int]:
    config = tmp_path / "deskbot.yaml"
    config.write_text(json.dumps(DEFAULT_CONFIG))  # JSON is YAML
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "DESKBOT_CONFIG": str(config),
    }
    if socket_mode:  # and its log as a shipper reads it
        env.update(SLACK_APP_TOKEN="xapp-test", DESKBOT_LOG_FORMAT="json")
    else:
        env.pop("SLACK_APP_TOKEN", None)
        env.pop("DESKBOT_LOG_FORMAT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "run", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)  # polling for the child process to bind, not waiting on a timer
    process.kill()
    pytest.fail(f"deskbot run did not come up:\n{process.communicate()[0]}")


def _wait_for_ticket(db, ts: str) -> Ticket | None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with Session(db) as session:
            ticket = session.exec(select(Ticket).where(Ticket.root_ts == ts)).first()
        if ticket is not None and ticket.triage_ts is not None:
            return ticket
        time.sleep(0.05)  # the child process works asynchronously; poll its database
    return None


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket-mode"])
def test_deskbot_run_serves_slack(tmp_path, fake, db, socket_mode):
    process, port = _deskbot_run(tmp_path, fake, db, socket_mode=socket_mode)
    try:
        ts = SlackDriver(
            app_url="", signing_secret=SIGNING_SECRET, team_id="T0HOME", api_app_id="A0DESK"
        ).next_ts()
        if socket_mode:
            assert fake.wait_socket_connected(timeout=10)
            fake.push_envelope("events_api", _event_envelope(ts))
        else:
            driver = SlackDriver(
                app_url=f"http://127.0.0.1:{port}/slack/events",
                signing_secret=SIGNING_SECRET,
                team_id="T0HOME",
                api_app_id="A0DESK",
            )
            assert driver.event(_event_envelope(ts)["event"]).status == 200
        ticket = _wait_for_ticket(db, ts)
        assert ticket is not None and ticket.number == 1
        assert fake.reactions(HELP, ts) == ["ticket"]
        # /metrics is served where /healthz is: the HTTP server, or Socket Mode's health port.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            metrics = response.read().decode()
        assert 'deskbot_events_acked_total{type="message"} 1.0' in metrics
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "xoxb-test" not in output and "xapp-test" not in output
    if socket_mode:  # one JSON object a line
        records = [json.loads(line) for line in output.splitlines()]
        assert any("connected over Socket Mode" in record["message"] for record in records)
        assert {"time", "level", "logger", "message"} <= set(records[0])
