"""The processes of the reliability run: a PostgreSQL cluster of its own, the fake Slack in
a child process (with chaos), and `deskbot run` replicas that can be killed and restarted.
"""

import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
SECRET = "reliability-signing-secret"
HOME, HELP, TRIAGE, LEADS = "T0HOME", "C0HELP", "C0TRIAGE", "C0LEADS"
AGENTS = ["UAGENT1", "UAGENT2", "UAGENT3"]
LEAD = "ULEAD1"


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """A PostgreSQL cluster the run may restart without disturbing anyone else's."""

    version: str
    name: str
    port: int

    @property
    def admin_url(self) -> str:
        """Where to create and drop the run's database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ensure(self) -> None:
        """Create and start the cluster if this machine does not have it yet."""
        listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
        known = any(line.split()[:2] == [self.version, self.name] for line in listed.splitlines())
        if not known:
            create = ["pg_createcluster", self.version, self.name, "-p", str(self.port)]
            subprocess.run(
                [*create, "--", "-A", "trust"],
                check=True,
                capture_output=True,
            )
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, "start"], capture_output=True, check=False
        )
        self.wait_up()

    def restart(self) -> float:
        """Restart the server (every connection drops); returns how long it was away."""
        started = time.monotonic()
        subprocess.run(["pg_ctlcluster", self.version, self.name, "restart"], check=True)
        self.wait_up()
        return time.monotonic() - started

    def wait_up(self, timeout: float = 60) -> None:
        """Block until the server accepts connections."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if probe.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL {self.version}/{self.name} did not come up")

    def fresh_database(self, name: str) -> str:
        """An empty database on the cluster; returns its URL."""
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def _serve_fake(pipe: Any, customers: int, orgs: int) -> None:
    """The fake Slack's process: answers commands from the harness over a pipe."""
    sys.path.insert(0, str(ROOT))
    from fakeslack import FakeSlack

    fake = FakeSlack(team_id=HOME, bot_user_id="UBOT", bot_id="BBOT", team_domain="rel")
    fake.start()
    fake.add_channel(HELP, "help-customers", is_ext_shared=True)
    fake.add_channel(TRIAGE, "support-triage")
    fake.add_channel(LEADS, "support-leads")
    for user in [*AGENTS, LEAD]:
        fake.add_user(user, user.lower(), team_id=HOME)
    for index in range(customers):
        fake.add_user(customer_id(index), f"customer{index}", team_id=org_id(index % orgs))
    pipe.send(fake.api_url)
    while True:
        command, argument = pipe.recv()
        if command == "chaos":
            fake.chaos(**argument)
            pipe.send(None)
        elif command == "posts":
            pipe.send(
                [
                    (call.args.get("channel"), call.args.get("text") or "")
                    for call in fake.calls_to("chat.postMessage")
                    if call.status == 200 and call.response.get("ok")
                ]
            )
        elif command == "faults":
            counts: dict[int, int] = {}
            for call in fake.calls:
                if call.status != 200:
                    counts[call.status] = counts.get(call.status, 0) + 1
            pipe.send(counts)
        elif command == "stop":
            fake.stop()
            pipe.send(None)
            return


def customer_id(index: int) -> str:
    """The id of the index-th customer (one per conversation, so nothing is grouped)."""
    return f"UC{index:06d}"


def org_id(index: int) -> str:
    """The team id of the index-th customer organization."""
    return f"T0ORG{index:03d}"


class FakeSlackProcess:
    """The fake Slack in a child process, so it does not share the harness's GIL."""

    def __init__(self, customers: int, orgs: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve_fake, args=(child, customers, orgs), daemon=True
        )
        self._process.start()
        self.api_url: str = self._pipe.recv()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._pipe.send((command, argument))
        return self._pipe.recv()

    def chaos(self, rate: float, seed: int) -> None:
        """Fail `rate` of all Web API calls from now on (429, 500, dropped connection)."""
        self._ask("chaos", {"rate": rate, "seed": seed})

    def posts(self) -> list[tuple[str, str]]:
        """(channel, text) of every message the bot posted successfully."""
        return self._ask("posts")

    def faults(self) -> dict[int, int]:
        """How many calls failed, by HTTP status (0 = dropped connection)."""
        return self._ask("faults")

    def stop(self) -> None:
        """Stop the fake and its process."""
        self._ask("stop")
        self._process.join(timeout=10)


@dataclass
class Replica:
    """One `deskbot run` process serving HTTP on its own port."""

    index: int
    workdir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    kills: int = 0
    log_level: str = "WARNING"  # INFO when the run's logs are kept for reading

    @property
    def url(self) -> str:
        """Where Slack (the driver) sends events for this replica."""
        return f"http://127.0.0.1:{self.port}/slack/events"

    def start(self) -> None:
        """Start the process and wait for /healthz."""
        log = (self.workdir / f"replica{self.index}.log").open("a")
        command = [sys.executable, "-m", "bot.cli.main", "--log-level", self.log_level, "run"]
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"replica {self.index} exited; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"replica {self.index} did not come up")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        """Stop gracefully."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def rss_mb(self) -> float:
        """Resident memory of the process, in MiB."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else 0.0


def deskbot_env(api_url: str, database_url: str, workdir: Path, sla_seconds: int) -> dict[str, str]:
    """The environment and config every replica runs with."""
    config = {
        "support_channels": [HELP],
        "triage_channel": TRIAGE,
        "leads_channel": LEADS,
        "agents": AGENTS,
        "leads": [LEAD],
        "sla_policies": [{"name": "reliability", "first_response": f"{sla_seconds}s"}],
        "nudges": {"warn_at": 0.5},
        "sla_sweep_seconds": 5,
    }
    path = workdir / "deskbot.yaml"
    path.write_text(json.dumps(config))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        DESKBOT_CONFIG=str(path),
    )
    env.pop("SLACK_APP_TOKEN", None)
    return env
