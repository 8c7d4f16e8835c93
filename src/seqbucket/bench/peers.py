"""Fallback re-implementations of peers' samplers, used only where the real ones are missing.

The frontier runs the peers' own code (``bench.live_peers``, the ``peers`` extra). These
functions stand in when that extra is not installed, and for TensorFlow, which the project does
not install. Each maps ``(lengths, batch_size, seed, epoch)`` to a list of int64 index arrays,
padded to the batch maximum (what every peer does by default):

- ``megabatch_batches``: Hugging Face ``LengthGroupedSampler`` (``group_by_length``): shuffle, cut
  into megabatches of ``min(N // (4 B), 50)`` x batch size (HF's ``get_length_grouped_indices``),
  sort each by length descending, move the longest example's batch first.
- ``lhotse_batches``: Lhotse ``DynamicBucketingSampler``: 10 buckets of equal total duration,
  shuffled within buckets, batches of ``batch_size`` (max_cuts) drawn from a random non-empty
  bucket, the leftovers last.
- ``tf_quantile_batches``: TF ``bucket_by_sequence_length`` with 4 quantile buckets (edges at the
  quartiles, TF's half-open ``[b_i, b_{i+1})`` buckets) over a shuffled stream: a bucket emits a
  batch when full; partial batches are flushed at the end.
"""

from __future__ import annotations

import numpy as np

from seqbucket.batching.boundaries import equal_token_boundaries
from seqbucket.bench.frontier import PeerSampler


def _rng(seed: int, epoch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, 99])


def _chunks(order: np.ndarray, b: int) -> list[np.ndarray]:
    return [order[i : i + b] for i in range(0, order.size, b)]


def megabatch_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    perm = _rng(seed, epoch).permutation(lengths.size)
    mega = max(1, min(lengths.size // (4 * b), 50)) * b
    groups = [perm[i : i + mega] for i in range(0, perm.size, mega)]
    groups = [g[np.argsort(-lengths[g], kind="stable")] for g in groups]
    top = int(np.argmax([lengths[g[0]] for g in groups]))
    groups[0][0], groups[top][0] = groups[top][0], groups[0][0]  # longest batch first (HF)
    return _chunks(np.concatenate(groups), b)


def lhotse_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    rng = _rng(seed, epoch)
    edges = np.asarray(equal_token_boundaries(lengths, 10))
    perm = rng.permutation(lengths.size)
    bid = np.searchsorted(edges, lengths[perm], side="left")
    streams = [perm[bid == k] for k in range(edges.size)]
    pos = [0] * len(streams)
    out: list[np.ndarray] = []
    while True:
        ready = [k for k, s in enumerate(streams) if s.size - pos[k] >= b]
        if not ready:
            break
        k = ready[int(rng.integers(len(ready)))]
        out.append(streams[k][pos[k] : pos[k] + b])
        pos[k] += b
    out += [s[pos[k] :] for k, s in enumerate(streams) if s.size > pos[k]]
    return out


def tf_quantile_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    perm = _rng(seed, epoch).permutation(lengths.size)
    edges = np.quantile(lengths, [0.25, 0.5, 0.75], method="lower").astype(np.int64)
    bid = np.searchsorted(edges, lengths[perm], side="right")  # TF: bucket i is [b_i, b_{i+1})
    # A bucket emits when it reaches b; the emission order follows the stream (the b-th arrival).
    out, when = [], []
    for k in range(edges.size + 1):
        members = perm[bid == k]
        arrival = np.flatnonzero(bid == k)
        for i in range(0, members.size, b):
            out.append(members[i : i + b])
            full = i + b <= members.size
            when.append(arrival[i + b - 1] if full else perm.size + k)  # partials flushed last
    return [out[i] for i in np.argsort(when, kind="stable")]


FALLBACKS: dict[str, PeerSampler] = {
    "hf_length_grouped": megabatch_batches,
    "lhotse_dynamic_bucketing": lhotse_batches,
}
"""``live_peers.available()`` key -> the re-implementation used when that peer is missing."""
