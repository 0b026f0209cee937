"""The knowledge base the bot serves from: articles on disk plus learned examples.

Thread-safe. It rescans the article folder at most every `check_every` (by the injected
clock) and rebuilds the matcher when a file was added, changed or removed, so edited
articles are picked up without a restart.
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from knowledge.articles import Article, load_markdown_dir
from knowledge.matcher import Matcher

logger = logging.getLogger(__name__)

DEFAULT_ARTICLES = Path(__file__).parent / "articles"
Fingerprint = tuple[tuple[str, int, int], ...]


def _fingerprint(folder: Path) -> Fingerprint:
    """Name, size and mtime of every article file: cheap change detection."""
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (str(path), stat.st_size, stat.st_mtime_ns)
            for path in folder.rglob("*.md")
            if (stat := path.stat())
        )
    )


class KnowledgeBase:
    """Holds the current matcher; reloads articles when their files change."""

    def __init__(
        self,
        folder: Path | None,
        *,
        clock: Callable[[], datetime],
        check_every: timedelta = timedelta(seconds=10),
    ) -> None:
        self._folder = Path(folder) if folder is not None else DEFAULT_ARTICLES
        self._clock = clock
        self._check_every = check_every
        self._lock = threading.Lock()
        self._examples: dict[str, tuple[str, ...]] = {}
        self._fingerprint: Fingerprint | None = None
        self._checked_at: datetime | None = None
        self._base = Matcher.build([])
        self._matcher = self._base

    @property
    def folder(self) -> Path:
        """Where the articles are read from."""
        return self._folder

    def matcher(self) -> Matcher:
        """The matcher for the articles as they are now (reloading if files changed)."""
        now = self._clock()
        with self._lock:
            due = self._checked_at is None or now - self._checked_at >= self._check_every
            if due:
                self._checked_at = now
                self._reload_if_changed()
            return self._matcher

    def set_examples(self, examples: Mapping[str, Sequence[str]]) -> None:
        """Replace the learned examples (question texts per article id)."""
        with self._lock:
            self._examples = {key: tuple(texts) for key, texts in examples.items()}
            self._matcher = self._base.with_examples(self._examples)

    def article(self, article_id: str) -> Article | None:
        """An article by id, if the knowledge base has it."""
        return self.matcher().get(article_id)

    def _reload_if_changed(self) -> None:
        fingerprint = _fingerprint(self._folder)
        if fingerprint == self._fingerprint:
            return
        try:
            articles = load_markdown_dir(self._folder) if fingerprint else []
        except ValueError:
            # A half-written or broken article must not take suggestions down: keep serving
            # the last good knowledge base and say which file is wrong.
            logger.exception("knowledge base not reloaded from %s", self._folder)
            return
        self._fingerprint = fingerprint
        self._base = Matcher.build(articles)
        self._matcher = self._base.with_examples(self._examples)
        logger.info("knowledge base loaded: %d articles from %s", len(articles), self._folder)
