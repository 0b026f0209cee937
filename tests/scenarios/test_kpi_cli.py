"""`deskbot kpi`: the same numbers as /kpi, as text, JSON or CSV, through the real entry point."""

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from store import names
from store.db import session_scope
from tests.support import kpi_dataset as data
from tests.support.kpi_dataset import A1, A2


@pytest.fixture
def cli_env(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dataset in the test database; deskbot pointed at it and at its config."""
    data.load(db)
    config = tmp_path / "deskbot.yaml"
    config.write_text(yaml.safe_dump(data.CONFIG), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DESKBOT_CONFIG", str(config))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `deskbot ...` and capture its output."""
    code = main(["--log-level", "WARNING", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_has_the_same_numbers_as_the_service(cli_env, capsys):
    code, out, _ = run(capsys, "kpi", "sla", "--since", "2026-11-02", "--until", "2026-11-06",
                       "--format", "json")  # fmt: skip
    assert code == 0
    body = json.loads(out)
    assert body["range"]["start"] == "2026-11-01T23:00:00+00:00"
    assert body["figures"]["within"] == 0.6667
    assert body["figures"]["breaches"] == 4
    assert body["tables"]["days"][0] == {
        "day": "2026-11-02", "first_response": 1, "next_response": 0, "resolution": 0,
    }  # fmt: skip


def test_csv_breakdown_by_agent(cli_env, capsys):
    code, out, _ = run(capsys, "kpi", "frt", "--since", "2026-11-02", "--until", "2026-11-06",
                       "--by", "agent", "--format", "csv", "--table", "agent")  # fmt: skip
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["agent", "agent_id", "created", "resolved", "frt_mean",
                       "frt_business_mean", "breaches", "csat", "claimed",
                       "handle_mean"]  # fmt: skip
    assert rows[1][:5] == [A1, A1, "3", "2", "71800.0"]  # never named: the id stands in
    assert rows[2][:5] == [A2, A2, "1", "1", "57600.0"]


def remember(db, kind: str, slack_id: str, name: str) -> None:
    """A name the bot resolved in Slack earlier."""
    with session_scope(db) as session:
        names.remember_name(
            session, kind=kind, slack_id=slack_id, name=name, at=datetime(2026, 11, 1, tzinfo=UTC)
        )


def test_names_the_bot_remembered_show_instead_of_ids(db, cli_env, capsys):
    remember(db, names.USER, A1, "Ana Silva")
    remember(db, names.ORG, data.ACME, "Acme Corp")
    remember(db, names.CHANNEL, data.CH[data.ACME], "#help-acme")
    range_ = ("--since", "2026-11-02", "--until", "2026-11-06")
    code, out, _ = run(capsys, "kpi", "agents", *range_)
    assert code == 0 and "Ana Silva" in out and A1 not in out and A2 in out
    code, out, _ = run(capsys, "kpi", "orgs", *range_, "--format", "csv", "--table", "org")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {k: rows[0][k] for k in ("org", "org_id")} == {"org": "Acme Corp", "org_id": data.ACME}
    code, out, _ = run(capsys, "kpi", "channels", *range_, "--format", "json")
    channels = json.loads(out)["tables"]["channel"]
    assert {"channel": "#help-acme", "channel_id": data.CH[data.ACME]} in [
        {k: row[k] for k in ("channel", "channel_id")} for row in channels
    ]
    code, out, _ = run(capsys, "kpi", "cost", *range_)
    assert "Acme Corp" in out and data.ACME not in out


def test_csv_is_one_loadable_table_chosen_by_name(cli_env, capsys):
    range_ = ("--since", "2026-11-02", "--until", "2026-11-06")
    code, out, err = run(capsys, "kpi", "volume", *range_, "--format", "csv")
    assert code == 2 and out == ""
    assert "volume has 2 tables: figures, days; choose one with --table NAME" in err
    code, out, _ = run(capsys, "kpi", "volume", *range_, "--format", "csv", "--table", "days")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0][0] == "day" and len(rows) == 6
    assert all(len(row) == len(rows[0]) for row in rows)  # one table: loadable as is
    code, out, _ = run(capsys, "kpi", "volume", *range_, "--format", "csv", "--table", "figures")
    assert code == 0 and out.startswith("figure,value")
    code, _, err = run(capsys, "kpi", "volume", *range_, "--format", "csv", "--table", "nope")
    assert code == 2 and "'nope' is not a table of volume: figures, days" in err
    code, _, err = run(capsys, "kpi", "volume", *range_, "--table", "days")
    assert code == 2 and "--table goes with --format csv" in err


def test_text_is_readable(cli_env, capsys):
    code, out, _ = run(capsys, "kpi", "summary", "--range", "2026-11-02..2026-11-06")
    assert code == 0
    assert "Support summary — 2026-11-02..2026-11-06" in out
    assert "First response (median)" in out and "8h 15m" in out  # 29700 s
    assert "66.7%" in out and "100.00 EUR" in out


def test_bad_metric_or_range_exits_2_with_what_is_accepted(cli_env, capsys):
    code, out, err = run(capsys, "kpi", "speed")
    assert code == 2 and out == "" and "not a metric" in err and "volume" in err
    code, _, err = run(capsys, "kpi", "volume", "--range", "fortnight")
    assert code == 2 and "not a range" in err
    code, _, err = run(capsys, "kpi", "volume", "--range", "7d", "--since", "2026-11-01")
    assert code == 2 and "either --range or --since" in err
    with pytest.raises(SystemExit):
        main(["kpi", "volume", "--since", "yesterdayish"])


def test_help_lists_kpi(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "kpi" in capsys.readouterr().out
