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
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import tomli_w

from seqbucket._tasks import OVERLONG_POLICIES, TASKS
from seqbucket.errors import ConfigError, MissingFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

MODEL_KINDS = ("rnn", "gru", "lstm", "unshared")
FRONTENDS = ("none", "conv")
POOLINGS = ("last", "mean-max")
# frontend=None picks "conv" at this median training length: PLAID (median 301) needs it;
# Japanese Vowels (median 15) trains best without.
LONG_MEDIAN_LENGTH = 128
SCHEDULES = ("cosine", "constant")
DEVICES = ("auto", "cpu", "cuda")
TOKENIZERS = ("char", "word")
LM_MODES = ("line", "chunk")
OVERLONG = OVERLONG_POLICIES  # the name the checks below use


@dataclass(frozen=True)
class TrainConfig:
    """All settings of one run. Defaults are the ``make demo`` settings, chosen by the mean
    validation accuracy and loss over seeds 0-7 on JapaneseVowels (never on its test split):
    99.3% and 0.042, against 97.6% and 0.099 for a unidirectional LSTM of width 96, lr 3e-3."""

    # -- data --
    data: str = "japanese-vowels"  # embedded name or a path in any format load_dataset reads
    task: str | None = None  # None: the data's own task; set it to fail early on a mismatch
    test: str | None = None  # split name or path to test on; None: "test" of an embedded set
    val_fraction: float = 0.15  # validation carved from train: early stopping never sees test
    standardize: bool = True  # per-channel mean/std from the train split: LPC scales differ
    # -- reading data files (None: the reader's own default). Saved in config.toml, so evaluate
    # and predict read their inputs the way training did. Only options that apply to a file's
    # format reach its reader (see wiring.reader_options).
    text_column: str | None = None  # .csv/.tsv/.jsonl: field holding the text (reader: "text")
    label_column: str | None = None  # .csv/.tsv/.jsonl: field holding the label ("label")
    tokenizer: str | None = None  # char | word, for text files (reader default: char)
    min_freq: int | None = None  # vocabulary: drop tokens seen fewer times (reader: 1)
    max_size: int | None = None  # vocabulary: keep at most this many tokens (reader: no cap)
    lm_mode: str | None = None  # .txt: "line" (one sequence per line) or "chunk" (reader: line)
    chunk_size: int | None = None  # .txt chunk mode: tokens per sequence (reader: 128)
    max_length: int | None = None  # training sequences longer than this follow ``overlong``
    overlong: str = "error"  # error | drop | truncate; evaluate/predict only ever truncate
    # -- model --
    model: str = "lstm"  # rnn | gru | lstm | unshared; the LSTM is the robust default
    hidden_size: int = 64  # per direction; 128 gave no better validation score, only time
    num_layers: int = 1  # one layer reaches 97%+ on JapaneseVowels; more only adds time
    # None: bidirectional unless the task is lm (a backward pass would see the next token).
    # Bidirectional gave the best validation loss on JapaneseVowels at little cost.
    bidirectional: bool | None = None
    dropout: float = 0.0  # between stacked layers only (needs num_layers >= 2); 0: small model
    # "conv": strided convolutions shorten long signals before the recurrent layers; "none":
    # the recurrent layers read every step. None: "conv" when the median training length is
    # at least LONG_MEDIAN_LENGTH (a recurrent net learns little over 300+ raw steps: PLAID
    # stayed at 20-31% test accuracy without it), else "none". The run header says which.
    frontend: str | None = None
    frontend_channels: int = 128  # conv width: the one the PLAID recipe was validated with
    frontend_layers: int = 3  # each divides the length by about frontend_stride
    frontend_kernel: int = 7  # odd: the window is centred on its step
    frontend_stride: int = 2  # 3 layers of 2: 8 times fewer recurrent steps
    # "mean-max": the head also reads the mean and max of the outputs over real steps; "last":
    # the final state only. None: "mean-max" with the conv front end, else "last".
    pooling: str | None = None
    series_norm: bool = False  # z-normalise each series over its own steps (amplitude-free)
    # -- batching --
    batching: str = "auto"  # strategy spec parsed by batching.parse_batching, e.g. "buckets:5,20"
    batch_size: int = 16  # small batches: more updates per epoch on a 230-example train split
    max_tokens: int | None = None  # token budget per batch; overrides batch_size per bucket
    # -- optimisation --
    lr: float = 5e-3  # AdamW peak learning rate; 2e-3 and 3e-3 validated slightly worse
    weight_decay: float = 0.01  # AdamW's decoupled decay; mild regularisation
    schedule: str = "cosine"  # cosine decays to 0 at the last step; constant keeps lr flat
    warmup_steps: int = 20  # linear warm-up: Adam's early moment estimates are noisy
    grad_clip: float | None = 1.0  # max global grad norm; recurrent nets can spike. None: off
    epochs: int | None = 40  # upper bound on epochs; None: only max_steps stops the run
    max_steps: int | None = None  # upper bound on optimiser steps; None: only epochs stop it
    patience: int | None = 15  # epochs without a better val metric before stopping; None: never
    # -- run --
    seed: int = 0  # seeds the split, the batch plans, the weights and dropout
    out: str | None = None  # run directory; None: runs/<data name>
    checkpoint_every: int | None = None  # also save every N steps (epoch ends always save)
    tensorboard: bool = False  # also log to <run>/tensorboard (needs the tensorboard extra)
    quiet: bool = False  # no progress bar; one line per epoch instead
    threads: int | None = 1  # torch threads: small recurrent steps gain nothing from more, and
    # on busy cores extra threads spin (10 demo epochs: 1.7 s with 1 thread, 45 s with 2, loaded)
    device: str = "auto"  # auto: CUDA when available, else CPU

    def __post_init__(self) -> None:
        _check(self.task is None or self.task in TASKS, "task", f"one of {TASKS}", self.task)
        _check(self.model in MODEL_KINDS, "model", f"one of {MODEL_KINDS}", self.model)
        _check(self.schedule in SCHEDULES, "schedule", f"one of {SCHEDULES}", self.schedule)
        _check(self.device in DEVICES, "device", f"one of {DEVICES}", self.device)
        frontends = (None, *FRONTENDS)
        _check(self.frontend in frontends, "frontend", f"one of {FRONTENDS}", self.frontend)
        _check(self.pooling in (None, *POOLINGS), "pooling", f"one of {POOLINGS}", self.pooling)
        _check(self.tokenizer in (None, *TOKENIZERS), "tokenizer", "char or word", self.tokenizer)
        _check(self.lm_mode in (None, *LM_MODES), "lm_mode", "line or chunk", self.lm_mode)
        _check(self.overlong in OVERLONG, "overlong", f"one of {OVERLONG}", self.overlong)
        if self.overlong != "error" and self.max_length is None:
            raise ConfigError(f"expected max_length to be set for overlong={self.overlong!r}")
        _check(0.0 <= self.val_fraction < 1.0, "val_fraction", "in [0, 1)", self.val_fraction)
        _check(0.0 <= self.dropout < 1.0, "dropout", "in [0, 1)", self.dropout)
        _check(self.hidden_size >= 1, "hidden_size", ">= 1", self.hidden_size)
        _check(self.num_layers >= 1, "num_layers", ">= 1", self.num_layers)
        for name in ("frontend_channels", "frontend_layers", "frontend_stride"):
            _check(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        k = self.frontend_kernel
        _check(k >= 1 and k % 2 == 1, "frontend_kernel", "an odd number >= 1", k)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size)
        _check(self.lr > 0, "lr", "> 0", self.lr)
        _check(self.warmup_steps >= 0, "warmup_steps", ">= 0", self.warmup_steps)
        for name in (
            *("max_tokens", "epochs", "max_steps", "checkpoint_every", "threads"),
            *("min_freq", "max_size", "chunk_size", "max_length"),
        ):
            value = getattr(self, name)
            _check(value is None or value >= 1, name, ">= 1 or unset", value)
        _check(self.patience is None or self.patience >= 1, "patience", ">= 1", self.patience)
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
        ``features`` and one prediction per sequence); ``pooling`` by the front end."""
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
            _check_type(key, value, known[key].default, where)
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
            where = {k: v for k, v in overrides.items() if k in ("data", "out") and v is not None}
            saved = base.replace(**where).run_dir / "config.toml"
            if saved.is_file():
                base = TrainConfig.from_toml(saved)
    return base.replace(**overrides)


# The data-reading fields, in the order the CLI lists them.
READER_FIELDS = (
    *("text_column", "label_column", "tokenizer", "min_freq", "max_size"),
    *("lm_mode", "chunk_size", "max_length", "overlong"),
)

# field -> (section, key inside the section) for the sectioned TOML layout.
_SECTION_OF: dict[str, tuple[str, str]] = {
    **{k: ("data", k) for k in ("data", "task", "test", "val_fraction", "standardize")},
    **{k: ("data", k) for k in READER_FIELDS},
    "model": ("model", "kind"),
    **{k: ("model", k) for k in ("hidden_size", "num_layers", "bidirectional", "dropout")},
    **{k: ("model", k) for k in ("frontend", "pooling", "series_norm")},
    **{
        f"frontend_{k}": ("model", f"frontend_{k}")
        for k in ("channels", "layers", "kernel", "stride")
    },
    "batching": ("batching", "strategy"),
    **{k: ("batching", k) for k in ("batch_size", "max_tokens")},
    **{
        k: ("optim", k)
        for k in (
            *("lr", "weight_decay", "schedule", "warmup_steps", "grad_clip"),
            *("epochs", "max_steps", "patience"),
        )
    },
    **{
        k: ("run", k)
        for k in ("seed", "out", "checkpoint_every", "tensorboard", "quiet", "threads", "device")
    },
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


_INT_FIELDS = (
    *("max_tokens", "epochs", "max_steps", "patience"),
    *("min_freq", "max_size", "chunk_size", "max_length"),
)


def _check_type(key: str, value: Any, default: Any, where: str) -> None:
    # Defaults carry the expected type; None-default fields accept int/str/float per their name.
    expected: tuple[type, ...]
    if isinstance(default, bool) or key == "bidirectional":
        expected = (bool,)
    elif isinstance(default, float) or key in ("grad_clip",):
        expected = (int, float)
    elif isinstance(default, int) or key in _INT_FIELDS:
        expected = (int,)
    else:
        expected = (str,)
    if key in ("checkpoint_every", "threads"):
        expected = (int,)
    if isinstance(value, bool) and bool not in expected:
        ok = False
    else:
        ok = isinstance(value, expected)
    if not ok:
        names = "/".join(t.__name__ for t in expected)
        raise ConfigError(f"{where}: expected {key} to be {names}, got {value!r}")


def _check(ok: bool, name: str, expected: str, got: Any) -> None:
    if not ok:
        raise ConfigError(f"expected {name} {expected}, got {got!r}")
