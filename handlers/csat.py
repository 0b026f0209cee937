"""CSAT in Slack: the survey in a resolved ticket's thread, its star buttons, the comment modal.

Everything here is read by the customer (often in a channel shared with their company), so
it carries no internal detail; the team hears about answers in the triage card's thread.
"""

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.csat import COMMENT_LIMIT, Answer, CsatError
from bot.deps import Deps
from bot.ports import Audience, Poster
from bot.tickets.workflow import WorkflowError
from handlers import kb
from handlers.blocks import values
from handlers.blocks.cards import escape
from handlers.blocks.csat import (
    COMMENT_ACTION,
    COMMENT_BLOCK,
    COMMENT_INPUT,
    COMMENT_VIEW,
    comment_modal,
    survey_blocks,
    survey_text,
    thanks_blocks,
    thanks_text,
)
from handlers.slack.card import post_to_triage_thread
from handlers.slack.gates import bind
from knowledge.matcher import detect_language
from store.models import CsatSurvey, Ticket, TicketStatus

logger = logging.getLogger(__name__)

API_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open")
RATE_PATTERN = re.compile(r"^csat_rate_[1-5]$")
GONE = "This survey is no longer available."


def post_survey(guard: Poster, survey: CsatSurvey, ticket: Ticket) -> str | None:
    """Post the survey in the ticket's thread; the message ts, or None to try again later."""
    try:
        posted = guard.post(
            audience=Audience.CUSTOMER,
            channel=survey.channel_id,
            thread_ts=ticket.root_ts,
            text=survey_text(language_of(ticket)),
            blocks=survey_blocks(ticket.number, language_of(ticket)),
        )
    except (SlackApiError, OSError):  # OSError: the connection failed, or lost the answer
        logger.exception("CSAT survey for #%s not posted; the sweep tries again", ticket.number)
        return None
    return str(posted["ts"]) if posted is not None else None


def language_of(ticket: Ticket) -> str:
    """The customer's language, guessed from their question (the survey speaks it)."""
    return detect_language(ticket.subject)


def register(app: App, deps: Deps) -> None:
    """The star buttons, the comment button and the comment modal (for the customer)."""
    app.action(RATE_PATTERN)(bind(on_rate, deps))
    app.action(COMMENT_ACTION)(bind(on_comment, deps))
    app.view(COMMENT_VIEW)(bind(on_comment_sent, deps))


def on_rate(deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
    """A star pressed: the rating is saved (or changed) and the survey says thanks."""
    ack()
    user_id = body["user"]["id"]
    try:
        value = _survey_value(action.get("value"))
        if _finished(deps, body, value.number):
            return
        answer = deps.csat.rate(
            workspace_id=deps.people.identity.workspace_id,
            number=value.number,
            user_id=user_id,
            rating=_rating(value),
        )
    except CsatError as error:
        _tell(deps, body, user_id, str(error))
        return
    _show_thanks(deps, answer)
    if answer.changed:
        post_to_triage_thread(deps, answer.ticket, _rating_note(answer))


def on_comment(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """Pressed "Add a comment": the modal opens, with the comment so far."""
    ack()
    user_id = body["user"]["id"]
    try:
        number = _survey_value(action.get("value")).number
        if _finished(deps, body, number):
            return
        answer = deps.csat.survey_for(
            workspace_id=deps.people.identity.workspace_id, number=number, user_id=user_id
        )
    except CsatError as error:
        _tell(deps, body, user_id, str(error))
        return
    view = comment_modal(
        answer.ticket.number, answer.survey.comment, COMMENT_LIMIT, language_of(answer.ticket)
    )
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as error:
        # Slack allows three seconds between the press and the form; on a slow day
        # the customer can simply press again.
        logger.warning("comment form for #%s not opened: %s", number, error)
        _tell(deps, body, user_id, "Sorry, that took too long. Please press again.")


def on_comment_sent(deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
    """The modal sent: the comment is saved, or the modal shows why not."""
    state = (view.get("state") or {}).get("values") or {}
    text = ((state.get(COMMENT_BLOCK) or {}).get(COMMENT_INPUT) or {}).get("value") or ""
    try:
        number = _survey_value(view.get("private_metadata")).number
        answer = deps.csat.comment(
            workspace_id=deps.people.identity.workspace_id,
            number=number,
            user_id=body["user"]["id"],
            text=text,
        )
    except CsatError as error:
        ack(response_action="errors", errors={COMMENT_BLOCK: str(error)})
        return
    ack()
    if answer.changed:
        _show_thanks(deps, answer)
        post_to_triage_thread(
            deps,
            answer.ticket,
            f":speech_balloon: CSAT comment on #{answer.ticket.number} from "
            f"<@{answer.survey.customer_id}>: {escape(answer.survey.comment or '')[:2500]}",
        )


def _finished(deps: Deps, body: dict[str, Any], number: int) -> bool:
    """A merged or closed ticket's survey: said so, and its buttons taken away."""
    try:
        ticket = deps.workflow.find(workspace_id=deps.people.identity.workspace_id, number=number)
    except WorkflowError:
        return False  # the survey's own checks say what is wrong
    if ticket.merged_into_id is None and ticket.status != TicketStatus.CLOSED:
        return False
    kb.finished_ticket_pressed(deps, body, ticket, fallback="How did we do?")
    return True


def _survey_value(raw: object) -> values.ButtonValue:
    """A survey button's value; a stale or forged one is an error the customer is told."""
    try:
        return values.decode(raw)
    except values.BadValue:
        raise CsatError(GONE) from None


def _rating(value: values.ButtonValue) -> int:
    try:
        return value.extra_number()
    except values.BadValue:
        raise CsatError(GONE) from None


def _show_thanks(deps: Deps, answer: Answer) -> None:
    """Turn the survey message into a thank-you that still lets the customer change it."""
    survey = answer.survey
    if survey.message_ts is None or survey.rating is None:
        return
    lang, commented = language_of(answer.ticket), bool(survey.comment)
    deps.guard.update(
        audience=Audience.CUSTOMER,
        channel=survey.channel_id,
        ts=survey.message_ts,
        text=thanks_text(survey.rating, lang, commented=commented),
        blocks=thanks_blocks(answer.ticket.number, survey.rating, lang, commented=commented),
    )


def _rating_note(answer: Answer) -> str:
    rating = answer.survey.rating
    changed = f" (was {answer.previous})" if answer.previous is not None else ""
    return (
        f":star: CSAT for #{answer.ticket.number}: <@{answer.survey.customer_id}> rated "
        f"{rating}/5{changed}"
    )


def _tell(deps: Deps, body: dict[str, Any], user_id: str, text: str) -> None:
    """An ephemeral note to whoever pressed, in the thread they pressed in."""
    channel_id = (body.get("channel") or {}).get("id")
    if not channel_id:
        return
    thread_ts = (body.get("container") or {}).get("thread_ts")
    extra = {"thread_ts": thread_ts} if thread_ts else {}
    deps.guard.ephemeral(channel=channel_id, user=user_id, text=text, **extra)
