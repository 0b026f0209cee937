"""The button-value codec: what the builders encode, the listeners decode, bad values refused."""

import pytest

from handlers.blocks import values
from handlers.blocks.cards import ticket_actions
from handlers.blocks.csat import survey_blocks


@pytest.mark.parametrize(
    ("number", "extra", "sep", "wire"),
    [
        (42, None, ":", "42"),
        (42, "urgent", ":", "42:urgent"),
        (42, 7, ":", "42:7"),
        (42, "faq:billing-en", "|", "42|faq:billing-en"),
    ],
)
def test_round_trip_in_the_forms_already_posted(number, extra, sep, wire):
    assert values.encode(number, extra, sep=sep) == wire
    decoded = values.decode(wire, sep=sep)
    assert decoded.number == number and decoded.extra == ("" if extra is None else str(extra))


def test_a_second_number_is_read_as_one():
    assert values.decode("3:2").extra_number() == 2
    with pytest.raises(values.BadValue):
        values.decode("3:two").extra_number()


@pytest.mark.parametrize("raw", [None, "", "x", "#4", "4x", " 4", "²", "1234567890", 4, ":4"])
def test_bad_values_are_refused_with_a_clear_error(raw):
    with pytest.raises(values.BadValue):
        values.decode(raw)


def test_long_values_are_cut_to_slacks_limit():
    assert len(values.encode(1, "a" * 3000, sep="|")) == values.MAX_LENGTH


def test_the_builders_values_decode_to_their_ticket():
    class Ticket:
        number, status, assignee_id, priority = 12, "open", None, "normal"

    [claim, resolve, menu] = ticket_actions(Ticket())["elements"]  # type: ignore[arg-type]
    assert values.decode(claim["value"]).number == 12
    assert values.decode(resolve["value"]).number == 12
    assert values.decode(menu["options"][0]["value"]).extra == "urgent"
    stars = survey_blocks(12)[1]["elements"]
    assert [values.decode(b["value"]).extra_number() for b in stars] == [1, 2, 3, 4, 5]
