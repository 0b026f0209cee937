"""Slack call benchmark: client CPU and wall time per Web API call, slack_sdk's WebClient
(a new connection per call) beside deskbot's pooled client, over HTTP and HTTPS.

The fake Slack runs in a child process so only the client's CPU is counted. HTTPS uses a
throwaway self-signed certificate made with the `openssl` command (skipped without it), as
real Slack is only reached over TLS: there the handshake per call is most of the cost.
"""

import argparse
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.transport.client import build_web_client  # noqa: E402
from fakeslack.tls import self_signed_certificate  # noqa: E402

SERVE = """
import ssl, sys
from fakeslack import FakeSlack
tls = None
if len(sys.argv) > 1:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[1], sys.argv[2])
fake = FakeSlack().start(tls=tls)
fake.add_channel("C1", "general")
print(fake.api_url, flush=True)
sys.stdin.read()
"""


def measure(client: WebClient, calls: int) -> tuple[float, float]:
    """CPU ms and wall ms per conversations.info call, after a short warm-up."""
    for _ in range(20):
        client.conversations_info(channel="C1")
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        client.conversations_info(channel="C1")
    return (
        (time.process_time() - cpu) / calls * 1000,
        (time.perf_counter() - wall) / calls * 1000,
    )


def run(scheme: str, cert: tuple[Path, Path] | None, calls: int) -> list[str]:
    """Table rows for one scheme: each client measured twice, alternating."""
    args = [str(cert[0]), str(cert[1])] if cert else []
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = (server.stdout.readline() if server.stdout else "").strip()
        context = ssl.create_default_context(cafile=str(cert[0])) if cert else None
        clients: dict[str, Callable[[], WebClient]] = {
            "slack_sdk WebClient": lambda: WebClient(token="xoxb-test", base_url=url),
            "deskbot pooled client": lambda: build_web_client("xoxb-test", base_url=url),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        for _ in range(2):
            for name, make in clients.items():
                client = make()
                client.ssl = context
                results[name].append(measure(client, calls))
        return [
            f"| {scheme} | {name} | {calls} | {min(c for c, _ in rows):.2f} | "
            f"{min(w for _, w in rows):.2f} |"
            for name, rows in results.items()
        ]
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=10)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    print("| scheme | client | calls | client CPU ms/call | wall ms/call |")
    print("|---|---|---:|---:|---:|")
    for row in run("http", None, args.calls):
        print(row)
    with tempfile.TemporaryDirectory() as folder:
        cert = self_signed_certificate(Path(folder))
        if cert is None:
            print("| https | (skipped: no openssl command) | | | |")
        else:
            for row in run("https", cert, args.calls):
                print(row)


if __name__ == "__main__":
    main()
