"""`deskbot export` / `import` underneath: every table moves, exactly, or nothing does.

Each test uses databases of its own (tests/support/databases.py): SQLite files, and
PostgreSQL databases beside TEST_DATABASE_URL's in the PostgreSQL pass.
"""

import gzip
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from store.db import MIGRATIONS_DIR, migrate
from store.kpi.triggers import facts
from store.models import ErasureLog, Message, Ticket
from store.transfer import TransferError, export_database, import_database
from tests.support import every_table
from tests.support.databases import fresh

PASSES = ["sqlite", "postgresql"]
# The newest migration: what an export names and an import expects.
HEAD = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """A SQLite database holding every kind of row, and its export (read-only: copy first)."""
    folder = tmp_path_factory.mktemp("source")
    with fresh("sqlite", folder, "source") as source:
        filled(source)
        path = folder / "source.jsonl.gz"
        export_database(source, path)
        yield source, path


def copy_of(exported: tuple[Engine, Path], folder: Path) -> Path:
    """A copy of the source's export to change."""
    path = folder / "copy.jsonl.gz"
    shutil.copyfile(exported[1], path)
    return path


def filled(engine: Engine) -> Engine:
    """The database migrated and holding every kind of row."""
    migrate(engine)
    every_table.fill(engine)
    assert every_table.empty_tables(engine) == []
    return engine


def no_drift(engine: Engine) -> bool:
    """Whether the KPI facts and rollups match the rows (nothing counted twice)."""
    with engine.connect() as connection:
        return not any(facts.drift(connection).values())


def table_names(engine: Engine) -> set[str]:
    """The tables the database has."""
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


@pytest.mark.parametrize("middle", PASSES)
def test_every_row_goes_there_and_back_exactly(middle: str, exported, tmp_path: Path) -> None:
    with fresh(middle, tmp_path, "middle") as there, fresh("sqlite", tmp_path, "back") as back:
        first, second, third = exported[1], tmp_path / "2.jsonl.gz", tmp_path / "3.jsonl.gz"
        written = import_database(there, first)
        export_database(there, second)
        import_database(back, second)
        export_database(back, third)
        assert first.read_bytes() == second.read_bytes() == third.read_bytes()
        assert no_drift(there) and no_drift(back)  # the KPI tables were not counted twice
        assert written["message"] == 27 and written["ticket"] == 12
        # New rows continue after the loaded ids (PostgreSQL's sequences were moved on),
        # and the KPI triggers are back: a new message is counted.
        with Session(there) as session:
            biggest = max(session.execute(select(Ticket.id)).scalars())
            entry = ErasureLog(subject_kind="customer", subject_id="U1", operator="x",
                               erased_at=every_table.AT, counts={})  # fmt: skip
            message = Message(ticket_id=12, channel_id="C0ERASE", ts="1762939999.000100",
                              thread_ts="1762939815.000700", user_id="UKEEP1", role="customer",
                              text="later", sent_at=every_table.AT + timedelta(days=3))  # fmt: skip
            session.add_all([entry, message])
            session.commit()
            assert (entry.id, message.id, biggest) == (2, 28, 12)
        assert no_drift(there)
        assert export_database(there, tmp_path / "4.jsonl.gz")["kpi_hour"] > written["kpi_hour"]


def test_the_export_holds_every_table_of_the_schema(exported, tmp_path: Path) -> None:
    source, path = exported
    written = export_database(source, tmp_path / "again.gz")
    assert (tmp_path / "again.gz").read_bytes() == path.read_bytes()  # nothing left behind
    # Every table of the models, which are every table the migrations make.
    models = {table.name for table in SQLModel.metadata.sorted_tables}
    assert set(written) == models == table_names(source) - {"alembic_version"}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        header = json.loads(lines.readline())
    assert header["revision"] == HEAD and set(header["tables"]) == models


def test_a_postgresql_database_exports_its_counters_folded(exported, tmp_path: Path) -> None:
    """On PostgreSQL the KPI triggers leave deltas in pending twins; the same rows written
    on either database still export to the same bytes."""
    with fresh("postgresql", tmp_path, "pgsource") as pg:
        filled(pg)
        export_database(pg, tmp_path / "pg.gz")
        assert (tmp_path / "pg.gz").read_bytes() == exported[1].read_bytes()


@pytest.mark.parametrize("kind", PASSES)
def test_a_database_with_rows_is_refused(kind: str, exported, tmp_path: Path) -> None:
    with fresh(kind, tmp_path, "target") as target:
        import_database(target, exported[1])
        with pytest.raises(TransferError, match=r"not empty \(activity, .*only into an empty"):
            import_database(target, exported[1])
        with Session(target) as session:
            assert len(session.execute(select(Ticket)).all()) == 12


def rewrite(path: Path, change: Callable[[list[str]], object], *, fix_checksums: bool) -> None:
    """Edit an export's lines in place; optionally recompute the checksums to match."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        lines = stream.read().split("\n")[:-1]
    change(lines)
    if fix_checksums:
        digest, rows = hashlib.sha256(), 0
        for index, line in enumerate(lines):
            if line.startswith('{"columns"'):
                digest, rows = hashlib.sha256(), 0
            elif line.startswith("["):
                digest.update(line.encode() + b"\n")
                rows += 1
            elif line.startswith('{"end"'):
                mark = json.loads(line)
                mark.update(rows=rows, sha256=digest.hexdigest())
                lines[index] = json.dumps(mark, separators=(",", ":"), sort_keys=True)
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")


def first_row_of(lines: list[str], table: str) -> int:
    """The index of a table's first row line."""
    start = next(i for i, line in enumerate(lines) if f'"table":"{table}"' in line)
    return start + 1


@pytest.mark.parametrize("kind", PASSES)
def test_a_damaged_file_is_refused_before_anything_is_written(
    kind: str, exported, tmp_path: Path
) -> None:
    with fresh(kind, tmp_path, "target") as target:
        path = copy_of(exported, tmp_path)

        def damage(lines: list[str]) -> None:
            row = first_row_of(lines, "message")
            lines[row] = lines[row].replace("...", "..!")

        rewrite(path, damage, fix_checksums=False)
        with pytest.raises(TransferError, match=r"table message: .*the file is damaged"):
            import_database(target, path)
        assert table_names(target) == set()


@pytest.mark.parametrize("kind", PASSES)
def test_what_the_database_keeps_differently_rolls_everything_back(
    kind: str, exported, tmp_path: Path
) -> None:
    """A value the database stores as something else (text in a number column: SQLite
    converts it, PostgreSQL casts it) is caught when the loaded rows are read back."""
    with fresh(kind, tmp_path, "target") as target:
        path = copy_of(exported, tmp_path)

        def swap(lines: list[str]) -> None:
            row = first_row_of(lines, "ticket_counter")
            lines[row] = lines[row].replace(",12]", ',"12"]')

        rewrite(path, swap, fix_checksums=True)
        with pytest.raises(TransferError, match=r"table ticket_counter: .*nothing was imported"):
            import_database(target, path)
        assert table_names(target) == set()  # not even the schema stayed


def test_a_truncated_file_or_another_revision_is_refused(exported, tmp_path: Path) -> None:
    with fresh("sqlite", tmp_path, "t") as target:
        path = copy_of(exported, tmp_path)
        rewrite(path, lambda lines: lines.pop(), fix_checksums=False)
        with pytest.raises(TransferError, match="ends early"):
            import_database(target, path)

        def older(lines: list[str]) -> None:
            lines[0] = lines[0].replace(f'"revision":"{HEAD}"', '"revision":"0010"')

        path = copy_of(exported, tmp_path)
        rewrite(path, older, fix_checksums=False)
        with pytest.raises(TransferError, match=f"revision 0010; this deskbot is at {HEAD}"):
            import_database(target, path)
        assert table_names(target) == set()
