"""Intake benchmark: replay N signed message events over HTTP and measure deskbot.

For SQLite and PostgreSQL it starts `deskbot run` (a real process, as in production)
against a fake Slack, fires N events from C concurrent keep-alive connections, and
measures ack latency and sustained throughput (until every event is stored). The same
load against a bare Bolt app that only acks, served the same way, is the baseline: the
framework's ceiling, measured in the same run.

    python bench/intake.py [--events 5000] [--concurrency 8] [--databases sqlite,postgresql]
                           [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/DB]

Targets on a 2-core machine: ack p99 under 100 ms; throughput at least half the bare app's.
"""

import argparse
import json
import multiprocessing
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake_report import (  # noqa: E402
    Result,
    cpu_seconds,
    database_server_cpu_seconds,
    percentile,
    print_table,
)
from fakeslack import FakeSlack, SlackDriver  # noqa: E402
from fakeslack.tls import self_signed_certificate  # noqa: E402

SECRET = "bench-signing-secret"
PG_BENCH_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/deskbot_bench"
HELP, TRIAGE, AGENT, CUSTOMER = "C0HELP", "C0TRIAGE", "UAGENT1", "UCUST1"


def serve_fake(ready: "multiprocessing.connection.Connection", cert: str, key: str) -> None:
    """Run the fake Slack in its own process so it does not share our GIL (HTTPS if cert)."""
    fake = FakeSlack(team_id="T0HOME", bot_user_id="UBOT", bot_id="BBOT", team_domain="bench")
    tls = None
    if cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
    fake.start(tls=tls)
    for channel, name in [(HELP, "help"), (TRIAGE, "triage")]:
        fake.add_channel(channel, name)
    fake.add_user(AGENT, "agent", team_id="T0HOME")
    fake.add_user(CUSTOMER, "customer", team_id="T0ACME")
    fake.add_team("T0ACME", "Acme")  # the customer's organisation, named on cards
    ready.send(fake.api_url)
    ready.recv()  # block until told to stop
    fake.stop()


BARE_APP = """
import sys
from slack_bolt import App
from slack_sdk import WebClient
from bot.web import HttpServer, make_wsgi_app
from store.db import make_engine

app = App(client=WebClient(token="xoxb-test", base_url=sys.argv[2]), signing_secret=sys.argv[3])
app.event("message")(lambda: None)
HttpServer(make_wsgi_app(app, make_engine("sqlite://")), host="127.0.0.1",
           port=int(sys.argv[1])).serve_forever()
"""


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen) -> None:
    """Wait for a server process to answer /healthz."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{process.communicate()[0]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up")


def start_server(
    kind: str, api_url: str, database_url: str, workdir: Path
) -> tuple[subprocess.Popen, int]:
    """Start `deskbot run` or the bare Bolt app as a child process."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind == "bare":
        command = [sys.executable, "-c", BARE_APP, str(port), api_url, SECRET]
    else:
        config = workdir / "deskbot.yaml"
        config.write_text(
            json.dumps(
                {
                    "support_channels": [HELP],
                    "triage_channel": TRIAGE,
                    "agents": [AGENT],
                    # every question comes from one customer 100 µs apart: measure
                    # ticket intake, not one endless grouped conversation
                    "intake": {"group_window": None},
                }
            )
        )
        env.update(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api_url,
            DATABASE_URL=database_url,
            DESKBOT_CONFIG=str(config),
        )
        env.pop("SLACK_APP_TOKEN", None)
        command = [
            sys.executable,
            "-m",
            "bot.cli.main",
            "--log-level",
            "WARNING",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
    process = subprocess.Popen(
        command, env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    wait_healthy(port, process)
    return process, port


def build_events(driver: SlackDriver, count: int) -> list[dict]:
    """A support-channel mix: each question followed by a customer and an agent reply."""
    events: list[dict] = []
    while len(events) < count:
        root = driver.next_ts()
        events.append(
            {
                "type": "message",
                "channel": HELP,
                "user": CUSTOMER,
                "team": "T0ACME",
                "user_team": "T0ACME",
                "text": f"Question {len(events)}: export fails",
                "ts": root,
                "event_ts": root,
                "channel_type": "channel",
            }
        )
        for user, team, words in [
            (AGENT, "T0HOME", "Looking into it"),
            (CUSTOMER, "T0ACME", "Thanks, it is urgent"),
        ]:
            ts = driver.next_ts()
            events.append(
                {
                    "type": "message",
                    "channel": HELP,
                    "user": user,
                    "team": team,
                    "text": words,
                    "ts": ts,
                    "event_ts": ts,
                    "thread_ts": root,
                    "channel_type": "channel",
                }
            )
    return events[:count]


def fire(
    driver: SlackDriver, events: list[dict], concurrency: int, label: str
) -> tuple[list[float], float]:
    """Send all events from `concurrency` threads; return ack latencies (s) and wall time."""
    latencies: list[float] = []
    lock = threading.Lock()
    cursor = iter(range(len(events)))
    step = max(len(events) // 10, 1)

    def worker() -> None:
        mine: list[float] = []
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            started = time.perf_counter()
            status = driver.event(events[index]).status
            mine.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
            if index % step == 0:
                print(f"  {label}: {index}/{len(events)} sent", file=sys.stderr, flush=True)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def wait_stored(database_url: str, expected: int, started: float) -> float:
    """Seconds from the first send until every event is stored as a message."""
    engine = create_engine(database_url)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM message")).scalar_one()
        if stored >= expected:
            engine.dispose()
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"only {stored} of {expected} events stored after 10 minutes")


def run_target(
    kind: str,
    database: str,
    database_url: str,
    api_url: str,
    events: list[dict],
    concurrency: int,
    fake_pid: int,
) -> Result:
    """Measure one server."""
    with tempfile.TemporaryDirectory() as workdir:
        process, port = start_server(kind, api_url, database_url, Path(workdir))
        try:
            driver = SlackDriver(
                app_url=f"http://127.0.0.1:{port}/slack/events",
                signing_secret=SECRET,
                team_id="T0HOME",
                api_app_id="A0BENCH",
            )
            fire(driver, events[:50], concurrency, f"{kind} warm-up")
            if kind != "bare":
                wait_stored(database_url, 50, time.perf_counter())
            measured = events[50:]
            cpu_before = cpu_seconds(process.pid)
            meters: dict[str, Callable[[], float]] = {
                "bench driver": time.process_time,
                "fake Slack": lambda: cpu_seconds(fake_pid),
                # SQLite works inside the server process
                "database": database_server_cpu_seconds if database == "postgresql" else float,
            }
            others_before = {name: meter() for name, meter in meters.items()}
            started = time.perf_counter()
            latencies, ack_wall = fire(driver, measured, concurrency, f"{kind}/{database}")
            processed = None
            if kind != "bare":
                processed = len(measured) / wait_stored(database_url, len(events), started)
            cpu_used = cpu_seconds(process.pid) - cpu_before
            others = {name: meter() - others_before[name] for name, meter in meters.items()}
        finally:
            process.terminate()
            server_log = process.communicate(timeout=30)[0]
    return Result(
        target="bare Bolt app (ack only)" if kind == "bare" else "deskbot run",
        database="-" if kind == "bare" else database,
        events=len(measured),
        acked_per_s=len(measured) / ack_wall,
        processed_per_s=processed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        cpu_ms_per_event=cpu_used / len(measured) * 1000,
        other_cpu_ms={name: used / len(measured) * 1000 for name, used in others.items()},
        server_log=server_log,
    )


def fresh_database(database: str, workdir: Path, pg_url: str) -> str:
    """An empty database for one deskbot run (PostgreSQL's is dropped and created again)."""
    if database == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    url = make_url(pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url", default=PG_BENCH_URL, help="PostgreSQL database to drop and recreate per run"
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve the fake Web API over HTTPS, as Slack's is (needs the openssl command)",
    )
    args = parser.parse_args()

    keys = tempfile.TemporaryDirectory()
    cert, key = ("", "")
    if args.tls:
        made = self_signed_certificate(Path(keys.name))
        if made is None:
            parser.error("--tls needs the openssl command")
        cert, key = str(made[0]), str(made[1])
        os.environ["SSL_CERT_FILE"] = cert  # the servers under test trust the fake's certificate
    parent, child = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=serve_fake, args=(child, cert, key), daemon=True)
    fake.start()
    api_url = parent.recv()
    driver = SlackDriver(app_url="", signing_secret=SECRET, team_id="T0HOME", api_app_id="A0BENCH")
    events = build_events(driver, args.events + 50)
    print(
        f"intake benchmark: {args.events} events, {args.concurrency} connections, "
        f"{os.cpu_count()} CPUs, Slack Web API over {'HTTPS' if args.tls else 'HTTP'}",
        file=sys.stderr,
    )
    try:
        baseline = run_target("bare", "-", "", api_url, events, args.concurrency, fake.pid)
        results = [baseline]
        for database in args.databases.split(","):
            with tempfile.TemporaryDirectory() as workdir:
                url = fresh_database(database, Path(workdir), args.pg_url)
                results.append(
                    run_target(
                        "deskbot", database, url, api_url, events, args.concurrency, fake.pid
                    )
                )
    finally:
        parent.send("stop")
        fake.join(timeout=10)
        keys.cleanup()
    print_table(results, baseline)


if __name__ == "__main__":
    main()
