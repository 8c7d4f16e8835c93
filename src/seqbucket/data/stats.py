"""Length statistics of a dataset, and a text histogram: what ``seqbucket inspect`` prints.

"Padding everything to the longest" means N sequences each padded to ``max(lengths)``:
``padded = N * max``, ``real = sum(lengths)``. The waste is reported two ways:

- ``padding_per_real = padded / real - 1``: padding tokens computed per real token;
- ``padding_fraction = 1 - real / padded``: the share of all computed steps that is padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqbucket.errors import DataError


@dataclass(frozen=True)
class LengthSummary:
    """Summary of N sequence lengths."""

    count: int  # N
    min: int
    median: float
    p95: float  # 95th percentile (linear interpolation, numpy's default)
    max: int
    real_tokens: int  # sum of lengths
    padded_tokens: int  # N * max: every sequence padded to the longest

    @property
    def padding_per_real(self) -> float:
        """Padding tokens per real token under pad-to-longest: ``padded / real - 1``."""
        return self.padded_tokens / self.real_tokens - 1.0

    @property
    def padding_fraction(self) -> float:
        """Share of computed steps that are padding under pad-to-longest: ``1 - real/padded``."""
        return 1.0 - self.real_tokens / self.padded_tokens


def length_summary(lengths: np.ndarray) -> LengthSummary:
    """:class:`LengthSummary` of ``lengths`` (``(N,)`` integers >= 1, N >= 1)."""
    lens = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if len(lens) == 0:
        raise DataError("length summary of an empty dataset (no examples)")
    longest = int(lens.max())
    return LengthSummary(
        count=len(lens),
        min=int(lens.min()),
        median=float(np.median(lens)),
        p95=float(np.percentile(lens, 95)),
        max=longest,
        real_tokens=int(lens.sum()),
        padded_tokens=len(lens) * longest,
    )


def length_histogram(lengths: np.ndarray, bins: int = 15, width: int = 50) -> str:
    """A text histogram: one line per bin, ``lo-hi count ####``, bars scaled to ``width``.

    Bins have one integer width, ``ceil((max - min + 1) / bins)``, starting at ``min`` (so there
    may be fewer than ``bins`` lines); each line shows the inclusive range of lengths it counts.
    """
    lens = np.asarray(lengths, dtype=np.int64).reshape(-1)
    if len(lens) == 0:
        raise DataError("histogram of an empty dataset (no examples)")
    if bins < 1:
        raise DataError(f"histogram bins must be >= 1, got {bins}")
    lo, hi = int(lens.min()), int(lens.max())
    step = -(-(hi - lo + 1) // bins)  # ceil: equal integer-width bins covering lo..hi
    # Bin k holds lengths in [edges[k], edges[k+1]); the last edge lies past hi.
    edges = np.arange(lo, hi + step + 1, step, dtype=np.int64)
    edges = edges[: np.searchsorted(edges, hi, side="right") + 1]
    counts = np.histogram(lens, bins=edges)[0]
    peak = int(counts.max())
    label_width = len(str(hi))
    count_width = len(str(peak))
    lines = []
    for k, count in enumerate(counts.tolist()):
        a, b = int(edges[k]), int(edges[k + 1]) - 1
        bar = "#" * (round(width * count / peak) if count else 0)
        if count and not bar:
            bar = "#"  # a non-empty bin always shows
        lines.append(
            f"  {a:>{label_width}}-{b:<{label_width}} {count:>{count_width}} {bar}".rstrip()
        )
    return "\n".join(lines)
