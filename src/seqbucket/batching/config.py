"""``BatchingConfig``: every batching setting in one frozen dataclass, and the CLI spec parser."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from seqbucket.errors import ConfigError, DataError

STRATEGIES = ("per-sample", "per-length", "pad-all", "random", "buckets", "auto")
PAD_TO = ("boundary", "batch-max")
OVERLONG = ("error", "drop", "truncate")
BATCH_CUTS = ("auto", "carry", "even", "noisy")


@dataclass(frozen=True)
class BatchingConfig:
    """How lengths become batches. See ``seqbucket.batching.strategies`` for each strategy."""

    # Which way of batching; every name here is one entry of the strategy registry.
    strategy: str = "auto"
    # Examples per batch (the bucketed strategies' default when max_tokens is None). 32: the
    # figure every peer measurement in the docs uses.
    batch_size: int = 32
    # "buckets": inclusive upper edges, strictly increasing (bucket k holds b[k-1] < L <= b[k]).
    boundaries: tuple[int, ...] | None = None
    # "boundary": one shape per bucket (fewest compiled graphs); "batch-max": pad each batch only
    # to its longest member (least padding, one shape per distinct batch maximum).
    pad_to: str = "batch-max"
    # Per-bucket batch sizes for "buckets" (one per boundary); overrides batch_size/max_tokens.
    bucket_batch_sizes: tuple[int, ...] | None = None
    # Sequences longer than the last boundary (or maxlen): "error" names how many, "drop" leaves
    # them out, "truncate" puts them in the last bucket and collate cuts them to its length.
    overlong: str = "error"
    # Token budget B*T per batch: each bucket's batch size becomes max_tokens // its pad length,
    # so short sequences travel in big batches and memory stays bounded. None: batch_size.
    max_tokens: int | None = None
    # Round budget batch sizes down to a multiple of this (tensor cores like multiples of 8).
    multiple_of: int = 1
    # "auto": the number of buckets. None lets the randomness knob pick it.
    num_buckets: int | None = None
    # The knob, in [0, 1]: "auto" takes the least padding whose predicted repeat-pair fraction
    # between consecutive epochs (knob.choose) is <= 1 - randomness. 0.9
    # (default): about 10% of batch-mate pairs meet again next epoch; 1.0: only plans predicted
    # to repeat no pair (one bucket, or one plus a tail of the longest); 0.0: no randomness
    # constraint (the least padding, up to max_buckets buckets).
    randomness: float = 0.9
    # "pad-all": pad to this length instead of the longest sequence (None: the longest).
    maxlen: int | None = None
    # Drop the final smaller batch instead of yielding it (dropped examples are counted).
    drop_last: bool = False
    # Largest number of buckets "auto" considers: more buckets pad less but mean more shapes
    # (compiled graphs) and a slower choice; past ~256 the padding curve is flat.
    max_buckets: int = 256
    # How buckets become batches (cutting.py): "carry" keeps every batch at its bucket's size
    # (leftovers ride up into the next bucket); "even" never straddles buckets and splits each
    # into near-equal batches (sizes vary, mean >= batch_size, as Lhotse's do); "auto" lets the
    # knob take whichever pads less at its randomness target (carry for "buckets" and whenever
    # num_buckets is fixed); "noisy": sort by length plus uniform noise whose width the knob
    # sets, cut consecutive batches (engine.noisy_sorted). "auto" weighs it too; where it does
    # not apply (knob.choose: budget, pad_to="boundary", drop_last, num_buckets, N > 1M) or for
    # "buckets", "noisy" falls back to what "auto" would pick among the bucket cuts.
    batch_cut: str = "auto"

    def __post_init__(self) -> None:
        validate(self)

    def replace(self, **changes: object) -> BatchingConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def validate(c: BatchingConfig) -> None:
    """Raise ``ConfigError`` (one line: expected, got) for any inconsistent setting."""
    if c.strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}; got {c.strategy!r}")
    if int(c.batch_size) < 1:
        raise ConfigError(f"batch size must be at least 1, got {c.batch_size}")
    if c.pad_to not in PAD_TO:
        raise ConfigError(f"pad_to must be 'boundary' or 'batch-max', got {c.pad_to!r}")
    if c.overlong not in OVERLONG:
        raise ConfigError(f"overlong must be one of {', '.join(OVERLONG)}; got {c.overlong!r}")
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
    # A setting the strategy never reads is a mistake to report, not to ignore silently.
    for field, value, users in (
        ("boundaries", c.boundaries, ("buckets",)),
        ("num_buckets", c.num_buckets, ("auto",)),
        ("maxlen", c.maxlen, ("pad-all",)),
    ):
        if value is not None and c.strategy not in users:
            raise ConfigError(
                f"{field} applies to strategy {' or '.join(users)} only, got {field}={value!r}"
                f" with strategy {c.strategy!r}"
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
    if c.max_tokens is not None and c.strategy in ("random", "per-sample"):
        raise ConfigError(
            f"max_tokens needs a bucketed strategy (auto, buckets, per-length, pad-all),"
            f" got strategy {c.strategy!r}"
        )
    if c.batch_cut not in BATCH_CUTS:
        raise ConfigError(f"batch_cut must be one of {', '.join(BATCH_CUTS)}; got {c.batch_cut!r}")
    if c.multiple_of < 1:
        raise ConfigError(f"multiple_of must be at least 1, got {c.multiple_of}")
    if c.num_buckets is not None and c.num_buckets < 1:
        raise ConfigError(f"number of buckets must be at least 1, got {c.num_buckets}")
    if c.max_buckets < 1:
        raise ConfigError(f"max_buckets must be at least 1, got {c.max_buckets}")
    if not 0.0 <= float(c.randomness) <= 1.0:
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
    if "randomness" in given and name != "auto":
        raise ConfigError(
            f"randomness applies to strategy auto only, got randomness={given['randomness']}"
            f" with strategy {name!r}"
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
