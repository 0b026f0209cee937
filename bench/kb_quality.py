"""Knowledge-base suggestion quality: deskbot's matcher, cold and taught, against BM25.

For each dataset under ../shared/data/kb-eval (banking77, stackfaq, xsid: real questions,
each labelled with the article that answers it) the KB is loaded with
`knowledge.articles.load_jsonl` (xSID's language versions named as deskbot names them:
NAME, NAME-de, NAME-ja) and every question goes through
`knowledge.matcher.suggest`, the bot's own code path. Methods, all in one run:
- BM25 (bm25s, words lowercased, CJK as character bigrams): the baseline;
- deskbot today: words only, the raw lexical score compared with 60 (the matcher before
  meaning and calibration);
- deskbot words: words only, calibrated score (what runs without the encoder package);
- deskbot words + meaning: the sentence encoder fused with words, calibrated (default).

"Cold" asks every dev question of a matcher that learned nothing. "Learned" teaches one
half of the dev questions through `SuggestionService.learn_answered` (the path of
`/ticket answer` and *This solved it*) and asks the other half, then swaps
(bench/kb_learning.py): no question is asked of a matcher that was taught it.

    python bench/kb_quality.py [--data DIR] [--split dev] [--datasets banking77,xsid]

Columns: hit@k = share of questions with a gold article among the first k suggestions
(min_score 0); "answered / right" = share of questions that get a suggestion at the
method's default min_score, and the share of those whose first suggestion is right;
"silent" = share of the other datasets' questions (off-topic here) left unanswered;
questions/s counts each question once though the bench asks it at every threshold (the
question is embedded once; see bench/kb_speed.py for the bot's latency).
The calibration was fitted on this same dev split (bench/kb_calibrate.py prints a
cross-fitted check); the held-out split is not in this repository.
"""

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kb_learning import DEFAULT_MIN_SCORE, METHODS, Method, load_dataset, runs  # noqa: E402
from knowledge.articles import Article  # noqa: E402
from knowledge.matcher import Matcher, suggest  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "kb-eval"
DATASETS = ("banking77", "stackfaq", "xsid")
TODAY_MIN_SCORE = 60.0  # the raw lexical threshold before calibration
THRESHOLDS = (30, 40, 50, 60, 70, 80)
_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
_WORD = re.compile(r"[^\W_]+")

Ranker = Callable[[str], list[tuple[str, float]]]


@dataclass
class Score:
    """Metrics of one method on one group of questions."""

    n: int = 0
    hit1: int = 0
    hit3: int = 0
    answered: int = 0
    right: int = 0
    first: list[tuple[float, bool]] = field(default_factory=list)  # (threshold, right) shown

    def add(
        self,
        ranked: Sequence[tuple[str, float]],
        gold: set[str],
        shown: Sequence[tuple[str, float]] | None = None,
        at: dict[int, list[tuple[str, float]]] | None = None,
    ) -> None:
        """Count one question: its ranking at min_score 0, what the bot shows at the
        default threshold, and (`at`) at each threshold of the curve."""
        self.n += 1
        ids = [article_id for article_id, _ in ranked[:3]]
        self.hit3 += any(article_id in gold for article_id in ids)
        self.hit1 += bool(ids) and ids[0] in gold
        if shown:
            self.answered += 1
            self.right += shown[0][0] in gold
        for t, suggestions in (at or {}).items():
            if suggestions:
                self.first.append((t, suggestions[0][0] in gold))

    def cells(self) -> str:
        """hit@1 | hit@3."""
        return f"{self.hit1 / self.n:.3f} | {self.hit3 / self.n:.3f}"

    def answer_cell(self) -> str:
        """answered / right."""
        if not self.n:
            return "-"
        right = self.right / self.answered if self.answered else float("nan")
        return f"{self.answered / self.n:.2f} / {right:.2f}"

    def curve(self) -> list[str]:
        """answered / right at each of THRESHOLDS (first suggestion's score)."""
        cells = []
        for t in THRESHOLDS:
            kept = [right for threshold, right in self.first if threshold == t]
            precision = sum(kept) / len(kept) if kept else float("nan")
            cells.append(f"{len(kept) / self.n:.2f} / {precision:.2f}")
        return cells


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


def ask(matcher: Matcher, text: str, min_score: float) -> list[tuple[str, float]]:
    """(id, score) of the suggestions the bot shows for a question at `min_score`."""
    matches = suggest(matcher, text, max_results=3, min_score=min_score)
    return [(m.article.id, m.score) for m in matches]


def run_deskbot(
    method: Method, kb: list[Article], queries: list[dict], off_topic: list[str]
) -> tuple[dict[str, dict[str, Score]], float, float]:
    """Per condition, per language ("all" too): scores; queries/s (cold); silent share."""
    threshold = DEFAULT_MIN_SCORE if method.calibrated else TODAY_MIN_SCORE
    results: dict[str, dict[str, Score]] = {}
    qps = float("nan")
    silent = float("nan")
    for condition, pairs in runs(method, kb, queries).items():
        groups = results.setdefault(condition, {"all": Score()})
        started = time.perf_counter()
        asked = 0
        for matcher, questions in pairs:
            for query in questions:
                ranked = ask(matcher, query["text"], 0.0)
                shown = ask(matcher, query["text"], threshold)
                # What the bot shows at each threshold (the question is embedded once).
                at = {t: ask(matcher, query["text"], t) for t in THRESHOLDS}
                for group in ("all", query.get("lang", "en")):
                    score = groups.setdefault(group, Score())
                    score.add(ranked, set(query["gold"]), shown, at if method.calibrated else None)
                asked += 1
        if condition == "cold":
            qps = asked / max(time.perf_counter() - started, 1e-9)
            matcher = pairs[0][0]
            unanswered = sum(not ask(matcher, text, threshold) for text in off_topic)
            silent = unanswered / len(off_topic) if off_topic else float("nan")
    return results, qps, silent


def run_bm25(kb: list[Article], queries: list[dict]) -> tuple[dict[str, Score], float]:
    """BM25's scores per language ("all" too), and queries/s."""
    ranker = bm25_ranker(kb)
    groups = {"all": Score()}
    started = time.perf_counter()
    for query in queries:
        ranked = ranker(query["text"])
        for group in ("all", query.get("lang", "en")):
            groups.setdefault(group, Score()).add(ranked, set(query["gold"]))
    return groups, len(queries) / max(time.perf_counter() - started, 1e-9)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every dataset with every method; print the tables (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the kb-eval folder")
    parser.add_argument("--split", default="dev", help="queries_SPLIT.jsonl (default dev)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--no-baseline", action="store_true", help="skip BM25")
    args = parser.parse_args(argv)
    names = [n for n in args.datasets.split(",") if n]
    data = {n: load_dataset(args.data / n, args.split) for n in names}
    queries = {n: data[n][1] for n in names}
    table = [
        "| dataset | lang | method | cold hit@1 | cold hit@3 | learned hit@1 | learned hit@3 "
        "| cold answered / right | learned answered / right | silent | questions/s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    curves = []
    for name in names:
        kb = data[name][0]
        # Questions from the other datasets: nothing in this KB answers them (200 of each).
        off_topic = [q["text"] for other in names if other != name for q in queries[other][:200]]
        print(f"{name}: {len(kb)} articles, {len(queries[name])} queries", file=sys.stderr)
        rows: list[tuple[str, str, str]] = []
        if not args.no_baseline:
            groups, qps = run_bm25(kb, queries[name])
            for lang, score in groups.items():
                rows.append((lang, "BM25 (bm25s)",
                             f"{score.cells()} | - | - | - | - | - | {qps:,.0f}"))  # fmt: skip
        for method in METHODS:
            print(f"  {method.name}", file=sys.stderr, flush=True)
            results, qps, silent = run_deskbot(method, kb, queries[name], off_topic)
            for lang, cold in results["cold"].items():
                learned = results["learned"].get(lang, Score())
                rows.append((lang, method.name,
                             f"{cold.cells()} | {learned.cells()} | {cold.answer_cell()} | "
                             f"{learned.answer_cell()} | {silent:.2f} | {qps:,.0f}"))  # fmt: skip
            if method.calibrated:
                for condition in ("cold", "learned"):
                    cells = " | ".join(results[condition]["all"].curve())
                    curves.append(f"| {name} | {method.name} | {condition} | {cells} |")
        languages = {lang for lang, _, _ in rows}
        for lang, method_name, cells in sorted(rows, key=lambda r: r[0] != "all"):
            if lang != "all" and len(languages) == 2:
                continue  # one language: the "all" row says it
            table.append(f"| {name} | {lang} | {method_name} | {cells} |")
        print("\n".join(table[-len(rows) :]), file=sys.stderr, flush=True)
    print("\n".join(table))
    print(f"\nDefault min_score: {DEFAULT_MIN_SCORE:g} (calibrated); deskbot today: "
          f"{TODAY_MIN_SCORE:g} (raw).\n")  # fmt: skip
    print("Answered share / first suggestion right, by min_score (what the bot shows at each):\n")
    print("| dataset | method | condition | " + " | ".join(f"@{t}" for t in THRESHOLDS) + " |")
    print("|---|---|---|" + "---:|" * len(THRESHOLDS))
    print("\n".join(curves))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
