"""`deskbot kb search --examples FILE`: learn answered questions before searching.

The questions are taught the way `/ticket answer` and *This solved it* teach the bot
(`SuggestionService.learn_answered`), on a throwaway SQLite database (nothing is kept),
so the figures of
`bench/kb_quality.py`'s learned mode can be reproduced from the command line.
"""

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.articles import Article
    from knowledge.library import KnowledgeBase


def read_examples(path: Path, known: set[str]) -> list[tuple[str, str]]:
    """(article id, question) pairs from JSON lines of {"text", "article"}; a ValueError
    naming the line for anything else, or for an article the KB does not have."""
    pairs = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, article = record["text"], record["article"]
                if not isinstance(text, str) or not isinstance(article, str):
                    raise TypeError("text and article must be strings")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(
                    f'{path}:{number}: expected {{"text", "article"}}: {error}'
                ) from None
            if article not in known:
                raise ValueError(f"{path}:{number}: no article {article!r} in this knowledge base")
            if text.strip():
                pairs.append((article, text))
    return pairs


def user_cache(kb: Path) -> Path:
    """Where `--kb PATH` keeps its embedding cache: the user's cache folder
    ($XDG_CACHE_HOME, else ~/.cache), one subfolder per knowledge base path."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.blake2b(str(kb.resolve()).encode("utf-8"), digest_size=6).hexdigest()
    return root / "deskbot" / f"kb-{key}"


def knowledge_base(articles: "list[Article]", cache_folder: Path | None) -> "KnowledgeBase":
    """A knowledge base of these articles (by meaning too, when the encoder is installed;
    says so on stderr when it is not)."""
    from bot.clock import utc_now
    from knowledge.library import KnowledgeBase, embedder_for
    from knowledge.semantic import encoder_notice, load_encoder

    if load_encoder() is None:
        print(f"deskbot kb: {encoder_notice(None)}", file=sys.stderr)
        return KnowledgeBase.of_articles(articles, clock=utc_now)
    return KnowledgeBase.of_articles(articles, clock=utc_now, embedder=embedder_for(cache_folder))


def learn(knowledge: "KnowledgeBase", pairs: list[tuple[str, str]]) -> int:
    """Teach the knowledge base the answered questions; how many were new."""
    from sqlmodel import SQLModel

    import store.models  # noqa: F401 - the tables create_all makes
    from bot.clock import utc_now
    from bot.config import Suggestions
    from bot.suggestions import SuggestionService
    from store.db import make_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'examples.db'}")
        try:
            # A throwaway database: the tables, without the migrations' history.
            SQLModel.metadata.create_all(engine)
            service = SuggestionService(engine, knowledge, utc_now, Suggestions())
            return service.learn_answered(pairs)
        finally:
            engine.dispose()
