"""``ModelConfig``: every choice that shapes a model, as plain values (checkpoint-safe)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from seqbucket._tasks import CELL_KINDS, MODEL_KINDS, TASKS
from seqbucket.errors import ConfigError

IMPLS = ("fused", "loop", "packed")
FRONTENDS = ("none", "conv")
FRONTEND_NORMS = ("none", "batch")
POOLINGS = ("last", "mean-max")
# H per direction, the one default of ModelConfig and TrainConfig: over JapaneseVowels seeds
# 0-9, 128 had the best mean validation loss (0.050; 64: 0.053, 96: 0.054) at about 2 s more a
# run (benchmarks/demo_seeds.py)
DEFAULT_HIDDEN_SIZE = 128
# Tasks with one prediction per sequence: the only ones a shortening front end or pooling fits.
_SEQUENCE_TASKS = ("classify", "regress")


@dataclass(frozen=True)
class ModelConfig:
    """What to build. ``build_model(config)`` turns it into a :class:`SequenceModel`.

    Inputs are either features ``(B, T, F)`` with ``input_size=F`` or token ids ``(B, T)`` with
    ``vocab_size`` (id 0 is padding, 1 is ``<unk>``) and ``embed_dim``.
    """

    # "rnn" (Elman, tanh), "gru" or "lstm" share one transition at every step; "unshared" gives
    # each step t < max_len its own weights: the feed-forward network an unrolled RNN would be.
    kind: str = "lstm"
    # Decides the head and the logits' shape: classify (B, C), tag and lm (B, T, C), regress (B,).
    task: str = "classify"
    # F for float features; None for token inputs. Exactly one of input_size/vocab_size is set.
    input_size: int | None = None
    # Token vocabulary size for id inputs (and the number of lm classes); None for features.
    vocab_size: int | None = None
    # Width of the token embedding; unused for feature inputs. 64 is plenty for the shipped text.
    embed_dim: int = 64
    # H: the recurrent state width per direction.
    hidden_size: int = DEFAULT_HIDDEN_SIZE
    # Stacked recurrent layers; each reads the outputs of the one below.
    num_layers: int = 1
    # Also read each sequence backwards (from its own last real step); doubles the output width.
    bidirectional: bool = False
    # Dropout between stacked layers only (as in nn.LSTM); 0 keeps training deterministic.
    dropout: float = 0.0
    # "fused": PyTorch's fused kernels on the padded batch, made exact by gathers and masks
    # (fast, the default). "loop": the readable reference cells in a Python loop over time.
    # "packed": PackedSequence, offered as the classic reference (slow on CPU).
    impl: str = "fused"
    # Output classes for classify/tag; lm uses vocab_size; regress needs none.
    num_classes: int | None = None
    # Longest sequence the unshared baseline can read (it has weights for steps 0..max_len-1).
    max_len: int | None = None
    # The per-step transition of the unshared baseline: "rnn" is the Elman step
    # h_t = tanh(W_t x_t + U_t h_{t-1} + b_t); "gru"/"lstm" use those cells' equations.
    unshared_cell: str = "rnn"
    # Z-normalise each sequence per channel over its own real steps before anything else; the
    # head also reads what that removed (log scale, offset, log length), so gains no longer
    # hide the shape and the magnitude stays known (see models/pooling.py).
    series_norm: bool = False
    # With series_norm: also feed asinh of the (un-normalised) input beside its z-normalised
    # form, so the layers that read the shape also see the absolute amplitude of every step.
    raw_channel: bool = False
    # "conv": strided 1-D convolutions shorten the sequence by about stride**layers before the
    # recurrent layers read it (long, fast signals such as PLAID's currents; see
    # models/frontend.py). "none": the recurrent layers read the inputs step by step.
    frontend: str = "none"
    frontend_channels: int = 128  # C: width of every conv layer (the recurrent input width)
    frontend_layers: int = 3  # each divides the length by about frontend_stride
    frontend_kernel: int = 7  # odd, so the zero padding k // 2 centres each window
    frontend_stride: int = 2  # 3 layers of stride 2: PLAID's 1,344 steps become 168
    # "batch": batch norm after each convolution, its statistics over real steps only (see
    # models/masked_norm.py); "none": none.
    frontend_norm: str = "none"
    # What the classify/regress head reads: "last" the final state; "mean-max" the final state
    # beside the mean and the max over the real steps of the top layer's outputs and (with a
    # front end) of the front end's outputs: a long sequence's evidence can sit anywhere, and
    # the final state forgets.
    pooling: str = "last"
    # Dropout on what the classify/regress head reads (training only): the pooled features of
    # a small data set (PLAID: 455 training series) are easy to memorise.
    head_dropout: float = 0.0

    def __post_init__(self) -> None:
        _one_of("kind", self.kind, MODEL_KINDS)
        _one_of("task", self.task, TASKS)
        _one_of("impl", self.impl, IMPLS)
        _one_of("unshared_cell", self.unshared_cell, CELL_KINDS)
        _one_of("frontend", self.frontend, FRONTENDS)
        _one_of("pooling", self.pooling, POOLINGS)
        _one_of("frontend_norm", self.frontend_norm, FRONTEND_NORMS)
        for name in ("frontend_channels", "frontend_layers", "frontend_kernel", "frontend_stride"):
            _positive(name, getattr(self, name))
        if (self.input_size is None) == (self.vocab_size is None):
            raise ConfigError(
                "ModelConfig: expected exactly one of input_size (features) or vocab_size "
                f"(token ids), got input_size={self.input_size} vocab_size={self.vocab_size}"
            )
        _positive("input_size", self.input_size)
        _positive("embed_dim", self.embed_dim)
        _positive("hidden_size", self.hidden_size)
        _positive("num_layers", self.num_layers)
        if self.vocab_size is not None and self.vocab_size < 2:
            raise ConfigError(
                "ModelConfig: vocab_size must be >= 2 (0 = padding, 1 = <unk>), "
                f"got {self.vocab_size}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"ModelConfig: dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.head_dropout < 1.0:
            raise ConfigError(
                f"ModelConfig: head_dropout must be in [0, 1), got {self.head_dropout}"
            )
        if self.dropout > 0 and self.num_layers == 1:
            # Refused rather than ignored: a run that records dropout=0.3 must have used it.
            raise ConfigError(
                f"ModelConfig: dropout acts between stacked layers only, got dropout="
                f"{self.dropout} with num_layers=1 (use num_layers >= 2, or dropout 0)"
            )
        if self.task in ("classify", "tag"):
            if self.num_classes is None or self.num_classes < 1:
                raise ConfigError(
                    f"ModelConfig: task={self.task!r} needs num_classes >= 1, "
                    f"got {self.num_classes}"
                )
        if self.task == "lm":
            if self.vocab_size is None:
                raise ConfigError(
                    "ModelConfig: task='lm' needs token inputs (vocab_size), got None"
                )
            if self.bidirectional:
                # A backward direction would see the very token the model must predict.
                raise ConfigError(
                    "ModelConfig: task='lm' must be unidirectional, got bidirectional"
                )
        if self.kind == "unshared":
            if self.max_len is None or self.max_len < 1:
                raise ConfigError(
                    f"ModelConfig: kind='unshared' needs max_len >= 1, got {self.max_len}"
                )
        elif self.max_len is not None:
            _positive("max_len", self.max_len)
        self._check_sequence_features()

    def _check_sequence_features(self) -> None:
        """The front end, pooling and series normalisation act on whole float sequences."""
        used = [
            name
            for name, on in (
                ("frontend='conv'", self.frontend == "conv"),
                ("pooling='mean-max'", self.pooling == "mean-max"),
                ("series_norm=True", self.series_norm),
            )
            if on
        ]
        if not used:
            return
        if self.task not in _SEQUENCE_TASKS and self.frontend == "conv":
            # The front end shortens time, so there is no output per input step to tag.
            raise ConfigError(
                f"ModelConfig: frontend='conv' needs a task in {list(_SEQUENCE_TASKS)}, "
                f"got task={self.task!r}"
            )
        if self.task not in _SEQUENCE_TASKS and self.pooling == "mean-max":
            raise ConfigError(
                f"ModelConfig: pooling='mean-max' needs a task in {list(_SEQUENCE_TASKS)}, "
                f"got task={self.task!r}"
            )
        if self.input_size is None:
            raise ConfigError(
                f"ModelConfig: {', '.join(used)} needs float features (input_size), got token ids"
            )
        if self.kind == "unshared" and self.frontend == "conv":
            raise ConfigError(
                "ModelConfig: frontend='conv' reads lengths the unshared baseline's max_len "
                "does not describe; use frontend='none' with kind='unshared'"
            )
        if self.raw_channel and not self.series_norm:
            raise ConfigError("ModelConfig: raw_channel=True needs series_norm=True")
        if self.frontend_kernel % 2 == 0:
            raise ConfigError(
                f"ModelConfig: frontend_kernel must be odd, got {self.frontend_kernel}"
            )

    @property
    def cell(self) -> str:
        """The transition equations in use: ``kind``, or ``unshared_cell`` for the baseline."""
        return self.unshared_cell if self.kind == "unshared" else self.kind

    @property
    def summary_size(self) -> int:
        """Width of the per-sequence summary ``series_norm`` hands the head: ``2F + 1``."""
        return 2 * int(self.input_size or 0) + 1 if self.series_norm else 0

    @property
    def stage_input_size(self) -> int:
        """Width of what the first stage after ``series_norm`` reads: F, or 2F with
        ``raw_channel``."""
        return int(self.input_size or 0) * (2 if self.raw_channel else 1)

    @property
    def encoder_input_size(self) -> int:
        """Width of what the recurrent layers read: F (2F with ``raw_channel``; C after a conv
        front end), or ``embed_dim`` for token ids."""
        if self.frontend == "conv":
            return self.frontend_channels
        return self.stage_input_size if self.input_size is not None else self.embed_dim

    @property
    def encoder_config(self) -> ModelConfig:
        """The config of the recurrent part alone: with a conv front end, it reads
        ``frontend_channels`` features per (shortened) step."""
        if self.frontend == "none":
            if not self.raw_channel:
                return self
            return replace(self, input_size=self.stage_input_size, raw_channel=False)
        return replace(
            self,
            input_size=self.frontend_channels,
            frontend="none",
            frontend_norm="none",
            raw_channel=False,
        )

    @property
    def output_size(self) -> int:
        """C: logits per prediction (1 for regress)."""
        if self.task == "regress":
            return 1
        if self.task == "lm":
            return int(self.vocab_size or 0)
        return int(self.num_classes or 0)

    def to_dict(self) -> dict[str, Any]:
        """Plain ``str``/``int``/``float``/``bool``/``None`` values (safe for ``weights_only``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"ModelConfig: unknown keys {unknown}; expected a subset of {sorted(known)}"
            )
        return cls(**data)


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"ModelConfig: {name} must be one of {list(allowed)}, got {value!r}")


def _positive(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"ModelConfig: {name} must be a positive int, got {value!r}")
