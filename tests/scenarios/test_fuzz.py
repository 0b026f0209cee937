"""Property-based fuzzing of everything Slack can send: never a 500, never a traceback to the
user, never a listener crash, never a half-written ticket.

Each test starts one deskbot and lets hypothesis throw many payloads at it over signed HTTP.
After every example the database invariants are checked, so a partial write shows up
where it happened.
"""

import copy
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from fakeslack.blockkit import validate_blocks
from handlers.blocks.conversations import merge_action_id
from handlers.blocks.csat import COMMENT_ACTION, RATE_ACTION
from handlers.tickets.commands import SUBCOMMANDS as TICKET_SUBCOMMANDS
from handlers.tickets.listeners import BUTTON_ACTIONS
from store.models import Activity
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, LEAD, TRIAGE
from tests.scenarios.test_tickets import answer_text, open_ticket
from tests.support.harness import RunningBot

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: CI failures reproduce locally
)

# Values that broke real systems: SQL metacharacters, NUL, lone surrogates, RTL overrides,
# combining marks, huge strings, look-alike ticket numbers and mentions.
NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "'; DROP TABLE ticket; --",
        'Robert"); DELETE FROM message WHERE ("1"="1',
        "%_\\' OR 1=1 --",
        "\x00",
        "a\x00b",
        "\ud800",
        "\u202eevil\u202c",
        "Z\u0351\u0362\u0337\u0358\u0335\u0315\u0334",
        "#0",
        "#-1",
        "#99999999999999999999",
        "<@U0FAKE>",
        "<@>",
        "<!channel>",
        "\n\n\t",
        "x" * 50_000,
        "🎫" * 3000,
        "مرحبا بالعالم",
        "こんにちは世界",
    ]
)
ANY_TEXT = st.one_of(NASTY_TEXT, st.text(max_size=200))
ODD_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    ANY_TEXT,
    st.lists(ANY_TEXT, max_size=3),
    st.dictionaries(st.text(max_size=5), ANY_TEXT, max_size=3),
)
MISSING = object()


def invariants_hold(bot: RunningBot) -> None:
    """What must be true after any input: numbers without gaps, no orphans, one thread."""
    with bot.engine.connect() as connection:
        numbers = [row[0] for row in connection.execute(text("SELECT number FROM ticket"))]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        counters = connection.execute(text("SELECT last_number FROM ticket_counter")).all()
        assert sum(row[0] for row in counters) == len(numbers)
        for table in ("message", "activity", "ticket_tag", "ticket_link", "suggestion"):
            orphans = connection.execute(
                text(
                    f"SELECT count(*) FROM {table} t WHERE t.ticket_id IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM ticket WHERE ticket.id = t.ticket_id)"
                )
            ).scalar_one()
            assert orphans == 0, f"{table} rows without a ticket"
        openers = connection.execute(
            text(
                "SELECT count(*) FROM ticket WHERE NOT EXISTS (SELECT 1 FROM message m "
                "WHERE m.channel_id = ticket.channel_id AND m.ts = ticket.root_ts)"
            )
        ).scalar_one()
        assert openers == 0, "a ticket without its opening message"


def assert_answered_cleanly(bot: RunningBot, status: int, body: str) -> None:
    """A 2xx/4xx answer, no traceback, nothing crashed in a listener, invariants hold."""
    assert status < 500, f"HTTP {status}: {body[:300]}"
    assert "Traceback" not in body
    bot.drain()
    failures = [record.getMessage() for record in bot.errors.records]
    assert failures == [], f"listener errors: {failures}"
    invariants_hold(bot)


def mutate(payload: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    """A copy of the payload with the field at `path` replaced (or removed, for MISSING)."""
    mutated = copy.deepcopy(payload)
    node = mutated
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            return mutated
        node = child
    if value is MISSING:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return mutated


def mutations(paths: list[tuple[str, ...]]) -> st.SearchStrategy[list[tuple[Any, object]]]:
    """One to three fields of a payload: each removed or replaced by an odd value."""
    field = st.tuples(st.sampled_from(paths), st.one_of(st.just(MISSING), ODD_VALUE))
    return st.lists(field, min_size=1, max_size=3)


MESSAGE_FIELDS = [
    ("text",),
    ("user",),
    ("channel",),
    ("ts",),
    ("thread_ts",),
    ("team",),
    ("user_team",),
    ("subtype",),
    ("files",),
    ("blocks",),
    ("bot_id",),
    ("edited",),
    ("message",),
    ("previous_message",),
    ("deleted_ts",),
    ("channel_type",),
    ("client_msg_id",),
]


@pytest.fixture
def fuzz_bot(start_deskbot: Callable[..., RunningBot]) -> RunningBot:
    """deskbot with one open ticket to aim thread replies, edits and buttons at."""
    bot = start_deskbot()
    bot.root = open_ticket(bot, "The export fails since this morning")  # type: ignore[attr-defined]
    return bot


def message_event(bot: RunningBot, kind: str) -> dict[str, Any]:
    """A valid message event of one of the kinds intake acts on, to be mutated."""
    ts = bot.driver.next_ts()
    base: dict[str, Any] = {
        "type": "message",
        "channel": HELP,
        "user": CUSTOMER,
        "team": ACME,
        "user_team": ACME,
        "text": "Why is my invoice wrong?",
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
    }
    root = bot.root  # type: ignore[attr-defined]
    if kind == "reply":
        base.update(thread_ts=root, user=AGENT, team="T0HOME", user_team="T0HOME")
    elif kind == "changed":
        base.update(
            subtype="message_changed",
            hidden=True,
            message={"type": "message", "user": CUSTOMER, "text": "edited", "ts": root},
            previous_message={"type": "message", "user": CUSTOMER, "text": "old", "ts": root},
        )
    elif kind == "deleted":
        base.update(subtype="message_deleted", hidden=True, deleted_ts=root)
    return base


@FUZZ
@given(
    kind=st.sampled_from(["question", "reply", "changed", "deleted"]),
    changes=mutations(MESSAGE_FIELDS),
)
def test_fuzzed_message_events_never_break_intake(fuzz_bot, fake, kind, changes):
    event = message_event(fuzz_bot, kind)
    for path, value in changes:
        event = mutate(event, path, value)
    response = fuzz_bot.driver.event(event)
    assert_answered_cleanly(fuzz_bot, response.status, response.body)


REACTION_FIELDS = [("reaction",), ("user",), ("item",), ("item", "ts"), ("item", "channel")]


@FUZZ
@given(
    name=st.sampled_from(["ticket", "eyes", "white_check_mark", "tada"]),
    changes=mutations(REACTION_FIELDS),
)
def test_fuzzed_reactions_never_break_anything(fuzz_bot, fake, name, changes):
    event: dict[str, Any] = {
        "type": "reaction_added",
        "user": AGENT,
        "reaction": name,
        "item_user": CUSTOMER,
        "item": {"type": "message", "channel": HELP, "ts": fuzz_bot.root},
        "event_ts": fuzz_bot.driver.next_ts(),
    }
    for path, value in changes:
        event = mutate(event, path, value)
    response = fuzz_bot.driver.event(event)
    assert_answered_cleanly(fuzz_bot, response.status, response.body)


# Every /ticket subcommand the parser knows (new ones are fuzzed without editing this),
# /kb's, and the empty command.
SUBCOMMANDS = st.sampled_from(sorted(TICKET_SUBCOMMANDS | {"", "search", "gaps"}))


@FUZZ
@given(
    command=st.sampled_from(["/ticket", "/kb"]),
    sub=SUBCOMMANDS,
    # Slack form-encodes commands as UTF-8, so a lone surrogate can never arrive in one.
    args=st.lists(
        st.one_of(ANY_TEXT, st.sampled_from(["#1", "1", f"<@{AGENT}>", "urgent"])).filter(
            lambda word: not re.search(r"[\ud800-\udfff]", word)
        )
    ),
    user=st.sampled_from([AGENT, LEAD, CUSTOMER, "U0NOBODY"]),
)
def test_fuzzed_slash_commands_answer_clearly(fuzz_bot, fake, command, sub, args, user):
    words = " ".join([sub, *args])
    response = fuzz_bot.driver.command(command, words, user=user, channel=TRIAGE)
    assert response.status == 200
    answer = answer_text(response)
    assert_answered_cleanly(fuzz_bot, response.status, answer)
    assert answer.strip(), "every command gets an answer"


ACTION_FIELDS = [
    ("actions",),
    ("user",),
    ("user", "id"),
    ("channel",),
    ("container",),
    ("container", "message_ts"),
    ("message",),
    ("response_url",),
    ("trigger_id",),
    ("state",),
]


@FUZZ
@given(
    action_id=st.sampled_from(
        [
            "ticket_claim",
            "ticket_resolve",
            "ticket_reopen",
            "ticket_priority",
            "kb_solved",
            "kb_need_help",
        ]
    ),
    value=st.one_of(st.none(), ANY_TEXT, st.just("1")),
    user=st.sampled_from([AGENT, CUSTOMER, "U0NOBODY"]),
    changes=st.one_of(st.just([]), mutations(ACTION_FIELDS)),
)
def test_fuzzed_button_presses_never_break_anything(
    fuzz_bot, fake, action_id, value, user, changes
):
    payload = fuzz_bot.driver.block_action_payload(
        action_id, value if isinstance(value, str) else None, user=user, channel=TRIAGE
    )
    for path, replacement in changes:
        payload = mutate(payload, path, replacement)
    response = fuzz_bot.driver.action(payload)
    assert_answered_cleanly(fuzz_bot, response.status, response.body)


def test_sql_metacharacters_are_stored_as_text(fuzz_bot, fake):
    nasty = "'; DROP TABLE ticket; -- %_\\ \" OR 1=1"
    root = open_ticket(fuzz_bot, nasty)
    answer = answer_text(fuzz_bot.driver.command("/ticket", f"note #2 {nasty}", user=AGENT))
    fuzz_bot.drain()
    assert "#2" in answer
    assert fuzz_bot.ticket(2).subject == nasty
    assert [m.text for m in fuzz_bot.messages() if m.ts == root] == [nasty]
    with fuzz_bot.session() as session:
        notes = session.exec(select(Activity).where(Activity.action == "note")).all()
        assert [note.detail.get("text") for note in notes] == [nasty]


def no_surrogates(text: str) -> bool:
    """Slack form-encodes as UTF-8: a lone surrogate can never arrive in a payload."""
    return not re.search(r"[\ud800-\udfff]", text)


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged an error or a traceback while the input was handled."""
    loud = [
        f"{record.name}: {record.getMessage()[:200]}"
        for record in caplog.records
        if record.exc_info or record.exc_text or record.levelno >= logging.ERROR
    ]
    assert loud == [], f"logged with a traceback or as an error: {loud}"


# What a person can type after a command: anything at all, words each command knows,
# and the numbers, dates and durations that once crashed a parser.
NUMBERISH = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=10**30).map(lambda n: f"#{n}"),
    st.sampled_from(
        ["1e9", "9999-12-31", "0001-01-01", "9999-12-31..0001-01-01", "99999999d", "-1d", "0"]
    ),
)
COMMAND_WORDS = st.sampled_from(
    [
        *sorted(TICKET_SUBCOMMANDS),
        *("search", "gaps", "chart", "export", "by", "agent", "org", "7d", "30d", "help"),
    ]
)
COMMAND_TEXT = st.one_of(
    st.text(max_size=300).filter(no_surrogates),
    NASTY_TEXT.filter(no_surrogates),
    st.lists(st.one_of(COMMAND_WORDS, NUMBERISH, ANY_TEXT.filter(no_surrogates)), max_size=5).map(
        " ".join
    ),
)


@settings(FUZZ, max_examples=100)
@given(
    command=st.sampled_from(["/ticket", "/kb", "/kpi"]),
    text_=COMMAND_TEXT,
    user=st.sampled_from([AGENT, LEAD, CUSTOMER]),
)
def test_any_command_text_gets_an_answer_and_logs_no_traceback(
    fuzz_bot, fake, caplog, command, text_, user
):
    caplog.clear()
    fuzz_bot.driver.response_url_base = fake.response_url_base  # /kpi answers through it
    before = len(fake.responded)
    with caplog.at_level(logging.INFO):
        response = fuzz_bot.driver.command(command, text_, user=user, channel=TRIAGE)
        assert response.status == 200 or 400 <= response.status < 500, response.status
        answer = answer_text(response) if response.status == 200 else response.body
        assert_answered_cleanly(fuzz_bot, response.status, answer)
        if "json" in response.headers.get("content-type", ""):
            # Slack would refuse an answer past its Block Kit limits: the agent sees nothing.
            assert validate_blocks(response.json().get("blocks") or []) == []
    # /kpi acknowledges at once and answers through the response_url.
    assert answer.strip() or fake.responded[before:], "every command gets an answer"
    assert_no_traceback(caplog)


# Every action id a listener answers to, and values of every shape: encoded ones, huge
# numbers, separators in odd places, and anything at all.
ACTION_IDS = st.sampled_from(
    [
        *BUTTON_ACTIONS,
        "kb_solved",
        "kb_need_help",
        *(f"{RATE_ACTION}_{rating}" for rating in range(0, 7)),
        COMMENT_ACTION,
        merge_action_id(0),
        merge_action_id(9),
    ]
)
BUTTON_VALUE = st.one_of(
    st.none(),
    st.text(max_size=120).filter(no_surrogates),
    NUMBERISH,
    st.tuples(NUMBERISH, st.sampled_from([":", "|", "::", ""]), st.one_of(NUMBERISH, ANY_TEXT)).map(
        "".join
    ),
    st.sampled_from(["1", "1:urgent", "1:1", "1|csv-export", "1:5", "9" * 100_000]),
)


@settings(FUZZ, max_examples=100)
@given(
    action_id=ACTION_IDS,
    value=BUTTON_VALUE,
    select=st.booleans(),
    user=st.sampled_from([AGENT, CUSTOMER, "U0NOBODY"]),
)
def test_any_button_value_gets_a_clear_answer_and_logs_no_traceback(
    fuzz_bot, fake, caplog, action_id, value, select, user
):
    caplog.clear()
    payload = fuzz_bot.driver.block_action_payload(
        action_id,
        None if select else value,
        user=user,
        channel=TRIAGE,
        action_type="static_select" if select else "button",
    )
    if select:  # a menu sends the chosen option, not a value
        payload["actions"][0]["selected_option"] = {
            "text": {"type": "plain_text", "text": "x"},
            "value": value,
        }
    with caplog.at_level(logging.INFO):
        response = fuzz_bot.driver.action(payload)
        assert response.status == 200 or 400 <= response.status < 500, response.status
        assert_answered_cleanly(fuzz_bot, response.status, response.body)
    assert_no_traceback(caplog)
