"""How fast `deskbot export` and `deskbot import` move a database, beside baselines.

Loads N synthetic tickets (bench/kpi_data.py: threads, audit rows, SLA targets, tags,
CSAT, suggestions, the KPI tables) into a SQLite file, then times, in the same run:

- baseline: reading every row of every table once (the least any export must do);
- baseline: SQLite's online backup of the file (`deskbot backup`: pages, not rows);
- `export` of the SQLite database; `import` of that file into a new SQLite file and,
  with --pg-url, into an empty PostgreSQL database (schema, load, read-back check).

    python -m bench.transfer --size 20000 [--pg-url postgresql+psycopg://.../bench]
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench import kpi_data
from store.backup import backup_sqlite
from store.db import make_engine, migrate
from store.transfer import export_database, import_database
from store.transfer import tables as transfer_tables


def timed(work: Callable[[], object]) -> float:
    """Seconds one call takes."""
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def read_everything(url: str) -> int:
    """Every row of every table, read once: the baseline an export cannot beat."""
    engine = make_engine(url)
    rows = 0
    with engine.connect() as connection:
        for table in transfer_tables.tables():
            rows += sum(1 for _ in connection.execute(select(table)))
    engine.dispose()
    return rows


def empty_postgresql(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="tickets (default 20,000)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", ""))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="deskbot-transfer-bench-"))
    source_url = f"sqlite:///{folder / 'source.db'}"
    source = make_engine(source_url)
    migrate(source)
    kpi_data.load(source, args.size)
    rows = read_everything(source_url)
    size_mb = (folder / "source.db").stat().st_size / 1e6
    results: list[tuple[str, float]] = [
        ("baseline: read every row", timed(lambda: read_everything(source_url))),
        ("baseline: SQLite online backup", timed(
            lambda: backup_sqlite(folder / "source.db", folder / "backup.db"))),
        ("export (SQLite)", timed(lambda: export_database(source, folder / "x.jsonl.gz"))),
    ]  # fmt: skip
    target = make_engine(f"sqlite:///{folder / 'target.db'}")
    results.append(
        ("import into SQLite", timed(lambda: import_database(target, folder / "x.jsonl.gz")))
    )
    target.dispose()
    if args.pg_url:
        empty_postgresql(args.pg_url)
        pg = make_engine(args.pg_url)
        results.append(
            ("import into PostgreSQL", timed(lambda: import_database(pg, folder / "x.jsonl.gz")))
        )
        results.append(("export (PostgreSQL)", timed(lambda: export_database(pg, folder / "p.gz"))))
        pg.dispose()
        same = (folder / "p.gz").read_bytes() == (folder / "x.jsonl.gz").read_bytes()
        print(f"PostgreSQL export identical to the SQLite one: {same}", file=sys.stderr)
    source.dispose()
    baseline = results[0][1]
    file_mb = (folder / "x.jsonl.gz").stat().st_size / 1e6
    print(f"\n{args.size:,} tickets, {rows:,} rows; SQLite file {size_mb:.1f} MB, "
          f"export file {file_mb:.1f} MB")  # fmt: skip
    print(f"{'operation':<34}{'seconds':>9}{'rows/s':>11}{'x baseline':>12}")
    for label, seconds in results:
        print(f"{label:<34}{seconds:>9.2f}{rows / seconds:>11,.0f}{seconds / baseline:>12.1f}")


if __name__ == "__main__":
    main()
