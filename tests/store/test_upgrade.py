"""Upgrading: `deskbot migrate` takes a database made by an older release to the newest
schema with its data intact (and the KPI tables that came later filled from it)."""

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, select, text

from bot.cli.main import main
from store.db import alembic_config
from store.kpi.triggers import facts
from store.transfer import export_database
from tests.support.databases import fresh, url_of

OLD = "0010"  # routing: before the inbox, the KPI facts, held changes and slack names
CREATED = datetime(2026, 11, 2, 8, 0)  # naive UTC, as the old schema stores it
ANSWERED = datetime(2026, 11, 2, 8, 30)
RESOLVED = datetime(2026, 11, 2, 10, 0)


def old_rows() -> dict[str, list[dict[str, Any]]]:
    """A resolved ticket with its thread, an edit, its audit trail, tags, SLA, survey."""
    ticket = {
        "id": 1, "workspace_id": "T0HOME", "number": 1, "channel_id": "C0HELP",
        "root_ts": "1762070400.000100", "customer_id": "UCUST1", "customer_team_id": "T0ACME",
        "is_external": True, "subject": "Export fails: ünïcode ✓", "status": "resolved",
        "priority": "high", "assignee_id": "UAGENT1", "created_at": CREATED,
        "first_response_at": ANSWERED, "first_responder_id": "UAGENT1",
        "resolved_at": RESOLVED, "reopen_count": 0, "updated_at": RESOLVED,
    }  # fmt: skip
    message = {"channel_id": "C0HELP", "user_team_id": "T0ACME", "ticket_id": 1,
               "thread_ts": "1762070400.000100", "files": []}  # fmt: skip
    return {
        "ticket_counter": [{"workspace_id": "T0HOME", "last_number": 1}],
        "ticket": [ticket],
        "message": [
            {
                **message,
                "id": 1,
                "ts": "1762070400.000100",
                "user_id": "UCUST1",
                "role": "customer",
                "text": "Export fails: ünïcode ✓",
                "sent_at": CREATED,
                "edited_at": ANSWERED,
            },
            {
                **message,
                "id": 2,
                "ts": "1762072200.000100",
                "user_id": "UAGENT1",
                "user_team_id": "T0HOME",
                "role": "agent",
                "text": "Fixed",
                "sent_at": ANSWERED,
                "edited_at": None,
            },
        ],
        "message_revision": [
            {
                "id": 1,
                "message_id": 1,
                "kind": "edit",
                "text": "Export fail",
                "files": [],
                "replaced_at": ANSWERED,
            }
        ],
        "activity": [
            {
                "id": 1,
                "ticket_id": 1,
                "actor_id": "UAGENT1",
                "action": "claimed",
                "detail": {},
                "at": ANSWERED,
            },
            {
                "id": 2,
                "ticket_id": 1,
                "actor_id": "UAGENT1",
                "action": "resolved",
                "detail": {"note": "done"},
                "at": RESOLVED,
            },
        ],
        "ticket_tag": [{"id": 1, "ticket_id": 1, "tag": "export"}],
        "ticket_link": [{"id": 1, "ticket_id": 1, "ref": "BUG-7"}],
        "csat_survey": [
            {
                "id": 1,
                "ticket_id": 1,
                "customer_id": "UCUST1",
                "channel_id": "C0HELP",
                "asked_at": RESOLVED,
                "rating": 5,
                "comment": "great",
                "answered_at": RESOLVED,
            }
        ],
        "sla_target": [
            {
                "id": 1,
                "ticket_id": 1,
                "target": "first_response",
                "cycle": "1",
                "policy": "std",
                "business_hours": False,
                "due_at": RESOLVED,
                "met_at": ANSWERED,
            }
        ],
    }


def head() -> str | None:
    """The newest revision."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrate_takes_an_old_database_to_the_head_with_its_data(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh(kind, tmp_path, "old") as engine:
        command.upgrade(alembic_config(engine), OLD)
        old = MetaData()
        old.reflect(engine)
        assert "ticket_fact" not in old.tables and "slack_name" not in old.tables
        rows = old_rows()
        with engine.begin() as connection:
            for name, values in rows.items():
                connection.execute(old.tables[name].insert(), values)

        monkeypatch.setenv("DATABASE_URL", url_of(engine))
        monkeypatch.chdir(tmp_path)
        assert main(["--log-level", "WARNING", "migrate"]) == 0
        assert "database is up to date" in capsys.readouterr().out

        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head()
            for name, values in rows.items():
                assert _read(connection, old, name) == _as_read(values), name
            # The KPI facts (0016) were built from the old rows, and agree with them.
            fact = connection.execute(
                text("SELECT frt_seconds, resolution_seconds, agent_replies FROM ticket_fact")
            ).one()
            assert tuple(fact) == (1800, 7200, 1)
            assert not any(facts.drift(connection).values())
        # Every table of the newest schema is there: the whole database exports.
        written = export_database(engine, tmp_path / "after.jsonl.gz")
        assert written["ticket"] == 1 and written["message"] == 2


def _read(connection: Any, old: MetaData, name: str) -> list[dict[str, Any]]:
    """The old columns of a table's rows, in key order."""
    table = old.tables[name]
    keys = list(table.primary_key.columns)
    result = connection.execute(select(*table.columns).order_by(*keys))
    return [_plain(dict(row._mapping)) for row in result]


def _as_read(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_plain(row) for row in values]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Values compared as the database gives them back (datetimes naive, JSON parsed)."""
    return {
        key: value.replace(tzinfo=None) if isinstance(value, datetime) else value
        for key, value in row.items()
        if value is not None
    }
