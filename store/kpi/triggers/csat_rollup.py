"""CSAT surveys per UTC hour asked, in kpi_hour: `asked`, `s1`..`s5` (answers per star)
and `comments`, kept by triggers on csat_survey in the writer's transaction."""

from sqlalchemy.engine import Connection

from store.kpi.triggers.rollup import drop_counter_triggers, hour_of, install_counter_triggers

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
    install_counter_triggers(
        connection,
        table="csat_survey",
        trigger="kpi_csat",
        function="kpi_on_csat",
        update_of="asked_at, rating, comment",
        changes=_upserts,
    )


def drop(connection: Connection) -> None:
    """Remove the csat_survey triggers."""
    drop_counter_triggers(connection, table="csat_survey", trigger="kpi_csat")


def expected_sql(name: str, where: str = "1 = 1") -> str:
    """SQL: (hour, kind, 1) of every count the surveys `c` matching `where` add to."""
    hour = hour_of(name, "c.asked_at")
    return " UNION ALL ".join(
        f"SELECT {hour} AS h, {kind} AS kind, 1 AS n FROM csat_survey c "
        f"WHERE {where} AND {condition}"
        for kind, condition in _kinds("c")
    )
