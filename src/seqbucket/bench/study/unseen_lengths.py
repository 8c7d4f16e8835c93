"""Study ``unseen-lengths``: train on at most 20 steps, test on 21 to 100.

Task (needs the whole sequence): is a 3-word motif anywhere in a sequence of random words from 8?
Half the examples hold the motif at a uniform position; the other half are redrawn until they
hold none, so the label is exactly "motif present". Training lengths are uniform in 5..20.

Three models, same GRU equations, embedding and head (``fit.gru_classifier``):
- shared GRU, trained with ``auto`` batching, scored as it is on every length;
- unshared GRU with ``max_len=20``: it cannot read step 21, so test inputs are truncated to
  their first 20 steps (``collate(truncate=True)``): workaround 1;
- unshared GRU with ``max_len=100``, trained on batches padded to 100 (``pad-all``,
  ``maxlen=100``). Masking means padded steps never reach the loss, so its weights for steps
  21..100 keep their initial values; it reads long inputs through them: workaround 2.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from seqbucket.batching import parse_batching
from seqbucket.bench.study.fit import (
    EMBED,
    FIRST_WORD,
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
from seqbucket.models import param_count

WORDS, MOTIF_LEN = 8, 3
VOCAB = FIRST_WORD + WORDS
TRAIN_MAX = 20
TEST_MAX = 100
TRAIN_LENGTHS = (5, TRAIN_MAX)
BANDS = ((5, 20), (21, 40), (41, 60), (61, 80), (81, 100))  # the first one is in distribution
MODELS = ("shared GRU", "unshared, truncate to 20", "unshared, padded to 100")
# (train examples, steps, test examples per band): full and --quick.
FULL = (2000, 400, 400)
QUICK = (200, 20, 24)


def _has_motif(seq: np.ndarray, motif: np.ndarray) -> bool:
    windows = np.lib.stride_tricks.sliding_window_view(seq, MOTIF_LEN)
    return bool((windows == motif).all(axis=1).any())


def motif_data(
    n: int, lengths: tuple[int, int], motif: np.ndarray, rng: np.random.Generator, name: str
) -> SequenceDataset:
    """``n`` examples, lengths uniform in ``lengths`` (inclusive), label 1 iff ``motif`` occurs.
    Labels alternate 0/1, so the classes are balanced."""
    seqs, labels = [], []
    for i in range(n):
        length = int(rng.integers(lengths[0], lengths[1] + 1))
        label = i % 2
        while True:
            seq = rng.integers(FIRST_WORD, VOCAB, size=length)
            if label:
                at = int(rng.integers(0, length - MOTIF_LEN + 1))
                seq[at : at + MOTIF_LEN] = motif
                break
            if not _has_motif(seq, motif):
                break
        seqs.append(seq)
        labels.append(label)
    return token_dataset(seqs, labels, name)


def _one_seed(seed: int, sizes: tuple[int, int, int]) -> tuple[dict[str, list[float]], dict]:
    n_train, steps, n_test = sizes
    rng = np.random.default_rng(seed)
    motif = rng.integers(FIRST_WORD, VOCAB, size=MOTIF_LEN)
    train = motif_data(n_train, TRAIN_LENGTHS, motif, rng, "motif-train")
    tests = [motif_data(n_test, band, motif, rng, f"motif-{band}") for band in BANDS]
    common = dict(vocab_size=VOCAB, num_classes=2, seed=seed)
    shared = gru_classifier(shared=True, **common)
    cut = gru_classifier(shared=False, max_len=TRAIN_MAX, **common)
    padded = gru_classifier(shared=False, max_len=TEST_MAX, **common)
    pad_all = parse_batching("pad-all", batch_size=32, maxlen=TEST_MAX)
    train_classifier(shared, train, steps=steps, seed=seed)
    train_classifier(cut, train, steps=steps, seed=seed)
    train_classifier(padded, train, steps=steps, seed=seed, batching=pad_all)
    acc = {
        MODELS[0]: [accuracy(shared, t) for t in tests],
        MODELS[1]: [accuracy(cut, t, truncate_to=TRAIN_MAX) for t in tests],
        MODELS[2]: [accuracy(padded, t) for t in tests],
    }
    params = {MODELS[0]: param_count(shared), MODELS[1]: param_count(cut)}
    params[MODELS[2]] = param_count(padded)
    return acc, params


def run(*, quick: bool, seeds: int | None, log: Callable[[str], None]) -> StudyResult:
    start = time.perf_counter()
    seed_list = resolve_seeds(seeds, quick=quick, full=5)
    sizes = QUICK if quick else FULL
    per_seed: dict[str, list[list[float]]] = {m: [] for m in MODELS}  # model -> seed -> band
    params: dict[str, int] = {}
    with study_torch():
        for seed in seed_list:
            acc, params = _one_seed(seed, sizes)
            for m in MODELS:
                per_seed[m].append(acc[m])
            log(
                f"unseen-lengths: seed {seed} done, 81-100 steps: "
                + ", ".join(f"{m} {acc[m][-1]:.1%}" for m in MODELS)
            )
    rows, findings = [], []
    bands: list[dict[str, Any]] = []
    for b, band in enumerate(BANDS):
        by_model = {m: [s[b] for s in per_seed[m]] for m in MODELS}
        intervals = {m: mean_interval(v) for m, v in by_model.items()}
        # The better workaround at this band, by mean over seeds.
        best = max(MODELS[1:], key=lambda m: intervals[m].mean)
        diff = paired_difference(by_model[MODELS[0]], by_model[best])
        label = f"{band[0]}-{band[1]}" + (" (trained)" if band[1] <= TRAIN_MAX else "")
        rows.append([label, *(intervals[m].percent() for m in MODELS), diff.points()])
        bands.append(
            {
                "band": list(band),
                "per_seed": by_model,
                "intervals": {m: i.to_dict() for m, i in intervals.items()},
                "shared_minus_best_workaround": {"workaround": best, **diff.to_dict()},
            }
        )
        if band[0] > TRAIN_MAX:
            verdict = separation(diff)
            findings.append(
                f"lengths {label}: shared {intervals[MODELS[0]].percent()} vs best workaround "
                f"({best}) {intervals[best].percent()}: difference {diff.points()}, {verdict}"
            )
    n_train, steps, n_test = sizes
    return StudyResult(
        name="unseen-lengths",
        title="Accuracy by test length band (motif detection; trained on lengths 5-20 only), "
        f"mean over {len(seed_list)} seeds [95% t-interval]",
        settings={
            "seeds": len(seed_list),
            "train_examples": n_train,
            "steps": steps,
            "test_per_band": n_test,
            "hidden": HIDDEN,
            "embed": EMBED,
            **{f"params[{m}]": v for m, v in params.items()},
        },
        columns=["test lengths", *MODELS, "shared - best workaround"],
        rows=rows,
        data={"bands": bands},
        findings=findings,
        seconds=time.perf_counter() - start,
    )


def plot(result: StudyResult, fig: Any) -> None:
    """Accuracy against length band, with the 95% intervals as error bars."""
    ax = fig.add_subplot(1, 1, 1)
    mids = [(b["band"][0] + b["band"][1]) / 2 for b in result.data["bands"]]
    for k, m in enumerate(MODELS):
        iv = [b["intervals"][m] for b in result.data["bands"]]
        means = np.array([i["mean"] for i in iv])
        err = np.array([[i["mean"] - i["low"] for i in iv], [i["high"] - i["mean"] for i in iv]])
        ax.errorbar(np.array(mids) + (k - 1) * 1.2, means, yerr=err, marker="o", capsize=3,
                    label=m)  # fmt: skip
    ax.axvline(TRAIN_MAX + 0.5, color="grey", linestyle=":", label="longest training length")
    ax.axhline(0.5, color="black", linewidth=0.8, linestyle="--", label="chance")
    ax.set_xlabel("test sequence length (band midpoint)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0.3, 1.02)
    ax.set_title(wrapped_title(result.title), fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
