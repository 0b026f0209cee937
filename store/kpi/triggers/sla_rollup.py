"""SLA targets per UTC hour of their due time (kpi_sla_hour): due, met in time, late, open.

Triggers on sla_target keep the counts in the writer's transaction. A target due in an
hour that ended before `now` is breached when it is `late` or still `open`; later hours
and the partial hours at a range's edges are counted from sla_target itself. Each
(hour, target) row holds all four counts, so a change to one target is one upsert.
"""

from sqlalchemy.engine import Connection

from store.kpi.triggers.rollup import (
    COUNTERS,
    drop_counter_triggers,
    hour_of,
    install_counter_triggers,
    summed_sql,
)

KINDS = ("due", "ok", "late", "open")
_UPDATES = ", ".join(f"{kind} = kpi_sla_hour.{kind} + excluded.{kind}" for kind in KINDS)


def kind_sql(row: str) -> str:
    """SQL: how a target row ended so far."""
    return (
        f"CASE WHEN {row}.met_at IS NULL THEN 'open' "
        f"WHEN {row}.met_at > {row}.due_at THEN 'late' ELSE 'ok' END"
    )


def _counts(row: str, delta: str, *, named: bool = False) -> str:
    """SQL: the four counts one target row adds (`delta` 1) or takes away (-1)."""
    outcome = kind_sql(row)
    ends = [f"CASE WHEN {outcome} = '{kind}' THEN {delta} ELSE 0 END" for kind in KINDS[1:]]
    values = [delta, *ends]
    if named:
        values = [f"{value} AS {kind}" for value, kind in zip(values, KINDS, strict=True)]
    return ", ".join(values)


def _upsert(name: str, row: str, delta: int) -> str:
    return (
        "INSERT INTO kpi_sla_hour (hour, target, due, ok, late, open) "
        f"SELECT {hour_of(name, f'{row}.due_at')}, {row}.target, {_counts(row, str(delta))} "
        f"WHERE {row}.due_at IS NOT NULL ON CONFLICT (hour, target) DO UPDATE SET {_UPDATES}"
    )


def _changes(name: str, row: str, delta: int) -> list[str]:
    return [_upsert(name, row, delta)]


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
    sums = ", ".join(f"sum({kind}) AS {kind}" for kind in KINDS)
    return (
        f"SELECT hour, target, {sums} FROM (SELECT {hour_of(name, 's.due_at')} AS hour, "
        f"s.target AS target, {_counts('s', '1', named=True)} FROM sla_target s "
        f"WHERE s.due_at IS NOT NULL AND ({where})) x GROUP BY hour, target"
    )


def rebuild(connection: Connection, *, where: str | None = None) -> None:
    """Recompute kpi_sla_hour from sla_target (or add the counts of the rows `where`)."""
    name = connection.dialect.name
    if where is None:
        connection.exec_driver_sql("DELETE FROM kpi_sla_hour")
        connection.exec_driver_sql("DELETE FROM kpi_sla_hour_pending")
    kinds = ", ".join(KINDS)
    connection.exec_driver_sql(
        f"INSERT INTO kpi_sla_hour (hour, target, {kinds}) "
        f"SELECT hour, target, {kinds} FROM ({expected_sql(name, where or '1 = 1')}) x "
        f"WHERE 1 = 1 ON CONFLICT (hour, target) DO UPDATE SET {_UPDATES}"
    )


def drift_sql(name: str) -> str:
    """SQL: (hour, target) rows of kpi_sla_hour that differ from a recomputation."""
    keys, values = COUNTERS["kpi_sla_hour"]
    counted = " OR ".join(f"{kind} <> 0" for kind in values.split(", "))
    return (
        f"WITH e AS ({expected_sql(name)}), "
        f"k AS (SELECT * FROM ({summed_sql('kpi_sla_hour')}) s WHERE {counted}), "
        "d AS (SELECT * FROM e EXCEPT SELECT * FROM k), "
        "g AS (SELECT * FROM k EXCEPT SELECT * FROM e) "
        f"SELECT {keys} FROM d UNION SELECT {keys} FROM g ORDER BY 1, 2"
    )
