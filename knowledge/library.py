"""The knowledge base the bot serves from: articles on disk plus learned examples.

Thread-safe. At most every `check_every` (by the injected clock) it compares the size and
modification time of every article file with the last scan and rebuilds the matcher when
a file was added, changed or removed, so edited articles are picked up without a restart.
A reload builds the new matcher while the old one keeps answering; a broken article file
keeps the last good knowledge base in service and is logged once per change.
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from knowledge.articles import (
    SAMPLE_ARTICLES,
    Article,
    ArticleError,
    load_markdown_dir,
    markdown_files,
)
from knowledge.matcher import Matcher
from knowledge.semantic import Embedder, load_encoder

logger = logging.getLogger(__name__)

DEFAULT_ARTICLES = SAMPLE_ARTICLES  # the shipped sample articles (knowledge.articles)
CACHE_FOLDER = ".deskbot-cache"  # in the articles folder: the embedding cache
Fingerprint = tuple[tuple[str, int, int], ...]


@cache
def embedder_for(cache_dir: Path | None) -> Embedder | None:
    """The process's embedder for one cache folder (None: memory only), or None without
    the sentence encoder. Shared, so a second knowledge base on the same folder (tests,
    the CLI) reuses the vectors already computed."""
    encoder = load_encoder()
    return Embedder(encoder, cache_dir) if encoder is not None else None


def default_embedder(folder: Path | None) -> Embedder | None:
    """The embedder for an articles folder: its cache in `CACHE_FOLDER` inside it (in
    memory only for the shipped sample articles, which live inside the package)."""
    if folder is None:
        return None
    if Path(folder).resolve() == SAMPLE_ARTICLES:
        return embedder_for(None)
    return embedder_for(Path(folder).resolve() / CACHE_FOLDER)


def fingerprint(folder: Path) -> Fingerprint:
    """Path, size and mtime of every article file: cheap change detection."""
    if not folder.is_dir():
        return ()
    found = []
    for path in markdown_files(folder):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed between listing and stat: the next scan sees it gone
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class KnowledgeBase:
    """Holds the current matcher; reloads the articles when their files change."""

    def __init__(
        self,
        folder: Path | None,
        *,
        clock: Callable[[], datetime],
        check_every: timedelta = timedelta(seconds=10),
        embedder: Embedder | None = None,
        articles: Sequence[Article] | None = None,
        calibrated: bool = True,
    ) -> None:
        # None: no articles at all (production without a knowledge_dir); the shipped sample
        # articles are DEFAULT_ARTICLES, used only when asked for.
        self._folder = Path(folder) if folder is not None else None
        self._embedder = embedder  # None: words only
        self._fixed = tuple(articles) if articles is not None else None
        self._calibrated = calibrated  # False: raw lexical scores, for comparison only
        self._clock = clock
        self._check_every = check_every
        self._reload_lock = threading.Lock()  # one reload at a time
        self._swap_lock = threading.Lock()  # base matcher + examples change together
        self._examples: dict[str, tuple[str, ...]] = {}
        self._seen: Fingerprint | None = None  # last scan, loaded or not
        self._checked_at: datetime | None = None
        self._loaded = False
        self._base = Matcher.build([])
        self._matcher = self._base

    @classmethod
    def of_articles(
        cls,
        articles: Sequence[Article],
        *,
        clock: Callable[[], datetime],
        embedder: Embedder | None = None,
        calibrated: bool = True,
    ) -> "KnowledgeBase":
        """A knowledge base of these articles, never reloaded (the CLI, the benchmarks)."""
        return cls(None, clock=clock, embedder=embedder, articles=articles, calibrated=calibrated)

    @property
    def semantic(self) -> bool:
        """Whether questions are matched by meaning as well as words."""
        return self._embedder is not None

    @property
    def folder(self) -> Path | None:
        """Where the articles are read from (None: there are none)."""
        return self._folder

    def matcher(self) -> Matcher:
        """The matcher for the articles as they are now (reloading if files changed)."""
        now = self._clock()
        # The first load is waited for; later reloads happen in one caller's thread
        # while everyone else keeps using the previous matcher.
        if self._due(now) and self._reload_lock.acquire(blocking=not self._loaded):
            try:
                if self._due(now):
                    self._reload_if_changed()
                    # Only now: a reader arriving mid-load must not take it as done.
                    self._checked_at = now
            finally:
                self._reload_lock.release()
        return self._matcher

    def _due(self, now: datetime) -> bool:
        return self._checked_at is None or now - self._checked_at >= self._check_every

    def set_examples(self, examples: Mapping[str, Sequence[str]]) -> None:
        """Replace the learned example questions (question texts per article id)."""
        with self._swap_lock:
            self._examples = {key: tuple(texts) for key, texts in examples.items()}
            self._matcher = self._base.with_examples(self._examples)

    def article(self, article_id: str) -> Article | None:
        """An article by id, if the knowledge base has it."""
        return self.matcher().get(article_id)

    def _reload_if_changed(self) -> None:
        if self._fixed is not None:
            if not self._loaded:
                self._install(list(self._fixed))
            return
        if self._folder is None:
            self._loaded = True  # nothing to read, ever
            return
        scanned = fingerprint(self._folder)
        if scanned == self._seen:
            return
        self._seen = scanned
        if not scanned and not self._folder.is_dir():
            logger.warning("knowledge base folder %s does not exist: no articles", self._folder)
        try:
            articles = load_markdown_dir(self._folder) if scanned else []
        except ArticleError as error:
            # A half-written or broken article must not take suggestions down: keep serving
            # the last good knowledge base and say which file is wrong.
            logger.error("knowledge base not reloaded: %s", error)
            return
        self._install(articles)
        logger.info("knowledge base loaded: %d articles from %s", len(articles), self._folder)

    def _install(self, articles: list[Article]) -> None:
        base = Matcher.build(articles, embedder=self._embedder, calibrated=self._calibrated)
        with self._swap_lock:
            self._base = base
            self._matcher = base.with_examples(self._examples)
        self._loaded = True
