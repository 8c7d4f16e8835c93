"""Training end to end: ``TrainConfig``, ``train``, ``Trainer``, evaluation, prediction, metrics,
atomic checkpoints with exact resume, and report plots.

The CLI (``seqbucket train/evaluate/predict/report/export``) maps flags onto these functions.
"""

from seqbucket.train.artifacts import DataMeta, LoadedRun, load_run
from seqbucket.train.checkpoint import load_checkpoint, save_checkpoint
from seqbucket.train.config import TrainConfig, resolve_config
from seqbucket.train.evaluate import evaluate, evaluate_dataset
from seqbucket.train.export import ExportResult, export_run
from seqbucket.train.loop_types import FitResult
from seqbucket.train.metrics import MetricsLogger, peak_memory_mb, read_metrics
from seqbucket.train.predict import predict, write_predictions
from seqbucket.train.report import write_report
from seqbucket.train.rng import capture_rng_state, restore_rng_state, seed_everything
from seqbucket.train.run import RunResult, train
from seqbucket.train.rundir import RunDir
from seqbucket.train.split import stratified_split
from seqbucket.train.standardize import Standardizer
from seqbucket.train.trainer import Trainer

__all__ = [
    "DataMeta",
    "ExportResult",
    "FitResult",
    "LoadedRun",
    "MetricsLogger",
    "RunDir",
    "RunResult",
    "Standardizer",
    "TrainConfig",
    "Trainer",
    "capture_rng_state",
    "evaluate",
    "evaluate_dataset",
    "export_run",
    "load_checkpoint",
    "load_run",
    "peak_memory_mb",
    "predict",
    "read_metrics",
    "resolve_config",
    "restore_rng_state",
    "save_checkpoint",
    "seed_everything",
    "stratified_split",
    "train",
    "write_predictions",
    "write_report",
]
