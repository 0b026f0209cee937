"""CSAT surveys per UTC hour asked, in kpi_hour: `asked`, `s1`..`s5` (answers per star)
and `comments`, kept by triggers on csat_survey in the writer's transaction."""

from sqlalchemy.engine import Connection

from store.kpi.rollup import hour_of, pending

COMMENTED = "length(trim(coalesce({r}.comment, ''))) > 0"


def _kinds(row: str) -> list[tuple[str, str]]:
    """(kind SQL, condition SQL) of the counts one survey row adds to."""
    return [
        ("'asked'", "1 = 1"),
        (f"'s' || {row}.rating", f"{row}.rating IS NOT NULL"),
        ("'comments'", COMMENTED.format(r=row)),
    ]


def _upserts(name: str, row: str, delta: int) -> list[str]:
    return [
        "INSERT INTO kpi_hour (hour, kind, n) "
        f"SELECT {hour_of(name, f'{row}.asked_at')}, {kind}, {delta} "
        f"WHERE {row}.asked_at IS NOT NULL AND {condition} "
        "ON CONFLICT (hour, kind) DO UPDATE SET n = kpi_hour.n + excluded.n"
        for kind, condition in _kinds(row)
    ]


def install(connection: Connection) -> None:
    """Create (or replace) the csat_survey triggers."""
    drop(connection)
    name = connection.dialect.name
    columns = "asked_at, rating, comment"
    if name == "postgresql":
        old = "\n    ".join(f"{pending(s)};" for s in _upserts(name, "OLD", -1))
        new = "\n    ".join(f"{pending(s)};" for s in _upserts(name, "NEW", 1))
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION kpi_on_csat() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  IF TG_OP <> 'INSERT' THEN\n    {old}\n  END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN\n    {new}\n  END IF;\n  RETURN NULL;\nEND $$"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER kpi_csat AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            "ON csat_survey FOR EACH ROW EXECUTE FUNCTION kpi_on_csat()"
        )
        return
    events = {
        "insert": ("INSERT", _upserts(name, "NEW", 1)),
        "update": (f"UPDATE OF {columns}", _upserts(name, "OLD", -1) + _upserts(name, "NEW", 1)),
        "delete": ("DELETE", _upserts(name, "OLD", -1)),
    }
    for event, (when, statements) in events.items():
        body = "".join(f"  {statement};\n" for statement in statements)
        connection.exec_driver_sql(
            f"CREATE TRIGGER kpi_csat_{event} AFTER {when} ON csat_survey FOR EACH ROW "
            f"BEGIN\n{body}END"
        )


def drop(connection: Connection) -> None:
    """Remove the csat_survey triggers."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS kpi_csat ON csat_survey")
        return
    for event in ("insert", "update", "delete"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_csat_{event}")


def expected_sql(name: str, where: str = "1 = 1") -> str:
    """SQL: (hour, kind, 1) of every count the surveys `c` matching `where` add to."""
    hour = hour_of(name, "c.asked_at")
    return " UNION ALL ".join(
        f"SELECT {hour} AS h, {kind} AS kind, 1 AS n FROM csat_survey c "
        f"WHERE {where} AND {condition}"
        for kind, condition in _kinds("c")
    )
