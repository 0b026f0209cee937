"""store.suggestions and store.digest: inserts that happen once say so truthfully."""

from datetime import date

from sqlmodel import Session

from store import digest, suggestions
from tests.store.conftest import NOW


def test_an_example_is_learned_once_and_the_second_time_says_so(session: Session) -> None:
    example = {"article_id": "reset-password", "text": "I forgot my password", "source": "agent"}
    assert suggestions.add_example(session, at=NOW, **example)
    # The same question again (case and spacing aside) is already known: not added twice.
    again = {**example, "text": "  i forgot my PASSWORD "}
    assert suggestions.add_example(session, at=NOW, **again) is False
    session.commit()


def test_a_days_digest_row_is_written_once(session: Session) -> None:
    day = date(2026, 11, 30)
    assert digest.add_digest(session, day=day, channel="C0LEADS", now=NOW)
    assert digest.add_digest(session, day=day, channel="C0LEADS", now=NOW) is False
    session.commit()
