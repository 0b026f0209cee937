"""deskbot.yaml: every key optional, wrong keys and values named at start."""

from datetime import time, timedelta

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config, parse_config, parse_duration
from bot.settings import load_settings


def test_empty_config_gives_defaults():
    desk = parse_config(None)
    assert desk.support_channels == [] and desk.sla_sweep_seconds == 60
    assert desk.business_hours.start == time(9) and desk.intake.reaction == "ticket"
    assert desk.is_support_channel("C0ANY")


def test_full_config_parses(tmp_path):
    path = tmp_path / "deskbot.yaml"
    path.write_text(
        """
support_channels: [C0HELP]
triage_channel: C0TRIAGE
leads_channel: C0LEADS
agents: [UAGENT1]
agents_usergroup: S0SUPPORT
leads: [ULEAD1]
business_hours: {timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "08:30",
                 end: "17:00", holidays: [2026-12-24, 2026-12-25]}
sla_policies:
  - {name: urgent, priorities: [urgent], first_response: 30m, resolution: 4h}
  - {name: default, first_response: 4h, next_response: 8h, resolution: 3d, business_hours: true}
sla_sweep_seconds: 30
suggestions: {max: 3, min_score: 70}
knowledge_dir: ./kb
costs: {monthly_spend: 12000, currency: EUR}
intake: {reaction: eyes}
""",
        encoding="utf-8",
    )
    desk = load_config(path)
    assert desk.business_hours.start == time(8, 30)
    assert desk.sla_policies[1].resolution == timedelta(days=3)
    assert not desk.is_support_channel("C0TRIAGE") and desk.is_support_channel("C0HELP")


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"suport_channels": ["C0HELP"]}, "unknown key 'suport_channels'"),
        ({"business_hours": {"timezone": "Mars/Olympus"}}, "business_hours.timezone"),
        ({"business_hours": {"start": "25:00"}}, "business_hours.start"),
        (
            {"sla_policies": [{"name": "x", "first_response": "soon"}]},
            "sla_policies.0.first_response",
        ),
        ({"sla_policies": [{"name": "x", "bogus": 1}]}, "unknown key 'sla_policies.0.bogus'"),
        ({"triage_channel": "triage"}, "a name like #support, got 'triage'"),
        ({"agents_usergroup": "#support"}, "agents_usergroup"),
        ({"routing": {"channels": {"help": {}}}}, "routing.channels.help"),
        ({"agents": ["alice"]}, "agents.0"),
        ({"sla_sweep_seconds": 0}, "sla_sweep_seconds"),
        ({"suggestions": {"min_score": 150}}, "suggestions.min_score"),
    ],
)
def test_wrong_key_or_value_is_named(data, named):
    with pytest.raises(ConfigError) as raised:
        parse_config(data)
    assert named in str(raised.value)


def test_durations():
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("3d") == timedelta(days=3)
    for bad in ("", "abc", "5", "0m", "3x", 5):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_run_refuses_to_start_with_a_bad_config(workdir, capsys):
    (workdir / "deskbot.yaml").write_text("triage_chanel: C0TRIAGE\n")
    assert main(["run", "--port", "0"]) == 2
    assert "unknown key 'triage_chanel'" in capsys.readouterr().err


def test_explicit_config_path_must_exist(workdir, monkeypatch, capsys):
    monkeypatch.setenv("DESKBOT_CONFIG", str(workdir / "missing.yaml"))
    assert main(["check-config"]) == 2
    assert "missing.yaml: config file not found" in capsys.readouterr().err


def test_settings_read_environment(workdir, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@db/deskbot")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    (workdir / "deskbot.yaml").write_text("triage_channel: C0TRIAGE\n")
    settings = load_settings()
    assert settings.socket_mode and settings.desk.triage_channel == "C0TRIAGE"
    assert settings.database_url == "postgresql://postgres@db/deskbot"
    assert "xapp-1" not in repr(settings)


def test_run_without_slack_credentials_says_what_to_set(workdir, capsys):
    assert main(["run", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN is not set" in err and "docs/admin-guide.md" in err
    assert not (workdir / "deskbot.db").exists()  # nothing created before the check


def test_run_with_slack_unreachable_says_what_to_check(workdir, monkeypatch, capsys):
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s" * 32)
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{port}/api/")
    assert main(["--log-level", "WARNING", "run", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"cannot reach Slack at http://127.0.0.1:{port}/api/" in err
    assert "SLACK_API_URL" in err and "proxy" in err


def test_check_config_without_a_file_does_not_say_ok(workdir, capsys):
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert ": OK" not in out and "valid" not in out
    assert "deskbot.yaml: no such file; every setting is its default" in out
    # A desk with nothing set is told what it would miss on its first day.
    for missing in ("no agents", "no sla_policies", "no triage_channel", "no knowledge_dir"):
        assert f"warning: {missing}" in out


def test_check_config_names_the_knowledge_base_and_counts_its_articles(workdir, capsys):
    articles = workdir / "kb"
    articles.mkdir()
    for n in (1, 2):
        (articles / f"a{n}.md").write_text(f"---\nid: a{n}\ntitle: Article {n}\n---\nBody {n}.\n")
    (workdir / "deskbot.yaml").write_text(
        "agents: [UAGENT1]\ntriage_channel: C0TRIAGE\nknowledge_dir: kb\n"
        "sla_policies: [{name: std, first_response: 1h}]\n"
    )
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "deskbot.yaml: valid" in out
    assert "knowledge base:   kb, 2 articles" in out
    assert "warning" not in out


def test_check_config_says_when_the_sample_articles_are_in_use(workdir, capsys):
    (workdir / "deskbot.yaml").write_text("knowledge_dir: sample\n")
    assert main(["check-config"]) == 0
    assert "the sample articles (a fictional product)" in capsys.readouterr().out


def test_retention_takes_a_duration_and_check_config_states_it(workdir, capsys):
    assert parse_config({}).retention.message_text is None  # text is kept unless asked
    keep = parse_config({"retention": {"message_text": "365d"}}).retention.message_text
    assert keep is not None and keep.days == 365
    with pytest.raises(ConfigError, match=r"retention\.message_text: expected a duration"):
        parse_config({"retention": {"message_text": "a year"}})
    with pytest.raises(ConfigError, match=r"unknown key 'retention\.messages'"):
        parse_config({"retention": {"messages": "30d"}})
    assert main(["check-config"]) == 0
    assert "message text:     kept (retention.message_text)" in capsys.readouterr().out
    (workdir / "deskbot.yaml").write_text("retention: {message_text: 400d}\n")
    assert main(["check-config"]) == 0
    assert "message text:     redacted after 400d" in capsys.readouterr().out
