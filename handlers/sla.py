"""Delivering SLA digests through the leak guard (the sweep itself is `bot.sla.sweeper`)."""

import logging

from slack_sdk.errors import SlackApiError

from bot.ports import Audience, Poster
from bot.sla.sweeper import Delivery

logger = logging.getLogger(__name__)

API_METHODS = ("chat.postMessage",)


def send_digest(guard: Poster, recipient: str, text: str) -> Delivery:
    """Post one SLA digest: to an agent's DM, or the triage/leads channel; never a shared one."""
    try:
        posted = guard.post(
            audience=Audience.INTERNAL, channel=recipient, text=text, unfurl_links=False
        )
    except (SlackApiError, OSError):  # OSError: the connection failed, or lost the answer
        logger.exception("SLA digest to %s failed; it will be retried", recipient)
        return Delivery.FAILED
    return Delivery.SENT if posted is not None else Delivery.REFUSED
