"""Fit the score calibration (knowledge/calibration.json) on the public dev split.

For each dataset and each matching mode (words + meaning, words only), every dev question
is asked of the cold matcher and of the matcher taught the other half (see
bench/kb_learning.py); questions from the other datasets are asked too, as questions the
knowledge base cannot answer. The first three ranked articles of each become rows
(features from `knowledge.calibration.features`, label: is it a gold article), pooled
over all datasets, and a logistic regression is fitted to them.

Fitting on the dev split and then measuring on it flatters the result, so this also
prints a cross-fitted check: fit on the questions at even positions, measure on the odd
ones, and the other way round. (The held-out split is not in this repository.)

    python bench/kb_calibrate.py [--data DIR] [--write]
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kb_learning import DEFAULT_MIN_SCORE, Method, load_dataset, runs  # noqa: E402
from knowledge.calibration import CALIBRATION_FILE, features  # noqa: E402
from knowledge.language import guess_language  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "kb-eval"
DATASETS = ("banking77", "stackfaq", "xsid")
OFF_TOPIC = 100  # questions taken from each other dataset
TOP = 3


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method (IRLS), a small ridge for stability."""
    design = np.column_stack([x, np.ones(len(x))])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + l2 * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def collect(method: Method, data: Path) -> list[dict]:
    """Rows: dataset, condition, question parity, rank, features, label."""
    loaded = {n: load_dataset(data / n) for n in DATASETS}
    queries = {n: loaded[n][1] for n in DATASETS}
    for group in queries.values():
        for position, query in enumerate(group):
            query["_pos"] = position
    rows: list[dict] = []
    for name in DATASETS:
        articles = loaded[name][0]
        off = [q for other in DATASETS if other != name for q in queries[other][:OFF_TOPIC]]
        print(f"{method.name}: {name}", file=sys.stderr, flush=True)
        for condition, pairs in runs(method, articles, queries[name]).items():
            for matcher, asked in pairs:
                ids = np.asarray([a.id for a in matcher.articles])
                for offtopic, group in ((False, asked), (True, off)):
                    for q in group:
                        fused, related = matcher.ranking(q["text"], guess_language(q["text"])[0])
                        # As the matcher does: features over every article, candidates
                        # among the related ones.
                        families = matcher.family_ids
                        feats = features(fused, families)
                        ranked = np.where(related, fused, -np.inf)
                        top = []  # the first TOP related articles, one per family
                        for i in np.argsort(-ranked, kind="stable"):
                            if len(top) == TOP or not np.isfinite(ranked[i]):
                                break
                            if all(families[j] != families[i] for j in top):
                                top.append(int(i))
                        gold = set() if offtopic else set(q["gold"])
                        parity = q["_pos"] % 2
                        for rank, i in enumerate(top):
                            rows.append({
                                "dataset": name, "condition": condition, "off": offtopic,
                                "parity": parity, "rank": rank, "x": feats[i],
                                "y": float(ids[i] in gold),
                            })  # fmt: skip
    return rows


def curve(rows: list[dict], weights: np.ndarray, bias: float, thresholds: Sequence[float]) -> str:
    """Answered share and first-suggestion precision per threshold, per dataset."""
    lines = []
    for name in DATASETS:
        for condition in ("cold", "learned"):
            first = [r for r in rows if r["dataset"] == name and r["condition"] == condition
                     and r["rank"] == 0 and not r["off"]]  # fmt: skip
            if not first:
                continue
            p = 100 / (1 + np.exp(-(np.asarray([r["x"] for r in first]) @ weights + bias)))
            right = np.asarray([r["y"] for r in first])
            cells = []
            for t in thresholds:
                answered = p >= t
                precision = right[answered].mean() if answered.any() else float("nan")
                cells.append(f"{answered.mean():.2f} / {precision:.2f}")
            lines.append(f"| {name} | {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Fit both modes, print the cross-fitted check, and write the file if asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE.name}")
    args = parser.parse_args(argv)
    fitted: dict[str, object] = {
        "about": "Logistic coefficients of the suggestion score (features: fused score, gap to "
        "the best other article family). Fitted by bench/kb_calibrate.py --write on the public "
        "dev split (banking77, stackfaq, xsid; cold and learned; off-topic questions as wrong "
        "answers)."
    }
    thresholds = (30, 40, 50, 60, 70, 80)
    for mode, method in (
        ("semantic", Method("words + meaning", semantic=True)),
        ("lexical", Method("words", semantic=False)),
    ):
        rows = collect(method, args.data)
        x = np.asarray([r["x"] for r in rows])
        y = np.asarray([r["y"] for r in rows])
        weights, bias = fit_logistic(x, y)
        fitted[mode] = {"weights": [round(float(w), 4) for w in weights], "bias": round(bias, 4)}
        print(f"\n{mode}: weights {weights.round(4).tolist()} bias {bias:.4f}")
        header = " | ".join(f"answered / precision @{t}" for t in thresholds)
        print(f"\nCross-fitted ({mode}): fitted on one half of the questions, measured on the "
              f"other\n\n| dataset | condition | {header} |")  # fmt: skip
        print("|---|---|" + "---:|" * len(thresholds))
        for parity in (0, 1):
            train = [r for r in rows if r["parity"] != parity]
            w, b = fit_logistic(np.asarray([r["x"] for r in train]),
                                np.asarray([r["y"] for r in train]))  # fmt: skip
            print(curve([r for r in rows if r["parity"] == parity], w, b, thresholds))
        print(f"(default min_score {DEFAULT_MIN_SCORE:g}; each half printed separately)")
    if args.write:
        CALIBRATION_FILE.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
