"""Matchers for the knowledge-base benchmarks: cold, or taught half the dev questions.

Teaching goes through `SuggestionService.learn_answered`, the path `/ticket answer` and
*This solved it* take (store the question as an article example, reload the examples
into the knowledge base), on a throwaway SQLite database, exactly as
`deskbot kb search --examples` does (`bot.cli.kb_learn.learn`).

The dev questions are split in halves by position (even, odd). "Learned" figures teach
one half and ask the other, then swap, so every question is asked once, and never by a
matcher that was taught that very question.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.kb_learn import learn
from bot.config import Suggestions
from knowledge.articles import Article, load_jsonl
from knowledge.library import KnowledgeBase, embedder_for
from knowledge.matcher import Matcher

DEFAULT_MIN_SCORE = Suggestions().min_score


def now() -> datetime:
    """A fixed time: the benchmark does not depend on the clock."""
    return datetime(2026, 1, 1, tzinfo=UTC)


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON Lines file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def family_id(article_id: str) -> str:
    """deskbot's name for a dataset's article id: xSID lists the language versions of one
    article as `xsid:LANG:NAME`; deskbot names them NAME and NAME-LANG (one family, one
    suggestion, the question's language first), so the benchmark does too."""
    parts = article_id.split(":")
    if len(parts) == 3 and len(parts[1]) == 2:
        return f"{parts[0]}:{parts[2]}" + ("" if parts[1] == "en" else f"-{parts[1]}")
    return article_id


def load_dataset(folder: Path, split: str = "dev") -> tuple[list[Article], list[dict]]:
    """A dataset's articles and questions, ids named as deskbot names language versions."""
    articles = [replace(a, id=family_id(a.id)) for a in load_jsonl(folder / "kb.jsonl")]
    queries = read_jsonl(folder / f"queries_{split}.jsonl")
    for query in queries:
        query["gold"] = [family_id(g) for g in query["gold"]]
    return articles, queries


def answer_of(query: dict, articles: dict[str, Article]) -> str:
    """The article an agent would answer a question with: the gold article in the
    question's language if there is one."""
    lang = query.get("lang", "en")
    same = [g for g in query["gold"] if g in articles and articles[g].lang == lang]
    return same[0] if same else query["gold"][0]


def halves(queries: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """The dev questions at even and at odd positions."""
    return list(queries[0::2]), list(queries[1::2])


@dataclass(frozen=True)
class Method:
    """One way of matching: words only or with meaning; calibrated score or raw."""

    name: str
    semantic: bool
    calibrated: bool = True


METHODS = (
    Method("deskbot today (words, raw score)", semantic=False, calibrated=False),
    Method("deskbot words (calibrated)", semantic=False),
    Method("deskbot words + meaning", semantic=True),
)


def knowledge_base(method: Method, articles: Sequence[Article]) -> KnowledgeBase:
    """A knowledge base of the articles that has learned nothing."""
    embedder = embedder_for(None) if method.semantic else None
    return KnowledgeBase.of_articles(
        articles, clock=now, embedder=embedder, calibrated=method.calibrated
    )


def taught_matcher(
    method: Method, articles: Sequence[Article], answered: Sequence[dict]
) -> Matcher:
    """The matcher after learning each answered question (its first gold article) through
    the bot's learning path."""
    knowledge = knowledge_base(method, articles)
    by_id = {a.id: a for a in articles}
    learn(knowledge, [(answer_of(q, by_id), q["text"]) for q in answered])
    return knowledge.matcher()


def runs(
    method: Method, articles: Sequence[Article], queries: Sequence[dict]
) -> dict[str, list[tuple[Matcher, list[dict]]]]:
    """Per condition ("cold", "learned"): (matcher, the questions it is asked) pairs. Cold
    asks every question; learned asks each half of a matcher taught the other half."""
    first, second = halves(queries)
    return {
        "cold": [(knowledge_base(method, articles).matcher(), list(queries))],
        "learned": [
            (taught_matcher(method, articles, second), first),
            (taught_matcher(method, articles, first), second),
        ],
    }
