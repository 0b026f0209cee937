"""`deskbot demo` on the command line: starts, plays the day, says where things are."""

import socket

import pytest

from bot.cli import demo as demo_cli
from bot.cli.main import main


@pytest.fixture
def no_blocking(monkeypatch: pytest.MonkeyPatch, workdir) -> list[str]:
    """Return at once where the demo would serve until Ctrl-C; note that it got there."""
    reached: list[str] = []
    monkeypatch.setattr(demo_cli, "serve_until_interrupted", lambda: reached.append("served"))
    return reached


def test_demo_scenario_day_prints_the_transcript_then_serves(no_blocking, capsys):
    assert main(["demo", "--port", "0", "--scenario", "day"]) == 0
    out = capsys.readouterr().out
    assert "workspace at http://127.0.0.1:" in out
    assert "demo.db (SQLite, fresh for this run)" in out
    assert "== 09:00 Carla asks in English" in out
    assert "Yuki Tanaka in #help-acme: Oktaでサインインした後" in out
    assert "deskbot → #support-leads: *SLA: 1 ticket needs attention*" in out
    assert "The day is over; explore it at" in out
    assert no_blocking == ["served"]


def test_demo_needs_no_slack_settings_and_refuses_bad_input(no_blocking, capsys):
    assert main(["demo", "--port", "0"]) == 0  # no SLACK_* variables in workdir
    assert main(["demo", "--speed", "-1"]) == 2
    assert "--speed must be 0 or more" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    assert f"cannot listen on port {port}" in capsys.readouterr().err
