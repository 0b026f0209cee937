"""`deskbot export`, `import`, `backup` and `erase` through the real entry point."""

import getpass
import io
import sqlite3

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bot.cli.main import main
from store.models import ErasureLog, Ticket
from tests.support import every_table
from tests.support.databases import url_of
from tests.support.every_table import ZELDA


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `deskbot ...`: exit code, stdout, stderr."""
    code = main(["--log-level", "WARNING", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def source(db, workdir, monkeypatch):
    """The run's database holding every kind of row, named by DATABASE_URL."""
    every_table.fill(db)
    monkeypatch.setenv("DATABASE_URL", url_of(db))
    return db


def test_export_then_import_into_a_new_sqlite_file(source, workdir, monkeypatch, capsys):
    code, out, err = run(capsys, "export", "all.jsonl.gz")
    assert code == 0, err
    assert "exported message: 27 rows" in err and "exported ticket: 12 rows" in err
    assert out.startswith("exported ") and out.rstrip().endswith("tables to all.jsonl.gz")

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'moved.db'}")
    code, out, err = run(capsys, "import", "all.jsonl.gz")
    assert code == 0, err
    assert "checked message: 27 rows" in err and "verified message: 27 rows" in err
    assert "every table's row count and checksum match the file" in out
    with sqlite3.connect(workdir / "moved.db") as connection:
        assert connection.execute("SELECT count(*) FROM ticket").fetchone() == (12,)

    code, _, err = run(capsys, "import", "all.jsonl.gz")  # again: the database has rows now
    assert code == 2
    assert err.startswith("importing all.jsonl.gz into sqlite:///")
    assert err.splitlines()[1].startswith("deskbot: import: the target database is not empty (")
    assert len(err.splitlines()) == 2  # refused before reading the file


def test_a_failed_import_leaves_no_new_file(source, workdir, monkeypatch, capsys):
    assert run(capsys, "export", "all.jsonl.gz")[0] == 0
    damaged = workdir / "damaged.jsonl.gz"
    damaged.write_bytes((workdir / "all.jsonl.gz").read_bytes()[:-40])
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'new.db'}")
    code, _, err = run(capsys, "import", str(damaged))
    assert code == 2 and "not a readable deskbot export" in err
    assert not list(workdir.glob("new.db*"))
    code, _, err = run(capsys, "import", "nothing-here.gz")
    assert (code, err) == (2, "deskbot: no such file: nothing-here.gz\n")


def test_export_never_overwrites_nor_creates_a_database(source, workdir, monkeypatch, capsys):
    (workdir / "taken.gz").write_text("mine")
    code, _, err = run(capsys, "export", "taken.gz")
    assert (code, err) == (2, "deskbot: taken.gz already exists: choose a new name\n")
    assert (workdir / "taken.gz").read_text() == "mine"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'typo.db'}")
    code, _, err = run(capsys, "export", "x.gz")
    assert code == 2 and "no deskbot database" in err and not (workdir / "typo.db").exists()


def test_backup_copies_a_running_sqlite_database(source, workdir, capsys):
    code, out, err = run(capsys, "backup", "copy.db")
    if source.dialect.name == "postgresql":
        assert code == 2 and "use pg_dump" in err and not (workdir / "copy.db").exists()
        return
    assert code == 0, err
    assert "copied" in err and "integrity checked" in out
    with sqlite3.connect(workdir / "copy.db") as connection:
        assert connection.execute("SELECT count(*) FROM message").fetchone() == (27,)
    code, _, err = run(capsys, "backup", "copy.db")
    assert (code, err) == (2, "deskbot: backup: copy.db already exists: choose a new name\n")


def tickets_of_zelda(db) -> list[str]:
    """The subjects of Zelda's tickets."""
    with Session(db) as session:
        found = session.execute(select(Ticket.subject).where(Ticket.customer_id == ZELDA))
        return sorted(found.scalars())


def test_erase_asks_first_and_shows_names(source, capsys, monkeypatch):
    code, out, _ = run(capsys, "erase", "--customer", ZELDA, "--dry-run")
    assert code == 0
    assert out.startswith("would erase for customer Zelda Quartermaine (UERASE1):\n")
    assert "        5  messages\n" in out and "CSAT comments" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    code, out, _ = run(capsys, "erase", "--customer", ZELDA)
    assert code == 1 and out.endswith("nothing erased\n")
    assert tickets_of_zelda(source) == ["Zanzibar again", every_table.SUBJECT]

    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    code, out, _ = run(capsys, "erase", "--customer", ZELDA)
    assert code == 0
    assert f"logged in erasure_log (by {getpass.getuser()})" in out
    assert tickets_of_zelda(source) == ["[erased]", "[erased]"]
    code, out, _ = run(capsys, "erase", "--org", "T0ERASE", "--yes", "--by", "dpo@example.com")
    assert code == 0 and "organization Mongoose Holdings (T0ERASE)" in out
    with Session(source) as session:
        log = session.execute(select(ErasureLog.subject_id, ErasureLog.operator)).all()
        assert (ZELDA, getpass.getuser()) in log and ("T0ERASE", "dpo@example.com") in log


@pytest.mark.parametrize(
    "argv", [("--customer", "zelda"), ("--org", "UERASE1"), ("--customer", "")]
)
def test_erase_wants_a_slack_id(source, capsys, argv):
    code, _, err = run(capsys, "erase", *argv, "--yes")
    assert code == 2 and "takes a Slack id like" in err
    assert tickets_of_zelda(source) == ["Zanzibar again", every_table.SUBJECT]
