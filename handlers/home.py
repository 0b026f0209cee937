"""The App Home tab: an agent's queue with the same buttons as the triage card."""

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from handlers.home_blocks import agent_home, visitor_home

BOT_EVENTS = ("app_home_opened",)
API_METHODS = ("views.publish",)


def register(app: App, deps: Deps) -> None:
    """Publish the home tab whenever someone opens it."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(deps, client, event["user"])


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    """Render and publish a user's home tab."""
    if not deps.people.is_agent(user_id):
        client.views_publish(user_id=user_id, view=visitor_home())
        return
    workspace = deps.people.identity.workspace_id
    queues = {
        name: deps.workflow.list_queue(workspace_id=workspace, name=name, agent_id=user_id)
        for name in ("mine", "unassigned", "breaching")
    }
    view = agent_home(queues["mine"], queues["unassigned"], queues["breaching"])
    client.views_publish(user_id=user_id, view=view)
