"""Parsing `/ticket` command text into a request: pure, with usage errors for bad input."""

import re
from dataclasses import dataclass

from bot.tickets.workflow import PRIORITIES, QUEUES

USAGE = """\
*`/ticket` commands* (`#N` may be `42` or `#42`):
• `claim [#N]` take a ticket (in a ticket's thread the number is optional)
• `assign #N @user` · `unassign #N`
• `pending #N` waiting on the customer · `resolve #N [note]` · `reopen #N`
• `priority #N urgent|high|normal|low` · `type #N <tag>` · `link #N <url or key>`
• `note #N <text>` an internal note (never shown to the customer)
• `answer #N <article id>` the article that answered it (teaches the suggestions)
• `merge #A #B` fold ticket B into A (messages, links, tags; B's thread points to A)
• `show #N` · `list [mine|unassigned|open|pending|breaching]` · `help`
• `away [until]` no tickets routed to you (`away 2h`, `away tomorrow 9:00`) · `back`"""

NEEDS_NUMBER = {
    "claim",
    "assign",
    "unassign",
    "pending",
    "resolve",
    "reopen",
    "priority",
    "type",
    "link",
    "note",
    "show",
    "answer",
    "merge",
}
NEEDS_ARGUMENT = {
    "assign": "@user",
    "priority": "urgent|high|normal|low",
    "type": "<tag>",
    "link": "<url or key>",
    "note": "<text>",
    "answer": "<article id>",
    "merge": "#B",
}
AVAILABILITY = {"away", "back"}  # about the agent, not a ticket
SUBCOMMANDS = NEEDS_NUMBER | {"list", "help"} | AVAILABILITY
_NUMBER = re.compile(r"^#?(\d{1,9})$")
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_PLAIN_NAME = re.compile(r"^[^\s<>@#][^<>]{0,79}$")  # a handle, display or real name


class UsageError(Exception):
    """The command text is not a valid `/ticket` command; the message says why."""


@dataclass(frozen=True)
class TicketCommand:
    """A parsed `/ticket` request."""

    name: str
    number: int | None = None
    argument: str = ""


def parse_number(token: str) -> int | None:
    """`42` or `#42` to 42; None for anything else."""
    match = _NUMBER.match(token)
    return int(match.group(1)) if match else None


def parse_user(token: str) -> str:
    """A person as typed: the id of a mention like `<@U123|ana>`, else `@name` for the
    directory to resolve (a plain name: Slack sends one when the client did not complete it)."""
    token = token.strip()
    match = _USER_MENTION.match(token)
    if match:
        return match.group(1)
    name = token.lstrip("@").strip()
    if not _PLAIN_NAME.match(name):
        raise UsageError(f"`{token[:40]}` is not a person: mention them, like `@ana`.")
    return f"@{name}"


def parse_ticket_command(text: str, *, thread_number: int | None = None) -> TicketCommand:
    """Parse the text after `/ticket`; `thread_number` fills in a missing number for claim."""
    words = text.strip().split(maxsplit=1)
    if not words or words[0].lower() == "help":
        return TicketCommand("help")
    name = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if name not in SUBCOMMANDS:
        raise UsageError(f"Unknown command `{words[0][:40]}`.")
    if name in AVAILABILITY:
        if name == "back" and rest:
            raise UsageError("`back` takes nothing: just `/ticket back`.")
        return TicketCommand(name, argument=rest[:100])
    if name == "list":
        queue = rest.lower() or "open"
        if queue not in QUEUES:
            raise UsageError(f"`list` takes one of: {', '.join(QUEUES)}.")
        return TicketCommand("list", argument=queue)
    number_token, _, argument = rest.partition(" ")
    number = parse_number(number_token) if number_token else None
    if number_token and number is None:
        raise UsageError(f"`{number_token[:40]}` is not a ticket number (like `42` or `#42`).")
    if number is None:
        number = thread_number if name == "claim" else None
        if number is None:
            raise UsageError(f"`{name}` needs a ticket number, like `/ticket {name} #42`.")
    argument = argument.strip()
    if name in NEEDS_ARGUMENT and not argument:
        raise UsageError(f"Usage: `/ticket {name} #N {NEEDS_ARGUMENT[name]}`.")
    if name == "assign":
        argument = parse_user(argument)
    if name == "merge":
        other = parse_number(argument)
        if other is None:
            raise UsageError(f"`{argument[:40]}` is not a ticket number: `/ticket merge #A #B`.")
        argument = str(other)
    if name == "priority" and argument.lower() not in PRIORITIES:
        raise UsageError(f"Priority is one of {', '.join(PRIORITIES)}.")
    return TicketCommand(name, number, argument.lower() if name == "priority" else argument)
