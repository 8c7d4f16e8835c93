"""``TrainConfig``: every setting of a training run, in one frozen dataclass.

A run's settings come from three layers, later ones winning: the defaults below, a TOML file
(``--config``), then command-line flags. The fully resolved result is saved as ``config.toml`` in
the run directory, so a run can always be reproduced from its own folder.

The TOML file may be flat (``hidden_size = 64``) or grouped in sections, as ``to_toml`` writes it::

    [data]
    data = "japanese-vowels"
    [model]
    kind = "lstm"
    hidden_size = 64
    [batching]
    strategy = "auto"
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import tomli_w

from seqbucket._fielddoc import field_docs
from seqbucket._tasks import MODEL_KINDS, OVERLONG_POLICIES, TASKS
from seqbucket.batching.config import DEFAULT_RANDOMNESS
from seqbucket.errors import ConfigError, MissingFileError
from seqbucket.models.config import (
    DEFAULT_HIDDEN_SIZE,
    FRONTEND_NORMS,
    FRONTENDS,
    IMPLS,
    POOLINGS,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

# frontend=None picks "conv" at this median training length: PLAID (median 301) needs it;
# Japanese Vowels (median 15) trains best without.
LONG_MEDIAN_LENGTH = 128
SCHEDULES = ("cosine", "constant", "onecycle")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16", "fp16")
TOKENIZERS = ("char", "word")
LM_MODES = ("line", "chunk")

# Fields whose value is one of a fixed set: checked in __post_init__, offered as CLI choices.
CHOICES: dict[str, tuple[str, ...]] = {
    "task": TASKS,
    "model": MODEL_KINDS,
    "impl": IMPLS,
    "frontend": FRONTENDS,
    "pooling": POOLINGS,
    "frontend_norm": FRONTEND_NORMS,
    "schedule": SCHEDULES,
    "device": DEVICES,
    "precision": PRECISIONS,
    "tokenizer": TOKENIZERS,
    "lm_mode": LM_MODES,
    "overlong": OVERLONG_POLICIES,
}
MAX_SEED = 2**32 - 1  # numpy.random.default_rng and torch.manual_seed both accept [0, this]


@dataclass(frozen=True)
class TrainConfig:
    """All settings of one run. Defaults are the ``make demo`` settings, chosen by the mean
    validation accuracy and loss over seeds 0-7 on JapaneseVowels (never on its test split):
    99.3% and 0.042, against 97.6% and 0.099 for a unidirectional LSTM of width 96, lr 3e-3."""

    # -- data --
    data: str = "japanese-vowels"  # embedded name or a path in any format load_dataset reads
    task: str | None = None  # none: the data's own task; set it to fail early on a mismatch
    test: str | None = None  # split name or path to test on; none: "test" of an embedded set
    val_fraction: float = 0.15  # validation carved from train: early stopping never sees test
    standardize: bool = True  # per-channel mean/std from the train split: LPC scales differ
    # -- data: reading files (saved in the run; evaluate and predict read inputs alike) --
    text_column: str | None = None  # .csv/.tsv/.jsonl: field holding the text (reader: "text")
    label_column: str | None = None  # .csv/.tsv/.jsonl: field holding the label ("label")
    tokenizer: str | None = None  # text files: char or word tokens (reader default: char)
    min_freq: int | None = None  # vocabulary: drop tokens seen fewer times (reader: 1)
    max_size: int | None = None  # vocabulary: keep at most this many tokens (reader: no cap)
    lm_mode: str | None = None  # .txt: "line" (one sequence per line) or "chunk" (reader: line)
    chunk_size: int | None = None  # .txt chunk mode: tokens per sequence (reader: 128)
    max_length: int | None = None  # training sequences longer than this follow ``overlong``
    overlong: str = "error"  # training sequences over max_length; evaluate/predict only truncate
    # -- model --
    model: str = "lstm"  # recurrent cell, or the unshared baseline; the LSTM is the robust default
    hidden_size: int = DEFAULT_HIDDEN_SIZE  # state width per direction; 128 validated best (demo)
    num_layers: int = 1  # one layer reaches 97%+ on JapaneseVowels; more only adds time
    # none: bidirectional unless the task is lm (a backward pass would see the next token).
    # Bidirectional gave the best validation loss on JapaneseVowels at little cost.
    bidirectional: bool | None = None
    dropout: float = 0.0  # between stacked layers only (needs num_layers >= 2); 0: small model
    # fused: exact masked fused kernels (fast); packed: PackedSequence, as users usually write
    # it (exact, slow on CPU; `seqbucket bench` measures it); loop: the readable reference cells
    impl: str = "fused"
    # "conv": strided convolutions shorten long signals before the recurrent layers; "none":
    # the recurrent layers read every step. none: "conv" when the median training length is
    # at least LONG_MEDIAN_LENGTH (a recurrent net learns little over 300+ raw steps: PLAID
    # stayed at 20-31% test accuracy without it), else "none". The run header says which.
    frontend: str | None = None
    frontend_channels: int = 128  # conv width: the one the PLAID recipe was validated with
    frontend_layers: int = 3  # each divides the length by about frontend_stride
    frontend_kernel: int = 7  # odd: the window is centred on its step
    frontend_stride: int = 2  # 3 layers of 2: 8 times fewer recurrent steps
    # "batch": batch norm after each convolution, over real steps only (padding never enters
    # it; evaluation uses its running statistics); "none": no normalisation layer
    frontend_norm: str = "none"
    # "mean-max": the head also reads the mean and max of the outputs over real steps; "last":
    # the final state only. none: "mean-max" with the conv front end, else "last".
    pooling: str | None = None
    # dropout on the classify/regress head's input (training only); 0: none (small models)
    head_dropout: float = 0.0
    series_norm: bool = False  # z-normalise each series over its own steps (amplitude-free)
    # with series_norm: also feed asinh of the input beside its z-normalised form (each step's
    # absolute amplitude, not only the series' scale in the head)
    raw_channel: bool = False
    # -- batching --
    # strategy: auto | buckets:5,20,50,100 | random | pad-all | per-length | per-sample
    batching: str = "auto"
    batch_size: int = 16  # small batches: more updates per epoch on a 230-example train split
    max_tokens: int | None = None  # token budget per batch; overrides batch_size per bucket
    # auto's knob: 1 - the share of batch-mates allowed to meet again in a later epoch, in
    # [0, 1]. none: batching.DEFAULT_RANDOMNESS (chosen from held-out accuracy, docs/batching.md)
    randomness: float | None = None
    # -- optim: optimisation --
    lr: float = 5e-3  # AdamW peak learning rate; 2e-3 and 3e-3 validated slightly worse
    weight_decay: float = 0.01  # AdamW's decoupled decay; mild regularisation
    # cosine decays to 0 at the last step; constant keeps lr flat; onecycle rises over the
    # first 30% of the run from peak/25 and falls to ~0 (its own warm-up: warmup_steps unused)
    schedule: str = "cosine"
    warmup_steps: int = 20  # linear warm-up: Adam's early moment estimates are noisy
    # train on a random window of each sequence's real steps, up to this share of them cut
    # (train/augment.py): one more series per epoch for a small set; classify/regress only
    augment_crop: float = 0.0
    # keep an exponential moving average of the weights, this much of the old average kept per
    # step (train/averaging.py); validation, best.pt and the test read the average. none: off
    ema_decay: float | None = None
    grad_clip: float | None = 1.0  # max global grad norm; recurrent nets can spike. none: off
    epochs: int | None = 40  # upper bound on epochs; none: only max_steps stops the run
    max_steps: int | None = None  # upper bound on optimiser steps; none: only epochs stop it
    patience: int | None = 15  # epochs without a better val metric before stopping; none: never
    # -- run --
    seed: int = 0  # seeds the split, plans, weights and dropout; in [0, 2**32 - 1] (numpy's)
    out: str | None = None  # run directory; none: runs/<data name>
    checkpoint_every: int | None = None  # also save every N steps (epoch ends always save)
    tensorboard: bool = False  # also log to <run>/tensorboard (needs the tensorboard extra)
    quiet: bool = False  # no progress bar; one line per epoch instead
    # torch threads. none: train/threads.py's measured rule, one thread per 500,000 multiply-adds
    # of a step's recurrent product (demo and PLAID LSTM 1x128: 2), at most the idle cores
    threads: int | None = None
    device: str = "auto"  # auto: CUDA when available, else CPU
    # fp32: exact (every exactness guarantee is stated in fp32). bf16/fp16: autocast, weights
    # and optimiser stay fp32; fp16 adds a grad scaler, its range being too small for gradients.
    # Meant for GPUs with tensor cores (fp16 needs CUDA; bf16 also runs on a CPU).
    precision: str = "fp32"
    # A run directory whose best weights start this run (fine-tuning, or extending a finished
    # cosine run with a fresh schedule: --resume would only continue the old, ended one)
    init_from: str | None = None
    # -- distributed: several processes (torchrun, or --nproc) --
    # launch N local processes that train one model with DistributedDataParallel (gloo on CPU,
    # nccl on GPU), each on 1/N of every batch; none: one process (or the world torchrun gives)
    nproc: int | None = None
    dist_port: int | None = None  # --nproc: rendezvous port on 127.0.0.1; none: a free one
    # seconds a process waits for the others at a collective before the run fails (a process
    # that dies is noticed at once; this bounds one that hangs)
    dist_timeout: float = 300.0
    # -- compile: torch.compile --
    # torch.compile the loss and its backward: one static graph per batch shape, so a plan with
    # few shapes (buckets) compiles few graphs; the run logs compiled_graphs and recompiles
    compile: bool = False
    compile_backend: str = "inductor"  # inductor needs a C++ compiler; aot_eager does not
    # with compile: one graph whose time axis is symbolic (mark_dynamic), for every length,
    # instead of one static graph per shape; the strategy to compare bucketing against
    dynamic: bool = False
    # CUDA only: capture each batch shape's forward and backward as one CUDA graph and replay it
    # (fewer kernel launches); one graph per bucket, counted like --compile's (train/cuda_graphs.py)
    cuda_graphs: bool = False

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            _check(value in allowed or (value is None and is_optional(name)), name,
                   f"one of {allowed}", value)  # fmt: skip
        if self.overlong != "error" and self.max_length is None:
            raise ConfigError(f"expected max_length to be set for overlong={self.overlong!r}")
        _check(0.0 <= self.val_fraction < 1.0, "val_fraction", "in [0, 1)", self.val_fraction)
        _check(0.0 <= self.dropout < 1.0, "dropout", "in [0, 1)", self.dropout)
        _check(0.0 <= self.head_dropout < 1.0, "head_dropout", "in [0, 1)", self.head_dropout)
        _check(0.0 <= self.augment_crop < 1.0, "augment_crop", "in [0, 1)", self.augment_crop)
        ema = self.ema_decay
        _check(ema is None or 0.0 <= ema < 1.0, "ema_decay", "in [0, 1) or none", ema)
        _check(self.hidden_size >= 1, "hidden_size", ">= 1", self.hidden_size)
        _check(self.num_layers >= 1, "num_layers", ">= 1", self.num_layers)
        for name in ("frontend_channels", "frontend_layers", "frontend_stride"):
            _check(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        k = self.frontend_kernel
        _check(k >= 1 and k % 2 == 1, "frontend_kernel", "an odd number >= 1", k)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size)
        # inf passes "> 0" yet diverges at the first step; NaN fails every comparison.
        _check(math.isfinite(self.lr) and self.lr > 0, "lr", "finite and > 0", self.lr)
        # numpy's and torch's generators take seeds in [0, 2**32 - 1]; beyond it they raise
        # their own tracebacks deep in the run.
        _check(0 <= self.seed <= MAX_SEED, "seed", f"in [0, {MAX_SEED}]", self.seed)
        _check(self.warmup_steps >= 0, "warmup_steps", ">= 0", self.warmup_steps)
        for name in (
            *("max_tokens", "epochs", "max_steps", "checkpoint_every", "threads", "nproc"),
            *("min_freq", "max_size", "chunk_size", "max_length"),
        ):
            value = getattr(self, name)
            _check(value is None or value >= 1, name, ">= 1 or unset", value)
        _check(self.patience is None or self.patience >= 1, "patience", ">= 1", self.patience)
        port = self.dist_port
        _check(port is None or 1 <= port <= 65535, "dist_port", "in [1, 65535]", port)
        timeout = self.dist_timeout
        _check(math.isfinite(timeout) and timeout > 0, "dist_timeout", "finite and > 0", timeout)
        _check(self.grad_clip is None or self.grad_clip > 0, "grad_clip", "> 0", self.grad_clip)
        if self.epochs is None and self.max_steps is None:
            raise ConfigError("expected epochs or max_steps to be set, got neither")

    @property
    def data_name(self) -> str:
        """Short name of the data: the embedded name, or a file's stem (``runs/<data_name>``)."""
        path = Path(self.data)
        return path.stem if path.suffix else path.name

    @property
    def run_dir(self) -> Path:
        return Path(self.out) if self.out else Path("runs") / self.data_name

    def resolved_for(
        self, task: str, *, median_length: float = 0.0, features: bool = True
    ) -> TrainConfig:
        """This config with the data-dependent defaults settled: ``bidirectional`` for ``task``;
        ``frontend`` by the training data's ``median_length`` (a conv front end only for float
        ``features`` and one prediction per sequence); ``pooling`` by the front end; auto's
        randomness made explicit, so the run's config.toml records the knob used."""
        changes: dict[str, Any] = {}
        if self.bidirectional is None:
            changes["bidirectional"] = task != "lm"
        frontend = self.frontend
        if frontend is None:
            long = median_length >= LONG_MEDIAN_LENGTH and features
            frontend = "conv" if long and task in ("classify", "regress") else "none"
            changes["frontend"] = frontend
        if self.pooling is None:
            changes["pooling"] = "mean-max" if frontend == "conv" else "last"
        if self.randomness is None and self.batching.strip() == "auto":
            changes["randomness"] = DEFAULT_RANDOMNESS
        return self.replace(**changes) if changes else self

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied; unknown names raise ``ConfigError``."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ConfigError(f"expected a TrainConfig field, got {unknown[0]!r}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Flat ``{field: value}``, with unset (None) fields included."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> TrainConfig:
        """Build from flat or sectioned values (see module docstring); ``where`` names the source
        in error messages."""
        flat = _flatten(values, where)
        known = {f.name: f for f in fields(cls)}
        for key, value in flat.items():
            if key not in known:
                raise ConfigError(
                    f"{where}: unknown setting {key!r}; expected one of {sorted(known)}"
                )
            _check_type(key, value, where)
        try:
            return cls(**flat)
        except TypeError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> TrainConfig:
        """Read a TOML file; a syntax error names the file, line and column."""
        return cls.from_dict(_read_toml(path), where=str(path))

    def to_toml(self) -> str:
        """TOML text in sections; unset (None) fields are left out, as TOML has no null."""
        doc: dict[str, dict[str, Any]] = {}
        for name, value in self.to_dict().items():
            if value is None:
                continue
            section, key = _SECTION_OF[name]
            doc.setdefault(section, {})[key] = value
        return tomli_w.dumps(doc)

    def save_toml(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml(), encoding="utf-8")


def resolve_config(
    overrides: dict[str, Any],
    *,
    config_file: str | Path | None = None,
    resume: bool = False,
    require_data: bool = False,
) -> TrainConfig:
    """Defaults, then ``config_file`` (or, on resume without one, the run's own saved
    ``config.toml``), then ``overrides`` (the command-line flags that were given).
    ``require_data``: the data must be named by ``overrides`` or ``config_file`` (the CLI's DATA
    is optional only when the file names it)."""
    if require_data and overrides.get("data") is None:
        named = config_file is not None and "data" in _flatten(_read_toml(config_file), "")
        if not named:
            where = f"; {config_file} names none" if config_file is not None else ""
            raise ConfigError(f"expected DATA (a data set name or file), got none{where}")
    if config_file is not None:
        base = TrainConfig.from_toml(config_file)
    else:
        base = TrainConfig()
        if resume:
            given = {k: v for k, v in overrides.items() if k in ("data", "out") and v is not None}
            saved = base.replace(**given).run_dir / "config.toml"
            if saved.is_file():
                base = TrainConfig.from_toml(saved)
    return base.replace(**overrides)


# The data-reading fields, in the order the CLI lists them.
READER_FIELDS = (
    *("text_column", "label_column", "tokenizer", "min_freq", "max_size"),
    *("lm_mode", "chunk_size", "max_length", "overlong"),
)

_HINTS = typing.get_type_hints(TrainConfig)

# field -> (section, key inside the section) for the sectioned TOML layout: the section is the
# header above the field (see seqbucket._fielddoc); two fields are named by their section.
_KEY_IN_SECTION = {"model": "kind", "batching": "strategy"}
_SECTION_OF: dict[str, tuple[str, str]] = {
    name: (doc.section, _KEY_IN_SECTION.get(name, name))
    for name, doc in field_docs(TrainConfig).items()
}
_FIELD_OF = {(section, key): name for name, (section, key) in _SECTION_OF.items()}


def _read_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingFileError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise MissingFileError(f"expected a TOML file, got directory {path}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _flatten(values: dict[str, Any], where: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        is_section = isinstance(value, dict)
        if not is_section:
            flat[key] = value
            continue
        for sub, sub_value in value.items():
            name = _FIELD_OF.get((key, sub))
            if name is None:
                raise ConfigError(f"{where}: unknown setting [{key}] {sub!r}")
            flat[name] = sub_value
    return flat


def field_types(name: str) -> tuple[type, ...]:
    """The Python types a value of field ``name`` may have (None aside), from its annotation:
    ``int | None`` -> ``(int,)``; a float field also takes an int (TOML ``lr = 1``)."""
    hint = _HINTS[name]
    types = tuple(t for t in typing.get_args(hint) or (hint,) if t is not type(None))
    return (int, float) if float in types else types


def is_optional(name: str) -> bool:
    """Whether field ``name`` may be None (unset)."""
    return type(None) in typing.get_args(_HINTS[name])


def _check_type(key: str, value: Any, where: str) -> None:
    expected = field_types(key)
    # bool is an int subclass, so `epochs = true` would pass isinstance: refuse it explicitly
    ok = isinstance(value, expected) and (bool in expected or not isinstance(value, bool))
    if not ok:
        names = "/".join(t.__name__ for t in expected)
        raise ConfigError(f"{where}: expected {key} to be {names}, got {value!r}")


def _check(ok: bool, name: str, expected: str, got: Any) -> None:
    if not ok:
        raise ConfigError(f"expected {name} {expected}, got {got!r}")
