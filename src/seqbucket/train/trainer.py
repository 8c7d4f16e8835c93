"""The training loop: AdamW, a warm-up + cosine/constant schedule, gradient clipping, evaluation
on the validation split every epoch, early stopping, best-checkpoint tracking and exact resume.

One step: ``sampler.iter_batches()`` gives ``(step, indices, pad_to)``; the examples are gathered
from the dataset's storage to ``pad_to`` (the bucket boundary; ``data.gather_batch``, a few
vectorised calls), run through the model and scored with ``masked_loss`` (a mean over real
positions only, so padding never changes the loss). Standardisation happened once, on the whole
training and validation splits, when the trainer was built: no step repeats it.

Exact resume: ``last.pt`` holds the model, optimiser, scheduler, sampler position (epoch, step),
every RNG state, the best-so-far metric, the early-stopping counter and the running sums of the
epoch in progress. Loading it and continuing gives the same weights, bit for bit on the CPU, as a
run that was never stopped.

A ``max_steps`` limit that falls mid-epoch stops like Ctrl-C does: the epoch stays in progress
(``last.pt`` keeps its sampler position and running sums), so a resume with a higher limit trains
the rest of that epoch and ends with the same weights as one run to the higher limit. The
stopped part is still validated (so a run shorter than an epoch has a score and a ``best.pt``)
and logged with ``"partial": true``; a resume drops that record and writes the whole epoch's.
A partial epoch never counts towards ``patience``.

Several processes (``world``, ``train/distributed.py``): the model is wrapped in
DistributedDataParallel, each rank trains on its slice of every global batch, and the loss is
normalised by the global count of real positions (NOTE [exact across ranks]); only rank 0
writes metrics and checkpoints.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict
from typing import Any, NoReturn

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from seqbucket._tasks import IGNORE_INDEX, PER_STEP_TASKS
from seqbucket.data import SequenceDataset
from seqbucket.errors import CheckpointError, ConfigError, TrainingError
from seqbucket.models import ModelConfig, flush_denormals
from seqbucket.train.allocator import reuse_freed_memory
from seqbucket.train.artifacts import DataMeta, inference_state, load_weights
from seqbucket.train.augment import crop_generator, random_crop
from seqbucket.train.averaging import averaged_model
from seqbucket.train.checkpoint import save_checkpoint
from seqbucket.train.compiled import StepLoss
from seqbucket.train.config import TrainConfig
from seqbucket.train.cuda_graphs import GraphedStep
from seqbucket.train.distributed import (
    World,
    broadcast_from_main,
    ddp_loss_scale,
    gather_to_main,
    reduce_step,
)
from seqbucket.train.evaluate import evaluate_dataset
from seqbucket.train.guards import StopFlag, deterministic, stop_on_sigint
from seqbucket.train.loop_types import (
    BatchSource,
    EpochTotals,
    FitResult,
    plain_state,
)
from seqbucket.train.metrics import MetricsLogger, peak_memory_mb
from seqbucket.train.precision import autocast, grad_scaler
from seqbucket.train.progress import Progress
from seqbucket.train.resume_checks import check_same_run, kept_schedule_length
from seqbucket.train.rng import capture_rng_state, restore_rank_rng_state
from seqbucket.train.rundir import RunDir
from seqbucket.train.schedule import build_scheduler, schedule_length
from seqbucket.train.selection import epoch_score, validation_fields
from seqbucket.train.stopping import still_stopped, stop_after_epoch
from seqbucket.train.threads import config_threads
from seqbucket.train.update import apply_update
from seqbucket.train.wiring import collate_batch, make_sampler


class Trainer:
    """Trains ``model`` on ``train_ds``, selecting on ``val_ds`` (may be None: then the last epoch
    is the best), writing ``metrics.jsonl`` and checkpoints into ``run``."""

    def __init__(
        self,
        config: TrainConfig,
        model: torch.nn.Module,
        model_config: ModelConfig,
        train_ds: SequenceDataset,
        val_ds: SequenceDataset | None,
        meta: DataMeta,
        run: RunDir,
        *,
        device: torch.device,
        progress: Progress | None = None,
        sampler: BatchSource | None = None,
        world: World | None = None,
    ) -> None:
        self.config = config
        self.world = world or World()
        self.model = model.to(device)
        self.model_config = model_config
        # Standardised once, here (bit-identical real steps): no per-batch standardisation.
        std = meta.standardizer
        self.train_ds = std.apply_to(train_ds) if std is not None else train_ds
        self.val_ds = std.apply_to(val_ds) if std is not None and val_ds is not None else val_ds
        self.meta = meta
        if config.augment_crop > 0 and meta.task in PER_STEP_TASKS:
            raise ConfigError(  # a crop would cut the per-step targets out of line
                f"expected a classify or regress task for augment_crop, got {meta.task!r}"
            )
        self.run = run
        self.device = device
        self.progress = progress or Progress(quiet=True)
        self._params = list(self.model.parameters())  # what AdamW steps and the clip bounds
        self.optimizer = torch.optim.AdamW(
            self._params, lr=config.lr, weight_decay=config.weight_decay
        )
        self.scaler = grad_scaler(device, config.precision)  # fp16 only (see precision.py)
        # --ema-decay: what validation, best.pt and the test read (train/averaging.py)
        self.ema = averaged_model(self.model, config.ema_decay)
        backend = config.compile_backend if config.compile else None  # train/compiled.py
        # train_ds is standardised once already (Standardizer.apply_to), so no standardiser here
        # Several processes: DDP averages the gradients in backward (NOTE [exact across ranks]).
        stepped: torch.nn.Module = self.model
        if self.world.distributed:
            ids = [device.index] if device.type == "cuda" else None
            stepped = DistributedDataParallel(self.model, device_ids=ids)
        self.step_loss = StepLoss(stepped, meta.task, None, backend=backend, dynamic=config.dynamic)
        # --cuda-graphs: forward + backward replayed per shape; clip and AdamW stay eager
        self.graphed = GraphedStep(self.model, meta.task) if config.cuda_graphs else None
        # ``sampler``: another batch source over train_ds (bench: the peers); default: the plan.
        self.sampler: BatchSource = sampler or make_sampler(
            train_ds.lengths, config, rank=self.world.rank, world_size=self.world.size
        )
        # A rank whose slice of a step is empty runs the shortest example weighed by 0, so that
        # it still takes part in DDP's gradient all-reduce (NOTE [rank slices]).
        self._standin = np.array([int(np.argmin(train_ds.lengths))], dtype=np.int64)
        self.sampler.set_epoch(0)
        # The sampler caches the epoch's plan, so epoch 0 is planned once, here, not twice.
        self.steps_per_epoch = len(self.sampler)
        # The schedule's length: fixed when the run starts and kept on resume (see
        # load_state_dict), so that changing --epochs/--max-steps never bends the curve mid-run.
        self.total_steps = schedule_length(config.epochs, self.steps_per_epoch, config.max_steps)
        self.scheduler = self._scheduler()
        self.notes: list[str] = []  # what a resume changed or kept, for the user
        self.epoch = 0  # epoch in progress (0-based)
        self.step_in_epoch = 0  # batches of this epoch already trained
        self.global_step = 0
        self.best: dict[str, Any] | None = None
        self.bad_epochs = 0  # epochs since the best one (early stopping counter)
        self.shapes: set[tuple[int, int]] = set()  # distinct (B, T) trained on
        self.totals = EpochTotals()
        self.stop_reason = ""  # set once training is finished

    def _scheduler(self) -> torch.optim.lr_scheduler.LambdaLR:
        return build_scheduler(
            self.optimizer,
            schedule=self.config.schedule,
            warmup_steps=self.config.warmup_steps,
            total_steps=self.total_steps,
        )

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The full training state as checkpoint data (see the module docstring)."""
        return {
            **inference_state(self.config, self.model_config, self.model, self.meta),
            "kind": "last",
            "epoch": self.epoch,
            "step_in_epoch": self.step_in_epoch,
            "global_step": self.global_step,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "total_steps": self.total_steps,
            "sampler": plain_state(self.sampler.state_dict()),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "ema": self.ema.state_dict() if self.ema is not None else None,
            **self._rng_states(),
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "shapes": sorted([list(s) for s in self.shapes]),
            "totals": asdict(self.totals),
            "stop_reason": self.stop_reason,
        }

    def _rng_states(self) -> dict[str, Any]:
        """``rng``: this process's (rank 0's) random states; with several processes also
        ``rng_by_rank``, every rank's, gathered (a collective: every rank calls this)."""
        if not self.world.distributed:
            return {"rng": capture_rng_state()}
        states = gather_to_main(capture_rng_state(), self.world)
        return {"rng": states[0], "rng_by_rank": states}

    def load_state_dict(self, state: dict[str, Any], path: str) -> None:
        """Continue from ``state`` (a ``last.pt``); incompatible settings raise CheckpointError."""
        check_same_run(state, self.config, self.model_config, path)
        load_weights(self.model, state, path)
        saved_total = state.get("total_steps")
        if isinstance(saved_total, int) and saved_total != self.total_steps:
            note = kept_schedule_length(saved_total, self.total_steps, self.config.schedule, path)
            if note:
                self.notes.append(note)
            self.total_steps = saved_total
            self.scheduler = self._scheduler()
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            self.epoch = int(state["epoch"])
            self.step_in_epoch = int(state["step_in_epoch"])
            self.global_step = int(state["global_step"])
            self.best = state["best"]
            self.bad_epochs = int(state["bad_epochs"])
            self.shapes = {(int(b), int(t)) for b, t in state["shapes"]}
            self.totals = EpochTotals(**state["totals"])
            self.stop_reason = state["stop_reason"]
            self._sampler_state = state["sampler"]
            if self.scaler is not None and state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            if self.ema is not None:
                self.ema.load_state_dict(state["ema"])
            self.notes.extend(restore_rank_rng_state(state, self.world.rank, self.world.size))
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"checkpoint {path} lacks training state ({exc})") from None
        # A run that stopped at its epoch or step limit continues if the resumed config raised it.
        self.stop_reason = still_stopped(
            self.stop_reason,
            self.epoch,
            self.global_step,
            self.config.epochs,
            self.config.max_steps,
        )

    def save_last(self) -> None:
        state = self.state_dict()  # on every rank: it gathers their random states
        if self.world.main:
            save_checkpoint(state, self.run.last)

    def _save_best(self) -> None:
        if not self.world.main:
            return
        state = {
            **inference_state(self.config, self.model_config, self.scored_model, self.meta),
            "kind": "best",
            "epoch": self.epoch,
            "best": self.best,
        }
        save_checkpoint(state, self.run.best)

    @property
    def scored_model(self) -> torch.nn.Module:
        """The weights that validation scores and ``best.pt`` keeps: the moving average under
        ``ema_decay``, else the trained ones."""
        return self.ema.module if self.ema is not None else self.model

    # -- the loop -------------------------------------------------------------------------------
    def fit(self, logger: MetricsLogger | None) -> FitResult:
        """Train until epochs, max_steps or patience says stop, or Ctrl-C (then checkpoint).

        Raises:
            TrainingError: the training or validation loss became NaN or infinite (divergence);
                that epoch is never logged, marked best or checkpointed.
        """
        records: list[dict[str, Any]] = []
        with (
            flush_denormals(),
            reuse_freed_memory(),  # NOTE [page faults per step] in train/allocator.py
            deterministic(self.device, config_threads(self.config)),
            stop_on_sigint() as stop,
        ):
            while not self.stop_reason:
                outcome = self._train_epoch(stop)
                if outcome == "interrupted":
                    self.progress.close()
                    self.save_last()
                    return self._result("interrupted", records)
                records.append(self._end_epoch(logger, partial=outcome == "partial"))
        self.progress.close()
        return self._result(self.stop_reason, records)

    def _result(self, reason: str, records: list[dict[str, Any]]) -> FitResult:
        return FitResult(
            epochs=self.epoch,
            steps=self.global_step,
            best=self.best,
            stop_reason=reason,
            interrupted=reason == "interrupted",
            records=records,
        )

    def _train_epoch(self, stop: StopFlag) -> str:
        """Train the rest of the current epoch. Returns "epoch" (the sampler is exhausted),
        "partial" (max_steps reached before its end) or "interrupted" (Ctrl-C)."""
        self.sampler.set_epoch(self.epoch)
        if self.step_in_epoch > 0:
            self.sampler.load_state_dict(self._sampler_state)
        self.progress.start_epoch(self.epoch, len(self.sampler), self.step_in_epoch)
        self.model.train()
        for step, indices, pad_to in self.sampler.iter_batches():
            start = time.perf_counter()
            loss, positions, real, padded, stopping = self._train_step(indices, pad_to, stop)
            elapsed = time.perf_counter() - start
            t = self.totals
            t.loss_sum += loss * positions
            t.positions += positions
            t.real_tokens += real
            t.padded_tokens += padded
            t.seconds += elapsed
            self.global_step += 1
            self.step_in_epoch = int(step) + 1
            self.progress.update(
                loss, t.real_tokens / max(t.seconds, 1e-9), t.padded_tokens / t.real_tokens - 1
            )
            every = self.config.checkpoint_every
            if every and self.global_step % every == 0:
                self.save_last()
            if stopping:
                return "interrupted"
            if self.config.max_steps and self.global_step >= self.config.max_steps:
                self.stop_reason = "max_steps"
                if self.step_in_epoch < len(self.sampler):
                    return "partial"
                break
        return "epoch"

    def _train_step(
        self, indices: Any, pad_to: int | None, stop: StopFlag
    ) -> tuple[float, int, int, int, bool]:
        """One optimiser step. Returns (loss, real target positions, real tokens, padded tokens,
        whether to stop after it: Ctrl-C, on any rank), the counts over all ranks."""
        standin = len(indices) == 0  # this rank's slice of the step is empty
        batch = collate_batch(self.train_ds, self._standin if standin else indices, pad_to)
        batch = batch.to(self.device)
        if self.config.augment_crop > 0:  # NOTE [crop augmentation]
            g = crop_generator(self.config.seed, self.global_step)
            batch = random_crop(batch, self.config.augment_crop, g)
        assert batch.y is not None  # training data always carries targets (checked at load)
        self.optimizer.zero_grad(set_to_none=True)  # first: a CUDA graph sets .grad itself
        if self.graphed is not None:  # fp32 only (check_cuda_graphs), so never a scaler
            loss = self.graphed(batch)  # forward + backward replayed; .grad is this batch's
        else:
            with autocast(self.device, self.config.precision):
                loss = self.step_loss(batch)  # forward + masked loss (fp32), eager or compiled
        b, t = int(batch.x.shape[0]), int(batch.x.shape[1])
        if self.meta.task in PER_STEP_TASKS:
            positions = int(torch.count_nonzero(batch.y != IGNORE_INDEX))
        else:
            positions = b
        real, padded = int(batch.lengths.sum()), b * t
        if standin:
            positions = real = padded = 0
        else:
            self.shapes.add((b, t))
        if self.world.distributed:  # NOTE [exact across ranks]
            mine = positions
            mean = float(loss.detach())  # note: a sync point, as the one after the step below
            asked = float(stop.requested)  # one decision for all ranks, taken at this step
            sums = reduce_step([mean * mine, mine, real, padded, asked], self.device)
            value = sums[0] / max(sums[1], 1.0)
            positions, real, padded = int(sums[1]), int(sums[2]), int(sums[3])
            if not math.isfinite(value):  # every rank sees the same sums: all stop together
                self._diverged(f"the training loss became {value}", self.global_step + 1)
            loss = loss * ddp_loss_scale(mine, sums[1], self.world.size)  # 0 for a stand-in
        stepped = apply_update(
            loss,
            self.optimizer,
            self._params,
            grad_clip=self.config.grad_clip,
            scaler=self.scaler,
            backward=self.graphed is None,  # a replayed graph has set .grad already
        )
        if stepped:
            self.scheduler.step()
            if self.ema is not None:
                self.ema.update_parameters(self.model)
        if self.world.distributed:
            return value, positions, real, padded, sums[4] > 0
        value = float(loss.detach())  # the sync this step already had; checked for divergence
        if not math.isfinite(value):
            self._diverged(f"the training loss became {value}", self.global_step + 1)
        return value, positions, real, padded, stop.requested

    def _diverged(self, what: str, step: int) -> NoReturn:
        """Stop the run: a non-finite loss never becomes a result, a best epoch or a checkpoint
        (the weights in memory are already corrupt, so nothing is saved from here)."""
        raise TrainingError(
            f"training diverged at epoch {self.epoch + 1}, step {step}: {what}; "
            f"try a lower --lr than {self.config.lr:g} (e.g. {self.config.lr / 10:g}), then "
            f"start over with --force"
        )

    def _end_epoch(self, logger: MetricsLogger | None, *, partial: bool = False) -> dict[str, Any]:
        """Validate, log the epoch's record, track the best epoch and save ``last.pt``.

        ``partial``: max_steps stopped the epoch before its end. It is validated and logged
        (``"partial": true``) and may become the best, but stays the epoch in progress: its
        position and running sums are saved so that a resume finishes it, and it does not count
        towards patience."""
        t = self.totals
        record: dict[str, Any] = {
            "epoch": self.epoch + 1,  # 1-based, as the console shows it
            "step": self.global_step,
            "train_loss": t.loss_sum / max(t.positions, 1),
        }
        if partial:
            record["partial"] = True
        val: dict[str, Any] = {}
        if self.val_ds is not None:
            val = evaluate_dataset(
                self.scored_model,
                self.val_ds,
                self.config,
                device=self.device,
                standardizer=None,  # val_ds is standardised already
            )
            if self.world.distributed:  # one decision on every rank (NOTE [exact across ranks])
                val = broadcast_from_main(val)
            if not math.isfinite(val["loss"]):
                self._diverged(f"the validation loss became {val['loss']}", self.global_step)
            record.update(validation_fields(val))
        validated = val if self.val_ds is not None else None
        score = epoch_score(self.meta.task, validated, self.global_step)
        record.update(
            lr=self.optimizer.param_groups[0]["lr"],
            tokens_per_s=t.real_tokens / max(t.seconds, 1e-9),
            padding_overhead=t.padded_tokens / max(t.real_tokens, 1) - 1,
            distinct_shapes=len(self.shapes),
            peak_memory_mb=peak_memory_mb(self.device),
            seconds=t.seconds + val.get("seconds", 0.0),
            train_seconds=t.seconds,  # the steps alone: what time-to-accuracy adds up
            # compiled_graphs, recompiles (with --compile or --cuda-graphs)
            **(self.graphed.stats() if self.graphed is not None else self.step_loss.stats()),
        )
        improved = self.best is None or score > self.best["score"]
        record["best"] = improved
        if improved:
            self.best = {"epoch": self.epoch, "score": score, "val": plain_state(val)}
            if not partial:
                self.bad_epochs = 0
            self._save_best()
        elif not partial:
            self.bad_epochs += 1
        if logger is not None:  # rank 0 only
            logger.log(record)
        self.progress.epoch_end(record)
        if partial:
            self.save_last()  # mid-epoch: the sampler position and running sums go with it
            return record
        self.epoch += 1
        self.step_in_epoch = 0
        self.totals = EpochTotals()
        if not self.stop_reason:
            c = self.config
            self.stop_reason = stop_after_epoch(self.epoch, c.epochs, self.bad_epochs, c.patience)
        self.save_last()
        return record
