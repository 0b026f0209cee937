"""SLA targets per UTC hour of their due time (kpi_sla_hour): due, met in time, late, open.

Triggers on sla_target keep the counts in the writer's transaction. A target due in an
hour that ended before `now` is breached when it is `late` or still `open`; later hours
and the partial hours at a range's edges are counted from sla_target itself.
"""

from sqlalchemy.engine import Connection

from store.kpi.triggers.rollup import (
    drop_counter_triggers,
    hour_of,
    install_counter_triggers,
    summed_sql,
)

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
    install_counter_triggers(
        connection,
        table="sla_target",
        trigger="kpi_sla",
        function="kpi_on_sla_target",
        update_of="target, due_at, met_at",
        changes=_changes,
    )


def drop(connection: Connection) -> None:
    """Remove the sla_target triggers."""
    drop_counter_triggers(connection, table="sla_target", trigger="kpi_sla")


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
