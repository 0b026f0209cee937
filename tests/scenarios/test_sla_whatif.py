"""`deskbot sla whatif`: stored tickets replayed against proposed and current policies."""

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli.main import build_parser, main
from bot.clock import datetime_to_ts
from bot.config import parse_config
from bot.sla.replay import TicketHistory, replay
from store import sla_targets
from tests.conftest import ACME, AGENT, CUSTOMER, DEFAULT_CONFIG, HELP, TRIAGE
from tests.support.harness import MutableClock, RunningBot

CURRENT = {
    "sla_policies": [
        {"name": "standard", "first_response": "1h", "next_response": "1h", "resolution": "1d"}
    ],
    "suggestions": {"max": 0},
}
PROPOSED = {
    "sla_policies": [
        {"name": "fast", "first_response": "30m", "next_response": "30m", "resolution": "4h"}
    ]
}
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def say(bot: RunningBot, clock: MutableClock, user: str, text: str, thread: str | None = None):
    ts = datetime_to_ts(clock.now)
    team = ACME if user == CUSTOMER else None
    bot.driver.message(channel=HELP, user=user, team=team, text=text, ts=ts, thread_ts=thread)
    bot.drain()
    return ts


def command(bot: RunningBot, text: str) -> None:
    bot.driver.command("/ticket", text, user=AGENT, channel=TRIAGE)
    bot.drain()


def seed(bot: RunningBot, clock: MutableClock) -> None:
    """Four tickets over two days: replies, a ping, pending, resolve, a reopening."""
    clock.now = MONDAY
    one = say(bot, clock, CUSTOMER, "Login fails")
    clock.advance(minutes=20)
    say(bot, clock, AGENT, "Looking", one)  # in time for both
    clock.advance(minutes=100)
    command(bot, "resolve #1")  # 2h after creation: in time for both
    clock.now = MONDAY.replace(hour=10)
    two = say(bot, clock, CUSTOMER, "Export broken")
    clock.advance(minutes=50)
    say(bot, clock, AGENT, "Checking", two)  # 50m: late for 30m
    clock.advance(minutes=10)
    say(bot, clock, CUSTOMER, "Any news?", two)
    clock.advance(minutes=5)
    say(bot, clock, CUSTOMER, "thanks", two)  # small talk: not a new wait
    clock.advance(minutes=40)
    say(bot, clock, AGENT, "Fixed", two)  # 45m after the question
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    say(bot, clock, CUSTOMER, "Invoices missing")  # never answered
    clock.advance(hours=1)
    four = say(bot, clock, CUSTOMER, "Password reset")
    clock.advance(minutes=10)
    say(bot, clock, AGENT, "Can you send a screenshot?", four)
    command(bot, "pending #4")
    clock.advance(hours=5)
    command(bot, "resolve #4")
    clock.advance(hours=1)
    say(bot, clock, CUSTOMER, "Still broken", four)  # reopens #4
    clock.advance(hours=2)
    command(bot, "resolve #4")
    clock.now = NOW


def whatif(tmp_path: Path, db_url: str, *argv: str, policy: dict | None = None):
    path = tmp_path / "proposal.yaml"
    path.write_text(yaml.safe_dump(policy if policy is not None else PROPOSED))
    args = build_parser().parse_args(["sla", "whatif", "--policy", str(path), *argv])
    from bot.cli.sla import run_sla

    out, err = io.StringIO(), io.StringIO()
    code = run_sla(
        args,
        desk=parse_config({**DEFAULT_CONFIG, **CURRENT}),
        database_url=db_url,
        clock=lambda: NOW,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def seeded(start_deskbot, clock, db) -> str:
    bot = start_deskbot(CURRENT)
    seed(bot, clock)
    return db.url.render_as_string(hide_password=False)


def test_current_side_matches_the_live_sla_targets(seeded, db, tmp_path):
    code, out, err = whatif(tmp_path, seeded, "--since", "2026-11-23", "--until", "2026-11-24",
                            "--format", "json")  # fmt: skip
    assert code == 0 and "replayed 4/4 tickets" in err
    rows = json.loads(out)["rows"]
    replayed = {
        (r["key"], r["target"]): r["breached"]
        for r in rows
        if r["side"] == "current" and r["by"] == "day"
    }
    from sqlmodel import Session

    with Session(db) as session:
        for target in ("first_response", "next_response", "resolution"):
            live = sla_targets.breaches_per_day(
                session,
                target=target,
                first_day=date(2026, 11, 23),
                last_day=date(2026, 11, 26),
                timezone="UTC",
                now=NOW,
            )
            for day, count in live.items():
                assert replayed.get((day.isoformat(), target), 0) == count, (day, target)
    totals = {(r["side"], r["target"]): r for r in rows if r["by"] == "total"}
    assert totals["current", "first_response"]["breached"] == 1  # only #3
    assert totals["proposed", "first_response"]["breached"] == 2  # #2 at 50m, #3
    assert totals["proposed", "next_response"]["clocks"] == 2  # #2's wait, #4 after reopening
    assert totals["current", "resolution"]["clocks"] == 5  # #4 twice
    assert totals["proposed", "resolution"]["breached"] == 2  # #2, #3; #4 paused while pending


def test_text_and_csv_show_policies_days_and_totals(seeded, tmp_path):
    chart = tmp_path / "whatif.png"
    code, out, err = whatif(tmp_path, seeded, "--since", "2026-11-23", "--until", "2026-11-24",
                            "--chart", str(chart))  # fmt: skip
    assert code == 0 and f"chart written to {chart}" in err
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "SLA what-if: 4 tickets created 2026-11-23..2026-11-24" in out
    assert "current   standard  first_response" in out and "proposed  fast" in out
    assert "2026-11-23" in out and "total" in out and "->" in out and "%" in out
    code, out, _ = whatif(tmp_path, seeded, "--since", "2026-11-23", "--until", "2026-11-23",
                          "--format", "csv")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["side"] for r in rows} == {"current", "proposed"}
    first = next(r for r in rows if r["by"] == "total" and r["target"] == "first_response"
                 and r["side"] == "proposed")  # fmt: skip
    assert (first["clocks"], first["breached"], first["within_pct"]) == ("2", "1", "50.0")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"sla_policies": [{"name": "x", "first_respons": "1h"}]}, "sla_policies.0.first_respons"),
        ({"sla_policies": [{"name": "x", "resolution": "soon"}]}, "sla_policies.0.resolution"),
        ({"business_hours": {"timezone": "UTC"}}, "sla_policies: the file proposes no policies"),
        ({"sla_policy": []}, "unknown key 'sla_policy'"),
    ],
)
def test_bad_policy_files_name_the_key(db, tmp_path, policy, message):
    code, out, err = whatif(tmp_path, db.url.render_as_string(hide_password=False), policy=policy)
    assert code == 2 and out == "" and message in err


def test_bad_dates_are_refused(db, tmp_path):
    url = db.url.render_as_string(hide_password=False)
    assert "not a date" in whatif(tmp_path, url, "--since", "last tuesday")[2]
    assert "before --since" in whatif(tmp_path, url, "--since", "2026-11-20", "--until",
                                      "2026-11-01")[2]  # fmt: skip


def test_command_line_entry_point(seeded, tmp_path, monkeypatch, capsys):
    config = tmp_path / "deskbot.yaml"
    config.write_text(yaml.safe_dump({**DEFAULT_CONFIG, **CURRENT}))
    proposal = tmp_path / "proposal.yaml"
    proposal.write_text(yaml.safe_dump(PROPOSED))
    monkeypatch.setenv("DESKBOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", seeded)
    argv = ["sla", "whatif", "--policy", str(proposal), "--since", "2026-11-23", "--format", "json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["tickets"] == 4


def test_replay_is_pure_and_stops_clocks_at_resolution():
    policies = parse_config(PROPOSED).sla_policies
    hours = parse_config({}).business_hours
    history = TicketHistory(
        ticket_id=1,
        channel_id=HELP,
        priority="normal",
        created_at=MONDAY,
        pauses=[(MONDAY.replace(minute=10), MONDAY.replace(hour=10))],
        resolutions=[MONDAY.replace(hour=11)],
    )
    outcomes = {o.target: o for o in replay(policies, hours, history)}
    # 10 minutes before the pause, 20 after it: first response due 10:20, resolved 11:00.
    assert outcomes["first_response"].due == MONDAY.replace(hour=10, minute=20)
    assert outcomes["first_response"].breached(NOW)
    assert outcomes["resolution"].due == MONDAY.replace(hour=13, minute=50)
    assert not outcomes["resolution"].breached(NOW)
