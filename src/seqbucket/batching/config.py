"""``BatchingConfig``: every batching setting in one frozen dataclass, and the CLI spec parser."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from seqbucket._tasks import OVERLONG_POLICIES
from seqbucket.errors import ConfigError, DataError

STRATEGIES = ("per-sample", "per-length", "pad-all", "random", "buckets", "auto")
PAD_TO = ("boundary", "batch-max")
# auto's knob when none is given: the least padding whose batch-mates meet again at most
# (1 - this) of the time (docs/batching.md, "Choosing the default").
DEFAULT_RANDOMNESS = 0.89


@dataclass(frozen=True)
class BatchingConfig:
    """How lengths become batches. See ``seqbucket.batching.strategies`` for each strategy.

    A setting the chosen strategy never reads is refused (``READ_BY``), so that no flag is
    silently ignored."""

    # Which way of batching; every name here is one entry of the strategy registry.
    strategy: str = "auto"
    # Examples per batch (the mean, for auto; a cap-free default when max_tokens is None). 32:
    # the figure every peer measurement in the docs uses. per-sample always uses 1.
    batch_size: int = 32
    # "buckets": inclusive upper edges, strictly increasing (bucket k holds b[k-1] < L <= b[k]).
    boundaries: tuple[int, ...] | None = None
    # "buckets": "boundary" pads to the bucket's edge (one shape per bucket, fewest compiled
    # graphs); "batch-max" pads each batch only to its longest member (least padding).
    pad_to: str = "batch-max"
    # Per-bucket batch sizes for "buckets" (one per boundary); overrides batch_size/max_tokens.
    bucket_batch_sizes: tuple[int, ...] | None = None
    # "buckets"/"pad-all": sequences longer than the last boundary (or maxlen): "error" names
    # how many, "drop" leaves them out, "truncate" puts them in the last bucket and collate cuts
    # them to its length.
    overlong: str = "error"
    # Token budget B*T per batch: short sequences travel in big batches and memory stays
    # bounded. None: batch_size.
    max_tokens: int | None = None
    # With max_tokens: round budget batch sizes down to a multiple of this (tensor cores like 8).
    multiple_of: int = 1
    # "auto"'s knob in [0, 1]: the least padding whose measured repeat-pair fraction (batch-mates
    # of one epoch batched together again in another) is at most 1 - randomness. 1.0: a plain
    # shuffle; 0.0: sorted by length, ties shuffled. None: DEFAULT_RANDOMNESS.
    randomness: float | None = None
    # "pad-all": pad to this length instead of the longest sequence (None: the longest).
    maxlen: int | None = None
    # Drop the final smaller batch instead of yielding it (dropped examples are counted).
    drop_last: bool = False

    def __post_init__(self) -> None:
        validate(self)

    @property
    def resolved_randomness(self) -> float:
        """``randomness``, or ``DEFAULT_RANDOMNESS`` when unset."""
        return DEFAULT_RANDOMNESS if self.randomness is None else float(self.randomness)

    def replace(self, **changes: object) -> BatchingConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


_BUCKETED = ("auto", "buckets", "per-length", "pad-all")
# field -> the strategies that read it; any other strategy refuses a non-default value.
READ_BY: dict[str, tuple[str, ...]] = {
    "boundaries": ("buckets",),
    "pad_to": ("buckets",),
    "bucket_batch_sizes": ("buckets",),
    "overlong": ("buckets", "pad-all"),
    "max_tokens": _BUCKETED,
    "multiple_of": _BUCKETED,
    "randomness": ("auto",),
    "maxlen": ("pad-all",),
    "drop_last": ("auto", "buckets", "per-length", "pad-all", "random"),
}


def validate(c: BatchingConfig) -> None:
    """Raise ``ConfigError`` (one line: expected, got) for any inconsistent setting."""
    if c.strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}; got {c.strategy!r}")
    # A setting the strategy never reads is a mistake to report, not to ignore silently.
    for f in dataclasses.fields(c):
        users = READ_BY.get(f.name)
        value = getattr(c, f.name)
        if users is not None and c.strategy not in users and value != f.default:
            raise ConfigError(
                f"{f.name} applies to strategy {' or '.join(users)} only, got {f.name}={value!r}"
                f" with strategy {c.strategy!r}"
            )
    if int(c.batch_size) < 1:
        raise ConfigError(f"batch size must be at least 1, got {c.batch_size}")
    if c.pad_to not in PAD_TO:
        raise ConfigError(f"pad_to must be 'boundary' or 'batch-max', got {c.pad_to!r}")
    if c.overlong not in OVERLONG_POLICIES:
        raise ConfigError(
            f"overlong must be one of {', '.join(OVERLONG_POLICIES)}; got {c.overlong!r}"
        )
    if c.boundaries is not None:
        b = list(c.boundaries)
        if not b:
            raise ConfigError("boundaries must name at least one length, got none")
        if b[0] < 1:
            raise ConfigError(f"boundaries must be positive lengths, got {b[0]} first")
        for i in range(1, len(b)):
            if b[i] <= b[i - 1]:
                kind = "duplicate" if b[i] == b[i - 1] else "unsorted"
                raise ConfigError(
                    f"boundaries must be strictly increasing, got {kind} {b[i - 1]},{b[i]}"
                    f" at positions {i - 1},{i} of {','.join(map(str, b))}"
                )
    if c.strategy == "buckets" and c.boundaries is None:
        raise ConfigError("strategy 'buckets' needs boundaries such as buckets:5,20,50,100")
    if c.bucket_batch_sizes is not None:
        if c.boundaries is None or len(c.bucket_batch_sizes) != len(c.boundaries):
            n = 0 if c.boundaries is None else len(c.boundaries)
            raise ConfigError(
                f"bucket_batch_sizes needs one size per boundary ({n}),"
                f" got {len(c.bucket_batch_sizes)}"
            )
        if min(c.bucket_batch_sizes) < 1:
            raise ConfigError(f"bucket batch sizes must be >= 1, got {c.bucket_batch_sizes}")
    if c.max_tokens is not None and c.max_tokens < 1:
        raise ConfigError(f"max_tokens must be a positive token count, got {c.max_tokens}")
    if c.multiple_of < 1:
        raise ConfigError(f"multiple_of must be at least 1, got {c.multiple_of}")
    if c.multiple_of != 1 and c.max_tokens is None:
        raise ConfigError("multiple_of rounds token-budget sizes: set max_tokens too, got none")
    if c.randomness is not None and not 0.0 <= float(c.randomness) <= 1.0:
        raise ConfigError(f"randomness must lie in [0, 1], got {c.randomness}")
    if c.maxlen is not None and c.maxlen < 1:
        raise ConfigError(f"maxlen must be a positive length, got {c.maxlen}")


def check_lengths(lengths: object) -> np.ndarray:
    """``lengths`` as ``int64 (N,)``; ``DataError`` if empty, not 1-D, or holding a length < 1."""
    arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise DataError(f"lengths must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise DataError("lengths must hold at least one example, got an empty dataset")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(arr == np.round(arr)):
            raise DataError(f"lengths must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    bad = np.flatnonzero(arr < 1)
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"lengths must be >= 1, got {int(arr[i])} at example index {i}"
            f" ({bad.size} such example{'s' if bad.size > 1 else ''})"
        )
    return arr


def parse_batching(spec: str, **overrides: object) -> BatchingConfig:
    """A config from a CLI spec: ``auto``, ``random``, ``pad-all``, ``per-length``,
    ``per-sample`` or ``buckets:5,20,50,100``; ``overrides`` set any other field
    (``None`` values are ignored so that unset CLI flags keep the defaults)."""
    spec = spec.strip()
    name, _, arg = spec.partition(":")
    fields: dict[str, object] = {"strategy": name}
    if name == "buckets":
        if arg:
            fields["boundaries"] = parse_int_list(arg, what="bucket boundaries")
        elif overrides.get("boundaries") is None:  # `buckets` + boundaries=... is fine too
            raise ConfigError(
                f"expected buckets:L1,L2,... (e.g. buckets:5,20,50,100), got {spec!r}"
            )
    elif arg:
        raise ConfigError(f"strategy {name!r} takes no ':' argument, got {spec!r}")
    elif name not in STRATEGIES:
        raise ConfigError(
            f"expected a strategy among {', '.join(STRATEGIES)} or buckets:5,20,50,100;"
            f" got {spec!r}"
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    if name == "buckets" and arg and "boundaries" in given:
        raise ConfigError(
            f"boundaries given twice: in {spec!r} and as boundaries={given['boundaries']!r}"
        )
    fields.update(given)
    names = {f.name for f in dataclasses.fields(BatchingConfig)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ConfigError(f"unknown batching settings {unknown}; expected some of {sorted(names)}")
    for key in ("boundaries", "bucket_batch_sizes"):
        if isinstance(fields.get(key), str):
            fields[key] = parse_int_list(str(fields[key]), what=key)
        elif fields.get(key) is not None:
            fields[key] = tuple(int(x) for x in fields[key])  # type: ignore[attr-defined]
    return BatchingConfig(**fields)  # type: ignore[arg-type]


def parse_int_list(text: str, *, what: str) -> tuple[int, ...]:
    """``"5,20,50"`` -> ``(5, 20, 50)``; ``ConfigError`` naming the bad item otherwise."""
    out = []
    for item in text.split(","):
        try:
            out.append(int(item.strip()))
        except ValueError:
            raise ConfigError(
                f"{what} must be integers such as 5,20,50; got {item!r} in {text!r}"
            ) from None
    return tuple(out)
