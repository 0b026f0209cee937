"""What a button carries: a ticket number and, at most, one more thing after a separator.

The builders encode and the listeners decode here, so the two never drift apart. The
wire forms are the ones already posted in Slack (cards and surveys live for months):
`42`, `42:urgent` (priority), `42:7` (merge source:into, or a CSAT rating) and
`42|article-id` (the article a suggestion offered, whose id may hold a colon).
"""

import re
from dataclasses import dataclass

MAX_LENGTH = 2000  # Slack's limit on a button's value
_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII only: str.isdigit() also passes "²"


class BadValue(ValueError):
    """A button value that does not say which ticket it is about (stale or forged)."""


@dataclass(frozen=True)
class ButtonValue:
    """A decoded value: the ticket's number and what followed the separator, if anything."""

    number: int
    extra: str = ""

    def extra_number(self) -> int:
        """The part after the separator as a number (another ticket, a rating)."""
        return _number(self.extra)


def encode(number: int, extra: str | int | None = None, *, sep: str = ":") -> str:
    """A button value for ticket `number`, with `extra` after `sep` when given."""
    text = str(number) if extra is None else f"{number}{sep}{extra}"
    return text[:MAX_LENGTH]


def decode(raw: object, *, sep: str = ":") -> ButtonValue:
    """The value a builder encoded; BadValue when it does not start with a ticket number."""
    if not isinstance(raw, str):
        raise BadValue(f"a button value is text, not {type(raw).__name__}")
    number_text, _, extra = raw.partition(sep)
    return ButtonValue(_number(number_text), extra)


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise BadValue(f"{text[:40]!r} is not a ticket number")
    return int(text)
