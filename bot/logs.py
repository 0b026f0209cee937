"""Logging setup for the CLI, with Slack tokens scrubbed from every record."""

import logging
import re

_TOKEN = re.compile(r"\bxox[abprse]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")


class RedactTokens(logging.Filter):
    """Replaces anything shaped like a Slack token with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message in place; never drops a record."""
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = _TOKEN.sub("[redacted-token]", message), None
        return True


def redact(text: str) -> str:
    """Scrub Slack tokens from a string."""
    return _TOKEN.sub("[redacted-token]", text)


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr with tokens redacted (called by the CLI, never at import)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
