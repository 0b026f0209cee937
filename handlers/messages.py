"""Intake: customer messages in support channels become tickets; replies, edits, deletes follow.

One listener takes every `message` event (all subtypes) so that nothing Slack sends is
answered with a 404; it acts on human messages, edits and deletes and drops the rest.
"""

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import ts_to_datetime
from bot.deps import Deps
from bot.intake import IncomingMessage, Outcome
from handlers.conversations import after_created, after_grouped
from handlers.kb import offer_suggestions
from handlers.mirror import post_mirror, refresh_mirror

logger = logging.getLogger(__name__)

BOT_EVENTS = ("message.channels", "message.groups")
API_METHODS = ("reactions.add", "users.info", "usergroups.users.list")

# Subtypes written by a person that belong in a ticket; every other subtype is noise
# (joins, topic changes, channel renames...) and is acknowledged and dropped.
HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast", "me_message"})
FILE_KEYS = ("id", "name", "title", "mimetype", "filetype", "size")


def register(app: App, deps: Deps) -> None:
    """Listen to every message event in channels deskbot is in."""

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        event_id = body.get("event_id")
        subtype = event.get("subtype")
        if subtype == "message_changed":
            _on_edit(deps, client, event, event_id)
        elif subtype == "message_deleted":
            _on_delete(deps, client, event, event_id)
        elif subtype in HUMAN_SUBTYPES and _is_human(deps, event):
            _on_human_message(deps, client, event, event_id)


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
    return IncomingMessage(
        workspace_id=deps.people.identity.workspace_id,
        channel_id=event["channel"],
        ts=event["ts"],
        thread_ts=event.get("thread_ts"),
        user_id=user_id,
        user_team_id=team,
        text=event.get("text") or "",
        files=files_of(event),
        subtype=event.get("subtype"),
        event_id=event_id,
        author_is_agent=deps.people.is_agent(user_id, team_id=team),
    )


def _on_human_message(
    deps: Deps, client: WebClient, event: dict[str, Any], event_id: str | None
) -> None:
    incoming = parse_message(deps, event, event_id)
    in_support_channel = deps.desk.is_support_channel(incoming.channel_id)
    if not incoming.is_reply and not in_support_channel:
        return
    result = deps.intake.receive_message(incoming, hold_orphans=in_support_channel)
    if result.outcome is Outcome.CREATED and result.ticket is not None:
        _acknowledge(deps, client, incoming)
        after_created(deps, result.ticket, incoming.text)
        post_mirror(client, deps, result.ticket)
        if result.ticket.id is not None:
            deps.routing.route_new(ticket_id=result.ticket.id)
        offer_suggestions(deps, result.ticket, incoming.text)
    elif result.outcome is Outcome.GROUPED and result.ticket is not None:
        after_grouped(deps, client, result)
    elif result.mirror_stale and result.ticket is not None:
        refresh_mirror(deps, result.ticket)


def _acknowledge(deps: Deps, client: WebClient, incoming: IncomingMessage) -> None:
    """React on the customer's message so they see it was picked up."""
    reaction = deps.desk.intake.reaction
    if not reaction:
        return
    try:
        client.reactions_add(channel=incoming.channel_id, timestamp=incoming.ts, name=reaction)
    except SlackApiError as error:
        if error.response.get("error") != "already_reacted":
            raise


def _on_edit(deps: Deps, client: WebClient, event: dict[str, Any], event_id: str | None) -> None:
    message = event.get("message") or {}
    if not message.get("ts") or not _is_human(deps, message):
        return
    edited_ts = (message.get("edited") or {}).get("ts") or event.get("event_ts") or message["ts"]
    result = deps.intake.receive_edit(
        event_id=event_id,
        channel_id=event["channel"],
        ts=message["ts"],
        text=message.get("text") or "",
        files=files_of(message),
        edited_at=ts_to_datetime(edited_ts),
    )
    if result.mirror_stale and result.ticket is not None:
        refresh_mirror(deps, result.ticket)


def _on_delete(deps: Deps, client: WebClient, event: dict[str, Any], event_id: str | None) -> None:
    deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not deleted_ts:
        return
    result = deps.intake.receive_delete(
        event_id=event_id,
        channel_id=event["channel"],
        ts=deleted_ts,
        deleted_at=ts_to_datetime(event.get("event_ts") or deleted_ts),
    )
    if result.mirror_stale and result.ticket is not None:
        refresh_mirror(deps, result.ticket)
