"""Study ``position``: the same phrase at different time steps, the label set by the phrase only.

Each sequence is filler words (20 of them), with one of four 3-word phrases inside; the label is
which phrase. The phrases share words (like "I ate an apple" / "I ate a pear"), so no single
word decides. In training the phrase starts at a step in 0..9 and is followed by 0..20 filler
words, so lengths run from 3 to 32. Two test sets per seed:

- *seen positions*: drawn like the training set;
- *unseen positions*: the phrase starts at a step in 12..20 (never in training) and lengths
  stay within 32, so what follows the phrase is as long as in training (0..17 words).

Shared GRU against the unshared GRU (``max_len=32``: every step trained, on filler at least),
same equations, embedding and head, for training sets of growing size and the same number of
optimiser steps. Sharing should need fewer examples (each step's weights learn from every
position) and transfer to unseen positions, where the unshared weights only ever saw filler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from seqbucket.bench.study.fit import (
    EMBED,
    HIDDEN,
    accuracy,
    gru_classifier,
    study_torch,
    token_dataset,
    train_classifier,
)
from seqbucket.bench.study.intervals import (
    mean_interval,
    paired_difference,
    resolve_seeds,
    separation,
)
from seqbucket.bench.study.output import StudyResult, wrapped_title
from seqbucket.data import SequenceDataset

# Phrase words are ids 2..7, filler words 8..27 (disjoint, so a phrase cannot appear by chance).
PHRASES = ((2, 3, 4), (2, 3, 5), (6, 3, 4), (6, 7, 5))
FILLER = (8, 28)
VOCAB = FILLER[1]
MAX_LEN = 32
SEEN_STARTS = (0, 9)
UNSEEN_STARTS = (12, 20)
MAX_TAIL = 20
MODELS = ("shared GRU", "unshared GRU")
TESTS = ("seen positions", "unseen positions")
# (training set sizes, steps, test examples per test set): full and --quick.
FULL = ((40, 160, 640, 2560), 200, 400)
QUICK = ((40, 160), 15, 40)


def phrase_data(
    n: int, starts: tuple[int, int], rng: np.random.Generator, name: str
) -> SequenceDataset:
    """``n`` examples: a phrase starting at a step uniform in ``starts`` (inclusive), filler
    before and after, total length at most ``MAX_LEN``; label = the phrase's index."""
    seqs, labels = [], []
    for i in range(n):
        label = i % len(PHRASES)
        start = int(rng.integers(starts[0], starts[1] + 1))
        tail = int(rng.integers(0, min(MAX_TAIL, MAX_LEN - 3 - start) + 1))
        seq = rng.integers(FILLER[0], FILLER[1], size=start + 3 + tail)
        seq[start : start + 3] = PHRASES[label]
        seqs.append(seq)
        labels.append(label)
    return token_dataset(seqs, labels, name)


def _one_seed(seed: int, sizes: tuple[int, ...], steps: int, n_test: int) -> dict[str, Any]:
    """accuracy[model][test] -> one value per training set size."""
    rng = np.random.default_rng(seed)
    pool = phrase_data(max(sizes), SEEN_STARTS, rng, "phrase-train")
    tests = {
        TESTS[0]: phrase_data(n_test, SEEN_STARTS, rng, "phrase-seen"),
        TESTS[1]: phrase_data(n_test, UNSEEN_STARTS, rng, "phrase-unseen"),
    }
    acc: dict[str, dict[str, list[float]]] = {m: {t: [] for t in TESTS} for m in MODELS}
    common = dict(vocab_size=VOCAB, num_classes=len(PHRASES), seed=seed)
    for n in sizes:
        # Nested training sets: the first n of one pool, so a bigger set only adds examples.
        train = pool.subset(np.arange(n))
        for m in MODELS:
            model = gru_classifier(shared=m == MODELS[0], max_len=MAX_LEN, **common)
            train_classifier(model, train, steps=steps, seed=seed)
            for t in TESTS:
                acc[m][t].append(accuracy(model, tests[t]))
    return acc


def run(*, quick: bool, seeds: int | None, log: Callable[[str], None]) -> StudyResult:
    start = time.perf_counter()
    seed_list = resolve_seeds(seeds, quick=quick, full=4)
    sizes, steps, n_test = QUICK if quick else FULL
    runs = []
    with study_torch():
        for seed in seed_list:
            runs.append(_one_seed(seed, sizes, steps, n_test))
            log(f"position: seed {seed} done")
    rows, points, findings = [], [], []
    for k, n in enumerate(sizes):
        vals = {(m, t): [r[m][t][k] for r in runs] for m in MODELS for t in TESTS}
        ivs = {key: mean_interval(v) for key, v in vals.items()}
        diffs = {t: paired_difference(vals[MODELS[0], t], vals[MODELS[1], t]) for t in TESTS}
        rows.append(
            [str(n)]
            + [ivs[m, t].percent() for t in TESTS for m in MODELS]
            + [diffs[t].points() for t in TESTS]
        )
        points.append(
            {
                "train_examples": n,
                "per_seed": {f"{m} | {t}": v for (m, t), v in vals.items()},
                "intervals": {f"{m} | {t}": i.to_dict() for (m, t), i in ivs.items()},
                "shared_minus_unshared": {t: d.to_dict() for t, d in diffs.items()},
            }
        )
        for t in TESTS:
            d = diffs[t]
            verdict = separation(d)
            findings.append(f"{n} examples, {t}: shared - unshared = {d.points()}, {verdict}")
    return StudyResult(
        name="position",
        title="Which phrase? Accuracy against training examples, at seen and unseen positions "
        f"(4 classes, chance 25%), mean over {len(seed_list)} seeds [95% t-interval]",
        settings={
            "seeds": len(seed_list),
            "steps": steps,
            "test_per_set": n_test,
            "train_starts": f"{SEEN_STARTS[0]}..{SEEN_STARTS[1]}",
            "unseen_starts": f"{UNSEEN_STARTS[0]}..{UNSEEN_STARTS[1]}",
            "max_len": MAX_LEN,
            "hidden": HIDDEN,
            "embed": EMBED,
        },
        columns=[
            "train examples",
            *(f"{m}, {t}" for t in TESTS for m in MODELS),
            *(f"shared - unshared, {t}" for t in TESTS),
        ],
        rows=rows,
        data={"points": points},
        findings=findings,
        seconds=time.perf_counter() - start,
    )


def plot(result: StudyResult, fig: Any) -> None:
    """Accuracy against training examples (log x), one line per model and test set."""
    ax = fig.add_subplot(1, 1, 1)
    ns = np.array([p["train_examples"] for p in result.data["points"]], dtype=float)
    styles = {TESTS[0]: "-", TESTS[1]: "--"}
    colours = {MODELS[0]: "tab:blue", MODELS[1]: "tab:red"}
    for m in MODELS:
        for t in TESTS:
            iv = [p["intervals"][f"{m} | {t}"] for p in result.data["points"]]
            means = np.array([i["mean"] for i in iv])
            err = np.array(
                [[i["mean"] - i["low"] for i in iv], [i["high"] - i["mean"] for i in iv]]
            )
            ax.errorbar(ns, means, yerr=err, linestyle=styles[t], color=colours[m], marker="o",
                        capsize=3, label=f"{m}, {t}")  # fmt: skip
    ax.axhline(1 / len(PHRASES), color="black", linewidth=0.8, linestyle=":", label="chance")
    ax.set_xscale("log")
    ax.set_xlabel("training examples")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title(wrapped_title(result.title), fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
