"""Command arguments and config values people (or attackers) type: a clear ValueError with
a bounded message, never an OverflowError or a traceback (issue 18)."""

from datetime import UTC, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, load_config, parse_config, parse_duration
from bot.ranges import parse_range
from bot.routing.away import UntilError, parse_until

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZONES = st.sampled_from(["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"])
# Words the parsers know, numbers of any size, dates at the ends of the calendar.
PIECES = st.one_of(
    st.sampled_from(
        ["today", "yesterday", "this week", "last month", "tomorrow", "friday", "..", "d", "w"]
    ),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.integers(min_value=0, max_value=10**30).map(lambda n: f"{n}d"),
    st.dates().map(str),
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.text(max_size=12),
)
ARGUMENTS = st.lists(PIECES, max_size=4).map(" ".join)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "9999-12-30..9999-12-31"])
def test_ranges_at_the_ends_of_the_calendar_get_a_usage_answer(text):
    with pytest.raises(ValueError, match="a date between"):
        parse_range(text, now=NOW, timezone="Pacific/Kiritimati")


def test_away_for_99999999_days_gets_a_usage_answer():
    with pytest.raises(UntilError, match="not a time deskbot reads"):
        parse_until("99999999d", now=NOW, timezone="UTC", day_start=time(9))


@FUZZ
@given(text=ARGUMENTS, zone=ZONES)
def test_any_range_text_parses_or_says_why(text, zone):
    try:
        found = parse_range(text, now=NOW, timezone=zone)
    except ValueError as error:
        assert len(str(error)) < 400
    else:
        found.previous()  # the trend's range exists too


@FUZZ
@given(text=ARGUMENTS, zone=ZONES)
def test_any_away_text_parses_or_says_why(text, zone):
    try:
        parse_until(text, now=NOW, timezone=zone, day_start=time(9))
    except UntilError as error:
        assert len(str(error)) < 600


@FUZZ
@given(text=ARGUMENTS)
def test_any_duration_parses_or_says_why(text):
    try:
        parse_duration(text)
    except ValueError as error:
        assert len(str(error)) < 200


def test_a_huge_duration_in_the_config_is_one_bounded_line():
    with pytest.raises(ConfigError) as raised:
        parse_config({"intake": {"group_window": "9" * 5000 + "d"}})
    assert "at most 3650d" in str(raised.value) and len(str(raised.value)) < 400


def test_a_yaml_alias_bomb_gives_bounded_error_text(tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    path = tmp_path / "deskbot.yaml"
    path.write_text("\n".join(lines) + "\nagents: *a8\nleads: *a8\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert "agents.0" in str(raised.value) and "more problems" in str(raised.value)
    assert len(str(raised.value)) < 8000


def test_deep_yaml_gives_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "deskbot.yaml"
    path.write_text("agents: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(path)
