"""The App Home tab: an agent's queue with the same buttons as the triage card."""

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from bot.deps import Deps
from handlers.blocks.cards import Block
from handlers.blocks.home import PER_SECTION, agent_home, visitor_home
from handlers.blocks.kpi import lead_home_blocks
from handlers.slack.gates import bind, gate
from store.models import Ticket

LEAD_PER_SECTION = 10  # leaves room for the KPI card within the 100-block view limit

BOT_EVENTS = ("app_home_opened",)
API_METHODS = ("views.publish",)


def register(app: App, deps: Deps) -> None:
    """Publish the home tab whenever someone opens it: agents see their queue."""
    app.event(
        "app_home_opened",
        matchers=[_home_tab],
        middleware=[gate(deps.people.is_agent, _visitor_home)],
    )(bind(on_home_opened, deps))


def on_home_opened(deps: Deps, event: dict[str, Any], client: WebClient) -> None:
    """An agent opened the home tab."""
    publish_home(deps, client, event["user"])


def _home_tab(event: dict[str, Any]) -> bool:
    return event.get("tab", "home") == "home"  # not the Messages tab


def _visitor_home(
    ack: Ack, _body: dict[str, Any], user_id: str | None, client: WebClient
) -> BoltResponse:
    """Anyone who is not an agent sees what the bot is for, not a queue."""
    acked = ack()
    if user_id is not None:
        client.views_publish(user_id=user_id, view=visitor_home())
    return acked


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Render and publish an agent's home tab (listeners are gated: agents only)."""
    workspace = deps.people.identity.workspace_id
    queues = {
        name: deps.workflow.list_queue(workspace_id=workspace, name=name, agent_id=user_id)
        for name in ("mine", "unassigned", "breaching")
    }
    top = lead_card(deps, user_id) if deps.people.is_lead(user_id) else None
    view = agent_home(
        queues["mine"],
        queues["unassigned"],
        queues["breaching"],
        now=deps.clock(),
        viewer=user_id,
        top=top,
        per_section=LEAD_PER_SECTION if top else PER_SECTION,
    )
    client.views_publish(user_id=user_id, view=view)


def lead_card(deps: Deps, user_id: str) -> list[Block]:
    """A lead's summary card for the last 7 days and the tickets breaching now."""
    summary = deps.kpi.report(deps.kpi.query("summary", "7d"))
    return lead_home_blocks(summary, one_row_per_ticket(deps.kpi.breaching()), deps.clock())


def one_row_per_ticket(
    breaching: list[tuple[Ticket, str, datetime]],
) -> list[tuple[Ticket, str, datetime]]:
    """A ticket late on two targets is one ticket breaching: one row, its targets named
    together, due at the earliest (the list comes most overdue first)."""
    rows: dict[int, tuple[Ticket, list[str], datetime]] = {}
    for ticket, target, due in breaching:
        if ticket.number in rows:
            rows[ticket.number][1].append(target)
        else:
            rows[ticket.number] = (ticket, [target], due)
    return [(ticket, " and ".join(targets), due) for ticket, targets, due in rows.values()]
