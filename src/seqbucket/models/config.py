"""``ModelConfig``: every choice that shapes a model, as plain values (checkpoint-safe)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from seqbucket._tasks import CELL_KINDS, MODEL_KINDS, TASKS
from seqbucket.errors import ConfigError

IMPLS = ("fused", "loop", "packed")


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
    # H: the recurrent state width per direction. 128 is the size the speed figures use.
    hidden_size: int = 128
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

    def __post_init__(self) -> None:
        _one_of("kind", self.kind, MODEL_KINDS)
        _one_of("task", self.task, TASKS)
        _one_of("impl", self.impl, IMPLS)
        _one_of("unshared_cell", self.unshared_cell, CELL_KINDS)
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

    @property
    def cell(self) -> str:
        """The transition equations in use: ``kind``, or ``unshared_cell`` for the baseline."""
        return self.unshared_cell if self.kind == "unshared" else self.kind

    @property
    def encoder_input_size(self) -> int:
        """Width of what the recurrent layers read: F, or ``embed_dim`` for token ids."""
        return self.input_size if self.input_size is not None else self.embed_dim

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
