"""`--log-format json`: one JSON object a line for log shippers, and never a token in one."""

import json
import logging

from bot import logs
from bot.cli.main import main
from bot.logs import configure_logging
from tests.conftest import ACME, CUSTOMER, HELP

TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # shaped like a signing secret: known by value


def records(err: str) -> list[dict]:
    lines = err.splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def test_each_line_is_one_json_object_with_tokens_and_secrets_scrubbed(capfd):
    logs.remember_secret(SECRET)
    configure_logging("INFO", "json")
    logger = logging.getLogger("deskbot.test")
    logger.info("stored %d events", 3)
    try:
        raise RuntimeError(f"Slack said no to {TOKEN} signed with {SECRET}")
    except RuntimeError:
        logger.exception("call failed\nsecond line of the message")
    logger.warning("extra fields", extra={"token": TOKEN}, stack_info=True)
    err = capfd.readouterr().err
    assert TOKEN not in err and SECRET not in err and "xoxb-" not in err
    info, failure, warning = records(err)
    assert (info["level"], info["logger"], info["message"]) == (
        "INFO",
        "deskbot.test",
        "stored 3 events",
    )
    assert info["time"].endswith("+00:00")  # UTC, ISO 8601
    assert failure["message"] == "call failed\nsecond line of the message"
    assert (
        "RuntimeError: Slack said no to [redacted-token] signed with [redacted-token]"
        in (failure["exc_info"])
    )
    assert warning["token"] == "[redacted-token]" and "stack_info" in warning


def test_a_listener_failure_quoting_a_token_is_logged_as_json_without_it(
    deskbot, monkeypatch, capfd
):
    configure_logging("INFO", "json")
    deskbot.allow_listener_errors = True

    def failing(*_args, **_kwargs):
        raise PermissionError(f"invalid_auth for token {TOKEN}")

    monkeypatch.setattr(deskbot.app.runtime.deps.intake, "receive_message", failing)
    deskbot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Login loops")
    deskbot.drain()
    err = capfd.readouterr().err
    assert "xoxb-" not in err
    failures = [r for r in records(err) if r["message"].startswith("listener failed")]
    assert (
        failures
        and "PermissionError: invalid_auth for token [redacted-token]" in (failures[0]["exc_info"])
    )


def test_the_environment_chooses_json_and_the_flag_wins(workdir, monkeypatch, capfd):
    monkeypatch.setenv("DESKBOT_LOG_FORMAT", "json")
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # and Slack is unreachable: an error line
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    assert main(["run", "--port", "0"]) == 2
    err = capfd.readouterr().err
    assert TOKEN not in err
    ready = [line for line in err.splitlines() if "database ready" in line]
    assert len(ready) == 1 and json.loads(ready[0])["level"] == "INFO"
    assert main(["--log-format", "text", "run", "--port", "0"]) == 2
    ready = [line for line in capfd.readouterr().err.splitlines() if "database ready" in line]
    assert len(ready) == 1 and " INFO deskbot: database ready" in ready[0]


def test_an_unknown_log_format_in_the_environment_is_one_clear_error(workdir, monkeypatch, capsys):
    monkeypatch.setenv("DESKBOT_LOG_FORMAT", "xml")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert "environment: invalid configuration" in err and "deskbot_log_format" in err
    assert "Traceback" not in err
