"""Posting the leads' daily digest through the leak guard (the schedule is `bot.daily_digest`)."""

import logging

from slack_sdk.errors import SlackApiError

from bot.daily_digest import DigestReport
from bot.ports import Audience, Poster
from bot.sla.sweeper import Delivery
from handlers.blocks.digest import digest_blocks, digest_text

logger = logging.getLogger(__name__)

API_METHODS = ("chat.postMessage",)


def send_daily_digest(guard: Poster, channel: str, report: DigestReport) -> Delivery:
    """Post the digest to the leads channel; never into a channel shared with customers."""
    try:
        posted = guard.post(
            audience=Audience.INTERNAL,
            channel=channel,
            text=digest_text(report),
            blocks=digest_blocks(report),
            unfurl_links=False,
        )
    except (SlackApiError, OSError):  # OSError: the connection failed, or lost the answer
        logger.exception("daily digest to %s failed; it will be retried", channel)
        return Delivery.FAILED
    return Delivery.SENT if posted is not None else Delivery.REFUSED
