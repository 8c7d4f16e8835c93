"""Training on several processes: torch.distributed with DistributedDataParallel (DDP), gloo on
CPU and nccl on GPU, under ``torchrun`` or ``seqbucket train --nproc N`` (``launch.py``).

NOTE [exact across ranks]: every rank trains on its slice of the one global batch of each step
(NOTE [rank slices] in ``batching/ranks.py``), padded to that batch's pad length. Before the
backward pass the ranks sum, in one small ``all_reduce``, their loss sums, real target positions,
real and padded tokens and a stop flag (:func:`reduce_step`). Each rank then back-propagates its
masked loss *sum* times ``world_size / global positions`` (:func:`ddp_loss_scale`); DDP averages
the gradients over the ranks, so every rank ends up with the gradient of the global batch's
mean loss over all its real positions: the gradient one process computes for the same batch,
up to float summation order. Normalising per rank instead (the mean of the ranks' means) would
weigh a rank with fewer real positions (more padding, a smaller slice) more.

The same reduction makes the ranks agree on everything that decides the control flow: the
logged loss and the divergence check use the global sums, and one Ctrl-C on any rank stops all
of them at the same step. Validation runs on every rank (no rank waits for another's), and rank
0's result is broadcast, so the best epoch and early stopping are decided alike everywhere.
Only rank 0 writes the run directory and checkpoints; random states are gathered from every
rank into ``last.pt``, so a resume under the same world size restores each rank's own draws.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from seqbucket.batching import BatchingConfig, plan
from seqbucket.errors import ConfigError, DistributedError

# Set by ``launch.py`` in the workers it starts: they report errors through torch elastic's
# error file (the launcher prints one line for the whole run) instead of on stderr.
LAUNCHED_BY_SEQBUCKET = "SEQBUCKET_LAUNCHED"
# The launcher's process id, in the same workers: one whose launcher is gone stops itself.
LAUNCHER_PID = "SEQBUCKET_LAUNCHER_PID"


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (one process: rank 0 of 1)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0  # the process's index on its machine (its GPU under nccl)

    @property
    def main(self) -> bool:
        """Rank 0: the one process that writes the run directory and prints progress."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def current_world() -> World:
    """The process group this process belongs to (``init_process_group`` was called, by
    :func:`process_group` or the user), else one process."""
    if not (dist.is_available() and dist.is_initialized()):
        return World()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return World(rank=dist.get_rank(), size=dist.get_world_size(), local_rank=local)


def launched_worker() -> bool:
    """Whether this process was started by ``torchrun`` or ``--nproc`` (they set WORLD_SIZE)."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


@contextlib.contextmanager
def process_group(device: torch.device, timeout_s: float) -> Iterator[World]:
    """Join the process group that ``torchrun``/``--nproc`` describe in the environment
    (``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``): gloo on the CPU,
    nccl on CUDA (one GPU per local rank). Collectives that wait longer than ``timeout_s`` raise,
    so a rank that hangs cannot hang the others for ever. Leaves the group at the end."""
    local = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(local)
    where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    try:
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as exc:
        raise DistributedError(
            f"rank {os.environ.get('RANK')} could not join the {backend} process group at "
            f"{where}: {comm_reason(exc)}"
        ) from None
    try:
        yield current_world()
    finally:
        with contextlib.suppress(RuntimeError, ValueError):
            dist.destroy_process_group()


def rank_device(device: torch.device, world: World) -> torch.device:
    """The device of this rank: its own GPU (``cuda:LOCAL_RANK``) under nccl, else ``device``."""
    if device.type == "cuda" and world.distributed:
        return torch.device("cuda", world.local_rank)
    return device


def check_world_fits(
    lengths: np.ndarray, config: BatchingConfig, seed: int, world_size: int
) -> None:
    """``ConfigError`` when some rank would have nothing to train on at every step: each step's
    global batch is split across the ranks (NOTE [rank slices]), so ranks beyond the largest
    batch of the plan would only ever wait."""
    if world_size <= 1:
        return
    batches = plan(lengths, config, seed=seed, epoch=0).batches
    largest = max((b.size for b in batches), default=0)
    if largest < world_size:
        raise ConfigError(
            f"expected at most {largest} processes for this plan ({len(batches)} batches of at "
            f"most {largest} examples; each step's batch is split across the processes), got "
            f"{world_size}; use fewer processes or a larger --batch-size"
        )


def reduce_step(values: list[float], device: torch.device) -> list[float]:
    """Sum ``values`` over all ranks in one ``all_reduce`` (float64: counts stay exact up to
    2**53). Every rank gets the same sums (NOTE [exact across ranks])."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return [float(v) for v in t.tolist()]


def ddp_loss_scale(positions: int, global_positions: float, world_size: int) -> float:
    """The factor that turns a rank's mean loss over its ``positions`` real positions into
    ``world_size * (its loss sum) / global_positions``: DDP's average over ``world_size`` ranks
    then gives the gradient of the global mean (NOTE [exact across ranks])."""
    return positions * world_size / max(global_positions, 1.0)


def broadcast_from_main(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (pickled; small objects only)."""
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_to_main(value: Any, world: World) -> list[Any]:
    """Every rank's ``value``, in rank order (pickled; small objects only)."""
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, value)
    return out


def is_comm_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective that failed: a peer that died (gloo: connection reset or
    closed), a timeout, or a backend error."""
    if isinstance(exc, dist.DistError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and any(
        key in text for key in ("gloo", "Gloo", "NCCL", "Connection", "Timed out", "timed out")
    )


def comm_reason(exc: BaseException) -> str:
    """The cause in a torch.distributed error, on one line: without the C++ source location
    and the generic advice gloo appends."""
    return one_line_reason(str(exc)) or type(exc).__name__


def one_line_reason(text: str) -> str:
    """``text`` on one line, at most 200 characters: without C++ source locations
    (``[../gloo/pair.cc:534]``) and the generic advice gloo appends."""
    text = " ".join(text.split())
    text = re.sub(r"\[[^\]]*\.(?:cc|cpp|h|hpp):\d+\]\s*", "", text)
    text = text.split(" This is typically caused")[0].split(" Check the logs")[0]
    return text[:200]


def lost_contact(
    world: World, epoch: int, step: int, exc: BaseException, timeout: float, run_dir: str
) -> str:
    """The one-line message of a rank whose collective failed (another rank died or hung)."""
    return (
        f"rank {world.rank} of {world.size} lost contact with the other processes at epoch "
        f"{epoch + 1}, step {step} ({comm_reason(exc)}): a process stopped, or did not answer "
        f"within --dist-timeout {timeout:g} s; {resume_hint(run_dir)}"
    )


def resume_hint(run_dir: str) -> str:
    """How to go on after a failed multi-process run in ``run_dir``."""
    last = Path(run_dir) / "checkpoints" / "last.pt"
    if last.is_file():
        return f"continue from its last checkpoint with `seqbucket train --out {run_dir} --resume`"
    return f"no checkpoint yet: start over with `seqbucket train DATA --out {run_dir} --force`"
