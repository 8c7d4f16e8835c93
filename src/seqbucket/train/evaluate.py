"""Evaluation: loss and accuracy (or RMSE) of a model over a whole data set, in bucketed batches.

``evaluate_dataset`` works on a model in memory (the trainer uses it each epoch on the validation
split); ``score_run`` scores a loaded run (its best checkpoint, with that checkpoint's config and
standardiser) and is the one path behind both the test score ``train`` prints and ``evaluate``,
so the two always agree; ``evaluate`` loads a run and scores a data set by name or path.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from seqbucket._tasks import IGNORE_INDEX
from seqbucket.data import SequenceDataset
from seqbucket.models import flush_denormals, masked_loss
from seqbucket.train.classmetrics import confusion_matrix, macro_f1, per_class_metrics
from seqbucket.train.config import TrainConfig
from seqbucket.train.guards import num_threads
from seqbucket.train.precision import autocast
from seqbucket.train.standardize import Standardizer
from seqbucket.train.threads import config_threads
from seqbucket.train.wiring import collate_batch, eval_batches

if TYPE_CHECKING:
    from seqbucket.train.artifacts import LoadedRun


@torch.no_grad()
def evaluate_dataset(
    model: torch.nn.Module,
    ds: SequenceDataset,
    config: TrainConfig,
    *,
    device: torch.device,
    standardizer: Standardizer | None = None,
) -> dict[str, Any]:
    """Score ``model`` on every example of ``ds`` (which must be labelled).

    Returns ``{"loss", "accuracy" (classify/tag/lm) or "rmse" (regress), "examples", "seconds"}``,
    plus ``"perplexity"`` (``exp(loss)``, lm) or, for classify and tag, ``"per_class"`` (one
    record per class: label, precision, recall, f1, support), ``"macro_f1"`` and ``"confusion"``
    (``C x C`` counts, rows true, columns predicted; see ``classmetrics.py``).
    ``loss`` is the mean over all real target positions of the data set (examples for
    classify/regress, real steps for tag/lm), so it does not depend on how batches were formed.
    The forward pass runs under ``config.precision``'s autocast; the loss is taken in fp32.
    """
    was_training = model.training
    model.eval()
    if standardizer is not None:
        standardizer = standardizer.to(device)  # once, not per batch
    start = time.perf_counter()
    loss_sum = 0.0  # sum over real positions of the per-position loss
    positions = 0
    correct = 0
    sq_err = 0.0
    confusion: np.ndarray | None = None  # (C, C) int64, classify and tag only
    for indices, pad_to in eval_batches(ds.lengths, config):
        batch = collate_batch(ds, indices, pad_to).to(device)
        with autocast(device, config.precision):
            logits = forward(model, batch, standardizer).float()
        y = batch.y
        assert y is not None  # evaluation data are labelled (checked by the callers)
        if ds.task == "regress":
            count = int(y.shape[0])
            sq_err += float(((logits - y.float()) ** 2).sum())
        else:
            real = y != IGNORE_INDEX  # (B, T) tag/lm; (B,) all True for classify
            count = int(real.sum())
            truth, guess = y[real], logits.argmax(-1)[real]  # (positions,)
            correct += int((guess == truth).sum())
        if ds.task in ("classify", "tag"):
            batch_cm = confusion_matrix(truth.cpu().numpy(), guess.cpu().numpy(), logits.shape[-1])
            confusion = batch_cm if confusion is None else confusion + batch_cm
        loss_sum += float(masked_loss(ds.task, logits, y)) * count
        positions += count
    model.train(was_training)
    metrics: dict[str, Any] = {"loss": loss_sum / max(positions, 1), "examples": len(ds)}
    if ds.task == "regress":
        metrics["rmse"] = math.sqrt(sq_err / max(positions, 1))
    else:
        metrics["accuracy"] = correct / max(positions, 1)
    if ds.task == "lm":
        # exp of the mean per-token cross-entropy; capped so a diverged model gives inf, not an
        # OverflowError (JSON writers turn inf into null).
        metrics["perplexity"] = math.exp(metrics["loss"]) if metrics["loss"] < 700 else math.inf
    if confusion is not None:
        per_class = per_class_metrics(confusion, ds.label_names)
        metrics["per_class"] = per_class
        metrics["macro_f1"] = macro_f1(per_class)
        metrics["confusion"] = confusion.tolist()
    metrics["seconds"] = time.perf_counter() - start
    return metrics


def forward(model: torch.nn.Module, batch: Any, standardizer: Standardizer | None) -> torch.Tensor:
    """Logits for a collated batch, standardising feature inputs first when the run does."""
    x = batch.x
    if standardizer is not None and x.is_floating_point():
        x = standardizer(x, batch.mask)
    return model(x, batch.lengths, padding=batch.padding)


def evaluate(run_dir: str | Path | Any, data: str, split: str = "test") -> dict[str, Any]:
    """Score the best checkpoint of ``run_dir`` (a path, or a ``LoadedRun``) on ``data`` (an
    embedded name, whose ``split`` is used, or a path). Labels unseen in training raise
    ``DataError``."""
    from seqbucket.train.artifacts import LoadedRun, load_run  # here: artifacts imports us

    run = run_dir if isinstance(run_dir, LoadedRun) else load_run(run_dir)
    ds = run.load_labelled(data, split)
    metrics = score_run(run, ds)
    metrics["data"] = data if not ds.name else ds.name
    return metrics


def score_run(run: LoadedRun, ds: SequenceDataset) -> dict[str, Any]:
    """``evaluate_dataset`` of a loaded run's model on ``ds``, with the run's own settings: the
    checkpoint's config (batching, threads), its standardiser, and denormals flushed as in
    training. ``train``'s test score and ``evaluate`` both come from here, so the same run and
    data print the same number."""
    with num_threads(config_threads(run.config)), flush_denormals():
        return evaluate_dataset(
            run.model, ds, run.config, device=run.device, standardizer=run.standardizer
        )
