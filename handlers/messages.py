"""Intake: customer messages in support channels become tickets; replies, edits, deletes follow.

Keeping happens before Slack gets its answer: a middleware writes the message event (or
edit, or delete) to the inbox on the request thread, one small insert, and only then lets
Bolt acknowledge. If the database cannot take it, Slack gets a 503 and redelivers the
event later, so an acknowledged event is a kept one. The listener that runs after the
acknowledgement hands it to the intake pipeline (handlers/slack/pipeline.py), which stores
it as tickets and messages, removes it from the inbox and does the Slack side (reaction,
triage card, routing, suggestions). What a crash or an outage leaves in the inbox is taken
up again by the pipeline's pull, and a welcome cut short is finished by
`finish_unfinished_tickets`; both are jobs in bot/jobs.py.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import text
from bot.clock import ts_to_datetime
from bot.deps import Deps
from bot.intake.service import Also, IncomingMessage, IntakeResult, Outcome
from bot.people import UNKNOWN_TEAM
from handlers.conversations import after_created, after_grouped
from handlers.kb import offer_suggestions
from handlers.slack.card import post_card, refresh_card
from handlers.slack.pipeline import KEPT
from store.models import Ticket

logger = logging.getLogger(__name__)

BOT_EVENTS = ("message.channels", "message.groups")
API_METHODS = ("reactions.add", "users.info", "usergroups.users.list")

# Subtypes written by a person that belong in a ticket; every other subtype is noise
# (joins, topic changes, channel renames...) and is acknowledged and dropped.
HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})
EDIT, DELETE, MESSAGE = "edit", "delete", "message"  # what `message_kind` tells apart
FILE_KEYS = ("id", "name", "title", "mimetype", "filetype", "size")


@dataclass(frozen=True)
class Stored:
    """What was stored before the acknowledgement, for the listener to follow up."""

    result: IntakeResult
    incoming: IncomingMessage | None = None  # for new messages; None for edits and deletes

    @property
    def welcome_for(self) -> int | None:
        """The id of a ticket this event created, whose welcome is still to be posted."""
        ticket = self.result.ticket
        if self.result.outcome is Outcome.CREATED and ticket is not None:
            return ticket.id
        return None


def register(app: App, deps: Deps) -> None:
    """Keep every message event worth storing before it is acknowledged; store it after."""
    pipeline = deps.pipeline
    pipeline.keep_kind(
        "message",
        worth_keeping=lambda event: worth_keeping(deps, event),
        store=lambda _client, row_id, body: take_in(
            deps, row_id, body["event"], body.get("event_id")
        ),
        follow_up=lambda client, stored: follow_up(deps, client, stored),
    )

    @app.event("message")
    def on_message(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        row_id = context.get(KEPT)
        if row_id is not None:
            pipeline.hand_over(client, row_id, body)


def message_kind(deps: Deps, event: dict[str, Any]) -> str | None:
    """What a message event is to intake: `edit`, `delete`, `message`, or None (not ours).

    The one triage of message events: what is kept before the acknowledgement and what
    is stored after it are decided here, so the two can never disagree.
    """
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message")
        human = isinstance(message, dict) and bool(message.get("ts")) and _is_human(deps, message)
        return EDIT if human else None
    if subtype == "message_deleted":
        previous = event.get("previous_message")
        named = event.get("deleted_ts") or (isinstance(previous, dict) and previous.get("ts"))
        return DELETE if named else None
    if subtype in HUMAN_SUBTYPES and _is_human(deps, event):
        return MESSAGE
    return None


def worth_keeping(deps: Deps, event: dict[str, Any]) -> bool:
    """Whether a message event may change a ticket (decided without the database)."""
    kind = message_kind(deps, event)
    if kind != MESSAGE:
        return kind is not None
    thread_ts = event.get("thread_ts")
    is_reply = thread_ts is not None and thread_ts != event.get("ts")
    return is_reply or deps.desk.is_support_channel(str(event.get("channel")))


def take_in(deps: Deps, row_id: int, event: dict[str, Any], event_id: str | None) -> Stored | None:
    """Store a kept event and drop it from the inbox, in one transaction where there is one."""
    stored = store_message_event(deps, event, event_id, also=deps.inbox.removal(row_id))
    if stored is None or stored.result.outcome is Outcome.DUPLICATE:
        # Nothing was stored, or a redelivery rolled the removal back with the rest.
        deps.inbox.done(row_id)
    return stored


def store_message_event(
    deps: Deps, event: dict[str, Any], event_id: str | None, *, also: Also | None = None
) -> Stored | None:
    """Store a message, edit or delete (inside one transaction); None if it is not ours.

    `also` joins that transaction; it never runs when None is returned.
    """
    store = {EDIT: _store_edit, DELETE: _store_delete, MESSAGE: _store_human_message}.get(
        message_kind(deps, event) or ""
    )
    return None if store is None else store(deps, event, event_id, also)


def follow_up(deps: Deps, client: WebClient, stored: Stored) -> None:
    """The Slack side of a stored message: a new ticket's welcome, or a fresher card."""
    ticket = stored.result.ticket
    if ticket is None:
        return
    if stored.result.outcome is Outcome.CREATED and stored.incoming is not None:
        finish_new_ticket(deps, client, ticket, stored.incoming.text)
    elif stored.result.outcome is Outcome.GROUPED:
        after_grouped(deps, client, stored.result)
    elif stored.result.card_stale:
        refresh_card(deps, ticket)


def finish_new_ticket(
    deps: Deps, client: WebClient, ticket: Ticket, question: str, *, again: bool = False
) -> None:
    """Everything a new ticket gets; `again` when finishing what a crash cut short."""
    _acknowledge(deps, client, ticket.channel_id, ticket.root_ts)
    after_created(deps, ticket, question)
    if ticket.triage_ts is None:
        post_card(client, deps, ticket, look_first=again)
    if ticket.id is not None:
        deps.routing.route_new(ticket_id=ticket.id)
    offer_suggestions(deps, ticket, question)


def finish_unfinished_tickets(deps: Deps, client: WebClient, *, now: datetime) -> int:
    """Finish tickets whose welcome a crash or a Slack outage cut short; returns how many.

    A ticket whose triage card is still missing two minutes after it was stored never got
    its follow-up. The claim leases each ticket to one replica for five minutes.
    """
    if deps.desk.triage_channel is None:
        return 0
    tickets = deps.intake.claim_unfinished(
        workspace_id=deps.people.identity.workspace_id,
        created_after=now - timedelta(days=1),
        created_before=now - timedelta(minutes=2),
        lease_until=now + timedelta(minutes=5),
    )
    finished = 0
    for ticket in tickets:
        logger.warning("finishing ticket #%s: its triage card was never posted", ticket.number)
        try:
            finish_new_ticket(deps, client, ticket, ticket.subject, again=True)
        except Exception:  # Slack or the database failed this one; the others go on
            logger.exception(
                "finishing ticket #%s failed; the next sweep tries again", ticket.number
            )
            assert ticket.id is not None
            deps.intake.release_unfinished(ticket_id=ticket.id)
            continue
        finished += 1
    return finished


def _is_human(deps: Deps, message: dict[str, Any]) -> bool:
    """Messages by bots (any bot, ourselves included) never become tickets."""
    user = message.get("user")
    return bool(
        user
        and not message.get("bot_id")
        and not message.get("bot_profile")
        and user != deps.people.identity.bot_user_id
    )


def files_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The attached files' metadata worth keeping (never their private URLs)."""
    return [
        {key: file[key] for key in FILE_KEYS if key in file}
        for file in message.get("files") or []
        if isinstance(file, dict)
    ]


def parse_message(deps: Deps, event: dict[str, Any], event_id: str | None) -> IncomingMessage:
    """Turn a message event into intake's input, resolving the author's organization."""
    user_id = event["user"]
    team = deps.people.team_of(user_id, hint=event.get("user_team") or event.get("team"))
    # Slack could not place the author: keep the message as a customer's of an unknown
    # organization (never lost, never privileged); a job corrects the ticket later.
    is_agent = team is not None and deps.people.is_agent(user_id, team_id=team)
    return IncomingMessage(
        workspace_id=deps.people.identity.workspace_id,
        channel_id=event["channel"],
        ts=event["ts"],
        thread_ts=event.get("thread_ts"),
        user_id=user_id,
        user_team_id=team or UNKNOWN_TEAM,
        text=text.from_slack(event.get("text") or ""),
        files=files_of(event),
        subtype=event.get("subtype"),
        event_id=event_id,
        author_is_agent=is_agent,
    )


def _store_human_message(
    deps: Deps, event: dict[str, Any], event_id: str | None, also: Also | None
) -> Stored | None:
    incoming = parse_message(deps, event, event_id)
    in_support_channel = deps.desk.is_support_channel(incoming.channel_id)
    if not incoming.is_reply and not in_support_channel:
        return None
    result = deps.intake.receive_message(incoming, hold_orphans=in_support_channel, also=also)
    return Stored(result, incoming)


def _acknowledge(deps: Deps, client: WebClient, channel_id: str, ts: str) -> None:
    """React on the customer's message so they see it was picked up."""
    reaction = deps.desk.intake.reaction
    if not reaction:
        return
    try:
        client.reactions_add(channel=channel_id, timestamp=ts, name=reaction)
    except SlackApiError as error:
        if error.response.get("error") != "already_reacted":
            raise


def _store_edit(
    deps: Deps, event: dict[str, Any], event_id: str | None, also: Also | None
) -> Stored | None:
    message = event.get("message") or {}
    if not message.get("ts") or not _is_human(deps, message):
        return None
    edited_ts = (message.get("edited") or {}).get("ts") or event.get("event_ts") or message["ts"]
    result = deps.intake.receive_edit(
        event_id=event_id,
        channel_id=event["channel"],
        ts=message["ts"],
        text=text.from_slack(message.get("text") or ""),
        files=files_of(message),
        edited_at=ts_to_datetime(edited_ts),
        also=also,
    )
    return Stored(result)


def _store_delete(
    deps: Deps, event: dict[str, Any], event_id: str | None, also: Also | None
) -> Stored | None:
    deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not deleted_ts:
        return None
    result = deps.intake.receive_delete(
        event_id=event_id,
        channel_id=event["channel"],
        ts=deleted_ts,
        deleted_at=ts_to_datetime(event.get("event_ts") or deleted_ts),
        also=also,
    )
    return Stored(result)
