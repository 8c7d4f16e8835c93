"""The layout of a run directory, in one place.

- ``config.toml``: the fully resolved TrainConfig.
- ``metrics.jsonl``: one line per epoch (see metrics.py).
- ``result.json``: final summary: best epoch, validation and test metrics, time.
- ``checkpoints/last.pt``: full training state for --resume (epoch ends and every N steps).
- ``checkpoints/best.pt``: weights of the best validation epoch, for evaluate/predict.
- ``tensorboard/``: TensorBoard events (with --tensorboard).
- ``*.png``: curves written by ``seqbucket report``.
"""

from __future__ import annotations

import shutil
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

    def has_run(self) -> bool:
        """Whether a training run already wrote anything here."""
        return any(p.exists() for p in (self.config, self.metrics, self.checkpoints))

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
                raise CheckpointError(f"cannot resume: no checkpoint at {self.last}")
            return
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"expected a run directory for --out, got a file: {self.path}")
        if self.has_run() and not force:
            raise ConfigError(
                f"run directory {self.path} already holds a run; "
                "pass --force to overwrite it or --resume to continue it"
            )

    def prepare(self, *, force: bool, resume: bool) -> None:
        """Make the directory ready for a new run (or check it for a resumed one).

        An existing run is never overwritten silently: it needs ``force`` (which deletes only the
        files this layout names) or ``resume``.
        """
        self.check(force=force, resume=resume)
        if resume:
            return
        if self.has_run():
            for item in (self.config, self.metrics, self.result):
                item.unlink(missing_ok=True)
            for folder in (self.checkpoints, self.tensorboard):
                shutil.rmtree(folder, ignore_errors=True)
            for png in self.path.glob("*.png"):
                png.unlink()
        self.path.mkdir(parents=True, exist_ok=True)
