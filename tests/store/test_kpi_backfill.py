"""facts.backfill over a range of ticket ids (how a bulk load fills the KPI tables):
every rollup, the per-dimension totals included, ends as the triggers would leave it."""

from sqlalchemy import text
from sqlalchemy.engine import Engine

from store.kpi.triggers import fact_triggers, facts
from tests.store.conftest import _empty
from tests.support import kpi_dataset


def test_backfilling_a_bulk_load_in_batches_leaves_every_rollup_in_step(engine: Engine) -> None:
    _empty(engine)
    try:
        with engine.begin() as connection:
            fact_triggers.drop(connection)  # as bench/kpi_data.py loads: rows in, no triggers
        kpi_dataset.load(engine)
        with engine.connect() as connection:
            last = int(connection.execute(text("SELECT max(id) FROM ticket")).scalar_one())
            assert any(facts.drift(connection).values())  # nothing is counted yet
        middle = last // 2
        for low, high in ((1, middle), (middle + 1, last)):
            with engine.begin() as connection:
                facts.backfill(connection, first_id=low, last_id=high)
        with engine.begin() as connection:
            fact_triggers.install(connection)
            stale = facts.drift(connection)
            totals = connection.execute(
                text(
                    "SELECT sum(created), sum(sla_due) FROM kpi_group_day WHERE dimension = 'agent'"
                )
            ).one()
        assert not any(stale.values()), stale
        assert totals[0] > 0 and totals[1] > 0  # per-agent totals, not only claims
    finally:
        with engine.begin() as connection:
            fact_triggers.install(connection)
        _empty(engine)
