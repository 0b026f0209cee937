"""`deskbot demo` on the command line: starts, plays the day, says where things are."""

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import demo as demo_cli
from bot.cli.main import main
from bot.demo.workspace import demo_morning


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
    assert f"cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err


def test_a_port_out_of_range_is_an_argparse_error_not_a_traceback(no_blocking, capsys):
    with pytest.raises(SystemExit) as ended:
        main(["demo", "--port", "99999"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "99999 is not a port (use 1-65535)" in err and "Traceback" not in err


def test_a_port_in_use_is_one_line_and_the_host_is_chosen(no_blocking, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", "--host", "127.0.0.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"deskbot demo: cannot listen on 127.0.0.1 port {port}: ")
    assert err.count("\n") == 1 and "try another, e.g. --port 8181" in err
    assert "Traceback" not in err
    assert main(["demo", "--host", "0.0.0.0", "--port", "0"]) == 0
    assert "workspace at http://127.0.0.1:" in capsys.readouterr().out


def test_the_temporary_folder_is_removed_on_exit_and_on_ctrl_c(monkeypatch, workdir, capsys):
    monkeypatch.setattr(demo_cli, "serve_until_interrupted", lambda: None)
    assert main(["demo", "--port", "0"]) == 0
    first = _database_folder(capsys.readouterr().out)

    def interrupt() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_cli, "serve_until_interrupted", interrupt)
    assert main(["demo", "--port", "0"]) == 0
    second = _database_folder(capsys.readouterr().out)
    assert first != second and not first.exists() and not second.exists()


def test_the_demo_day_starts_at_nine_business_time_even_at_night(no_blocking, capsys, monkeypatch):
    night = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
    monkeypatch.setattr(demo_cli, "utc_now", lambda: night)
    assert main(["demo", "--port", "0"]) == 0
    assert "demo clock: Mon 07 Dec 09:00 (UTC), 30x real time" in capsys.readouterr().out
    later = datetime(2026, 12, 7, 23, 50, tzinfo=UTC)
    assert demo_morning(later) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _database_folder(out: str) -> Path:
    line = next(line for line in out.splitlines() if "database:" in line)
    return Path(line.split("database:")[1].split(" (SQLite")[0].strip()).parent
