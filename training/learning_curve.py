"""Learning-curve simulation of the workbench's review queue (issue #15): how much k analyst reviews
improve the strict model (no annotated CV in training), when the reviews are chosen by the review
queue's rule or at random, with the annotated dev CVs as the oracle.

    python training/learning_curve.py --dataset training/work/dataset.jsonl [--reduced] [--ks 0,50,100,200,400]
        [--out reports/learning-curve.md]

The dev CVs are split in two halves by CV (seed --seed): candidates, which the analyst may review, and
a test half, which measures. A review labels one title: every candidate position with that title
(lower-cased, trimmed) gets the title's majority label per task, as a title correction applies to every
position with the title. The review queue's rule (src/store/review-queue.ts) ranks titles by
the strict model's mean uncertainty times ln(1 + positions), two ways: least confidence alone, and the
product's default (the mean of least confidence, margin and entropy, with the page-by-page diversity
of trigram clusters); random draws positions uniformly and reviews their titles. Reviewed rows join the strict training set weighted like the
annotated CVs (--dev-weight), as `npm run train -- --corrections` weighs corrections. The model is the
members that need no sentence encoder (ngram_lr, gbdt, word_mlp) pooled with equal weights and the
keyword fallback below 0.5, refitted for each k. Figures: accuracy and macro-F1 on all test positions.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402  (training/train.py: the same rows, weights and pool)
from cvtrain.data import CLASSES, TASKS, Vocabulary, load  # noqa: E402
from cvtrain.members import MEMBERS, make_member  # noqa: E402
from cvtrain.pool import pool, with_fallback  # noqa: E402
from cvtrain.report import fmt, metrics  # noqa: E402


def uncertainty(probs: np.ndarray) -> np.ndarray:
    """Least confidence, margin and entropy per row (src/domain/uncertainty.ts), shape (3, rows)."""
    top2 = -np.sort(-probs, axis=1)[:, :2]
    entropy = -(probs * np.log(np.clip(probs, 1e-12, None))).sum(1) / np.log(probs.shape[1])
    return np.stack([1 - top2[:, 0], 1 - (top2[:, 0] - top2[:, 1]), entropy])


def trigrams(text: str) -> set[str]:
    padded = f" {' '.join(text.lower().split())} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def diversified(order: list[str], n: int, page: int = 20, threshold: float = 0.6) -> list[str]:
    """The order an analyst meets titles reading the queue page by page (src/store/review-queue.ts):
    each page clusters the best 10 x page remaining titles by trigram Jaccard and proposes each
    cluster's best; proposed titles leave the queue, their similar titles stay for later pages."""
    remaining, out = list(order), []
    while remaining and len(out) < n:
        leaders: list[tuple[str, set[str]]] = []
        for title in remaining[:10 * page]:
            grams = trigrams(title)
            if any(len(grams & g) / len(grams | g) >= threshold for _, g in leaders):
                continue
            if len(leaders) < page:
                leaders.append((title, grams))
        out += [t for t, _ in leaders]
        chosen = {t for t, _ in leaders}
        remaining = [t for t in remaining if t not in chosen]
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="training/work/dataset.jsonl")
    ap.add_argument("--reduced", action="store_true", help="small members (what CI runs)")
    ap.add_argument("--ks", default="0,50,100,200,400", help="numbers of reviews (default %(default)s)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dev-weight", type=float, default=4.0)
    ap.add_argument("--out", default="reports/learning-curve.md", help="the Markdown table (and .json beside it)")
    args = ap.parse_args()
    started = time.time()
    log = lambda msg: print(f"[{time.time() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    ds = load(args.dataset)
    train.DENSE = ds.dense_names
    opts = argparse.Namespace(reduced=args.reduced, title_view_weight=0.0, seed=args.seed, dev_weight=args.dev_weight,
                              pseudo_weight=0.5, pseudo_floor=0.7, members=",".join(MEMBERS))
    cfg = train.Config(opts, has_encoder=False, has_static=False)
    dev = np.flatnonzero(ds.kind == "cv-dev")
    split = GroupShuffleSplit(n_splits=1, test_size=0.5, random_state=args.seed)
    cand_pos, test_pos = next(split.split(dev, groups=ds.group[dev]))
    candidates, test = dev[cand_pos], dev[test_pos]
    key = np.array([ds.rows[i]["title"].strip().lower() for i in range(len(ds.rows))])
    labels = {task: ds.labels(task) for task in TASKS}
    # A title's majority label per task over the candidate positions: what one review sets.
    majority = {task: {} for task in TASKS}
    for task in TASKS:
        for k in np.unique(key[candidates]):
            ys = labels[task][candidates[key[candidates] == k]]
            ys = ys[ys >= 0]
            if len(ys):
                majority[task][k] = int(np.bincount(ys).argmax())

    def fit_predict(reviewed_titles: list[str], rows: np.ndarray) -> dict:
        """Strict training rows plus the reviewed titles' candidate positions; pooled probabilities on `rows`."""
        reviewed = candidates[np.isin(key[candidates], reviewed_titles)]
        out = {}
        fitted = {task: train.training_rows(ds, task, cfg, None) for task in TASKS}
        grams = [ds.rows[i]["ngrams"] for i in np.union1d(np.union1d(fitted["seniority"][0], fitted["department"][0]), reviewed)]
        for task in TASKS:
            idx, y, w = fitted[task]
            extra = np.array([r for r in reviewed if key[r] in majority[task]], dtype=int)
            idx = np.concatenate([idx, extra])
            y = np.concatenate([y, np.array([majority[task][key[r]] for r in extra], dtype=int)])
            w = np.concatenate([w, np.full(len(extra), args.dev_weight)])
            probs = []
            for name in cfg.members:
                member = make_member(name, task, cfg.seed, cfg.params)
                vocab = Vocabulary(grams, member.prefixes) if member.prefixes else None
                probs.append(member.fit(ds, idx, y, w, vocab).predict(ds, rows))
            out[task] = pool(probs, np.full(len(probs), 1.0 / len(probs)), np.zeros(len(CLASSES[task])))
        return out

    def evaluate(reviewed_titles: list[str]) -> dict:
        pooled = fit_predict(reviewed_titles, test)
        result = {}
        for task in TASKS:
            final, _ = with_fallback(pooled[task], ds.keyword(task)[0][test], 0.5)
            m = metrics(task, labels[task][test], final)
            result[task] = {"accuracy": m["accuracy"], "macroF1": m["macroF1"]}
        result["positionsLabeled"] = int(np.isin(key[candidates], reviewed_titles).sum())
        return result

    ks = [int(k) for k in args.ks.split(",")]
    log(f"{len(candidates)} candidate and {len(test)} test positions; strict model for the review queue")
    strict = fit_predict([], candidates)
    titles, inverse = np.unique(key[candidates], return_inverse=True)
    counts = np.bincount(inverse)

    def ranked(per_position: np.ndarray) -> list[str]:
        """Titles by mean uncertainty x ln(1 + positions), as the queue's SQL ranks them."""
        mean = np.bincount(inverse, weights=per_position) / counts
        return [titles[i] for i in np.lexsort((titles, -(mean * np.log1p(counts))))]

    least = ranked(np.max([uncertainty(strict[t])[0] for t in TASKS], axis=0))
    combined = diversified(ranked(np.max([np.mean(uncertainty(strict[t]), axis=0) for t in TASKS], axis=0)), max(ks))
    rng = np.random.default_rng(args.seed)
    random_order: list[str] = []
    for r in rng.permutation(candidates):
        if key[r] not in random_order:
            random_order.append(key[r])

    rows = []
    for k in ks:
        for strategy, order in (("queue: least confidence", least), ("queue: combined + diversity", combined), ("random", random_order)):
            if k == 0 and strategy != "random":
                continue
            result = evaluate(order[:k])
            rows.append({"k": k, "strategy": "none (strict model)" if k == 0 else strategy, **result})
            log(f"k={k} {strategy}: " + ", ".join(f"{t} {fmt(result[t]['accuracy'])} / {fmt(result[t]['macroF1'])}" for t in TASKS))

    lines = [
        "# Learning curve: reviews chosen by the review queue vs at random",
        "",
        f"Generated by `training/learning_curve.py` ({'reduced' if args.reduced else 'full'} members, seed {args.seed}): "
        f"the strict model plus k reviewed titles (dev CVs as the oracle), measured on the other half of the dev CVs "
        f"({len(test)} positions, split by CV; {len(candidates)} candidate positions, {len(titles)} distinct titles). "
        "One review labels a title, so it covers every candidate position with it. Members without the sentence "
        "encoder, equal-weight pool, keyword fallback below 0.5. One split and one random draw: differences of a "
        "point or two are within noise.",
        "",
        "| k reviews | chosen by | positions labeled | seniority acc | seniority macro-F1 | department acc | department macro-F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['k']} | {r['strategy']} | {r['positionsLabeled']} | {fmt(r['seniority']['accuracy'])} | "
                     f"{fmt(r['seniority']['macroF1'])} | {fmt(r['department']['accuracy'])} | {fmt(r['department']['macroF1'])} |")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(args.out)[0] + ".json", "w", encoding="utf-8") as f:
        json.dump({"reduced": args.reduced, "seed": args.seed, "rows": rows}, f, indent=2)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
