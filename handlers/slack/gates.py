"""Who may use a listener, checked once as Bolt listener middleware, and binding `Deps`.

Declared where a listener is registered, as bolt-python does:
`app.command("/ticket", middleware=[agents_only(deps, NOT_AN_AGENT)])(bind(on_ticket, deps))`.
A refused command is answered in its acknowledgement; a refused button or shortcut is
acknowledged, then told in an ephemeral message where it was pressed. The listener
never runs. Checks that depend on the request's content stay in the listener.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps

Middleware = Callable[..., BoltResponse | None]
# How a refused user is answered: (ack, body, user id, client). It returns what `ack`
# returned, for Bolt to send: a middleware that neither calls next nor returns a
# response leaves the request unhandled, a 404 to Slack.
Refuse = Callable[[Ack, dict[str, Any], str | None, WebClient], BoltResponse]


def bind(listener: Callable[..., None], deps: Deps) -> Callable[..., None]:
    """`listener(deps, ack, payload...)` as Bolt calls it: `(ack, payload...)`.

    Bolt passes arguments by parameter name, read from the signature, which a partial
    keeps without `deps`; the name is kept for Bolt's logs.
    """
    bound = partial(listener, deps)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound


def user_of(body: dict[str, Any]) -> str | None:
    """Who sent a command, pressed a button, used a shortcut or caused an event."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return user or (body.get("event") or {}).get("user")


def agents_only(deps: Deps, refusal: str) -> Middleware:
    """Only support agents get through; anyone else is told `refusal`."""
    return gate(deps.people.is_agent, partial(_tell, deps, refusal))


def staff_only(deps: Deps, refusal: str) -> Middleware:
    """Agents and leads get through; anyone else is told `refusal`."""
    people = deps.people
    return gate(
        lambda user: people.is_lead(user) or people.is_agent(user), partial(_tell, deps, refusal)
    )


def gate(allowed: Callable[[str], bool], refuse: Refuse) -> Middleware:
    """Middleware that runs the listener for allowed users and calls `refuse` otherwise."""

    def check(
        ack: Ack, body: dict[str, Any], client: WebClient, next_: Callable[[], None]
    ) -> BoltResponse | None:
        user_id = user_of(body)
        if user_id is not None and allowed(user_id):
            next_()
            return None
        return refuse(ack, body, user_id, client)

    return check


def _tell(
    deps: Deps,
    refusal: str,
    ack: Ack,
    body: dict[str, Any],
    user_id: str | None,
    _client: WebClient,
) -> BoltResponse:
    """The refusal: in the command's acknowledgement, else ephemeral where it was pressed."""
    if "command" in body:
        return ack(text=refusal)
    acked = ack()
    channel_id = (body.get("channel") or {}).get("id")
    if channel_id and user_id:
        deps.guard.ephemeral(channel=channel_id, user=user_id, text=refusal)
    return acked
