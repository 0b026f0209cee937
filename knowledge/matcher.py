"""Rank knowledge-base articles for a customer's question.

Two lexical signals are fused: BM25 over stemmed words, reported as coverage (the share
of the question's IDF weight an article contains), and TF-IDF cosine over character
trigrams (inflection, German compounds, Japanese without spaces), into one lexical score
(`score_of`). When the sentence encoder is installed (`knowledge.semantic`) the question's
meaning counts too: articles are ranked by `LEXICAL_WEIGHT` x lexical score (0..1) plus
the cosine of the question's and the article's sentence vectors ("Do I need a sweater?"
shares no word with the weather article, but its meaning is close). The score shown and
compared with `min_score` is calibrated (`knowledge.calibration`): the estimated chance,
in percent, that the suggestion is right, whatever the knowledge base.

Articles in the customer's language come first when the knowledge base has any.
`suggest` is the code path the bot (and `deskbot kb search`) uses.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.articles import Article
from knowledge.calibration import Calibration, load_calibration
from knowledge.corpus import build_article_fields, build_fields, query_terms, text_row
from knowledge.index import Field
from knowledge.language import detect_language, guess_language, is_small_talk
from knowledge.semantic import Embedder, SemanticIndex

__all__ = ["Match", "Matcher", "detect_language", "is_small_talk", "suggest"]


@dataclass(frozen=True)
class Match:
    """One suggested article and its score: the estimated chance (0..100) that it is
    right, which is what min_score compares with."""

    article: Article
    score: float


@dataclass(frozen=True)
class _Examples:
    """Learned example questions: their own rows, weighed with the articles' statistics."""

    words: Field
    chars: Field
    owner: np.ndarray  # article index of each example row
    source: Mapping[str, tuple[str, ...]]


# The score is a logistic function of the two signals, fitted once on public labelled
# questions (pooled, not per dataset; see bench/kb_quality.py) to tell a right first
# suggestion from a wrong or off-topic one. Its midpoint is set so that the default
# min_score of 60 keeps most right answers and stays silent on >90% of unrelated
# questions. Coverage above 2 (a word repeated in a short article) adds nothing more.
COVERAGE_WEIGHT = 1.4
COSINE_WEIGHT = 8.8
MIDPOINT = 3.2
MAX_COVERAGE = 2.0
# Fused ranking = LEXICAL_WEIGHT * lexical score (0..1) + semantic cosine (-1..1). Chosen
# on the public dev split (pooled; 0.3 to 0.7 measured within a point of each other).
LEXICAL_WEIGHT = 0.5


def score_of(coverage: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """Scores 0..100 from BM25 coverage (share of the question's word weight an article
    contains) and character n-gram cosine: about 10 for unrelated text, 60 for a good
    match of a typical question, 99 for a near-repeat of a known question."""
    z = COVERAGE_WEIGHT * np.minimum(coverage, MAX_COVERAGE) + COSINE_WEIGHT * cosine
    return 100.0 / (1.0 + np.exp(MIDPOINT - z))


class Matcher:
    """An immutable index of articles; cheap to share between threads."""

    def __init__(
        self,
        articles: Sequence[Article],
        fields: tuple[Field, Field],
        examples: _Examples | None = None,
        *,
        semantic: SemanticIndex | None = None,
        calibrated: bool = True,
    ) -> None:
        self._articles = tuple(articles)
        self._words, self._chars = fields
        self._examples = examples
        self._semantic = semantic
        self._calibrated = calibrated
        self._calibration: Calibration | None = (
            load_calibration("semantic" if semantic is not None else "lexical")
            if calibrated
            else None
        )
        self._langs = np.asarray([a.lang for a in self._articles], dtype=object)
        self._languages = frozenset(a.lang for a in self._articles)
        self._families = [a.family for a in self._articles]
        self._family_ids = (
            np.unique(np.asarray(self._families, dtype=object), return_inverse=True)[1]
            if self._articles
            else np.zeros(0, dtype=np.int64)
        )
        self._by_id = {a.id: i for i, a in enumerate(self._articles)}

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        *,
        embedder: Embedder | None = None,
        calibrated: bool = True,
    ) -> "Matcher":
        """Index the articles (and the example questions they list); with an embedder,
        their meaning too. `calibrated=False` keeps the raw lexical score (0..100) as the
        score: the matcher as it was before calibration, for comparison."""
        semantic = SemanticIndex.build(embedder, articles) if embedder and articles else None
        return cls(
            articles, build_article_fields(articles), semantic=semantic, calibrated=calibrated
        )

    @property
    def semantic(self) -> bool:
        """Whether the question's meaning counts (the sentence encoder is in use)."""
        return self._semantic is not None

    def __len__(self) -> int:
        return len(self._articles)

    @property
    def articles(self) -> tuple[Article, ...]:
        """The indexed articles, in input order."""
        return self._articles

    def get(self, article_id: str) -> Article | None:
        """The article with this id, or None."""
        index = self._by_id.get(article_id)
        return None if index is None else self._articles[index]

    def nbytes(self) -> int:
        """Memory held by the index arrays (not the articles or term dictionaries)."""
        semantic = self._semantic.nbytes() if self._semantic is not None else 0
        return self._words.nbytes() + self._chars.nbytes() + semantic

    def with_examples(self, examples: Mapping[str, Sequence[str]]) -> "Matcher":
        """A matcher whose learned example questions are exactly `examples` (article id ->
        questions; unknown ids are ignored). The article index is shared, not rebuilt: the
        cost is proportional to the number of examples."""
        owners: list[int] = []
        rows = []
        source: dict[str, tuple[str, ...]] = {}
        for article_id, questions in examples.items():
            index = self._by_id.get(article_id)
            kept = tuple(q for q in questions if q and q.strip())
            if index is None or not kept:
                continue
            source[article_id] = kept
            for question in kept:
                owners.append(index)
                rows.append(text_row(question, self._articles[index].lang))
        fields = (self._words, self._chars)
        semantic = self._semantic
        if semantic is not None:
            texts = [q for questions in source.values() for q in questions]
            semantic = semantic.with_examples(owners, texts)
        if not rows:
            return Matcher(self._articles, fields, semantic=semantic, calibrated=self._calibrated)
        words, chars = build_fields(rows, base=fields)
        learned = _Examples(words, chars, np.asarray(owners, dtype=np.int64), source)
        return Matcher(
            self._articles, fields, learned, semantic=semantic, calibrated=self._calibrated
        )

    @property
    def examples(self) -> Mapping[str, tuple[str, ...]]:
        """The learned example questions, per article id."""
        return self._examples.source if self._examples is not None else {}

    def _signals(self, text: str, lang: str) -> tuple[np.ndarray, np.ndarray]:
        """Per article: BM25 coverage and character cosine (best of article and examples)."""
        stems, grams = query_terms(text, lang)
        learned = self._examples
        word_field = learned.words if learned else self._words
        char_field = learned.chars if learned else self._chars
        # The learned fields' tables include the articles' terms (and new ones), so one
        # lookup serves both; article postings ignore the ids they do not have.
        word_query, char_query = word_field.prepare(stems), char_field.prepare(grams)
        coverage = self._words.scores(word_query)
        cosine = self._chars.scores(char_query)
        if learned is not None:
            np.maximum.at(coverage, learned.owner, learned.words.scores(word_query))
            np.maximum.at(cosine, learned.owner, learned.chars.scores(char_query))
        return coverage, cosine

    def search(
        self, text: str, *, limit: int = 3, min_score: float = 0.0, lang: str | None = None
    ) -> list[Match]:
        """The best articles for a question, best first: at most `limit`, each scoring at
        least `min_score` (and above 0), articles in the question's language first.
        `lang` None detects the language from the text."""
        if limit <= 0 or not self._articles or not text.strip():
            return []
        confident = True
        if lang is None:
            lang, confident = guess_language(text)
        fused, related = self.ranking(text, lang)
        if not related.any():
            return []
        scores = self._scores(fused)
        if not confident or lang not in self._languages:
            # No telling word or letter ("Passwort vergessen"), or no article in the
            # customer's language: the best-ranked article's language decides.
            lang = self._articles[int(np.argmax(np.where(related, fused, -np.inf)))].lang
        eligible = related & (scores >= min_score)
        same = eligible & (self._langs == lang)
        # The question's language first; one version of an article at most (never its
        # English and its German copy side by side).
        chosen: list[int] = []
        for mask in (same, eligible & ~same):
            chosen += self._one_per_family(fused, mask, limit - len(chosen), chosen)
        return [Match(self._articles[i], round(float(scores[i]), 2)) for i in chosen]

    def ranking(self, text: str, lang: str) -> tuple[np.ndarray, np.ndarray]:
        """Per article: the fused ranking score, and whether it relates to the question at
        all (shares a word or n-gram; with the encoder, every article does)."""
        coverage, cosine = self._signals(text, lang)
        lexical = score_of(coverage, cosine) / 100.0
        if self._semantic is None:
            return lexical, (coverage > 0) | (cosine > 0)
        meaning = self._semantic.scores(self._semantic.query(text))
        return LEXICAL_WEIGHT * lexical + meaning, np.ones(len(lexical), dtype=bool)

    def _scores(self, fused: np.ndarray) -> np.ndarray:
        """The scores shown and compared with min_score (0..100)."""
        if self._calibration is None:
            return fused * 100.0  # uncalibrated: the raw score (lexical: as before)
        return self._calibration.probability(fused, self._family_ids) * 100.0

    @property
    def family_ids(self) -> np.ndarray:
        """A number per article, the same for the language versions of one article."""
        return self._family_ids

    def _one_per_family(
        self, scores: np.ndarray, mask: np.ndarray, room: int, taken: list[int]
    ) -> list[int]:
        """Up to `room` best articles under `mask` whose family is not yet taken."""
        families = {self._families[i] for i in taken}
        picked: list[int] = []
        want = room
        while room > 0 and len(picked) < room:
            # Usually the first `room` candidates do; widen only past family repeats.
            candidates = _top(scores, mask, want + len(families))
            picked = []
            seen = set(families)
            for i in candidates:
                if self._families[i] not in seen:
                    seen.add(self._families[i])
                    picked.append(i)
                    if len(picked) == room:
                        break
            if len(candidates) < want + len(families) or want >= len(self._articles):
                break  # no more candidates to widen to
            want *= 2
        return picked


def _top(scores: np.ndarray, mask: np.ndarray, limit: int) -> list[int]:
    """Indexes of the `limit` highest scores where mask is set, best first (ties: input
    order, so results are stable)."""
    candidates = np.flatnonzero(mask)
    if len(candidates) > limit:
        part = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[part]
    order = np.lexsort((candidates, -scores[candidates]))
    return [int(i) for i in candidates[order]]


def suggest(matcher: Matcher, text: str, *, max_results: int, min_score: float) -> list[Match]:
    """The articles the bot suggests for a customer's message: none for greetings or
    thanks, else up to `max_results` scoring at least `min_score`."""
    if is_small_talk(text):
        return []
    return matcher.search(text, limit=max_results, min_score=min_score)
