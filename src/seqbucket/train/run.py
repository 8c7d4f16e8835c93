"""``train(config)``: a whole run, from a data name to a tested model in a run directory.

Steps: check the run directory (refusing to overwrite a run without ``force``); load the
training data and, before any training, the test data (so a bad test split fails in seconds, not
after training); carve a stratified validation split from train; fit the feature standardisation
on the training part; build the model and its batch plan, and load any resume state; only then
prepare the run directory (``force`` deletes the old run here, once everything above passed);
train (or resume); then score the best checkpoint on the test data and write ``result.json``.
The whole run holds the run directory's lock, and the directory is marked ``INCOMPLETE`` until
``result.json`` is written (see rundir.py). With several processes (``train/distributed.py``),
rank 0 alone checks, locks and writes the run directory and reads the checkpoint, which it
hands to the others; every rank loads the data and trains on its slice of each batch. Before
training, ``sanity.py`` refuses what cannot sensibly run (a single class, a model too big
for the memory) and warns about outliers.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqbucket.batching.sampler import BucketBatchSampler
from seqbucket.data import SPLITS, SequenceDataset
from seqbucket.errors import ConfigError, DistributedError
from seqbucket.models import ModelConfig, param_count
from seqbucket.train.artifacts import DataMeta, load_run
from seqbucket.train.checkpoint import load_checkpoint
from seqbucket.train.compiled import check_backend
from seqbucket.train.config import LONG_MEDIAN_LENGTH, TrainConfig
from seqbucket.train.cuda_graphs import check_cuda_graphs
from seqbucket.train.distributed import (
    World,
    broadcast_from_main,
    check_world_fits,
    current_world,
    is_comm_failure,
    lost_contact,
    rank_device,
)
from seqbucket.train.evaluate import score_run
from seqbucket.train.guards import num_threads
from seqbucket.train.init_from import init_weights, read_init_source
from seqbucket.train.jsonfile import to_json
from seqbucket.train.loop_types import BatchSource
from seqbucket.train.metrics import MetricsLogger
from seqbucket.train.precision import check_precision
from seqbucket.train.progress import Progress
from seqbucket.train.rng import seed_everything
from seqbucket.train.rundir import RunDir
from seqbucket.train.sanity import (
    build_model_or_explain,
    check_classes,
    check_fits_buckets,
    check_memory,
    outlier_warnings,
)
from seqbucket.train.split import stratified_split
from seqbucket.train.standardize import Standardizer
from seqbucket.train.threads import config_threads
from seqbucket.train.trainer import Trainer
from seqbucket.train.wiring import (
    batching_config,
    check_known_labels,
    check_task,
    load_data,
    model_config,
    pick_device,
    settle_for_data,
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
    precision: str = "fp32",
) -> str:
    """One header line: what is trained on what, so a log says what produced its numbers."""
    sizes = f"{len(train_ds)} train / {len(val_ds) if val_ds else 0} validation"
    sizes += f" / {len(test_ds)} test" if test_ds is not None else ""
    shape = f"{mcfg.num_layers}x{mcfg.hidden_size}"
    direction = "bidirectional " if mcfg.bidirectional else ""
    front = ""
    if mcfg.frontend == "conv":
        front = f"conv {mcfg.frontend_layers}x{mcfg.frontend_channels}/{mcfg.frontend_stride}"
        front += " batch-norm + " if mcfg.frontend_norm == "batch" else " + "
    front = ("series-norm + " if mcfg.series_norm else "") + front
    pool = ", mean-max pooling" if mcfg.pooling == "mean-max" else ""
    ema = config.ema_decay
    averaged = "" if ema is None else f", scored as a weight average ({ema})"
    return (
        f"{config.data_name}: {mcfg.task}, {sizes} examples | {front}{direction}{mcfg.kind} "
        f"{shape}{pool}, "
        f"{params:,} parameters{averaged} | batching {config.batching}, batch size "
        f"{config.batch_size} | {device}{'' if precision == 'fp32' else ' ' + precision}"
    )


def describe_frontend_choice(config: TrainConfig, median: float) -> str:
    """Why ``frontend`` took its value when the user left it unset."""
    if config.frontend == "conv":
        return (
            f"model: conv front end ({config.frontend_layers} strided convolutions, "
            f"{config.frontend_channels} channels, stride {config.frontend_stride}) with "
            f"{config.pooling} pooling, chosen because the median training length {median:g} is "
            f">= {LONG_MEDIAN_LENGTH} (set --frontend to choose)"
        )
    if median < LONG_MEDIAN_LENGTH:
        why = f"the median training length {median:g} is < {LONG_MEDIAN_LENGTH}"
    else:
        why = "it reads float features with one prediction per sequence only"
    return f"model: no front end, chosen because {why} (set --frontend to choose)"


def train(
    config: TrainConfig,
    *,
    force: bool = False,
    resume: bool = False,
    sampler: Callable[[np.ndarray], BatchSource] | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the training described by ``config`` in ``config.run_dir`` (see the module docstring).

    Raises:
        ConfigError: the run directory holds a run and neither ``force`` nor ``resume`` is set,
            or the task does not match the data.
        DataError: an empty split, or test labels unseen in training.
        CheckpointError: ``resume`` with a missing, corrupt or incompatible checkpoint.

    ``sampler``: builds the batch source from the training split's lengths instead of the
    config's plan (``seqbucket bench`` runs the peers' samplers through this same loop);
    ``progress``: where progress goes instead of the default bar/lines.
    """
    start = time.perf_counter()
    run = RunDir(config.run_dir)
    world = current_world()  # several processes when torch.distributed is initialised
    if world.distributed and config.compile:
        raise ConfigError(f"expected one process for --compile, got {world.size}")
    if world.distributed and config.cuda_graphs:
        raise ConfigError(f"expected one process for --cuda-graphs, got {world.size}")
    # One writer per run directory for the whole run: a second `train --out` here is refused.
    with run.locked() if world.main else contextlib.nullcontext():
        # Everything that can fail on a typo is checked before anything is deleted (--force):
        # the directory state, the batching spec, then (in _train) the data and the task.
        batching_config(config)
        resume_state = None
        if world.main:
            run.check(force=force, resume=resume)
            if config.compile:
                check_backend(config.compile_backend)  # an unknown back end fails before work
            check_cuda_graphs(config)  # no CUDA, or a setting graphs cannot capture
            resume_state = load_checkpoint(run.last) if resume and run.last.is_file() else None
        if world.distributed:
            resume_state = broadcast_from_main(resume_state)  # one reader, any file system
        with num_threads(config_threads(config)):
            return _train(
                config, run, resume_state, start, force=force, resume=resume, sampler=sampler,
                progress=progress, world=world,
            )  # fmt: skip


def _train(
    config: TrainConfig,
    run: RunDir,
    resume_state: dict[str, Any] | None,
    start: float,
    *,
    force: bool,
    resume: bool,
    sampler: Callable[[np.ndarray], BatchSource] | None = None,
    progress: Progress | None = None,
    world: World | None = None,
) -> RunResult:
    world = world or World()
    device = rank_device(pick_device(config.device), world)
    check_precision(device, config.precision)
    # --init-from: the source's vocabulary, labels and scaling go with its weights (see
    # init_from.py). A resume takes them from its own checkpoint, and its weights from there.
    init = None
    carried: DataMeta | None = None
    if config.init_from is not None:
        if resume_state is not None:
            carried = DataMeta.from_state(resume_state["meta"])
        else:
            init = read_init_source(config.init_from)
            carried = init.meta

    full = load_data(
        config.data,
        "train",
        config=config,
        training=True,
        vocab=carried.vocab if carried else None,
        label_names=carried.label_names if carried else None,
    )
    check_task(config, full)
    check_classes(full, config.data)
    median = float(np.median(full.lengths))
    asked = config
    config = settle_for_data(config, full)
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
    if carried is not None:
        standardizer = carried.standardizer  # the scaling the carried weights were trained on
    elif config.standardize and full.num_features is not None:
        # ``values`` holds exactly the real steps of the training part (subset gathers them).
        standardizer = Standardizer.fit(train_ds.values)
    check_fits_buckets(train_ds.lengths, config)
    if sampler is None:
        check_world_fits(train_ds.lengths, batching_config(config), config.seed, world.size)
    meta = DataMeta(full.task, full.label_names, full.vocab, standardizer, _label_ids(train_ds))

    seed_everything(config.seed)
    # The unshared baseline needs weights for every step it will read: size it for the longest
    # sequence of train and test (a structural choice; nothing is fitted to the test data).
    longest = max(int(full.lengths.max()), int(test_ds.lengths.max()) if test_ds else 0)
    mcfg = model_config(config, full, max_len=longest)
    check_memory(mcfg, config, device)
    model = build_model_or_explain(mcfg)
    if init is not None:
        init_weights(model, mcfg, init)
    progress = progress or Progress(quiet=config.quiet)
    if not world.main:  # rank 0 alone reports
        progress = Progress(quiet=True, stream=io.StringIO())
    trainer = Trainer(
        config, model, mcfg, train_ds, val_ds, meta, run, device=device, progress=progress,
        sampler=sampler(train_ds.lengths) if sampler is not None else None, world=world,
    )  # fmt: skip
    if resume_state is not None:
        trainer.load_state_dict(resume_state, str(run.last))
        if trainer.stop_reason and not run.is_incomplete():
            raise ConfigError(nothing_to_train(run, trainer.stop_reason, trainer))
    # Only now, with the data, the task, the batching plan and any resume state checked, may an
    # old run be deleted (--force).
    if world.main:
        run.prepare(force=force, resume=resume)
    # After the resume checks, so a refused resume prints its one error line and nothing else.
    progress.message(
        describe_run(
            config, mcfg, param_count(model), train_ds, val_ds, test_ds, device, config.precision
        )
    )
    if init is not None:
        progress.message(f"initialised from {init.checkpoint}")
    if asked.frontend is None and resume_state is None:
        progress.message(describe_frontend_choice(config, median))
    for note in trainer.notes:
        progress.message(note)
    if resume_state is None and isinstance(trainer.sampler, BucketBatchSampler):
        plan0 = trainer.sampler.plan
        strategy = trainer.sampler.config.strategy
        for warning in outlier_warnings(
            train_ds.lengths, plan0, mcfg, strategy=strategy, device=device
        ):
            progress.message(warning)
    logger = None
    if world.main:
        config.save_toml(run.config)
        logger = MetricsLogger(
            run.metrics,
            tensorboard_dir=run.tensorboard if config.tensorboard else None,
            # A resume that trains drops the records of the epoch it continues (a partial one,
            # or one interrupted mid-write): that epoch's record is written again when it ends.
            keep_before_epoch=(
                trainer.epoch + 1 if resume_state is not None and not trainer.stop_reason else None
            ),
        )
    try:
        fit = trainer.fit(logger)
    except Exception as exc:
        if not (world.distributed and is_comm_failure(exc)):
            raise
        message = lost_contact(
            world, trainer.epoch, trainer.global_step, exc, config.dist_timeout, str(run.path)
        )
        raise DistributedError(message) from None
    finally:
        if logger is not None:
            logger.close()

    test = None
    if not fit.interrupted and test_ds is not None and world.main:
        # The same scoring as `seqbucket evaluate` (checkpoint config and standardiser).
        test = score_run(load_run(run.path, device=config.device, allow_incomplete=True), test_ds)
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
    if not fit.interrupted and world.main:
        summary = {k: v for k, v in result.__dict__.items() if k != "run_dir"}
        run.result.write_text(to_json(summary, indent=2) + "\n", encoding="utf-8")
        run.mark_complete()
    return result


def nothing_to_train(run: RunDir, reason: str, trainer: Trainer) -> str:
    """The refusal of a ``--resume`` that would train nothing (a finished run whose limits were
    not raised), with the limit to raise."""
    raise_what = {
        "epochs": f"--epochs above {trainer.epoch}",
        "max_steps": f"--max-steps above {trainer.global_step}",
        "patience": "a larger --patience",
    }.get(reason, "a larger limit")
    return (
        f"nothing to train: the run in {run.path} already finished ({trainer.epoch} epochs, "
        f"{trainer.global_step} steps, stopped by {reason}); resume with {raise_what}"
    )
