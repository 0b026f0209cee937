"""`deskbot kpi`: the same numbers as /kpi, as text, JSON or CSV, through the real entry point."""

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
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
                       "--by", "agent", "--format", "csv")  # fmt: skip
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    header = rows.index(["agent", "created", "resolved", "frt_mean", "frt_business_mean",
                         "breaches", "csat", "claimed", "handle_mean"])  # fmt: skip
    assert rows[header + 1][:4] == [A1, "3", "2", "71800.0"]
    assert rows[header + 2][:4] == [A2, "1", "1", "57600.0"]


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
