"""SLA targets per UTC hour of their due time (kpi_sla_hour): due, met in time, late, open.

Triggers on sla_target keep the counts in the writer's transaction. A target due in an
hour that ended before `now` is breached when it is `late` or still `open`; later hours
and the partial hours at a range's edges are counted from sla_target itself.
"""

from sqlalchemy.engine import Connection

from store.kpi.rollup import hour_of, pending, summed_sql

KINDS = ("due", "ok", "late", "open")


def kind_sql(row: str) -> str:
    """SQL: how a target row ended so far."""
    return (
        f"CASE WHEN {row}.met_at IS NULL THEN 'open' "
        f"WHEN {row}.met_at > {row}.due_at THEN 'late' ELSE 'ok' END"
    )


def _upsert(name: str, row: str, kind: str, delta: int) -> str:
    return (
        "INSERT INTO kpi_sla_hour (hour, target, kind, n) "
        f"SELECT {hour_of(name, f'{row}.due_at')}, {row}.target, {kind}, {delta} "
        f"WHERE {row}.due_at IS NOT NULL ON CONFLICT (hour, target, kind) "
        "DO UPDATE SET n = kpi_sla_hour.n + excluded.n"
    )


def _changes(name: str, row: str, delta: int) -> list[str]:
    return [_upsert(name, row, "'due'", delta), _upsert(name, row, kind_sql(row), delta)]


def install(connection: Connection) -> None:
    """Create (or replace) the sla_target triggers."""
    drop(connection)
    name = connection.dialect.name
    if name == "postgresql":
        body = "\n    ".join(
            f"{statement};"
            for statement in [
                "IF TG_OP <> 'INSERT' THEN",
                *(pending(sql) for sql in _changes(name, "OLD", -1)),
                "END IF",
                "IF TG_OP <> 'DELETE' THEN",
                *(pending(sql) for sql in _changes(name, "NEW", 1)),
                "END IF",
            ]
        ).replace("THEN;", "THEN")
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION kpi_on_sla_target() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$\nBEGIN\n    {body}\n    RETURN NULL;\nEND $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER kpi_sla AFTER INSERT OR DELETE OR UPDATE OF target, due_at, met_at "
            "ON sla_target FOR EACH ROW EXECUTE FUNCTION kpi_on_sla_target()"
        )
        return
    events = {
        "insert": ("INSERT", _changes(name, "NEW", 1)),
        "update": (
            "UPDATE OF target, due_at, met_at",
            _changes(name, "OLD", -1) + _changes(name, "NEW", 1),
        ),
        "delete": ("DELETE", _changes(name, "OLD", -1)),
    }
    for event, (when, statements) in events.items():
        body = "".join(f"  {statement};\n" for statement in statements)
        connection.exec_driver_sql(
            f"CREATE TRIGGER kpi_sla_{event} AFTER {when} ON sla_target FOR EACH ROW "
            f"BEGIN\n{body}END"
        )


def drop(connection: Connection) -> None:
    """Remove the sla_target triggers."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS kpi_sla ON sla_target")
        return
    for event in ("insert", "update", "delete"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS kpi_sla_{event}")


def expected_sql(name: str, where: str = "1 = 1") -> str:
    """SQL: kpi_sla_hour recomputed from the sla_target rows `s` matching `where`."""
    hour = hour_of(name, "s.due_at")
    return (
        f"SELECT {hour} AS hour, s.target AS target, 'due' AS kind, count(*) AS n "
        f"FROM sla_target s WHERE {where} GROUP BY {hour}, s.target "
        f"UNION ALL SELECT {hour}, s.target, {kind_sql('s')}, count(*) FROM sla_target s "
        f"WHERE {where} GROUP BY {hour}, s.target, {kind_sql('s')}"
    )


def rebuild(connection: Connection, *, where: str | None = None) -> None:
    """Recompute kpi_sla_hour from sla_target (or add the counts of the rows `where`)."""
    name = connection.dialect.name
    if where is None:
        connection.exec_driver_sql("DELETE FROM kpi_sla_hour")
        connection.exec_driver_sql("DELETE FROM kpi_sla_hour_pending")
    connection.exec_driver_sql(
        f"INSERT INTO kpi_sla_hour (hour, target, kind, n) "
        f"SELECT hour, target, kind, n FROM ({expected_sql(name, where or '1 = 1')}) x "
        "WHERE 1 = 1 ON CONFLICT (hour, target, kind) DO UPDATE SET n = kpi_sla_hour.n + excluded.n"
    )


def drift_sql(name: str) -> str:
    """SQL: (hour, target) rows of kpi_sla_hour that differ from a recomputation."""
    return (
        f"WITH e AS ({expected_sql(name)}), "
        f"k AS (SELECT * FROM ({summed_sql('kpi_sla_hour')}) s WHERE n <> 0), "
        "d AS (SELECT * FROM e EXCEPT SELECT * FROM k), "
        "g AS (SELECT * FROM k EXCEPT SELECT * FROM e) "
        "SELECT hour, target FROM d UNION SELECT hour, target FROM g ORDER BY 1, 2"
    )
