"""The what-if replay of the current policies agrees with what the bot recorded live.

Random ticket lives (replies, pings, pleasantries, pending, resolve, reopen) are driven
over HTTP; then `deskbot sla whatif` with the current policies must find exactly the
clocks and breaches that `sla_target` holds, per target and per day.
"""

import io
import json
import random
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import Session, select

from bot.cli.main import build_parser
from bot.cli.sla import run_sla
from bot.clock import datetime_to_ts
from bot.config import parse_config
from store.models import SlaTarget
from tests.conftest import (
    ACME,
    AGENT,
    COLLEAGUE,
    CUSTOMER,
    DEFAULT_CONFIG,
    HELP,
    INTERNAL_HELP,
    TRIAGE,
)
from tests.support.harness import MutableClock, RunningBot

POLICIES = {
    "business_hours": {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
    "sla_policies": [
        {
            "name": "acme",
            "channels": [HELP],
            "first_response": "30m",
            "next_response": "30m",
            "resolution": "3h",
            "business_hours": True,
        },
        {"name": "internal", "first_response": "1h", "next_response": "45m", "resolution": "4h"},
    ],
    "suggestions": {"max": 0},
}
ACTIONS = ["agent", "agent", "customer", "ping", "thanks", "pending", "resolve", "reopen", "claim"]
START = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday afternoon in Berlin


def live(bot: RunningBot, clock: MutableClock, rng: random.Random, tickets: int) -> None:
    """Open tickets, then act on random ones at random moments."""
    roots: list[tuple[str, str, str]] = []
    for n in range(tickets):
        channel, user = (HELP, CUSTOMER) if n % 2 else (INTERNAL_HELP, COLLEAGUE)
        ts = datetime_to_ts(clock.now)
        bot.driver.message(channel=channel, user=user, team=_team(user), text=f"Q{n}", ts=ts)
        roots.append((channel, user, ts))
        clock.advance(minutes=rng.randint(1, 40))
    bot.drain()
    for _ in range(tickets * 6):
        number = rng.randrange(tickets) + 1
        channel, user, root = roots[number - 1]
        action = rng.choice(ACTIONS)
        ts = datetime_to_ts(clock.now)
        if action == "agent":
            bot.driver.message(channel=channel, user=AGENT, text="Answer", thread_ts=root, ts=ts)
        elif action in ("customer", "ping", "thanks"):
            text = {"customer": "It still fails", "ping": "Any news?", "thanks": "thanks"}[action]
            bot.driver.message(
                channel=channel, user=user, team=_team(user), text=text, thread_ts=root, ts=ts
            )
        else:
            bot.driver.command("/ticket", f"{action} #{number}", user=AGENT, channel=TRIAGE)
        bot.drain()
        clock.advance(minutes=rng.randint(1, 150))


def _team(user: str) -> str:
    return ACME if user == CUSTOMER else "T0HOME"


@pytest.mark.parametrize("seed", range(1, 9))
def test_replay_of_current_policies_matches_live_targets(start_deskbot, clock, db, tmp_path, seed):
    bot = start_deskbot(POLICIES)
    clock.now = START
    live(bot, clock, random.Random(seed), tickets=6)
    now = clock.now
    with Session(db) as session:
        rows = list(session.exec(select(SlaTarget)))
    zone = "Europe/Berlin"
    expected_clocks = Counter(r.target for r in rows)
    expected_breaches = Counter(
        (r.target, _local_day(r.due_at, zone))
        for r in rows
        if (r.met_at is not None and r.met_at > r.due_at) or (r.met_at is None and r.due_at < now)
    )

    proposal = tmp_path / "same.yaml"
    proposal.write_text(yaml.safe_dump({"sla_policies": POLICIES["sla_policies"]}))
    argv = ["sla", "whatif", "--policy", str(proposal), "--since", "2026-11-01", "--format",
            "json"]  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    desk = parse_config({**DEFAULT_CONFIG, **POLICIES})
    url = db.url.render_as_string(hide_password=False)
    args = build_parser().parse_args(argv)
    assert run_sla(args, desk=desk, database_url=url, clock=lambda: now, out=out, err=err) == 0
    result = json.loads(out.getvalue())
    current = [r for r in result["rows"] if r["side"] == "current"]
    clocks = Counter({r["target"]: r["clocks"] for r in current if r["by"] == "total"})
    breaches = Counter(
        {(r["target"], r["key"]): r["breached"] for r in current if r["by"] == "day"}
    )
    assert clocks == expected_clocks
    assert +breaches == +expected_breaches
    proposed = [r for r in result["rows"] if r["side"] == "proposed"]
    assert [(r["by"], r["key"], r["breached"]) for r in proposed] == [
        (r["by"], r["key"], r["breached"]) for r in current
    ]


def _local_day(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()
