"""Pure Block Kit builders for conversations: grouped text, merges, likely duplicates."""

from collections.abc import Callable

from bot.tickets.merge import MergeFacts
from handlers.blocks import values
from handlers.blocks.cards import Block, escape, mrkdwn
from handlers.blocks.tickets import describe_activity
from store.models import Message, Ticket

MERGE_ACTION_PREFIX = "ticket_merge_"
CONVERSATION_LIMIT = 2900
SHOWN_FOLDED_ACTIVITY = 10
SUBJECT_SHOWN = 80  # characters of a likely duplicate's subject on the card

OrgName = Callable[[str], str]


def merge_action_id(position: int) -> str:
    """Each Merge button on a card needs its own action id; they share a listener."""
    return f"{MERGE_ACTION_PREFIX}{position}"


def ticket_ref(ticket: Ticket, org_name: OrgName) -> str:
    """`#12 (acme)`: a ticket and the organization that asked."""
    return f"#{ticket.number} ({escape(org_name(ticket.customer_team_id))})"


def conversation_text(opening: list[Message]) -> str:
    """The customer's grouped messages as one quoted block, oldest first, shortened."""
    lines = []
    for message in opening:
        body = escape(message.text or "(file)").strip() or "(file)"
        lines.append("> " + body.replace("\n", "\n> "))
    text = "\n".join(lines)
    if len(text) > CONVERSATION_LIMIT:
        text = text[: CONVERSATION_LIMIT - 1] + "…"
    return text


def card_blocks(
    base: list[Block],
    ticket: Ticket,
    facts: MergeFacts,
    org_name: OrgName,
) -> list[Block]:
    """The triage card with the conversation, merges and likely duplicates added.

    `base` is the plain card ending in its actions block; a merged ticket loses the
    actions (it is worked on the ticket it was merged into).
    """
    extra: list[Block] = []
    if len(facts.opening) > 1:
        text = f"*Conversation* ({len(facts.opening)} messages)\n{conversation_text(facts.opening)}"
        extra.append({"type": "section", "block_id": "conversation", "text": mrkdwn(text[:3000])})
    if facts.merged_into is not None:
        note = (
            f":twisted_rightwards_arrows: Merged into *{ticket_ref(facts.merged_into, org_name)}*"
        )
        extra.append({"type": "context", "block_id": "merged", "elements": [mrkdwn(note)]})
        return base[:-1] + extra
    if facts.merged_from:
        refs = ", ".join(ticket_ref(child, org_name) for child in facts.merged_from)
        note = f":twisted_rightwards_arrows: Merged here: {refs}"[:3000]
        extra.append({"type": "context", "block_id": "merged", "elements": [mrkdwn(note)]})
    if facts.duplicates:
        extra.extend(duplicate_blocks(ticket, facts.duplicates, org_name))
    return base[:-1] + extra + base[-1:]


def duplicate_blocks(ticket: Ticket, duplicates: list[Ticket], org_name: OrgName) -> list[Block]:
    """ "Possibly the same as #12 (acme) _export fails_, ..." and a Merge button for each."""
    refs = ", ".join(
        f"{ticket_ref(other, org_name)} _{_short(other.subject)}_" for other in duplicates
    )
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": f"Merge into #{other.number}"},
            "action_id": merge_action_id(position),
            "value": values.encode(ticket.number, other.number),
        }
        for position, other in enumerate(duplicates)
    ]
    return [
        {
            "type": "section",
            "block_id": "duplicates",
            "text": mrkdwn(f":mag: Possibly the same as {refs}"),
        },
        {"type": "actions", "block_id": "duplicate_actions", "elements": buttons},
    ]


def _short(subject: str) -> str:
    # What the other ticket is about, so an agent can judge before merging; `_` would
    # end the italics early, so it is dropped.
    subject = " ".join(subject.split()).replace("_", " ")
    return escape(subject if len(subject) <= SUBJECT_SHOWN else subject[: SUBJECT_SHOWN - 1] + "…")


def merge_details_blocks(facts: MergeFacts, org_name: OrgName) -> list[Block]:
    """`/ticket show`: where the ticket went, or what was folded into it and its history."""
    if facts.merged_into is not None:
        text = (
            f":twisted_rightwards_arrows: Merged into *{ticket_ref(facts.merged_into, org_name)}*"
            f": work on #{facts.merged_into.number}."
        )
        return [{"type": "section", "block_id": "merged", "text": mrkdwn(text)}]
    if not facts.merged_from:
        return []
    refs = ", ".join(ticket_ref(child, org_name) for child in facts.merged_from)
    recent = facts.folded_activity[-SHOWN_FOLDED_ACTIVITY:]
    history = "\n".join(f"#{number}: {describe_activity(entry)}" for number, entry in recent)
    text = f"*Merged here*: {refs}\n{history}"
    return [{"type": "section", "block_id": "merged", "text": mrkdwn(text[:3000])}]


def merged_notice(target: Ticket, *, same_channel: bool, permalink: str | None) -> str:
    """What the merged ticket's thread tells the customer: nothing internal."""
    if same_channel and permalink:
        return f"Merged into #{target.number}: we continue in <{permalink}|this thread>."
    return (
        f"Merged into #{target.number}, which is about the same problem. "
        "We will keep you posted here."
    )
