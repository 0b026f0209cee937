"""Turning articles (and learned example questions) into the matcher's two index fields.

Each text is tokenized once and its words numbered on the fly (per language, since stems
depend on it); every distinct word is then stemmed and cut into character n-grams once,
and the row x term count matrices are sparse products (rows x words) @ (words x terms).
The Python work per word occurrence is one dictionary lookup; everything else is
proportional to the vocabulary, which is what makes 100k articles build in seconds.
"""

import gc
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Row:
    """One text to index: its language, its words (for BM25), and how many of the leading
    words also go into the character n-gram field (title, examples, start of the body)."""

    lang: str
    words: list[str]
    char_words: int


def article_row(article: Article) -> Row:
    """The row of an article: title (twice), example questions, then the body."""
    # One normalize call for the three parts (\x1f, the unit separator, survives it).
    parts = normalize(f"{article.title}\x1f{'. '.join(article.examples)}\x1f{article.body}")
    title, examples, body = parts.split("\x1f", 2)
    head = index_words(title) * TITLE_WEIGHT + index_words(examples)
    # Counting the words of the cut text counts a word the cut splits as a whole one.
    fitting = len(index_words(body[:CHAR_BODY_CHARS]))
    return Row(article.lang, head + index_words(body), len(head) + fitting)


def text_row(text: str, lang: str) -> Row:
    """The row of a short text (a learned example question): all of it in both fields."""
    words = index_words(normalize(text))
    return Row(lang, words, len(words))


def build_fields(
    rows: Iterable[Row], base: tuple[Field, Field] | None = None
) -> tuple[Field, Field]:
    """The (bm25, cosine) fields of the rows; with `base`, weighed by the base's statistics
    (learned examples are scored as if they were part of the knowledge base). Rows are
    consumed one at a time, so their word lists need not all be in memory at once."""
    enabled = gc.isenabled()
    gc.disable()  # millions of short-lived strings: the cyclic GC would rescan them often
    try:
        counts, char_counts, words, word_langs = _count_words(rows)
        stems: list[str] = []
        grams: list[str] = []
        gram_sizes: list[int] = []
        for lang in dict.fromkeys(word_langs):
            chosen = [w for w, wl in zip(words, word_langs, strict=True) if wl == lang]
            stems.extend(stems_per_word(chosen, lang))
            for word in chosen:
                pieces = char_ngrams(word)
                grams.extend(pieces)
                gram_sizes.append(len(pieces))
        # stems_per_word and the loop above visit words grouped by language: reorder the
        # word x term matrices' rows to match the word ids.
        order = np.concatenate(
            [np.flatnonzero(np.asarray(word_langs) == lang) for lang in dict.fromkeys(word_langs)]
            or [np.zeros(0, np.int64)]
        )
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
        return (
            Field.build("bm25", row_terms, word_table),
            Field.build("cosine", row_grams, char_table),
        )
    finally:
        if enabled:
            gc.enable()


def _count_words(
    rows: Iterable[Row],
) -> tuple[sp.csr_matrix, sp.csr_matrix, list[str], list[str]]:
    """Row x word count matrices (all words; character-field words), the distinct words
    (without language prefix) and each word's language."""
    # A word is stemmed with its row's language: in a multilingual KB, words of every
    # language but the first get a language prefix, so "die" (de) and "die" (en) differ.
    vocabulary: dict[str, int] = {}
    occurrences = array("q")
    sizes = array("q")
    heads = array("q")
    row_starts = array("q")
    row_langs: list[str] = []
    first_lang: str | None = None
    next_id = 0
    for row in rows:
        first_lang = first_lang or row.lang
        words = row.words
        if row.lang != first_lang:
            words = [f"{row.lang}\x1f{w}" for w in words]
        # Each occurrence gets a fresh candidate id; setdefault keeps a known word's id.
        # One C-level call per word: the only per-token Python work of the whole build.
        occurrences.extend(
            list(map(vocabulary.setdefault, words, range(next_id, next_id + len(words))))
        )
        row_starts.append(next_id)
        row_langs.append(row.lang)
        sizes.append(len(words))
        heads.append(row.char_words)
        next_id += len(words)
    # Ids have gaps (unused candidates): renumber densely, in first-seen order.
    used = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))
    dense = np.zeros(max(next_id, 1), dtype=np.int32)
    dense[used] = np.arange(len(used), dtype=np.int32)
    ids = dense[np.frombuffer(occurrences, dtype=np.int64)] if next_id else dense[:0]
    first_row = np.searchsorted(np.frombuffer(row_starts, np.int64), used, "right") - 1
    word_langs = [row_langs[i] for i in first_row.tolist()]
    words = [w.rsplit("\x1f", 1)[-1] if "\x1f" in w else w for w in vocabulary]

    n_rows, n_words = len(row_langs), max(len(used), 1)
    row_sizes = np.frombuffer(sizes, np.int64) if n_rows else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(row_sizes)])
    ones = np.ones(len(ids), dtype=np.float32)
    counts = sp.csr_matrix((ones, ids, indptr), shape=(n_rows, n_words))
    # The character field's words are a prefix of each row's words.
    row_heads = np.minimum(np.frombuffer(heads, np.int64) if n_rows else row_sizes, row_sizes)
    position = np.arange(len(ids)) - np.repeat(indptr[:-1], row_sizes)
    in_head = position < np.repeat(row_heads, row_sizes)
    char_indptr = np.concatenate([[0], np.cumsum(row_heads)])
    char_counts = sp.csr_matrix(
        (ones[in_head], ids[in_head], char_indptr), shape=(n_rows, n_words)
    )
    return counts, char_counts, words, word_langs


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
