"""``train(config)``: a whole run, from a data name to a tested model in a run directory.

Steps: check the run directory (refusing to overwrite a run without ``force``); load the
training data and, before any training, the test data (so a bad test split fails in seconds, not
after training); carve a stratified validation split from train; fit the feature standardisation
on the training part; build the model and its batch plan, and load any resume state; only then
prepare the run directory (``force`` deletes the old run here, once everything above passed);
train (or resume); then score the best checkpoint on the
test data and write ``result.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqbucket.data import SPLITS, SequenceDataset
from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model, param_count
from seqbucket.train.artifacts import DataMeta, load_run
from seqbucket.train.checkpoint import load_checkpoint
from seqbucket.train.compiled import check_backend
from seqbucket.train.config import TrainConfig
from seqbucket.train.evaluate import score_run
from seqbucket.train.guards import num_threads
from seqbucket.train.metrics import MetricsLogger
from seqbucket.train.progress import Progress
from seqbucket.train.rng import seed_everything
from seqbucket.train.rundir import RunDir
from seqbucket.train.split import stratified_split
from seqbucket.train.standardize import Standardizer
from seqbucket.train.trainer import Trainer
from seqbucket.train.wiring import (
    batching_config,
    check_known_labels,
    check_task,
    load_data,
    model_config,
    pick_device,
)


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    epochs: int  # epochs finished
    steps: int  # optimiser steps
    best_epoch: int | None  # 1-based epoch of the best validation score (the last without one)
    val: dict[str, Any] | None  # validation metrics of the best epoch
    test: dict[str, Any] | None  # test metrics of the best checkpoint (None: no test data)
    seconds: float  # wall time of this invocation, data loading and test included
    stop_reason: str  # epochs | max_steps | patience | interrupted
    interrupted: bool


def resolve_test_source(config: TrainConfig) -> tuple[str, str] | None:
    """(source, split) of the test data. ``config.test`` is a split name of ``config.data``
    (``train``/``test``/``all``, embedded sets only) or another data source (a path or an
    embedded name, whose ``test`` split is used). By default: the ``test`` split of an embedded
    set, and no test for a file."""
    data_is_file = Path(config.data).exists()
    if config.test is not None:
        if config.test in SPLITS:
            if data_is_file:
                raise ConfigError(
                    f"expected a test file for --test, got split name {config.test!r}, "
                    f"but {config.data} is a file and has no splits"
                )
            return config.data, config.test
        return config.test, "test"
    return None if data_is_file else (config.data, "test")


def _label_ids(ds: SequenceDataset) -> np.ndarray:
    if ds.task in ("classify", "tag") and ds.labelled:
        return np.unique(np.asarray(ds.targets)).astype(np.int64)
    return np.zeros(0, dtype=np.int64)


def describe_run(
    config: TrainConfig,
    mcfg: ModelConfig,
    params: int,
    train_ds: SequenceDataset,
    val_ds: SequenceDataset | None,
    test_ds: SequenceDataset | None,
    device: object,
) -> str:
    """One header line: what is trained on what, so a log says what produced its numbers."""
    sizes = f"{len(train_ds)} train / {len(val_ds) if val_ds else 0} validation"
    sizes += f" / {len(test_ds)} test" if test_ds is not None else ""
    shape = f"{mcfg.num_layers}x{mcfg.hidden_size}"
    direction = "bidirectional " if mcfg.bidirectional else ""
    return (
        f"{config.data_name}: {mcfg.task}, {sizes} examples | {direction}{mcfg.kind} {shape}, "
        f"{params:,} parameters | batching {config.batching}, batch size {config.batch_size}"
        f" | {device}"
    )


def train(config: TrainConfig, *, force: bool = False, resume: bool = False) -> RunResult:
    """Run the training described by ``config`` in ``config.run_dir`` (see the module docstring).

    Raises:
        ConfigError: the run directory holds a run and neither ``force`` nor ``resume`` is set,
            or the task does not match the data.
        DataError: an empty split, or test labels unseen in training.
        CheckpointError: ``resume`` with a missing, corrupt or incompatible checkpoint.
    """
    start = time.perf_counter()
    run = RunDir(config.run_dir)
    # Everything that can fail on a typo is checked before anything is deleted (--force):
    # the directory state, the batching spec, then (in _train) the data and the task.
    run.check(force=force, resume=resume)
    batching_config(config)
    if config.compile:
        check_backend(config.compile_backend)  # an unknown back end fails before any work
    resume_state = load_checkpoint(run.last) if resume and run.last.is_file() else None
    with num_threads(config.threads):
        return _train(config, run, resume_state, start, force=force, resume=resume)


def _train(
    config: TrainConfig,
    run: RunDir,
    resume_state: dict[str, Any] | None,
    start: float,
    *,
    force: bool,
    resume: bool,
) -> RunResult:
    device = pick_device(config.device)

    full = load_data(config.data, "train", config=config, training=True)
    check_task(config, full)
    config = config.resolved_for(full.task)
    train_labels = _label_ids(full)
    test_ds = None
    source = resolve_test_source(config)
    if source is not None:
        test_ds = load_data(
            source[0], source[1], config=config, vocab=full.vocab, label_names=full.label_names
        )
        check_task(config.replace(task=full.task), test_ds)
        check_known_labels(test_ds, train_labels, f"{source[0]} ({source[1]} split)")

    labels = np.asarray(full.targets) if full.task == "classify" and full.labelled else None
    train_idx, val_idx = stratified_split(
        len(full), config.val_fraction, labels=labels, seed=config.seed
    )
    train_ds = full.subset(train_idx)
    val_ds = full.subset(val_idx) if len(val_idx) else None
    standardizer = None
    if config.standardize and full.num_features is not None:
        # ``values`` holds exactly the real steps of the training part (subset gathers them).
        standardizer = Standardizer.fit(train_ds.values)
    meta = DataMeta(full.task, full.label_names, full.vocab, standardizer, _label_ids(train_ds))

    seed_everything(config.seed)
    # The unshared baseline needs weights for every step it will read: size it for the longest
    # sequence of train and test (a structural choice; nothing is fitted to the test data).
    longest = max(int(full.lengths.max()), int(test_ds.lengths.max()) if test_ds else 0)
    mcfg = model_config(config, full, max_len=longest)
    model = build_model(mcfg)
    progress = Progress(quiet=config.quiet)
    trainer = Trainer(
        config, model, mcfg, train_ds, val_ds, meta, run, device=device, progress=progress
    )
    if resume_state is not None:
        trainer.load_state_dict(resume_state, str(run.last))
    # Only now, with the data, the task, the batching plan and any resume state checked, may an
    # old run be deleted (--force).
    run.prepare(force=force, resume=resume)
    # After the resume checks, so a refused resume prints its one error line and nothing else.
    progress.message(
        describe_run(config, mcfg, param_count(model), train_ds, val_ds, test_ds, device)
    )
    for note in trainer.notes:
        progress.message(note)
    config.save_toml(run.config)
    logger = MetricsLogger(
        run.metrics,
        tensorboard_dir=run.tensorboard if config.tensorboard else None,
        # A resume that trains drops the records of the epoch it continues (a partial one, or
        # one interrupted mid-write): that epoch's record is written again when it ends.
        keep_before_epoch=(
            trainer.epoch + 1 if resume_state is not None and not trainer.stop_reason else None
        ),
    )
    try:
        fit = trainer.fit(logger)
    finally:
        logger.close()

    test = None
    if not fit.interrupted and test_ds is not None:
        # The same scoring as `seqbucket evaluate` (checkpoint config and standardiser).
        test = score_run(load_run(run.path, device=config.device), test_ds)
    best = fit.best or {}
    result = RunResult(
        run_dir=run.path,
        epochs=fit.epochs,
        steps=fit.steps,
        best_epoch=best["epoch"] + 1 if "epoch" in best else None,
        val=best.get("val") or None,
        test=test,
        seconds=time.perf_counter() - start,
        stop_reason=fit.stop_reason,
        interrupted=fit.interrupted,
    )
    if not fit.interrupted:
        summary = {k: v for k, v in result.__dict__.items() if k != "run_dir"}
        run.result.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return result
