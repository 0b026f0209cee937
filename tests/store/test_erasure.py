"""Erasing a customer: none of their text survives in any column of any table (nor, on
SQLite, in the database file's bytes), the KPI numbers do not move, and it is logged."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import erasure
from store.db import migrate, session_scope
from store.models import ErasureLog, Message
from store.transfer import tables
from tests.support import every_table
from tests.support.databases import fresh
from tests.support.every_table import KEPT, KIWI, ORG_NAME, ORG_SECRETS, SECRETS, ZELDA

NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
KPI_TABLES = ("ticket_fact", "kpi_hour", "kpi_day", "kpi_tag_day", "kpi_sla_hour", "kpi_group_day")


def erase(engine: Engine, kind: str, subject: str, **options: Any) -> dict[str, int]:
    """`deskbot erase` underneath, in one transaction."""
    with session_scope(engine) as session:
        return erasure.erase(
            session, kind=kind, subject=subject, operator="dpo@example.com", at=NOW, **options
        )


def surviving(engine: Engine, words: tuple[str, ...]) -> list[tuple[str, str]]:
    """(word, text) for each word still found in any text or JSON column of any table."""
    return [(w, t[:80]) for t in every_table.texts(engine) for w in words if w in t]


def kpi_numbers(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the KPI facts and rollups (folded)."""
    by_name = {table.name: table for table in tables.tables()}
    with engine.connect() as connection:
        return {name: list(tables.rows(connection, by_name[name])) for name in KPI_TABLES}


def test_nothing_of_an_erased_customer_survives_and_the_numbers_stay(db: Engine) -> None:
    every_table.fill(db)
    before = kpi_numbers(db)
    assert len(surviving(db, SECRETS)) >= len(SECRETS)  # the scan sees them before

    counts = erase(db, "customer", ZELDA)

    assert surviving(db, SECRETS) == []
    assert counts == {
        "messages": 5, "revisions": 1, "held_changes": 1, "ticket_subjects": 2,
        "suggestions": 1, "csat_comments": 1, "notes": 4, "sla_alerts": 1, "inbox_events": 1,
        "learned_examples": 1, "names": 1,
    }  # fmt: skip
    assert kpi_numbers(db) == before
    texts = every_table.texts(db)
    assert any(KEPT in text for text in texts)  # another customer of the same organization
    assert ORG_NAME in texts and "kiwi person" in texts
    with Session(db) as session:
        entry = session.execute(
            select(ErasureLog).where(ErasureLog.subject_id == ZELDA)
        ).scalar_one()
        assert (entry.subject_kind, entry.operator, entry.erased_at) == (
            "customer",
            "dpo@example.com",
            NOW,
        )
        assert entry.counts == counts
        # A message keeps everything but its text: who, when, in which ticket.
        message = session.execute(
            select(Message).where(Message.ts == "1762939815.000200")
        ).scalar_one()
        assert (message.text, message.files, message.user_id) == ("[erased]", [], ZELDA)
        assert message.edited_at is not None


def test_erasing_twice_changes_nothing_more(db: Engine) -> None:
    every_table.fill(db)
    erase(db, "customer", ZELDA)
    after_first = every_table.texts(db, skip=("erasure_log",))
    again = erase(db, "customer", ZELDA)
    assert set(again.values()) == {0}
    assert every_table.texts(db, skip=("erasure_log",)) == after_first
    with Session(db) as session:
        logged = session.execute(select(ErasureLog).where(ErasureLog.subject_id == ZELDA))
        assert len(logged.all()) == 2  # each request is on record


def test_a_dry_run_counts_and_changes_nothing(db: Engine) -> None:
    every_table.fill(db)
    texts = sorted(every_table.texts(db))
    would = erase(db, "customer", ZELDA, dry_run=True)
    assert sorted(every_table.texts(db)) == texts
    assert erase(db, "customer", ZELDA) == would


def test_erasing_an_organization_takes_all_its_people(db: Engine) -> None:
    every_table.fill(db)
    before = kpi_numbers(db)
    counts = erase(db, "org", "T0ERASE")
    assert surviving(db, SECRETS + ORG_SECRETS) == []
    assert counts["names"] == 3  # the organization, Zelda and Kiwi
    assert kpi_numbers(db) == before
    with Session(db) as session:
        kept = session.execute(select(Message.text).where(Message.user_id == "UCUST1")).scalars()
        assert set(kept) == {"..."}  # another organization's customer


def test_old_text_expires_and_newer_text_stays(db: Engine) -> None:
    every_table.fill(db)
    before = kpi_numbers(db)
    cutoff = datetime(2026, 11, 12, tzinfo=UTC)  # the KPI dataset is older, Zelda newer
    with session_scope(db) as session:
        counts = erasure.expire(session, start=None, end=cutoff, at=NOW)
        assert erasure.expired_until(session) == cutoff
    assert counts["messages"] == 21 and counts["csat_comments"] == 2
    assert kpi_numbers(db) == before
    with Session(db) as session:
        old = session.execute(select(Message.text).where(Message.sent_at < cutoff)).scalars()
        assert set(old) == {"[erased]"}
    assert len(surviving(db, SECRETS)) >= len(SECRETS) - 1  # Zelda's text is newer
    assert any(KEPT in text for text in every_table.texts(db))
    assert KIWI in every_table.texts(db)


def test_the_sqlite_file_keeps_no_erased_bytes(tmp_path: Path) -> None:
    with fresh("sqlite", tmp_path, "bytes") as engine:
        migrate(engine)
        every_table.fill(engine)
        files = [tmp_path / "bytes.db", tmp_path / "bytes.db-wal"]

        def in_the_files() -> set[str]:
            data = b"".join(path.read_bytes() for path in files if path.exists())
            return {word for word in SECRETS if word.encode() in data}

        assert in_the_files() == set(SECRETS)  # the scan sees them before
        erase(engine, "customer", ZELDA)
        erasure.compact(engine)
        assert in_the_files() == set()
        assert not files[1].exists() or files[1].stat().st_size == 0


@pytest.mark.parametrize("kind", ["customer", "org"])
def test_an_unknown_subject_erases_nothing_but_is_logged(db: Engine, kind: str) -> None:
    every_table.fill(db)
    texts = every_table.texts(db, skip=("erasure_log",))
    counts = erase(db, kind, "UNOBODY" if kind == "customer" else "T0NOBODY")
    assert set(counts.values()) == {0}
    assert every_table.texts(db, skip=("erasure_log",)) == texts
