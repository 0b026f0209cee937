"""Turning articles (and learned example questions) into the matcher's two index fields.

Each text is tokenized once and its words numbered on the fly (per language, since stems
depend on it); every distinct word is then stemmed and cut into character n-grams once,
and the row x term count matrices are sparse products (rows x words) @ (words x terms).
The Python work per word occurrence is one dictionary lookup; everything else is
proportional to the vocabulary, which is what makes 100k articles build in seconds.
"""

import gc
import logging
import os
import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from knowledge.articles import Article
from knowledge.index import Field, TermTable
from knowledge.text import char_ngrams, index_words, normalize, stems_per_word

# The title is the best summary of what an article answers: it counts twice.
TITLE_WEIGHT = 2
# Character n-grams look at the title, the examples and the start of the body only: that
# is where the question-like text is, and it bounds the index size for long articles
# (measured: no loss against the whole body). Words (BM25) cover the whole body.
CHAR_BODY_CHARS = 300
# From this many articles on, tokenizing runs on two cores (below, a second process's
# start-up costs more than it saves).
PARALLEL_MIN_ARTICLES = 20_000

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Row:
    """One text to index: its language, its words (for BM25), and how many of the leading
    words also go into the character n-gram field (title, examples, start of the body)."""

    lang: str
    words: list[str]
    char_words: int


def article_row(article: Article) -> Row:
    """The row of an article: title (twice), example questions, then the body."""
    return _row(article.lang, article.title, article.examples, article.body)


def _row(lang: str, title: str, examples: Sequence[str], body: str) -> Row:
    # One normalize call for the three parts (\x1f, the unit separator, survives it).
    title, joined, body = normalize(f"{title}\x1f{'. '.join(examples)}\x1f{body}").split("\x1f", 2)
    head = index_words(title) * TITLE_WEIGHT + index_words(joined)
    # Counting the words of the cut text counts a word the cut splits as a whole one.
    fitting = len(index_words(body[:CHAR_BODY_CHARS]))
    return Row(lang, head + index_words(body), len(head) + fitting)


def text_row(text: str, lang: str) -> Row:
    """The row of a short text (a learned example question): all of it in both fields."""
    words = index_words(normalize(text))
    return Row(lang, words, len(words))


@dataclass
class _Encoded:
    """Rows as word ids: the distinct words (per-language vocabularies), and the word ids
    of every row, for the word field and for the character field, row after row."""

    vocabularies: dict[str, dict[str, int]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    word_langs: list[str] = field(default_factory=list)
    occurrences: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    char_occurrences: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    char_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


@contextmanager
def _without_gc() -> Iterator[None]:
    """Pause the cyclic GC: a build makes millions of short-lived strings and lists, and
    the collector would rescan them over and over (measured: a third of the build time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_fields(
    rows: Iterable[Row], base: tuple[Field, Field] | None = None
) -> tuple[Field, Field]:
    """The (bm25, cosine) fields of the rows; with `base`, weighed by the base's statistics
    (learned examples are scored as if they were part of the knowledge base). Rows are
    consumed one at a time, so their word lists need not all be in memory at once."""
    with _without_gc():
        return _fields(_encode(rows), base)


def build_article_fields(articles: Sequence[Article]) -> tuple[Field, Field]:
    """The fields of a knowledge base. Large ones are tokenized on two cores."""
    with _without_gc():
        if len(articles) >= PARALLEL_MIN_ARTICLES and (os.cpu_count() or 1) > 1:
            encoded = _encode_in_parallel(articles)
        else:
            encoded = _encode(article_row(a) for a in articles)
        return _fields(encoded, None)


def _encode_in_parallel(articles: Sequence[Article]) -> _Encoded:
    """Tokenize the last part of the articles in a helper process while this one does
    the rest, then merge the vocabularies. Falls back to one process if that fails."""
    from knowledge.worker import Helper

    # The helper starts a fresh interpreter first (about half a second): give it less.
    # It takes the end, so the merge walks its (smaller) vocabulary into ours.
    split = len(articles) * 3 // 5
    try:
        helper = Helper(articles[split:])
    except OSError:
        logger.warning("no indexing helper process; indexing on one core", exc_info=True)
        return _encode(article_row(a) for a in articles)
    mine = _encode(article_row(a) for a in articles[:split])
    try:
        theirs = helper.result()
    except (RuntimeError, OSError, pickle.UnpicklingError, EOFError):
        logger.warning("indexing helper failed; indexing its part here", exc_info=True)
        theirs = _encode(article_row(a) for a in articles[split:])
    return _merge(mine, theirs)


def encode_parts(items: Sequence[tuple[str, str, Sequence[str], str]]) -> _Encoded:
    """Encode articles given as (lang, title, examples, body): the helper's work."""
    with _without_gc():
        return _encode(_row(*item) for item in items)


def _encode(rows: Iterable[Row]) -> _Encoded:
    """Number the words of the rows (a word is stemmed with its row's language, so "die"
    in a German row and "die" in an English one are two words)."""
    encoded = _Encoded()
    vocabularies, words, word_langs = encoded.vocabularies, encoded.words, encoded.word_langs
    occurrences, sizes = array("q"), array("q")
    char_occurrences, char_sizes = array("q"), array("q")
    for row in rows:
        vocabulary = vocabularies.get(row.lang)
        if vocabulary is None:
            vocabulary = vocabularies[row.lang] = {}
        # One C-level dict lookup per word occurrence: the only per-token Python work of
        # the whole build. New words (rarer and rarer as the vocabulary fills) get ids here.
        ids = list(map(vocabulary.get, row.words))
        if None in ids:
            for position, found in enumerate(ids):
                if found is None:
                    word = row.words[position]
                    found = vocabulary.get(word)
                    if found is None:
                        found = vocabulary[word] = len(words)
                        words.append(word)
                        word_langs.append(row.lang)
                    ids[position] = found
        occurrences.extend(ids)
        sizes.append(len(ids))
        head = ids[: row.char_words]
        char_occurrences.extend(head)
        char_sizes.append(len(head))
    encoded.occurrences = np.array(occurrences, dtype=np.int64)
    encoded.sizes = np.array(sizes, dtype=np.int64)
    encoded.char_occurrences = np.array(char_occurrences, dtype=np.int64)
    encoded.char_sizes = np.array(char_sizes, dtype=np.int64)
    return encoded


def _merge(first: _Encoded, second: _Encoded) -> _Encoded:
    """The rows of `first` then `second`, in `first`'s vocabulary (extended)."""
    remap = np.zeros(max(len(second.words), 1), dtype=np.int64)
    for lang, theirs in second.vocabularies.items():
        ours = first.vocabularies.setdefault(lang, {})
        for word, index in theirs.items():
            found = ours.get(word)
            if found is None:
                found = ours[word] = len(first.words)
                first.words.append(word)
                first.word_langs.append(lang)
            remap[index] = found
    first.occurrences = np.concatenate([first.occurrences, remap[second.occurrences]])
    first.sizes = np.concatenate([first.sizes, second.sizes])
    first.char_occurrences = np.concatenate(
        [first.char_occurrences, remap[second.char_occurrences]]
    )
    first.char_sizes = np.concatenate([first.char_sizes, second.char_sizes])
    return first


def _count_matrices(encoded: _Encoded) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Row x word count matrices: all words, and the character field's words."""
    shape = (len(encoded.sizes), max(len(encoded.words), 1))

    def matrix(occurrences: np.ndarray, sizes: np.ndarray) -> sp.csr_matrix:
        # Repeated words stay repeated entries: the products below add them up.
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        ones = np.ones(len(occurrences), dtype=np.float32)
        return sp.csr_matrix((ones, occurrences.astype(np.int32), indptr), shape=shape)

    return (
        matrix(encoded.occurrences, encoded.sizes),
        matrix(encoded.char_occurrences, encoded.char_sizes),
    )


def _fields(encoded: _Encoded, base: tuple[Field, Field] | None) -> tuple[Field, Field]:
    """The two fields from encoded rows: (rows x words) @ (words x terms) per field."""
    counts, char_counts = _count_matrices(encoded)
    words, word_langs = encoded.words, encoded.word_langs
    stems: list[str] = []
    grams: list[str] = []
    gram_sizes: list[int] = []
    languages = list(dict.fromkeys(word_langs))
    for lang in languages:
        chosen = [w for w, wl in zip(words, word_langs, strict=True) if wl == lang]
        stems.extend(stems_per_word(chosen, lang))
        for word in chosen:
            pieces = char_ngrams(word)
            grams.extend(pieces)
            gram_sizes.append(len(pieces))
    # Words were visited grouped by language: `order` maps that back to word ids.
    langs = np.asarray(word_langs, dtype=object)
    order = np.concatenate([np.flatnonzero(langs == lang) for lang in languages] or [[]])
    order = order.astype(np.int64)
    word_table, stem_ids = _table(stems, base[0].table if base else None)
    char_table, gram_ids = _table(grams, base[1].table if base else None)
    n_words = max(len(words), 1)
    stem_matrix = _word_terms(order, np.ones(len(order), np.int64), stem_ids, n_words)
    gram_matrix = _word_terms(order, np.asarray(gram_sizes, np.int64), gram_ids, n_words)
    stem_matrix.resize(n_words, max(len(word_table), 1))
    gram_matrix.resize(n_words, max(len(char_table), 1))
    row_terms = counts @ stem_matrix
    row_grams = char_counts @ gram_matrix
    del counts, char_counts, stem_matrix, gram_matrix
    if base is not None:
        return base[0].extend(row_terms, word_table), base[1].extend(row_grams, char_table)
    return Field.build("bm25", row_terms, word_table), Field.build("cosine", row_grams, char_table)


def _table(terms: list[str], parent: TermTable | None) -> tuple[TermTable, np.ndarray]:
    """A term table for the terms (a child of `parent` if given) and each term's id."""
    return parent.child(terms) if parent is not None else TermTable.build(terms)


def _word_terms(
    order: np.ndarray, sizes: np.ndarray, term_ids: np.ndarray, n_words: int
) -> sp.csr_matrix:
    """Word x term counts from terms listed word by word in `order` (sizes[i] terms for
    word order[i])."""
    word_of_term = np.repeat(order, sizes)
    ones = np.ones(len(term_ids), dtype=np.float32)
    width = int(term_ids.max()) + 1 if len(term_ids) else 1
    return sp.csr_matrix((ones, (word_of_term, term_ids)), shape=(n_words, width))


def query_terms(text: str, lang: str) -> tuple[list[str], list[str]]:
    """A query's stems (for BM25) and character n-grams."""
    words = index_words(normalize(text))
    stems = stems_per_word(words, lang)
    grams = [gram for word in words for gram in char_ngrams(word)]
    return stems, grams
