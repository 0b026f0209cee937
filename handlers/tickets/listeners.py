"""`/ticket` and the triage card's buttons: how agents work tickets from Slack."""

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.mentions import NameNotResolved
from bot.text import from_slack
from bot.tickets.workflow import Change, WorkflowError
from handlers.blocks import values
from handlers.blocks.conversations import merge_details_blocks
from handlers.blocks.tickets import ticket_details_blocks, ticket_list_blocks
from handlers.home import publish_home
from handlers.routing import availability_answer, away_note
from handlers.slack.effects import merge_summary
from handlers.slack.gates import agents_only, bind
from handlers.threads import ticket_from_thread
from handlers.tickets.commands import USAGE, TicketCommand, UsageError, parse_ticket_command

logger = logging.getLogger(__name__)

COMMANDS = ("/ticket",)
API_METHODS = ("chat.postEphemeral", "users.list")
NOT_AN_AGENT = (
    "Only support agents can work tickets. If you need help, ask in a support channel "
    "and an agent will pick it up."
)
CLAIM_SHORTCUT = "claim_ticket"
SHORTCUTS = (CLAIM_SHORTCUT,)
BUTTON_ACTIONS = ("ticket_claim", "ticket_resolve", "ticket_reopen", "ticket_priority")
STALE_BUTTON = "That button no longer points at a ticket."


def register(app: App, deps: Deps) -> None:
    """The `/ticket` command, the ticket buttons and the claim shortcut, agents only."""
    agents = [agents_only(deps, NOT_AN_AGENT)]
    app.command("/ticket", middleware=agents)(bind(on_ticket, deps))
    for action_id in BUTTON_ACTIONS:
        app.action(action_id, middleware=agents)(bind(on_button, deps))
    app.shortcut(CLAIM_SHORTCUT, middleware=agents)(bind(on_claim_shortcut, deps))


def on_ticket(deps: Deps, ack: Ack, command: dict[str, Any]) -> None:
    """`/ticket ...`: answered in the acknowledgement; the team hears of changes after."""
    user_id = command["user_id"]
    with deps.events.held(by_command=True):  # the card, thread and survey follow the answer
        try:
            # Escaped by Slack (the manifest's should_escape), so mentions arrive as ids and
            # `&`, `<`, `>` as entities: notes and tags are stored as the agent typed them.
            request = parse_ticket_command(
                from_slack(command.get("text") or ""), thread_number=_thread_number(deps, command)
            )
            answer = _execute(deps, request, user_id)
        except UsageError as error:
            ack(text=f"{error}\n\n{USAGE}")
            return
        except WorkflowError as error:
            ack(text=str(error))
            return
        ack(**answer)


def on_button(
    deps: Deps, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
) -> None:
    """Claim, Resolve, Reopen or a priority, on a triage card or the home tab."""
    ack()
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    try:
        _press(deps, action, user_id)
    except WorkflowError as error:
        if channel_id:
            deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))
        return
    if (body.get("view") or {}).get("type") == "home":
        publish_home(deps, client, user_id)


def on_claim_shortcut(deps: Deps, ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
    """The "Claim ticket" message shortcut: a message with no ticket yet becomes one."""
    # Slash commands cannot be used in threads; this message shortcut can, on any
    # message of a ticket's thread.
    ack()
    user_id = shortcut["user"]["id"]
    channel_id = shortcut["channel"]["id"]
    message = shortcut.get("message") or {}
    ts = message.get("thread_ts") or shortcut["message_ts"]
    with deps.events.held():  # the agent is answered first, then the card follows
        try:
            ticket = ticket_from_thread(
                deps,
                client,
                channel_id=channel_id,
                ts=ts,
                user_id=user_id,
                event_id=None,
                route=False,  # the agent claims it right away
            )
            change = deps.workflow.claim(
                workspace_id=deps.people.identity.workspace_id,
                number=ticket.number,
                agent_id=user_id,
            )
        except WorkflowError as error:
            deps.guard.ephemeral(channel=channel_id, user=user_id, text=str(error))
            return
        deps.guard.ephemeral(channel=channel_id, user=user_id, text=change.summary)


def _thread_number(deps: Deps, command: dict[str, Any]) -> int | None:
    """In a ticket's thread, the ticket's number (when Slack says which thread)."""
    thread_ts = command.get("thread_ts")
    if not thread_ts:
        return None
    ticket = deps.workflow.ticket_of_message(channel_id=command["channel_id"], ts=thread_ts)
    return ticket.number if ticket else None


def _execute(deps: Deps, request: TicketCommand, user_id: str) -> dict[str, Any]:
    """Run a parsed command; return the ephemeral answer (changes emit their own events)."""
    workspace = deps.people.identity.workspace_id
    flow = deps.workflow
    if request.name == "help":
        return {"text": USAGE}
    if request.name == "list":
        tickets = flow.list_queue(workspace_id=workspace, name=request.argument, agent_id=user_id)
        blocks = ticket_list_blocks(request.argument, tickets)
        return {"text": f"{len(tickets)} tickets", "blocks": blocks}
    if request.name in ("away", "back"):
        return availability_answer(deps, request.name, request.argument, user_id)
    assert request.number is not None
    number = request.number
    if request.name == "show":
        details = flow.details(workspace_id=workspace, number=number)
        merges = merge_details_blocks(
            deps.merger.facts(details.ticket, history=True), deps.orgs.name
        )
        ticket_id = details.ticket.id
        late = deps.sweeper.late(ticket_id=ticket_id) if ticket_id is not None else {}
        blocks = ticket_details_blocks(details, now=deps.clock(), late=late) + merges
        return {"text": f"Ticket #{number}", "blocks": blocks}
    if request.name == "merge":
        result = deps.merger.merge(
            workspace_id=workspace, into=number, source=int(request.argument), actor_id=user_id
        )
        return {"text": merge_summary(deps, result.target, result.source, result.moved)}
    if request.name == "answer":
        ticket = flow.find(workspace_id=workspace, number=number)
        added = deps.suggestions.learn(ticket=ticket, article_id=request.argument)
        flow.add_note(
            workspace_id=workspace,
            number=number,
            actor_id=user_id,
            text=f"answered by article {request.argument}",
        )
        verb = "learned" if added else "already knew"
        return {"text": f"Thanks: suggestions {verb} that `{request.argument}` answers #{number}."}
    if request.name == "assign" and request.argument.startswith("@"):
        try:  # a plain name, as people type it: the directory says who it is
            request = replace(request, argument=deps.user_names.resolve(request.argument))
        except NameNotResolved as error:
            raise WorkflowError(str(error)) from None
    if request.name == "assign" and not deps.people.is_agent(request.argument):
        raise WorkflowError(f"<@{request.argument}> is not an agent, so cannot hold tickets.")
    operations: dict[str, Callable[[], Change]] = {
        "claim": lambda: flow.claim(workspace_id=workspace, number=number, agent_id=user_id),
        "assign": lambda: flow.assign(
            workspace_id=workspace, number=number, actor_id=user_id, assignee_id=request.argument
        ),
        "unassign": lambda: flow.unassign(workspace_id=workspace, number=number, actor_id=user_id),
        "pending": lambda: flow.pending(workspace_id=workspace, number=number, actor_id=user_id),
        "resolve": lambda: flow.resolve(
            workspace_id=workspace, number=number, actor_id=user_id, note=request.argument or None
        ),
        "reopen": lambda: flow.reopen(workspace_id=workspace, number=number, actor_id=user_id),
        "priority": lambda: flow.set_priority(
            workspace_id=workspace, number=number, actor_id=user_id, priority=request.argument
        ),
        "type": lambda: flow.add_type(
            workspace_id=workspace, number=number, actor_id=user_id, raw_tag=request.argument
        ),
        "link": lambda: flow.add_link(
            workspace_id=workspace, number=number, actor_id=user_id, ref=request.argument
        ),
        "note": lambda: flow.add_note(
            workspace_id=workspace, number=number, actor_id=user_id, text=request.argument
        ),
    }
    change = operations[request.name]()
    if request.name == "assign" and change.changed:
        return {"text": change.summary + away_note(deps, request.argument)}
    return {"text": change.summary}


def _press(deps: Deps, action: dict[str, Any], user_id: str) -> Change:
    """Carry out a button press or priority choice; values carry the ticket number."""
    workspace = deps.people.identity.workspace_id
    action_id = action.get("action_id")
    raw = (action.get("selected_option") or {}).get("value") or action.get("value")
    try:
        value = values.decode(raw)
    except values.BadValue:
        raise WorkflowError(STALE_BUTTON) from None
    number, priority = value.number, value.extra
    if action_id == "ticket_claim":
        return deps.workflow.claim(workspace_id=workspace, number=number, agent_id=user_id)
    if action_id == "ticket_resolve":
        return deps.workflow.resolve(workspace_id=workspace, number=number, actor_id=user_id)
    if action_id == "ticket_reopen":
        return deps.workflow.reopen(workspace_id=workspace, number=number, actor_id=user_id)
    return deps.workflow.set_priority(
        workspace_id=workspace, number=number, actor_id=user_id, priority=priority
    )
