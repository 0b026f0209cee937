"""rolled.distribution: percentiles from the daily histogram equal the exact ones, also
where a percentile's two neighbouring values fall in different buckets."""

import random
from datetime import timedelta

from sqlmodel import Session

from store.kpi.queries import rolled
from store.kpi.sqlfn import ALL, python_dist
from tests.store.conftest import NOW, NewTicket


def test_percentiles_from_the_rollup_are_the_exact_ones(
    session: Session, new_ticket: NewTicket
) -> None:
    rng = random.Random(5)
    # Small values (one-value buckets), values either side of bucket edges, and a spread.
    seconds = [0, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129]
    seconds += [rng.randint(1, 90_000) for _ in range(57)]
    created = [
        NOW - timedelta(days=index % 6, hours=1 + index % 7) for index in range(len(seconds))
    ]
    for moment, value in zip(created, seconds, strict=True):
        new_ticket(created_at=moment, updated_at=moment,
                   first_response_at=moment + timedelta(seconds=value))  # fmt: skip
    session.commit()
    # Ranges of one to six days: whole days from the rollup, today from the facts, and
    # counts odd and even (a percentile between two values, often in two buckets).
    for days in range(1, 7):
        start = NOW - timedelta(days=days)
        wanted = [float(s) for s, c in zip(seconds, created, strict=True) if c >= start]
        found = rolled.distribution(session, metric="frt", start=start, end=NOW)
        exact = python_dist(wanted)
        assert (found[ALL].count, found[ALL].pct) == (exact.count, exact.pct), days
