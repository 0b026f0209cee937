"""`deskbot kb`: import articles into the knowledge base, and search it from the shell.

    deskbot kb import PATH [--into DIR]      a folder of Markdown, or a .jsonl/.csv file
    deskbot kb search "TEXT"                 ranked matches with scores (0..100)
    deskbot kb search --kb KB.jsonl --batch QUERIES.jsonl --format json
    deskbot kb search --kb KB.jsonl --examples ANSWERED.jsonl --batch QUERIES.jsonl

Search goes through `knowledge.matcher.suggest`, the code path the bot uses for
suggestions (small talk gets nothing; at most --limit results scoring --min-score or more).
A score is the estimated chance, in percent, that the article is right.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from knowledge.articles import (
    ArticleError,
    load_any,
    load_markdown_dir,
    read_markdown_dir,
    write_markdown,
)

if TYPE_CHECKING:
    from knowledge.matcher import Match


def add_kb_parser(subparsers: Any) -> None:
    """Add the `kb` command (with `import` and `search`) to a subparsers object."""
    kb = subparsers.add_parser(
        "kb",
        help="knowledge base: import articles, search them",
        description="Import articles into the knowledge base, or rank articles for a question.",
    )
    commands = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    importing = commands.add_parser(
        "import",
        help="import a folder of Markdown articles, or a .jsonl/.csv file",
        description="Read articles (a folder of Markdown with front matter, or JSONL/CSV with "
        "id,title,body,lang) and write them as Markdown into the knowledge base folder. An "
        "article whose id is already there is replaced. The running bot picks them up.",
    )
    importing.add_argument("path", type=Path, help="folder, .md, .jsonl or .csv")
    importing.add_argument(
        "--into", type=Path, help="target folder (default: knowledge_dir from deskbot.yaml)"
    )
    search = commands.add_parser(
        "search",
        help="rank articles for a question (the bot's own suggestion logic)",
        description="Print the articles the bot would suggest for TEXT, best first, with "
        "scores 0..100 (the estimated chance that the article is right). --batch reads "
        '{"qid", "text"} JSON lines and prints one '
        '{"qid", "results": [{"id", "score"}]} line per query with --format json. '
        '--examples reads {"text", "article"} JSON lines of answered questions and learns '
        "from them first, as the bot learns from /ticket answer and This solved it.",
    )
    search.add_argument("text", nargs="?", help="the question (omit with --batch)")
    search.add_argument("--kb", type=Path, help="search this KB (folder, .jsonl, .csv) instead")
    search.add_argument("--batch", type=Path, help='JSON lines of {"qid", "text"}')
    search.add_argument(
        "--examples",
        type=Path,
        help='JSON lines of {"text", "article"}: answered questions to learn from first '
        "(as /ticket answer and This solved it teach the bot)",
    )
    search.add_argument("--format", choices=("text", "json"), default="text")
    search.add_argument("--limit", type=int, help="most results per query (default: max)")
    search.add_argument(
        "--min-score", type=float, help="lowest score shown (default: suggestions.min_score)"
    )


def run_kb(
    args: argparse.Namespace, *, knowledge_dir: Path | None, max_results: int, min_score: float
) -> int:
    """Run `deskbot kb ...`; the exit status (2 for bad input)."""
    try:
        if args.kb_command == "import":
            return _import(args.path, args.into or knowledge_dir, sys.stdout)
        return _search(args, knowledge_dir, max_results, min_score, sys.stdout)
    except (ArticleError, OSError, ValueError) as error:
        print(f"deskbot kb: {error}", file=sys.stderr)
        return 2


def _import(source: Path, target: Path | None, out: TextIO) -> int:
    if target is None:
        raise ValueError("no knowledge_dir in deskbot.yaml: pass --into DIR")
    articles = load_any(source)  # everything is validated before anything is written
    existing = {a.id: path for a, path in read_markdown_dir(target)} if target.is_dir() else {}
    added = 0
    for article in articles:
        path = write_markdown(article, target)
        old = existing.get(article.id)
        if old is None:
            added += 1
        elif old.resolve() != path.resolve():
            old.unlink(missing_ok=True)  # the same article under another file name
    updated = len(articles) - added
    print(f"imported {len(articles)} articles into {target} ({added} new, {updated} replaced)",
          file=out)  # fmt: skip
    return 0


def _queries(args: argparse.Namespace) -> Iterator[tuple[Any, str]]:
    """(qid, text) pairs from --batch, or the one TEXT argument (qid None)."""
    if args.batch is None:
        if not args.text or not args.text.strip():
            raise ValueError("give the question TEXT, or --batch FILE")
        yield None, args.text
        return
    with args.batch.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                query = json.loads(line)
                text = query["text"]
                if not isinstance(text, str):
                    raise TypeError("text is not a string")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{args.batch}:{number}: expected {{\"qid\", \"text\"}}: "
                                 f"{error}") from None  # fmt: skip
            yield query.get("qid", number), text


def _search(
    args: argparse.Namespace,
    knowledge_dir: Path | None,
    max_results: int,
    min_score: float,
    out: TextIO,
) -> int:
    # Imported here, not at the top: the matcher loads SciPy, which `deskbot --help` skips.
    from bot.cli.kb_learn import knowledge_base, learn, read_examples, user_cache
    from knowledge.library import CACHE_FOLDER, DEFAULT_ARTICLES
    from knowledge.matcher import suggest

    if args.kb is not None:
        articles = load_any(args.kb)
        cache = user_cache(args.kb)  # never written beside someone's export file
    else:
        folder = knowledge_dir or DEFAULT_ARTICLES
        articles = load_markdown_dir(folder)
        # The bot's own cache, beside the articles (not inside the installed package).
        cache = None if folder.resolve() == DEFAULT_ARTICLES else folder / CACHE_FOLDER
    examples = read_examples(args.examples, {a.id for a in articles}) if args.examples else []
    list(_queries(args))  # bad input is refused before anything is embedded or learned
    knowledge = knowledge_base(articles, cache)
    if examples:
        learned = learn(knowledge, examples)
        print(f"learned {learned} answered questions from {args.examples}", file=sys.stderr)
    matcher = knowledge.matcher()
    limit = args.limit if args.limit is not None else max_results
    threshold = args.min_score if args.min_score is not None else min_score
    for qid, text in _queries(args):
        matches = suggest(matcher, text, max_results=limit, min_score=threshold)
        if args.format == "json":
            results = [{"id": m.article.id, "score": m.score} for m in matches]
            record = {"qid": qid, "results": results} if args.batch else {
                "text": text, "results": results}  # fmt: skip
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            _print_text(qid, matches, threshold, out)
    return 0


def _print_text(qid: Any, matches: "list[Match]", threshold: float, out: TextIO) -> None:
    if qid is not None:
        print(f"{qid}:", file=out)
    if not matches:
        print(f"  no article scores {threshold:g} or more (or the message is small talk)",
              file=out)  # fmt: skip
    for rank, match in enumerate(matches, start=1):
        article = match.article
        print(f"  {rank}. {match.score:5.1f}  {article.id}  {article.title} [{article.lang}]",
              file=out)  # fmt: skip
