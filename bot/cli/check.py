"""`deskbot check-config`, the Slack part: what do the names in deskbot.yaml stand for, and
are the listed agents and leads really ours?

Runs only when a bot token is configured. Agents and leads must be members of the
installing workspace (a Slack Connect guest listed by mistake is refused by deskbot at
run time); this says so before it matters, and names anyone Slack cannot vouch for.
"""

import logging
import sys
from typing import Any

from bot.cli.run import quiet, unreachable
from bot.config import ConfigError, DeskConfig
from bot.names.resolve import SlackDirectory, names_in, resolve_config
from bot.settings import Settings


def check_names(settings: Settings) -> Settings | None:
    """Resolve and print the config's names (with a bot token); None if one does not resolve."""
    names = names_in(settings.desk)
    if not names:
        return settings
    if settings.slack_bot_token is None:
        written = ", ".join(name for _, name in names[:5]) + (", ..." if len(names) > 5 else "")
        print(f"  names:            not resolved (no SLACK_BOT_TOKEN): {written}")
        return settings
    directory = SlackDirectory(_client(settings))
    try:
        with quiet(logging.getLogger("slack_sdk.web.base_client")):
            desk = resolve_config(settings.desk, directory, source=str(settings.deskbot_config))
    except ConfigError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        return None
    except OSError as error:
        print(unreachable(settings.slack_api_url, error), file=sys.stderr)
        return None
    print(f"  names:            {len(names)} resolved")
    for found in directory.resolutions.values():
        print(f"    {found}")
    return settings.model_copy(update={"desk": desk})


def _client(settings: Settings) -> Any:
    from bot.transport.client import build_web_client

    assert settings.slack_bot_token is not None
    return build_web_client(
        settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )


def people_warnings(settings: Settings) -> list[str]:
    """Warnings about listed agents and leads outside the workspace or not verifiable."""
    from slack_sdk.errors import SlackApiError

    client = _client(settings)
    try:
        workspace = str(client.auth_test()["team_id"])
    except SlackApiError as error:
        return [f"cannot verify agents and leads: Slack refused the token ({_reason(error)})"]
    except OSError as error:
        return [f"cannot verify agents and leads: Slack unreachable ({type(error).__name__})"]
    warnings = []
    for user_id, role in _listed(settings.desk):
        try:
            team = (client.users_info(user=user_id).get("user") or {}).get("team_id")
        except SlackApiError as error:
            warnings.append(f"{role} {user_id}: cannot verify ({_reason(error)})")
            continue
        except OSError as error:
            warnings.append(f"{role} {user_id}: cannot verify ({type(error).__name__})")
            continue
        if team != workspace:
            warnings.append(
                f"{role} {user_id} is not a member of this workspace ({workspace}) but of "
                f"{team or 'an unknown organization'}; deskbot ignores the listing"
            )
    return warnings


def _listed(desk: DeskConfig) -> list[tuple[str, str]]:
    """Each listed person once, with the role they are listed under."""
    roles = {user_id: "lead" for user_id in desk.leads}
    for user_id in desk.agents:
        roles.setdefault(user_id, "agent")
    return list(roles.items())


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    return str(response.get("error")) if response is not None else type(error).__name__
