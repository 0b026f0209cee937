"""Pure helpers: Slack timestamps, text hygiene, token redaction, the people directory."""

import io
import logging
from datetime import UTC, datetime

from bot import logs
from bot.clock import datetime_to_ts, ts_to_datetime
from bot.config import parse_config
from bot.logs import RedactTokens, redact
from bot.people import Directory, Identity
from bot.text import escape, link, storable, subject_from
from handlers.blocks.tickets import FIELD_LIMIT, field
from tests.support.harness import MutableClock


def test_slack_timestamps_keep_microseconds():
    moment = ts_to_datetime("1763900000.000100")
    assert moment == datetime(2025, 11, 23, 12, 13, 20, 100, tzinfo=UTC)
    assert datetime_to_ts(moment) == "1763900000.000100"


def test_storable_replaces_only_what_postgres_rejects():
    assert storable("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert storable("👩‍👩‍👧 עברית") == "👩‍👩‍👧 עברית"


def test_subject():
    assert subject_from("\n\n  Hello there \nsecond") == "Hello there"
    assert subject_from("", [{"name": "a.png"}]) == "(file: a.png)"
    assert subject_from("") == "(no text)"
    assert len(subject_from("x" * 500)) == 200


def test_markup_is_escaped_and_only_http_urls_are_linked():
    assert escape("<!channel> <@U1> & <https://x|y>") == (
        "&lt;!channel&gt; &lt;@U1&gt; &amp; &lt;https://x|y&gt;"
    )
    assert link("https://a.example/p?x=1&y=2", "T") == "<https://a.example/p?x=1&amp;y=2|T>"
    assert link("https://a.example/x|<!here>", "T") == "<https://a.example/x%7C%3C!here%3E|T>"
    for unsafe in ("javascript:alert(1)", "ftp://a", "https://a b", "https://a\n", "", None):
        assert link(unsafe, "T") == "T"


def test_a_long_list_in_a_field_ends_with_how_many_more():
    items = [f"`{n:02d}-{'x' * 61}`" for n in range(40)]
    shown = field("Types", items)["text"]
    assert len(shown) <= FIELD_LIMIT and shown.startswith("*Types*\n`00-")
    kept = shown.count("`") // 2
    assert shown.endswith(f"… and {40 - kept} more")
    assert field("Types", [])["text"] == "*Types*\n—"
    assert field("Links", ["y" * 3000])["text"] == "*Links*\n… and 1 more"
    assert field("SLA", ["a", "b"], sep="\n")["text"] == "*SLA*\na\nb"


def test_tokens_are_redacted_from_logs():
    assert (
        redact("token xoxb-123-abc and xapp-1-A-2") == "token [redacted-token] and [redacted-token]"
    )
    record = logging.LogRecord("x", logging.INFO, "", 0, "auth %s", ("xoxb-secret-1",), None)
    RedactTokens().filter(record)
    assert record.getMessage() == "auth [redacted-token]"


def logged_traceback(message: str) -> str:
    """What a handler filtered like the CLI's writes for `logger.exception` of `message`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        raise RuntimeError(message)
    except RuntimeError:
        logger.exception("Slack call failed")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_tracebacks_are_redacted_too():
    written = logged_traceback("auth failed for xoxb-1234-5678-abcdef (xapp-1-A0-99, xoxp-9-9)")
    assert "Traceback" in written and "RuntimeError: auth failed for [redacted-token]" in written
    for token in ("xoxb-1234", "xapp-1-A0", "xoxp-9"):
        assert token not in written


def test_remembered_secrets_are_redacted_by_value():
    secret = "8f14e45fceea167a5a36dedd4bea2543"  # a signing secret has no telltale prefix
    logs.remember_secret(secret)
    logs.remember_secret("short")  # too short to scrub without blanking ordinary words
    written = logged_traceback(f"bad signature, secret {secret}, a short word")
    assert secret not in written and "secret [redacted-token]" in written
    assert "short word" in written


def test_directory_caches_usergroup_and_survives_slack_failures():
    answers: list[list[str] | None] = [["U0GRP"], None]
    calls: list[str] = []

    def members(group: str) -> list[str] | None:
        calls.append(group)
        return answers.pop(0)

    clock = MutableClock()
    people = Directory(
        parse_config({"agents": ["U0LIST"], "agents_usergroup": "S0SUP", "leads": ["U0LEAD"]}),
        Identity(workspace_id="T0HOME", bot_user_id="UBOT"),
        clock=clock,
        fetch_user_team=lambda user: "T0HOME",
        fetch_group_members=members,
    )
    assert people.is_agent("U0GRP") and people.is_agent("U0LIST") and people.is_agent("U0LEAD")
    assert not people.is_agent("U0OTHER")
    assert calls == ["S0SUP"]  # cached
    clock.advance(minutes=6)
    assert people.is_agent("U0GRP")  # refresh failed: the last known members still count
    assert calls == ["S0SUP", "S0SUP"]
    assert not people.is_agent("U0LIST", team_id="T0ACME")  # other organizations never are
    assert people.team_of("U0X") == "T0HOME" and people.team_of("U0X", hint="T0ACME") == "T0ACME"


def test_directory_fails_closed_and_caches_only_answers():
    answers: list[str | None] = [None, None, "T0HOME", "T0ACME"]
    asked: list[str] = []

    def user_team(user: str) -> str | None:
        asked.append(user)
        return answers.pop(0)

    clock = MutableClock()
    people = Directory(
        parse_config({"agents": ["U0AGENT"], "leads": ["U0LEAD"]}),
        Identity(workspace_id="T0HOME", bot_user_id="UBOT"),
        clock=clock,
        fetch_user_team=user_team,
        fetch_group_members=lambda group: None,
    )
    # Slack cannot say: nobody's agent, not a lead, not in the pool, and not remembered.
    assert people.team_of("U0AGENT") is None
    assert not people.is_agent("U0AGENT") and people.agent_pool() == []
    assert asked == ["U0AGENT"]  # asked once; a failure is not asked again at once
    clock.advance(minutes=2)
    assert not people.is_lead("U0LEAD")  # its own lookup failed too
    clock.advance(minutes=2)
    assert people.is_agent("U0AGENT") and people.agent_pool() == ["U0AGENT"]  # answered
    assert people.is_lead("U0LEAD") is False  # a lead of another organization is none
    assert asked == ["U0AGENT", "U0LEAD", "U0AGENT", "U0LEAD"]
    clock.advance(minutes=30)
    assert people.is_agent("U0AGENT") and len(asked) == 4  # a real answer is cached
