"""Knowledge-base suggestion quality: deskbot's matcher against BM25 on labelled questions.

For each dataset under ../shared/data/kb-eval (banking77, stackfaq, xsid: real questions,
each labelled with the article that answers it) the KB is loaded with
`knowledge.articles.load_jsonl` and indexed with `knowledge.matcher.Matcher`, and every
query goes through `knowledge.matcher.suggest`, the bot's own code path (min_score 0 for
ranking; the default threshold is reported separately). The baseline is BM25 (bm25s, words
lowercased, CJK as character bigrams), measured in the same run.

    python bench/kb_quality.py [--data DIR] [--split dev] [--datasets banking77,xsid]

Columns: hit@k = share of queries with a gold article among the first k suggestions;
MRR@3; "kept@60" = hit@3 counting only suggestions scoring >= 60 (the default min_score);
"silent@60" = share of other datasets' questions (off-topic for this KB) that get no
suggestion at min_score 60. Targets: beat BM25 hit@3 on every dataset.
"""

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.articles import Article, load_jsonl  # noqa: E402
from knowledge.matcher import Matcher, suggest  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "kb-eval"
DATASETS = ("banking77", "stackfaq", "xsid")
MIN_SCORE = 60.0
_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
_WORD = re.compile(r"[^\W_]+")

Ranker = Callable[[str], list[tuple[str, float]]]


@dataclass
class Score:
    """Metrics of one method on one group of queries."""

    n: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0
    kept: int = 0

    def add(self, ranked: Sequence[tuple[str, float]], gold: set[str]) -> None:
        """Count one query's ranked (id, score) list against its gold ids."""
        self.n += 1
        ids = [article_id for article_id, _ in ranked[:3]]
        rank = next((i for i, article_id in enumerate(ids) if article_id in gold), None)
        if rank is not None:
            self.hit3 += 1
            self.hit1 += rank == 0
            self.rr += 1 / (rank + 1)
            self.kept += ranked[rank][1] >= MIN_SCORE


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON Lines file."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def bm25_tokens(text: str) -> list[str]:
    """Baseline tokens: lowercased words, CJK runs as character bigrams."""
    out: list[str] = []
    for word in _WORD.findall(text.lower()):
        for part in _CJK_RUN.split(word):
            if part:
                out.append(part)
        for run in _CJK_RUN.findall(word):
            out.extend(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    return out


def bm25_ranker(articles: Sequence[Article]) -> Ranker:
    """A bm25s index over title + body."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([bm25_tokens(f"{a.title}\n{a.body}") for a in articles], show_progress=False)
    vocabulary = retriever.vocab_dict
    ids = [a.id for a in articles]

    def rank(text: str) -> list[tuple[str, float]]:
        tokens = [t for t in bm25_tokens(text) if t in vocabulary]
        if not tokens:
            return []
        docs, scores = retriever.retrieve([tokens], k=min(3, len(ids)), show_progress=False)
        return [(ids[d], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return rank


def deskbot_ranker(articles: Sequence[Article]) -> Ranker:
    """deskbot's matcher, queried through `suggest` exactly as the bot does."""
    matcher = Matcher.build(articles)

    def rank(text: str) -> list[tuple[str, float]]:
        return [
            (m.article.id, m.score) for m in suggest(matcher, text, max_results=3, min_score=0.0)
        ]

    return rank


def run_method(
    name: str,
    factory: Callable[[Sequence[Article]], Ranker],
    kb: list[Article],
    queries: list[dict],
    off_topic: list[str],
) -> list[tuple[str, str, Score, float, float, float]]:
    """Rows (method, language, score, queries/s, build ms, silent share) for one dataset."""
    started = time.perf_counter()
    ranker = factory(kb)
    build_ms = (time.perf_counter() - started) * 1000
    groups: dict[str, Score] = {"all": Score()}
    started = time.perf_counter()
    for number, query in enumerate(queries, start=1):
        ranked = ranker(query["text"])
        for group in ("all", query.get("lang", "en")):
            groups.setdefault(group, Score()).add(ranked, set(query["gold"]))
        if number % 200 == 0:
            print(f"  {name}: {number}/{len(queries)}", file=sys.stderr, flush=True)
    qps = len(queries) / max(time.perf_counter() - started, 1e-9)
    silent = sum(not [s for _, s in ranker(t) if s >= MIN_SCORE] for t in off_topic)
    silent_share = silent / len(off_topic) if off_topic else float("nan")
    rows = []
    for lang, score in groups.items():
        if lang != "all" and len(groups) == 2:
            continue  # one language: the "all" row says it
        rows.append((name, lang, score, qps, build_ms, silent_share))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run every dataset with both methods and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the kb-eval folder")
    parser.add_argument("--split", default="dev", help="queries_SPLIT.jsonl (default dev)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--no-baseline", action="store_true", help="skip BM25")
    args = parser.parse_args(argv)
    names = [n for n in args.datasets.split(",") if n]
    queries = {n: read_jsonl(args.data / n / f"queries_{args.split}.jsonl") for n in names}
    methods: list[tuple[str, Callable[[Sequence[Article]], Ranker]]] = [("deskbot", deskbot_ranker)]
    if not args.no_baseline:
        methods.append(("BM25 (bm25s)", bm25_ranker))
    print(
        "| dataset | lang | queries | method | hit@1 | hit@3 | MRR@3 | kept@60 | silent@60 "
        "| queries/s | build ms |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        kb = load_jsonl(args.data / name / "kb.jsonl")
        # Questions from the other datasets: nothing in this KB answers them (200 of each).
        off_topic = [q["text"] for other in names if other != name for q in queries[other][:200]]
        print(f"{name}: {len(kb)} articles, {len(queries[name])} queries", file=sys.stderr)
        for method, factory in methods:
            for row in run_method(method, factory, kb, queries[name], off_topic):
                label, lang, s, qps, build_ms, silent = row
                kept = f"{s.kept / s.n:.3f}" if label == "deskbot" else "-"
                silent_text = f"{silent:.3f}" if label == "deskbot" else "-"
                print(
                    f"| {name} | {lang} | {s.n} | {label} | {s.hit1 / s.n:.3f} | "
                    f"{s.hit3 / s.n:.3f} | {s.rr / s.n:.3f} | {kept} | {silent_text} | "
                    f"{qps:,.0f} | {build_ms:,.0f} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
