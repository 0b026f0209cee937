"""The config's channel, person and user-group fields: a Slack ID or a name.

Parsed without Slack, a name stays as written (`#support-triage`, `@ana`); validated
again with a `Resolver` in pydantic's validation context (`resolve.resolve_config`), every
name becomes the ID it names, so the running process keeps IDs only and a channel or
person renamed later keeps working.
"""

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import AfterValidator, ValidationInfo

RESOLVER = "deskbot_resolver"  # the validation-context key a resolver is passed under
MAX_NAME = 80  # Slack's longest channel name; display names are shorter


class Kind(StrEnum):
    """What a config value refers to."""

    CHANNEL = "channel"
    USER = "user"
    USERGROUP = "usergroup"


_IDS = {
    Kind.CHANNEL: re.compile(r"[CGD][A-Z0-9]{2,}"),
    Kind.USER: re.compile(r"[UW][A-Z0-9]{2,}"),
    Kind.USERGROUP: re.compile(r"S[A-Z0-9]{2,}"),
}
_SIGILS = {Kind.CHANNEL: "#", Kind.USER: "@", Kind.USERGROUP: "@"}
_EXAMPLES = {
    Kind.CHANNEL: "a channel ID like C0123ABCD or a name like #support",
    Kind.USER: "a user ID like U0123ABCD or a name like @ana",
    Kind.USERGROUP: "a user group ID like S0123ABCD or a handle like @support-team",
}


class Resolver(Protocol):
    """Turns a name into the one ID it names; raises ValueError naming the problem."""

    def resolve(self, kind: Kind, name: str) -> str:
        """The ID `name` (with its sigil) refers to."""
        ...


def is_id(kind: Kind, value: str) -> bool:
    """Whether `value` is already an ID of this kind."""
    return _IDS[kind].fullmatch(value) is not None


def is_name(kind: Kind, value: str) -> bool:
    """Whether `value` is a name of this kind: its sigil, then 1 to 80 characters."""
    sigil = _SIGILS[kind]
    bare = value[1:]
    return (
        value.startswith(sigil)
        and 0 < len(bare.strip()) <= MAX_NAME
        and bare == bare.strip()
        and not any(char in bare for char in "#<>|\n\r\t")
    )


def _checked(kind: Kind) -> Callable[[str, ValidationInfo], str]:
    def check(value: str, info: ValidationInfo) -> str:
        if is_id(kind, value):
            return value
        if not is_name(kind, value):
            raise ValueError(f"expected {_EXAMPLES[kind]}, got {value[:100]!r}")
        resolver = (info.context or {}).get(RESOLVER)
        return value if resolver is None else resolver.resolve(kind, value)

    return check


ChannelRef = Annotated[str, AfterValidator(_checked(Kind.CHANNEL))]
UserRef = Annotated[str, AfterValidator(_checked(Kind.USER))]
UsergroupRef = Annotated[str, AfterValidator(_checked(Kind.USERGROUP))]
