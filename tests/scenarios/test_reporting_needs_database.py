"""Reporting commands read an existing, current database: they never create or migrate one."""

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from bot.cli.main import main
from store.db import alembic_config, make_engine


def run(capsys, *argv: str) -> tuple[int, str]:
    """Run `deskbot ...`; the exit code and stderr."""
    code = main(["--log-level", "WARNING", *argv])
    return code, capsys.readouterr().err


@pytest.fixture
def proposal(tmp_path: Path) -> Path:
    """A what-if policy file."""
    path = tmp_path / "proposal.yaml"
    path.write_text("sla_policies:\n- {name: fast, first_response: 30m}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command_line", [("kpi", "summary"), ("sla", "whatif", "--policy")])
def test_a_missing_database_is_named_not_created(
    command_line, tmp_path, proposal, monkeypatch, capsys
):
    missing = tmp_path / "typo" / "deskbot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    monkeypatch.chdir(tmp_path)
    argv = [*command_line, str(proposal)] if command_line[0] == "sla" else list(command_line)
    code, err = run(capsys, *argv)
    assert code == 2
    assert f"no deskbot database at sqlite:///{missing}" in err
    assert "Traceback" not in err
    assert not missing.exists() and not (tmp_path / "deskbot.db").exists()


def test_an_empty_file_is_not_migrated(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "deskbot.db"
    sqlite3.connect(empty).close()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{empty}")
    code, err = run(capsys, "kpi", "summary")
    assert code == 2 and "no deskbot schema" in err
    with sqlite3.connect(empty) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_an_older_revision_says_to_migrate(tmp_path, monkeypatch, capsys):
    old = tmp_path / "deskbot.db"
    engine = make_engine(f"sqlite:///{old}")
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{old}")
    code, err = run(capsys, "kpi", "summary")
    assert code == 2
    assert "older revision" in err and "deskbot migrate" in err
