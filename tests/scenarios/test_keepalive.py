"""Kept-alive Slack connections: few connections for many calls, recovery, retries intact."""

import http.client
import ssl
import time
from pathlib import Path
from urllib.error import URLError

import pytest

from bot.transport.client import PooledWebClient, build_web_client
from bot.transport.pool import ResponseLost, repeatable
from fakeslack import FakeSlack
from fakeslack.faults import DROP
from fakeslack.tls import self_signed_certificate
from tests.conftest import HELP, TRIAGE
from tests.scenarios.test_intake import ask
from tests.support.harness import RunningBot


def statuses(fake: FakeSlack, method: str) -> list[int]:
    """The HTTP status of every attempt at one method, in order."""
    return [call.status for call in fake.calls if call.method == method]


def test_many_slack_calls_go_over_few_connections(deskbot: RunningBot, fake: FakeSlack) -> None:
    before = fake.connections_accepted
    roots = [ask(deskbot, f"Question {n}: the export to CSV fails with a 500") for n in range(6)]

    assert len(deskbot.tickets()) == 6
    assert all(fake.reactions(HELP, ts) == ["ticket"] for ts in roots)
    calls = len(fake.calls)
    opened = fake.connections_accepted - before
    assert calls >= 18  # reaction, card, permalink... per ticket
    assert opened <= calls // 4, f"{calls} Slack calls opened {opened} connections"


def test_connection_closed_by_server_while_idle_is_replaced(
    deskbot: RunningBot, fake: FakeSlack
) -> None:
    first = ask(deskbot, "The export to CSV fails with a 500")
    assert fake.close_idle_connections() >= 1  # as Slack's idle timeout would
    before = fake.connections_accepted
    second = ask(deskbot, "Where do I change the billing address?")

    assert [ticket.number for ticket in deskbot.tickets()] == [1, 2]
    assert fake.reactions(HELP, first) == fake.reactions(HELP, second) == ["ticket"]
    assert len(fake.messages(TRIAGE)) == 2  # one card each: nothing lost, nothing twice
    assert all(call.status == 200 for call in fake.calls)  # no failed attempt, no retry
    assert deskbot.sleeps == []
    assert fake.connections_accepted > before


def test_lost_answer_on_a_reused_connection_is_asked_again_only_for_reads(
    deskbot: RunningBot, fake: FakeSlack
) -> None:
    client = deskbot.app.client
    client.auth_test()  # a connection is now kept alive
    before = fake.connections_accepted

    fake.fail_next("conversations.info", status=DROP)  # closed unanswered, as on a race
    assert client.conversations_info(channel=HELP)["channel"]["id"] == HELP
    assert statuses(fake, "conversations.info") == [DROP, 200]
    assert fake.connections_accepted == before + 1  # asked again on a fresh connection

    fake.fail_next("chat.postMessage", status=DROP)
    with pytest.raises(ResponseLost):
        client.chat_postMessage(channel=TRIAGE, text="may have been posted")
    assert statuses(fake, "chat.postMessage") == [DROP]  # never sent twice
    assert client.chat_postMessage(channel=TRIAGE, text="next one")["ok"]  # pool still works


def test_lost_answer_on_a_fresh_connection_is_never_posted_twice(fake: FakeSlack) -> None:
    client = build_web_client("xoxb-test", base_url=fake.api_url, sleep=lambda _: None)

    fake.fail_next("chat.postMessage", status=DROP)  # the very first call: a new connection
    with pytest.raises(ResponseLost):
        client.chat_postMessage(channel=TRIAGE, text="may have been posted")
    assert statuses(fake, "chat.postMessage") == [DROP]  # not repeated by the retry handler

    fake.fail_next("conversations.info", status=DROP)
    client.pool.close()  # the next call opens a new connection again
    assert client.conversations_info(channel=HELP)["channel"]["id"] == HELP
    assert statuses(fake, "conversations.info") == [DROP, 200]  # a read is asked again


def test_rate_limits_and_server_errors_retry_over_kept_connections(
    deskbot: RunningBot, fake: FakeSlack
) -> None:
    fake.fail_next("reactions.add", status=429, retry_after=3)
    fake.fail_next("chat.postMessage", status=503, times=2)
    before = fake.connections_accepted
    root = ask(deskbot)

    assert fake.reactions(HELP, root) == ["ticket"]
    assert len(fake.messages(TRIAGE)) == 1
    assert statuses(fake, "reactions.add") == [429, 200]
    assert statuses(fake, "chat.postMessage")[:3] == [503, 503, 200]
    assert sorted(deskbot.sleeps) == [0.5, 1.0, 3.0]  # Retry-After, then 5xx backoff
    assert fake.connections_accepted - before < len(fake.calls) // 2


def test_a_card_whose_answer_was_lost_is_posted_once_right_away(
    deskbot: RunningBot, fake: FakeSlack
) -> None:
    ask(deskbot, "The export to CSV fails with a 500")  # the intake's connection is kept
    fake.fail_next("chat.postMessage", status=DROP)  # closed unanswered, nothing posted
    ask(deskbot, "Where do I change the billing address?")

    # Not sent again blindly, not left for the finisher: the newest messages are read,
    # the card is missing, so it is posted once more, now.
    calls = [(call.method, call.status) for call in fake.calls]
    lost = calls.index(("chat.postMessage", 0))
    assert calls[lost + 1 : lost + 3] == [("conversations.history", 200), ("chat.postMessage", 200)]
    cards = fake.messages(TRIAGE)
    assert len(cards) == 2 and all(ticket.triage_ts for ticket in deskbot.tickets())


def test_a_card_posted_before_its_answer_was_lost_is_adopted(
    deskbot: RunningBot, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask(deskbot, "The export to CSV fails with a 500")
    guard = deskbot.app.runtime.deps.guard
    real_post = guard.post

    lost: list[object] = []

    def posted_then_lost(**kwargs: object) -> object:
        answer = real_post(**kwargs)
        if kwargs["channel"] != TRIAGE or lost:
            return answer
        lost.append(answer)  # Slack acted on it; the connection closed before the answer
        raise ResponseLost("chat.postMessage: connection closed before an answer")

    monkeypatch.setattr(guard, "post", posted_then_lost)
    ask(deskbot, "Where do I change the billing address?")
    monkeypatch.undo()

    assert lost and len(fake.messages(TRIAGE)) == 2  # adopted, not posted twice
    second = deskbot.tickets()[-1]
    assert second.triage_ts == fake.messages(TRIAGE)[-1]["ts"]


def test_a_proxy_setting_is_honoured_and_its_connection_kept(fake: FakeSlack) -> None:
    client = build_web_client("xoxb-test", base_url="http://slack.invalid/api/")
    client.proxy = fake.base_url  # the fake serves absolute-URL requests as a proxy would
    before = fake.connections_accepted
    for _ in range(3):
        assert client.auth_test()["ok"]
    assert fake.connections_accepted == before + 1


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the test is skipped without openssl)."""
    made = self_signed_certificate(folder)
    if made is None:
        pytest.skip("needs the openssl command to make a test certificate")
    return made


def test_https_calls_share_one_tls_connection_with_the_clients_ssl_settings(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    fake = FakeSlack().start(tls=tls)
    try:
        untrusting = PooledWebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[])
        with pytest.raises(URLError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusting.auth_test()  # certificates are checked by default, as before
        client = build_web_client("xoxb-test", base_url=fake.api_url)
        client.ssl = ssl.create_default_context(cafile=str(cert))
        before = fake.connections_accepted
        for _ in range(5):
            assert client.auth_test()["ok"]
        assert fake.connections_accepted == before + 1  # one TLS handshake for five calls
    finally:
        fake.stop()


def test_stopping_the_fake_ends_kept_alive_connections() -> None:
    fake = FakeSlack().start()
    client = build_web_client("xoxb-test", base_url=fake.api_url)
    client.auth_test()
    kept = http.client.HTTPConnection(fake.base_url.removeprefix("http://"), timeout=5)
    kept.request("POST", "/api/auth.test", b"", {"Authorization": "Bearer xoxb-test"})
    assert kept.getresponse().read()

    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2  # idle kept-alive connections do not hold it up
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        kept.request("POST", "/api/auth.test", b"", {"Authorization": "Bearer xoxb-test"})
        kept.getresponse()  # nobody serves a stopped fake, not even on an old connection
    with pytest.raises(OSError):
        client.auth_test()  # the pool notices the closed connection and cannot connect
    kept.close()


@pytest.mark.parametrize(
    ("method", "safe"),
    [
        ("conversations.info", True),
        ("conversations.replies", True),
        ("chat.getPermalink", True),
        ("usergroups.users.list", True),
        ("auth.test", True),
        ("chat.update", True),
        ("chat.postMessage", False),
        ("chat.postEphemeral", False),
        ("reactions.add", True),  # a second add answers already_reacted: nothing changes
        ("conversations.open", False),
    ],
)
def test_only_calls_safe_to_repeat_are_repeated(method: str, safe: bool) -> None:
    assert repeatable(f"https://slack.com/api/{method}?x=1") is safe
