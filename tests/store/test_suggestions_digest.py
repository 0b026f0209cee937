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


def test_answered_questions_are_learned_through_the_bots_path(engine) -> None:
    from bot.config import Suggestions
    from bot.suggestions import SuggestionService
    from knowledge.articles import Article
    from knowledge.library import KnowledgeBase
    from store.db import session_scope
    from tests.store.conftest import _empty

    _empty(engine)
    articles = [Article("pw", "Reset your password", "Use the link."),
                Article("csv", "Export to CSV", "Exports run at night.")]  # fmt: skip
    knowledge = KnowledgeBase.of_articles(articles, clock=lambda: NOW)
    service = SuggestionService(engine, knowledge, lambda: NOW, Suggestions())
    pairs = [("csv", "the report file is empty"), ("pw", "locked out of my account")]
    try:
        assert service.learn_answered(pairs) == 2
        assert service.learn_answered(pairs[:1]) == 0  # known already
        with session_scope(engine) as session:
            learned = suggestions.examples_by_article(session)
        assert learned == {"csv": ["the report file is empty"], "pw": ["locked out of my account"]}
        assert knowledge.matcher().examples == {
            "csv": ("the report file is empty",), "pw": ("locked out of my account",)}  # fmt: skip
        assert (
            knowledge.matcher().search("the report file is empty", limit=1)[0].article.id == "csv"
        )
    finally:
        _empty(engine)


def test_unanswered_questions_read_the_newest_and_count_up_to_a_bound(
    session: Session, new_ticket
) -> None:
    from datetime import timedelta

    from store.models import Suggestion
    from tests.store.conftest import WORKSPACE

    outcomes = ["none", "need_help", "solved", "offered", "none", "need_help", "none"]
    for n, outcome in enumerate(outcomes):
        ticket = new_ticket()
        at = NOW + timedelta(minutes=n)
        session.add(Suggestion(ticket_id=ticket.id, question=f"q{n}", lang="en",
                               outcome=outcome, offered_at=at))  # fmt: skip
    session.flush()
    window = {"workspace_id": WORKSPACE, "since": NOW, "until": NOW + timedelta(hours=1)}
    rows, total = suggestions.unanswered_questions(session, **window, limit=3, count_up_to=100)
    # Five went unanswered (none / need help); the newest three, in ticket-number order.
    assert [question for *_, question in rows] == ["q4", "q5", "q6"] and total == 5
    rows, total = suggestions.unanswered_questions(session, **window, limit=10, count_up_to=4)
    assert len(rows) == 5 and total == 4  # counting stops at the bound
    other = {**window, "workspace_id": "T0OTHER"}
    assert suggestions.unanswered_questions(session, **other, limit=3, count_up_to=9) == ([], 0)
    session.commit()
