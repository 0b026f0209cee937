"""Sparse inverted indexes for the two lexical signals the matcher fuses.

A `Field` is one signal over a set of rows (articles, or learned example questions):
- "bm25": BM25 over stemmed words (CJK as character bigrams); a query's scores are divided
  by its total IDF, so 1.0 means "every query word found, once".
- "cosine": TF-IDF over character trigrams, rows L2-normalized; scores are cosines (0..1).

Built for 100k+ articles in seconds: each text is tokenized once, the distinct words are
stemmed and cut into n-grams once each, and the row x term matrices are products of a
sparse row x word count matrix with a word x term matrix. Postings are stored term-major
(an inverted index), so a query touches only its own terms' postings.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

K1 = 1.2
B = 0.75


def _row_sums(matrix: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Sum of each row's `values` (aligned with matrix.data), by a sparse matrix-vector
    product: one C pass, no sorting, no temporary the size of the data."""
    rows = sp.csr_matrix((values, matrix.indices, matrix.indptr), shape=matrix.shape)
    return rows @ np.ones(matrix.shape[1], dtype=values.dtype)


def term_hashes(terms: Sequence[str]) -> np.ndarray:
    """64-bit hashes of terms. Python's string hash differs between processes but not
    within one, and the index lives in memory only; collisions are negligible."""
    return np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))


class TermTable:
    """Term -> id, by hash: a sorted array of the corpus's term hashes, whose positions
    are the ids (a dict of millions of n-gram strings would take far more memory). A
    child table (learned examples) adds its own terms after its parent's, so the parent,
    shared by matchers on other threads, never changes."""

    def __init__(self, keys: np.ndarray, parent: "TermTable | None" = None) -> None:
        self.keys = keys
        self.parent = parent
        self.extra: dict[int, int] = {}

    @classmethod
    def build(cls, terms: Sequence[str]) -> tuple["TermTable", np.ndarray]:
        """The table of a corpus's terms, and the id of each given term."""
        keys, ids = np.unique(term_hashes(terms), return_inverse=True)
        return cls(keys), ids.astype(np.int32)

    def child(self, terms: Sequence[str]) -> tuple["TermTable", np.ndarray]:
        """A table with this one's terms plus the new ones among `terms`, and their ids."""
        table = TermTable(np.zeros(0, dtype=np.int64), parent=self)
        hashes = term_hashes(terms)
        ids = self.lookup(hashes)
        for index in np.flatnonzero(ids < 0).tolist():
            ids[index] = table.extra.setdefault(int(hashes[index]), len(self) + len(table.extra))
        return table, ids.astype(np.int32)

    def __len__(self) -> int:
        return (
            len(self.keys) + (len(self.parent) if self.parent is not None else 0) + len(self.extra)
        )

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The id of each term hash, -1 for unknown terms."""
        if self.parent is not None:
            ids = self.parent.lookup(hashes)
            for index in np.flatnonzero(ids < 0).tolist():
                ids[index] = self.extra.get(int(hashes[index]), -1)
            return ids
        if not len(self.keys):
            return np.full(len(hashes), -1, dtype=np.int64)
        positions = np.minimum(np.searchsorted(self.keys, hashes), len(self.keys) - 1)
        return np.where(self.keys[positions] == hashes, positions, -1).astype(np.int64)


@dataclass(frozen=True)
class Query:
    """A query prepared for one field: term ids, weights, and the score divisor."""

    ids: np.ndarray
    weights: np.ndarray
    divisor: float


class Field:
    """One signal ("bm25" or "cosine") over a set of rows, stored as term postings."""

    def __init__(
        self, kind: str, table: TermTable, idf: np.ndarray, unknown_idf: float, avg_length: float
    ) -> None:
        self.kind = kind
        self.table = table
        self.idf = idf
        self.unknown_idf = unknown_idf
        self.avg_length = avg_length
        self.indptr = np.zeros(1, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.int32)
        self.weights = np.zeros(0, dtype=np.float32)
        self.n_rows = 0

    @classmethod
    def build(cls, kind: str, counts: sp.csr_matrix, table: TermTable) -> "Field":
        """The field of a corpus: IDF (and average length) from these counts."""
        n_rows = counts.shape[0]
        counts = counts.astype(np.float32, copy=False)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        if kind == "bm25":
            idf = np.log1p((n_rows - df + 0.5) / (df + 0.5))
            unknown = math.log1p((n_rows + 0.5) / 0.5)
        else:
            # Smoothed IDF (+1): n-grams found in every article still count a little.
            idf = np.log((1 + n_rows) / (1 + df)) + 1
            unknown = math.log(1 + n_rows) + 1
        # (data.sum(), not counts.sum(): that sorts the indices of the whole matrix first)
        avg_length = float(counts.data.sum(dtype=np.float64)) / n_rows if n_rows else 1.0
        field = cls(kind, table, idf.astype(np.float32), unknown, max(avg_length, 1e-9))
        field._fill(counts)
        return field

    def extend(self, counts: sp.csr_matrix, table: TermTable) -> "Field":
        """A field over other rows (learned examples) weighed with this field's statistics;
        terms this corpus never saw count as the rarest."""
        field = Field(self.kind, table, self.idf, self.unknown_idf, self.avg_length)
        field._fill(counts.astype(np.float32, copy=False))
        return field

    def _idf_of(self, ids: np.ndarray) -> np.ndarray:
        if not len(ids) or ids.max() < len(self.idf):
            return self.idf[ids]
        known = ids < len(self.idf)
        out = np.full(len(ids), self.unknown_idf, dtype=np.float32)
        out[known] = self.idf[ids[known]]
        return out

    def _fill(self, counts: sp.csr_matrix) -> None:
        """Weigh the row x term counts (in place) and store them term-major."""
        row_sizes = np.diff(counts.indptr)
        tf = counts.data
        idf = self._idf_of(counts.indices)
        if self.kind == "bm25":
            lengths = _row_sums(counts, tf)
            norm = np.repeat(
                (K1 * (1 - B + B * lengths / self.avg_length)).astype(np.float32), row_sizes
            )
            counts.data = idf * tf * np.float32(K1 + 1) / (tf + norm)
        else:
            tf *= idf
            norms = np.sqrt(_row_sums(counts, tf * tf))
            tf /= np.repeat(np.maximum(norms, 1e-9).astype(np.float32), row_sizes)
        # CSR -> CSC is the transpose into postings; it also sorts each term's rows.
        by_term = counts.tocsc()
        self.indptr = by_term.indptr.astype(np.int64)
        self.rows = by_term.indices.astype(np.int32, copy=False)
        self.weights = by_term.data.astype(np.float32, copy=False)
        self.n_rows = counts.shape[0]

    def prepare(self, terms: Sequence[str]) -> Query:
        """Look up a query's terms in this field's table."""
        hashes, counts = np.unique(term_hashes(terms), return_counts=True)
        ids = self.table.lookup(hashes)
        known = ids >= 0
        tf = counts.astype(np.float64)
        idf = np.full(len(ids), self.unknown_idf, dtype=np.float64)
        idf[known] = self._idf_of(ids[known])
        if self.kind == "bm25":
            divisor = float((tf * idf).sum())
            weights = tf[known]
        else:
            divisor = float(np.sqrt(((tf * idf) ** 2).sum()))
            weights = (tf * idf)[known]
        return Query(ids[known], weights, max(divisor, 1e-9))

    def scores(self, query: Query) -> np.ndarray:
        """The query's score for every row of this field."""
        inside = query.ids < len(self.indptr) - 1
        ids, weights = query.ids[inside], query.weights[inside]
        if not len(ids):
            return np.zeros(self.n_rows)
        starts, ends = self.indptr[ids], self.indptr[ids + 1]
        rows = np.concatenate([self.rows[s:e] for s, e in zip(starts, ends, strict=True)])
        values = np.concatenate([self.weights[s:e] for s, e in zip(starts, ends, strict=True)])
        values = values * np.repeat(weights.astype(np.float32), ends - starts)
        return np.bincount(rows, weights=values, minlength=self.n_rows) / query.divisor

    def nbytes(self) -> int:
        """Memory held by the postings arrays."""
        return self.indptr.nbytes + self.rows.nbytes + self.weights.nbytes + self.idf.nbytes
