"""Logging setup for the CLI, with Slack tokens and secrets scrubbed from every record."""

import logging
import re
from typing import Any

_TOKEN = re.compile(r"\bxox[abprse]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
REDACTED = "[redacted-token]"
# The configured secrets themselves (the signing secret is 32 hex digits, shaped like
# any hash, so it is recognised by value, not by shape).
_SECRETS: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Scrub this exact value from every record from now on (a secret shorter than 8
    characters is left alone: it would blank out ordinary words)."""
    if value and len(value) >= 8:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Scrub Slack tokens and remembered secrets from a string."""
    text = _TOKEN.sub(REDACTED, text)
    for secret in _SECRETS:
        text = text.replace(secret, REDACTED)
    return text


class RedactTokens(logging.Filter):
    """Replaces anything shaped like a Slack token, or a remembered secret, with a
    placeholder: in the message, in the formatted traceback and in the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops a record."""
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is formatted
            # once here, scrubbed (an exception's message may quote a token or a URL
            # with one), and the scrubbed text is what every handler prints.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _RedactedText(logging.Formatter):
    """The plain format, scrubbed once more as a whole line (whatever a field held)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _json_formatter() -> logging.Formatter:
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, exc_info and
    any `extra` fields; scrubbed field by field and again as a whole line."""
    from pythonjsonlogger.json import JsonFormatter

    class RedactedJson(JsonFormatter):
        def formatException(self, ei: Any) -> str:
            return redact(super().formatException(ei))

        def formatStack(self, stack_info: str) -> str:
            return redact(super().formatStack(stack_info))

        def format(self, record: logging.LogRecord) -> str:
            return redact(super().format(record))

    return RedactedJson(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def configure_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Log to stderr with tokens redacted, as text or JSON lines (called by the CLI, never
    at import)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(_json_formatter())
    else:
        handler.setFormatter(_RedactedText("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
    # APScheduler logs "Running job" and "executed successfully" at INFO for every beat of
    # every job (two lines a second, forever); a service logs its events, not its timers.
    # Asked for DEBUG, the chatter is shown.
    if root.getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    else:
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
