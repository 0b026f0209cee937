"""Every request is cleaned and shape-checked before Bolt or any listener reads it.

Slack's payloads are trusted to be signed, not to be well formed: a field can be missing,
of the wrong type, or carry characters no database keeps (NUL, lone surrogates). `DeskApp`
replaces such characters and drops a request whose fields deskbot relies on are malformed,
answering 200 (once its signature checks out) so Slack does not retry a payload that will
never parse. It works ahead of Bolt's own middleware, whose argument injection would itself
crash on such payloads, and for both transports (HTTP and Socket Mode). Listeners can then
index the fields they use without defensive code.
"""

import logging
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.runtime import Runtime

logger = logging.getLogger(__name__)

# Slack timestamps are "seconds.micros"; ids are upper-case alphanumerics (U123, C0HELP).
SlackTs = Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,9})?$")]
SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
# Slack caps a button's value at 2,000 characters and an option's at 150: longer is forged
# (and a 100,000-digit number would make int() raise).
ButtonValue = Annotated[str, StringConstraints(max_length=2000)]
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class NestedMessage(_Shape):
    """The message inside message_changed / message_deleted events."""

    ts: SlackTs | None = None
    user: SlackId | None = None
    text: str | None = None
    bot_id: str | None = None
    files: list[dict[str, Any]] | None = None
    edited: dict[str, Any] | None = None


class MessageEvent(_Shape):
    """A `message` event, any subtype."""

    channel: SlackId
    ts: SlackTs
    user: SlackId | None = None
    text: str | None = None
    subtype: str | None = None
    thread_ts: SlackTs | None = None
    event_ts: SlackTs | None = None
    team: SlackId | None = None
    user_team: SlackId | None = None
    bot_id: str | None = None
    bot_profile: dict[str, Any] | None = None
    files: list[dict[str, Any]] | None = None
    message: NestedMessage | None = None
    previous_message: NestedMessage | None = None
    deleted_ts: SlackTs | None = None


class ReactionItem(_Shape):
    """What a reaction was added to."""

    type: str
    channel: SlackId | None = None
    ts: SlackTs | None = None

    @model_validator(mode="after")
    def _message_items_name_their_message(self) -> "ReactionItem":
        if self.type == "message" and (self.channel is None or self.ts is None):
            raise ValueError("a reaction on a message needs its channel and ts")
        return self


class ReactionEvent(_Shape):
    """A `reaction_added` event."""

    user: SlackId
    reaction: str
    item: ReactionItem


class UserEvent(_Shape):
    """Events that only need their user (`app_home_opened`)."""

    user: SlackId


class ChannelEvent(_Shape):
    """Events about a channel (`channel_shared`, `channel_unshared`)."""

    channel: SlackId


class Actor(_Shape):
    """The user block of an interactivity payload."""

    id: SlackId


class Action(_Shape):
    """One pressed button or chosen option."""

    action_id: str
    value: ButtonValue | None = None
    selected_option: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _options_are_short(self) -> "Action":
        option_value = (self.selected_option or {}).get("value")
        if option_value is not None and (
            not isinstance(option_value, str) or len(option_value) > 150
        ):
            raise ValueError("an option's value is a string of at most 150 characters")
        return self


class Place(_Shape):
    """The channel block of an interactivity payload."""

    id: SlackId


class BlockActions(_Shape):
    """A `block_actions` payload."""

    user: Actor
    actions: Annotated[list[Action], Field(min_length=1)]
    channel: Place | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None


class Interaction(_Shape):
    """Any other interactivity payload (shortcuts, view submissions): the user at least."""

    user: Actor


class MessageAction(_Shape):
    """A message shortcut: the message it was used on, and where."""

    user: Actor
    channel: Place
    message_ts: SlackTs
    message: dict[str, Any] | None = None


class SlashCommand(_Shape):
    """A slash command invocation."""

    command: str
    user_id: SlackId
    channel_id: SlackId
    text: str = ""


EVENT_SHAPES: dict[str, type[_Shape]] = {
    "message": MessageEvent,
    "reaction_added": ReactionEvent,
    "app_home_opened": UserEvent,
    "channel_shared": ChannelEvent,
    "channel_unshared": ChannelEvent,
}


def scrub(value: Any) -> Any:
    """The value with characters no database can store replaced, in every nested string."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = scrub(item)
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub(item)
        return value
    return value


def shape_problem(body: dict[str, Any]) -> str | None:
    """Why the request's payload cannot be acted on, or None when it is well formed."""
    try:
        if "command" in body:
            SlashCommand.model_validate(body)
        elif body.get("type") == "event_callback":
            event = body.get("event")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                return "event is not an object with a type"
            shape = EVENT_SHAPES.get(event["type"])
            if shape is not None:
                shape.model_validate(event)
        elif body.get("type") == "block_actions":
            BlockActions.model_validate(body)
        elif body.get("type") == "message_action":
            MessageAction.model_validate(body)
        elif isinstance(body.get("type"), str) and "user" in body:
            Interaction.model_validate(body)
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
            for problem in error.errors()
        )
    return None


class DeskApp(App):
    """A Bolt app that cleans every payload and drops malformed or replayed ones.

    `runtime` is what `create_app` built it with, for the CLI, the demo and tests.
    """

    def __init__(
        self,
        *,
        signing_secret: str,
        runtime: Runtime,
        seen_before: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(signing_secret=signing_secret, **kwargs)
        self.runtime = runtime
        # Event types counted by name in /metrics; any other is "other" (few label values).
        self._counted = frozenset(name.split(".")[0] for name in runtime.slack_events)
        self._verifier = SignatureVerifier(signing_secret)
        self._seen_before = seen_before

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Refuse replays, scrub and check the payload, then hand it to Bolt; count events."""
        response = self._dispatch(req)
        body = req.body if isinstance(req.body, dict) else {}
        event = body.get("event")
        if body.get("type") == "event_callback" and isinstance(event, dict):
            kind = event.get("type")
            label = kind if isinstance(kind, str) and kind in self._counted else "other"
            self.runtime.metrics.event_answered(label, response.status)
        return response

    def _dispatch(self, req: BoltRequest) -> BoltResponse:
        if self._replayed(req):
            logger.warning("refused a replayed, already handled Slack request")
            return BoltResponse(status=401, body="")
        if isinstance(req.body, dict):
            scrub(req.body)
            problem = shape_problem(req.body)
            if problem is not None:
                if req.mode == "http" and not self._signed(req):
                    return BoltResponse(status=401, body="")
                logger.warning("ignored a malformed %s request: %s", _kind(req.body), problem)
                return BoltResponse(status=200, body="")
        return super().dispatch(req)

    def _replayed(self, req: BoltRequest) -> bool:
        """A signed command or click whose exact signature was already handled.

        Events carry an event_id and intake is idempotent on it; commands and button
        clicks do not, and Slack never resends them, so a second sight is a replay.
        """
        if self._seen_before is None or req.mode != "http" or "event_id" in req.body:
            return False
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        return bool(signature) and self._signed(req) and self._seen_before(signature)

    def _signed(self, req: BoltRequest) -> bool:
        def header(name: str) -> str:
            return (req.headers.get(name) or [""])[0] or ""

        timestamp, signature = header("x-slack-request-timestamp"), header("x-slack-signature")
        if not timestamp.isdigit() or not signature:
            return False
        return self._verifier.is_valid(body=req.raw_body, timestamp=timestamp, signature=signature)


def _kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "slash command"
    event = body.get("event")
    if isinstance(event, dict):
        return f"{event.get('type')} event"
    return str(body.get("type") or "unknown")
