"""Study ``order``: only word order decides the label ("chocolate milk" vs "milk chocolate").

Order task: filler words (20 of them) with the pair "A B" (label 0) or "B A" (label 1) placed
adjacently at a uniform position; lengths 4..30. Both classes hold exactly the same multiset of
words in distribution, so any order-blind model is at chance (50%) *by construction*.
Control task, same data format: the sequence holds "A" or "B" (once, label 0 or 1), so the bag
of words decides; it shows the bag model learns when the bag carries the label.

Models, with the same parameter budget (the bag model's hidden width is solved to match):
- shared GRU (embedding 16, H=32, head on the final state);
- :class:`BagOfEmbeddings`: the same embedding width, the mean over real steps (masked, so
  padding adds nothing), then a one-hidden-layer MLP. It is order-blind: any permutation of a
  sequence gives the same logits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.bench.study.fit import (
    EMBED,
    FIRST_WORD,
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

A, B = FIRST_WORD, FIRST_WORD + 1
FILLER = (FIRST_WORD + 2, FIRST_WORD + 22)
VOCAB = FILLER[1]
LENGTHS = (4, 30)
TASKS = ("order", "control")
MODELS = ("shared GRU", "bag of embeddings")
# (train examples, steps, test examples): full and --quick.
FULL = (2000, 300, 1000)
QUICK = (200, 20, 100)


class BagOfEmbeddings(nn.Module):
    """Order-blind baseline: ``mean_t embed(x_t)`` over real steps -> Linear -> ReLU -> Linear.

    ``forward(x (B, T) int64 ids, lengths (B,) CPU int64) -> (B, C)`` logits, post padding.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)
        )

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = lengths_to_mask(lengths, x.shape[1], "post").to(x.device)  # (B, T)
        e = self.embedding(x) * mask.unsqueeze(-1)  # (B, T, E), zero at padding
        mean = e.sum(1) / lengths.to(e.device, e.dtype).unsqueeze(1)  # (B, E)
        return self.mlp(mean)  # (B, C)


def matched_hidden(budget: int, vocab_size: int, embed_dim: int, num_classes: int) -> int:
    """The MLP width whose :class:`BagOfEmbeddings` has the parameter count nearest ``budget``:
    ``V·E + (E+1)·W + (W+1)·C`` solved for W."""
    return max(
        1, round((budget - vocab_size * embed_dim - num_classes) / (embed_dim + 1 + num_classes))
    )


def order_data(n: int, task: str, rng: np.random.Generator, name: str) -> SequenceDataset:
    """``n`` examples of ``task`` ("order" or "control"), labels alternating 0/1."""
    seqs, labels = [], []
    for i in range(n):
        label = i % 2
        length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        seq = rng.integers(FILLER[0], FILLER[1], size=length)
        if task == "order":
            at = int(rng.integers(0, length - 1))
            seq[at : at + 2] = (A, B) if label == 0 else (B, A)
        else:
            seq[int(rng.integers(0, length))] = A if label == 0 else B
        seqs.append(seq)
        labels.append(label)
    return token_dataset(seqs, labels, name)


def _one_seed(seed: int, sizes: tuple[int, int, int]) -> tuple[dict[str, dict[str, float]], dict]:
    n_train, steps, n_test = sizes
    rng = np.random.default_rng(seed)
    acc: dict[str, dict[str, float]] = {m: {} for m in MODELS}
    params: dict[str, int] = {}
    for task in TASKS:
        train = order_data(n_train, task, rng, f"{task}-train")
        test = order_data(n_test, task, rng, f"{task}-test")
        rnn = gru_classifier(shared=True, vocab_size=VOCAB, num_classes=2, seed=seed,
                             embed_dim=EMBED)  # fmt: skip
        torch.manual_seed(seed)
        width = matched_hidden(param_count(rnn), VOCAB, EMBED, 2)
        bag = BagOfEmbeddings(VOCAB, EMBED, width, 2)
        for m, model in zip(MODELS, (rnn, bag), strict=True):
            train_classifier(model, train, steps=steps, seed=seed)
            acc[m][task] = accuracy(model, test)
            params[m] = param_count(model)
    return acc, params


def run(*, quick: bool, seeds: int | None, log: Callable[[str], None]) -> StudyResult:
    start = time.perf_counter()
    seed_list = resolve_seeds(seeds, quick=quick, full=5)
    sizes = QUICK if quick else FULL
    runs: list[dict[str, dict[str, float]]] = []
    params: dict[str, int] = {}
    with study_torch():
        for seed in seed_list:
            acc, params = _one_seed(seed, sizes)
            runs.append(acc)
            log(f"order: seed {seed} done: {acc}")
    rows, findings = [], []
    cells: dict[str, Any] = {}
    for task in TASKS:
        vals = {m: [r[m][task] for r in runs] for m in MODELS}
        ivs = {m: mean_interval(v) for m, v in vals.items()}
        diff = paired_difference(vals[MODELS[0]], vals[MODELS[1]])
        rows.append([task, *(ivs[m].percent() for m in MODELS), diff.points()])
        cells[task] = {
            "per_seed": vals,
            "intervals": {m: i.to_dict() for m, i in ivs.items()},
            "gru_minus_bag": diff.to_dict(),
        }
        verdict = separation(diff)
        findings.append(f"{task}: GRU - bag = {diff.points()}, {verdict}")
    bag = mean_interval(cells["order"]["per_seed"][MODELS[1]])
    at_chance = "contains" if not bag.excludes(0.5) else "EXCLUDES"
    findings.append(
        f"order task: the bag of embeddings scores {bag.percent()}; the interval {at_chance} "
        "chance (50%)"
    )
    n_train, steps, n_test = sizes
    return StudyResult(
        name="order",
        title="Word order alone decides (order) vs the bag of words decides (control): "
        f"accuracy, chance 50%, mean over {len(seed_list)} seeds [95% t-interval]",
        settings={
            "seeds": len(seed_list),
            "train_examples": n_train,
            "steps": steps,
            "test_examples": n_test,
            **{f"params[{m}]": v for m, v in params.items()},
        },
        columns=["task", *MODELS, "GRU - bag"],
        rows=rows,
        data={"tasks": cells, "params": params},
        findings=findings,
        seconds=time.perf_counter() - start,
    )


def plot(result: StudyResult, fig: Any) -> None:
    """Grouped bars: accuracy per task and model, 95% intervals as error bars."""
    ax = fig.add_subplot(1, 1, 1)
    width = 0.35
    for k, m in enumerate(MODELS):
        iv = [result.data["tasks"][t]["intervals"][m] for t in TASKS]
        means = np.array([i["mean"] for i in iv])
        err = np.array([[i["mean"] - i["low"] for i in iv], [i["high"] - i["mean"] for i in iv]])
        ax.bar(np.arange(len(TASKS)) + (k - 0.5) * width, means, width, yerr=err, capsize=4,
               label=f"{m} ({result.data['params'][m]:,} params)")  # fmt: skip
    ax.axhline(0.5, color="black", linestyle="--", linewidth=0.8, label="chance")
    ax.set_xticks(np.arange(len(TASKS)), [f"{t} task" for t in TASKS])
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.05)
    ax.set_title(wrapped_title(result.title), fontsize=8)
    ax.legend(fontsize=8, loc="lower right")
