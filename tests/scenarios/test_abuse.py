"""Hostile input over HTTP: bounded memory per request, a clear 4xx for what Slack never
sends, signed or not, and no traceback or body in the log (issue 18)."""

import hashlib
import hmac
import http.client
import json
import logging
import socket
import threading
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from bot import suggestions
from bot.suggestions import GAP_TEXT_CHARS, MAX_GAP_QUESTIONS
from bot.tickets import duplicates
from bot.tickets.duplicates import SCAN_CHARS, rank_duplicates
from bot.web import MAX_BODY_BYTES
from store import suggestions as store_suggestions  # the module bot.suggestions reads
from store.models import TicketDuplicate
from tests.conftest import ACME, AGENT, CUSTOMER, CUSTOMER2, HELP, LEAD, TRIAGE
from tests.scenarios.test_tickets import answer_text, open_ticket
from tests.support.harness import SIGNING_SECRET, RunningBot

MIB = 1024 * 1024


def rss_bytes() -> int:
    """This process's resident memory (the server runs in-process in tests)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def sign(body: bytes, timestamp: str) -> dict[str, str]:
    """Slack's v0 signature headers for `body`, with the timestamp given as is."""
    base = f"v0:{timestamp}:".encode() + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def post(bot: RunningBot, body: bytes, headers: dict[str, str], *, signed: bool) -> tuple[int, str]:
    """POST to /slack/events on a fresh connection; the status and the answer's text."""
    if signed:
        headers = {**headers, **sign(body, str(int(time.time())))}
    response = bot.driver.post_raw(body, headers)
    return response.status, response.body


def form(fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A form-encoded body and its content type."""
    return urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def payload(value: object) -> tuple[bytes, dict[str, str]]:
    """An interactivity payload as Slack sends it (form field `payload` holding JSON)."""
    return form({"payload": json.dumps(value)})


def raw_request(bot: RunningBot, head: bytes, body_chunks: list[bytes]) -> tuple[int, float]:
    """Send a hand-written request; its status and how long the answer took.

    Sending stops when the server closes the connection (it may answer before the body
    is all sent: that is the point)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", bot.server.port), timeout=10) as sock:
        try:
            sock.sendall(head)
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    return int(answer.split()[1]), time.monotonic() - started


def assert_log_clean(caplog: pytest.LogCaptureFixture, *, limit: int = 500) -> None:
    """No traceback, and no record longer than a bounded summary."""
    for record in caplog.records:
        assert record.exc_info is None, f"traceback logged: {record.getMessage()[:200]}"
        assert len(record.getMessage()) <= limit, record.getMessage()[:200]


def test_an_oversized_body_is_refused_with_413_before_it_is_read(deskbot, caplog):
    declared = 300 * MIB
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    before = rss_bytes()
    status, took = raw_request(deskbot, head, [b"x" * (64 * 1024)])
    assert status == 413 and took < 5  # answered without waiting for 300 MB
    # Actually sending a large body costs no memory either: 4 × 16 MiB pushed at it.
    for _ in range(4):
        status, _ = raw_request(deskbot, head, [b"{" * MIB] * 16)
        assert status == 413
    assert rss_bytes() - before < 24 * MIB
    assert_log_clean(caplog)


def test_an_oversized_chunked_body_is_refused_with_413(deskbot, caplog):
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n" % (256 * 1024) + b"a" * (256 * 1024) + b"\r\n"
    before = rss_bytes()
    status, _ = raw_request(deskbot, head, [chunk] * 40 + [b"0\r\n\r\n"])
    assert status == 413
    assert rss_bytes() - before < 24 * MIB
    assert_log_clean(caplog)


def test_a_body_at_the_limit_unsigned_is_refused_without_parsing(deskbot, caplog):
    body = b"payload=" + b"%5B" * ((MAX_BODY_BYTES - 8) // 3)
    with caplog.at_level(logging.INFO):
        status, _ = post(
            deskbot, body, {"Content-Type": "application/x-www-form-urlencoded"}, signed=False
        )
    assert status == 401
    assert_log_clean(caplog)
    assert any("refused POST /slack/events" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("signed", [False, True])
def test_invalid_utf8_gets_a_4xx_and_a_bounded_log_line(deskbot, caplog, signed):
    body = (
        b'{"type":"event_callback","event":{"type":"message","text":"\xff\xfe'
        + b"a" * 200_000
        + b'"}}'
    )
    with caplog.at_level(logging.INFO):
        status, answer = post(deskbot, body, {"Content-Type": "application/json"}, signed=signed)
    assert 400 <= status < 500 and "Traceback" not in answer
    assert status == (400 if signed else 401)
    assert_log_clean(caplog)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("shape", ["json", "form"])
def test_deeply_nested_json_gets_a_400_without_a_traceback(deskbot, caplog, signed, shape):
    deep = "[" * 990 + "]" * 990
    if shape == "json":
        body = ('{"type":"event_callback","event":' + deep + "}").encode()
        headers = {"Content-Type": "application/json"}
    else:
        body, headers = form({"payload": '{"type":"block_actions","x":' + deep + "}"})
    with caplog.at_level(logging.INFO):
        status, answer = post(deskbot, body, headers, signed=signed)
    assert status == (400 if signed else 401) and "Traceback" not in answer
    assert_log_clean(caplog)


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "-1", "¹²³", "9" * 40])
def test_a_bad_timestamp_header_is_refused_with_401(deskbot, caplog, timestamp):
    body, headers = form(
        {"command": "/ticket", "text": "list", "user_id": AGENT, "channel_id": TRIAGE}
    )
    with caplog.at_level(logging.INFO):
        response = deskbot.driver.post_raw(body, {**headers, **sign(body, timestamp)})
    assert response.status == 401
    assert_log_clean(caplog)


def test_empty_actions_are_ignored_not_a_500(deskbot, caplog):
    click = deskbot.driver.block_action_payload("ticket_claim", "1", user=AGENT, channel=TRIAGE)
    click["actions"] = []
    status, _ = post(deskbot, *payload(click), signed=True)
    deskbot.drain()
    assert status == 200
    assert_log_clean(caplog)


def test_a_100000_digit_button_value_is_ignored_not_a_500(deskbot, caplog):
    open_ticket(deskbot)
    click = deskbot.driver.block_action_payload(
        "ticket_claim", "1" * 100_000, user=AGENT, channel=TRIAGE
    )
    status, _ = post(deskbot, *payload(click), signed=True)
    deskbot.drain()
    assert status == 200
    assert deskbot.ticket(1).assignee_id is None
    assert_log_clean(caplog)


def test_a_claim_shortcut_without_a_channel_is_ignored_not_a_500(deskbot, caplog):
    open_ticket(deskbot)
    shortcut = {
        "type": "message_action",
        "callback_id": "claim_ticket",
        "team": {"id": "T0HOME"},
        "user": {"id": AGENT},
        "message_ts": "1.000100",
        "message": {"ts": "1.000100", "text": "x"},
        "trigger_id": "1.2.x",
        "response_url": "https://hooks.slack.test/x",
    }
    status, _ = post(deskbot, *payload(shortcut), signed=True)
    deskbot.drain()
    assert status == 200
    assert deskbot.ticket(1).assignee_id is None
    assert_log_clean(caplog)


def test_idle_half_open_connections_do_not_lock_out_healthz(deskbot):
    idle = [socket.create_connection(("127.0.0.1", deskbot.server.port)) for _ in range(110)]
    try:
        for sock in idle[::2]:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")  # never finished
        conn = http.client.HTTPConnection("127.0.0.1", deskbot.server.port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        for sock in idle:
            sock.close()


def long_question(seed: int, words: int = 6000) -> str:
    """A question of about 40,000 characters (Slack's limit), mostly its own words."""
    head = f"Export number {seed} fails with a timeout when the report has many rows"
    return head + " " + " ".join(f"w{seed}x{n}" for n in range(words))


class ScorerInput:
    """Records the length of every text handed to the duplicate scorer's preparation."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lengths: list[int] = []
        prepare = duplicates.comparable
        duplicates._cached_candidate.cache_clear()

        def recording(text: str) -> str:
            self.lengths.append(len(text))
            return prepare(text)

        monkeypatch.setattr(duplicates, "comparable", recording)


def test_a_40k_question_against_500_long_tickets_hands_the_scorer_bounded_text(monkeypatch):
    seen = ScorerInput(monkeypatch)
    candidates = [(n, long_question(n)) for n in range(500)]
    assert rank_duplicates(long_question(7), candidates)[0] == (7, 100.0)
    assert len(seen.lengths) == 501
    assert max(seen.lengths) <= SCAN_CHARS


def test_a_40k_message_is_scanned_and_matched_on_bounded_prefixes_and_finds_its_duplicate(
    deskbot, monkeypatch
):
    seen = ScorerInput(monkeypatch)
    matched: list[int] = []
    suggest = suggestions.suggest

    def recording_suggest(matcher, text, **kwargs):
        matched.append(len(text))
        return suggest(matcher, text, **kwargs)

    monkeypatch.setattr(suggestions, "suggest", recording_suggest)
    text = long_question(1)
    assert len(text) >= 40_000
    for user, ts_text in ((CUSTOMER, text), (CUSTOMER2, text + " again")):
        deskbot.driver.message(channel=HELP, user=user, team=ACME, text=ts_text)
        deskbot.drain()
    assert [t.number for t in deskbot.tickets()] == [1, 2]
    assert seen.lengths and max(seen.lengths) <= SCAN_CHARS
    assert matched and max(matched) <= suggestions.MATCHED_CHARS  # the article matcher too
    with deskbot.session() as session:
        [found] = session.exec(select(TicketDuplicate)).all()
    assert found.duplicate_of_id == deskbot.ticket(1).id


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shape=st.sampled_from(["json", "payload", "raw"]),
    value=JSONISH,
    raw=st.binary(max_size=300),
    signed=st.booleans(),
)
def test_any_body_signed_or_not_gets_no_500(deskbot, shape, value, raw, signed):
    if shape == "json":
        body, headers = json.dumps(value).encode(), {"Content-Type": "application/json"}
    elif shape == "payload":
        body, headers = payload(value)
    else:
        body, headers = raw, {"Content-Type": "application/x-www-form-urlencoded"}
    status, answer = post(deskbot, body, headers, signed=signed)
    assert status < 500 and "Traceback" not in answer
    if not signed:
        assert status == 401


def test_kb_gaps_answers_at_once_and_clusters_a_bounded_set(deskbot, fake, monkeypatch):
    deskbot.driver.response_url_base = fake.response_url_base
    release = threading.Event()
    rows = [
        (n, f"U{n % 40}", "T0ACME", f"question {n} " + "about exports " * 400) for n in range(3000)
    ]

    def unanswered(session, *, limit: int, count_up_to: int, **_: object) -> tuple[list, int]:
        assert release.wait(10), "the command's answer waited for the work"
        return rows[-limit:], min(len(rows), count_up_to)

    compared: list[tuple[int, int]] = []
    cdist = suggestions.process.cdist

    def recording(texts, *args, **kwargs):
        compared.append((len(texts), max(len(text) for text in texts)))
        return cdist(texts, *args, **kwargs)

    monkeypatch.setattr(store_suggestions, "unanswered_questions", unanswered)
    monkeypatch.setattr(suggestions.process, "cdist", recording)
    response = deskbot.driver.command("/kb", "gaps 7d", user=AGENT, channel=TRIAGE)
    release.set()
    deskbot.drain()
    assert response.status == 200 and "Working on it" in answer_text(response)
    [follow_up] = [item["body"] for item in fake.responded]
    assert "newest 1,000 of 3,000 questions" in str(follow_up["blocks"])
    [(count, longest)] = compared
    assert count == MAX_GAP_QUESTIONS and longest <= GAP_TEXT_CHARS


@pytest.mark.parametrize(
    ("command", "text", "user", "expected"),
    [
        ("/ticket", "away 99999999d", AGENT, "not a time deskbot reads"),
        ("/kpi", "9999-12-31", LEAD, "a date between"),
        ("/kpi", "sla 0001-01-01..9999-12-31", LEAD, "a date between"),
        ("/kb", "gaps 9999-12-31", AGENT, "a date between"),
    ],
)
def test_commands_at_the_ends_of_time_get_a_usage_answer(
    deskbot, fake, caplog, command, text, user, expected
):
    deskbot.driver.response_url_base = fake.response_url_base
    response = deskbot.driver.command(command, text, user=user, channel=TRIAGE)
    deskbot.drain()
    assert response.status == 200 and expected in answer_text(response)
    assert_log_clean(caplog)


def test_healthz_does_not_wait_for_a_writers_turn(deskbot):
    # A write transaction left open (as a burst of intake keeps them): the health check
    # reads outside any transaction, so it answers at once on either database.
    with deskbot.session() as session:
        session.execute(text("UPDATE ticket_counter SET last_number = last_number"))
        conn = http.client.HTTPConnection("127.0.0.1", deskbot.server.port, timeout=3)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
        session.rollback()
