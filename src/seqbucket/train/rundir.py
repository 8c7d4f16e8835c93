"""The layout of a run directory, in one place.

- ``config.toml``: the fully resolved TrainConfig.
- ``metrics.jsonl``: one line per epoch (see metrics.py).
- ``result.json``: final summary: best epoch, validation and test metrics, time.
- ``checkpoints/last.pt``: full training state for --resume (epoch ends and every N steps).
- ``checkpoints/best.pt``: weights of the best validation epoch, for evaluate/predict.
- ``tensorboard/``: TensorBoard events (with --tensorboard).
- ``*.png``: curves written by ``seqbucket report``.
- ``INCOMPLETE``: present from the start of a training run until its ``result.json`` is
  written. A run that was interrupted, diverged or failed keeps it; ``evaluate`` and ``predict``
  refuse such a run, ``--resume`` finishes it and ``--force`` clears it.
- ``.lock``: the advisory ``fcntl`` lock a training run holds on the directory for its whole
  length, so that a second ``train`` into the same directory is refused, not interleaved.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seqbucket.errors import CheckpointError, ConfigError


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.toml"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def result(self) -> Path:
        return self.path / "result.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def incomplete(self) -> Path:
        return self.path / "INCOMPLETE"

    @property
    def lock_file(self) -> Path:
        return self.path / ".lock"

    def has_run(self) -> bool:
        """Whether a training run already wrote anything here."""
        paths = (self.config, self.metrics, self.checkpoints, self.incomplete)
        return any(p.exists() for p in paths)

    def is_incomplete(self) -> bool:
        """Whether a training run started here and never wrote its ``result.json``."""
        return self.incomplete.is_file()

    def mark_complete(self) -> None:
        self.incomplete.unlink(missing_ok=True)

    def require_complete(self) -> None:
        """``CheckpointError`` when the run here did not finish (``evaluate``/``predict`` would
        otherwise score whatever weights it left), saying how to finish or remove it."""
        if not self.is_incomplete():
            return
        holder = self._lock_holder()
        if holder is not None:
            raise CheckpointError(
                f"run {self.path} is still training (pid {holder}); wait for it to finish"
            )
        if self.last.is_file():
            fix = f"finish it with `seqbucket train --out {self.path} --resume`, or start over"
        else:
            fix = "it stopped before its first checkpoint; start over"
        raise CheckpointError(
            f"run {self.path} is incomplete (its training was interrupted or failed, so it "
            f"has no result.json); {fix} with `seqbucket train DATA --out {self.path} --force`"
        )

    def _lock_holder(self) -> str | None:
        """The pid a running ``train`` wrote into the held lock, or None when nobody holds it."""
        try:
            fd = os.open(self.lock_file, os.O_RDONLY)
        except OSError:
            return None
        try:
            if _try_lock(fd):
                return None  # closing fd below releases the probe's own lock
            return os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive advisory lock on the directory (created if missing) for the block.

        Raises:
            ConfigError: another process holds it (a second ``train`` into this directory), or
                the path is a file.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"expected a run directory for --out, got a file: {self.path}")
        created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not _try_lock(fd):
                holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
                raise ConfigError(
                    f"run directory {self.path} is in use by another seqbucket run (pid "
                    f"{holder}); wait for it to finish or choose another --out"
                )
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # releases the lock
            if created and {p.name for p in self.path.iterdir()} <= {self.lock_file.name}:
                # Refused before anything was written: leave no empty directory behind.
                shutil.rmtree(self.path, ignore_errors=True)

    def require_exists(self) -> None:
        """Raise ``CheckpointError`` unless this is the directory of a training run."""
        if self.path.is_file():
            raise CheckpointError(f"expected a run directory, got a file: {self.path}")
        if not self.path.is_dir():
            raise CheckpointError(f"run directory {self.path} does not exist")
        if not self.config.is_file():
            raise CheckpointError(
                f"expected a training run in {self.path} (with config.toml), got none"
            )

    def check(self, *, force: bool, resume: bool) -> None:
        """What ``prepare`` would refuse, without changing anything: run it before the slow
        checks (loading data), so a refusal comes first and fast."""
        if resume:
            if not self.last.is_file():
                if self.is_incomplete():
                    raise CheckpointError(
                        f"cannot resume: the run in {self.path} stopped before its first "
                        f"checkpoint ({self.last}) was written; start it over with --force"
                    )
                raise CheckpointError(f"cannot resume: no checkpoint at {self.last}")
            return
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"expected a run directory for --out, got a file: {self.path}")
        if self.has_run() and not force:
            if not self.last.is_file():
                raise ConfigError(
                    f"run directory {self.path} holds an incomplete run with no checkpoint to "
                    "resume; pass --force to start over"
                )
            what = "an unfinished run" if self.is_incomplete() else "a run"
            raise ConfigError(
                f"run directory {self.path} already holds {what}; "
                "pass --force to overwrite it or --resume to continue it"
            )

    def prepare(self, *, force: bool, resume: bool) -> None:
        """Make the directory ready for a new run (or check it for a resumed one).

        An existing run is never overwritten silently: it needs ``force`` (which deletes only the
        files this layout names) or ``resume``.
        """
        self.check(force=force, resume=resume)
        if not resume and self.has_run():
            for item in (self.config, self.metrics, self.result, self.incomplete):
                item.unlink(missing_ok=True)
            for folder in (self.checkpoints, self.tensorboard):
                shutil.rmtree(folder, ignore_errors=True)
            for png in self.path.glob("*.png"):
                png.unlink()
        self.path.mkdir(parents=True, exist_ok=True)
        # Until result.json is written, this run is incomplete (see the module docstring).
        self.incomplete.write_text(
            "a training run started here and has not finished; see `seqbucket train --help` "
            "(--resume, --force)\n",
            encoding="utf-8",
        )


def _try_lock(fd: int) -> bool:
    """Take an exclusive, non-blocking advisory lock on ``fd``; False when another process
    holds it. Where ``fcntl`` does not exist (Windows) there is no lock, and True."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
