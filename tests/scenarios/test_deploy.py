"""deploy/: the systemd unit and the nginx reverse proxy agree with the real CLI and work.

The unit passes `systemd-analyze verify` and the proxy `nginx -t` where those programs are
installed (skipped otherwise); nginx then really proxies HTTPS to a running deskbot.
"""

import json
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.main import build_parser
from bot.web import EVENTS_PATH, METRICS_PATH
from tests.scenarios.test_transports import _event_envelope
from tests.support.harness import SIGNING_SECRET

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "deskbot.service"
NGINX = DEPLOY / "nginx.conf"


def unit_settings() -> dict[str, list[str]]:
    """Every `Key=value` of the unit, values in order (a key may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def exec_start() -> list[str]:
    [command] = unit_settings()["ExecStart"]
    return shlex.split(command)


def run_args():
    """`deskbot run` as the unit starts it, parsed by the CLI's own parser."""
    argv = exec_start()
    assert Path(argv[0]).name == "deskbot"
    return build_parser().parse_args(argv[1:])


def test_the_unit_starts_deskbot_run_with_options_the_cli_has():
    args = run_args()  # an option the CLI lacks exits here (argparse)
    assert args.command == "run" and args.host == "127.0.0.1"
    run_help = next(
        parser
        for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
        for name, parser in action.choices.items()
        if name == "run"
    ).format_help()
    for option in (word for word in exec_start() if word.startswith("--")):
        assert option in run_help, option


def test_the_unit_runs_as_its_own_user_with_secrets_apart_and_hardening():
    settings = unit_settings()
    assert settings["User"] == ["deskbot"] and settings["Restart"] == ["on-failure"]
    assert settings["EnvironmentFile"] == ["/etc/deskbot/deskbot.env"]
    assert not any("TOKEN" in value or "SECRET" in value for value in settings["Environment"])
    for key, wanted in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
    }.items():
        assert settings[key] == [wanted], key
    # ProtectSystem=strict leaves only the StateDirectory writable: the SQLite file is there.
    [state] = settings["StateDirectory"]
    assert f"DATABASE_URL=sqlite:////var/lib/{state}/deskbot.db" in settings["Environment"]
    assert settings["WorkingDirectory"] == [f"/var/lib/{state}"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    # verify checks that ExecStart's program exists: point it at this checkout's deskbot.
    installed = Path(sys.executable).with_name("deskbot")
    unit = tmp_path / "deskbot.service"
    unit.write_text(UNIT.read_text().replace(exec_start()[0], str(installed)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # A misspelt key or a bad value is only a warning (exit 0): any output is a failure.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    # systemd's own exposure score (0 safest .. 10): this unit scores 1.7, "OK".
    score = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=true",
            "--threshold=20",
            "--no-pager",
            str(unit),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert score.returncode == 0, score.stdout[-300:]


def test_the_proxy_reaches_the_units_port_and_passes_only_deskbots_paths():
    conf = NGINX.read_text()
    upstream = re.search(r"upstream deskbot \{\s*server ([\d.]+):(\d+);", conf)
    assert upstream is not None
    assert (upstream.group(1), int(upstream.group(2))) == (run_args().host, run_args().port)
    proxied = re.findall(r"location = (\S+) \{[^}]*proxy_pass http://deskbot;", conf)
    assert proxied == [EVENTS_PATH, "/healthz", METRICS_PATH]
    metrics = re.search(r"location = /metrics \{([^}]*)\}", conf)
    assert metrics is not None and "deny all;" in metrics.group(1)
    assert re.search(r"location / \{\s*return 404;", conf)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nginx_prefix(tmp_path: Path, *, upstream_port: int = 3000) -> tuple[Path, int]:
    """An nginx prefix holding deploy/nginx.conf with a throwaway certificate and free
    loopback ports; returns the main config and the HTTPS port."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a throwaway certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=deskbot.example.com", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    https_port = _free_port()
    site = (
        NGINX.read_text()
        .replace("/etc/letsencrypt/live/deskbot.example.com/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/deskbot.example.com/privkey.pem", str(key))
        .replace("listen 80;", f"listen 127.0.0.1:{_free_port()};")
        .replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        .replace("server 127.0.0.1:3000;", f"server 127.0.0.1:{upstream_port};")
    )
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp_path / "deskbot.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; include {tmp_path}/deskbot.conf; }}\n"
    )
    return main, https_port


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx here")


@needs_nginx
def test_the_proxy_config_passes_nginx_t(tmp_path):
    main, _ = _nginx_prefix(tmp_path)
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.fixture
def nginx(deskbot, tmp_path) -> Iterator[int]:
    """nginx with deploy/nginx.conf in front of the test's deskbot; yields its HTTPS port."""
    main, port = _nginx_prefix(tmp_path, upstream_port=deskbot.server.port)
    process = subprocess.Popen(["nginx", "-p", str(tmp_path), "-c", str(main)])
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "error.log").read_text()
                time.sleep(0.05)  # polling for nginx to bind, not waiting on a timer
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _https(port: int, path: str, **kwargs) -> tuple[int, bytes]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # throwaway cert
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", **kwargs)
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@needs_nginx
def test_nginx_proxies_signed_events_health_and_metrics_to_deskbot(deskbot, nginx):
    assert _https(nginx, "/healthz") == (200, b'{"ok": true, "database": "up"}')
    assert _https(nginx, "/admin")[0] == 404  # nothing else of deskbot is exposed
    envelope = _event_envelope(deskbot.driver.next_ts())
    body = json.dumps(envelope).encode()
    headers = {"Content-Type": "application/json", **deskbot.driver.sign(body, int(time.time()))}
    status, _ = _https(nginx, EVENTS_PATH, data=body, headers=headers, method="POST")
    deskbot.drain()
    assert status == 200  # the signature still matches: the body arrived byte for byte
    [ticket] = deskbot.tickets()
    assert ticket.root_ts == envelope["event"]["ts"]
    tampered = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    assert _https(nginx, EVENTS_PATH, data=body, headers=tampered, method="POST")[0] == 401
    status, metrics = _https(nginx, METRICS_PATH)  # from this host: allowed
    assert status == 200 and b'deskbot_events_acked_total{type="message"} 1.0' in metrics
    assert SIGNING_SECRET.encode() not in metrics
