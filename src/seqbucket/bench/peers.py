"""Our own re-implementations of peers' samplers, for side-by-side measurement.

Each function maps ``(lengths, batch_size, seed, epoch)`` to a list of int64 index arrays, padded
to the batch maximum (what every peer does by default). They follow the peers' published
algorithms, simplified to what decides padding and randomness:

- ``random_batches``: ``DataLoader(shuffle=True)`` + ``pad_sequence``.
- ``megabatch_batches``: Hugging Face ``LengthGroupedSampler`` (``group_by_length``): shuffle, cut
  into megabatches of ``min(N // (4 B), 50)`` x batch size (HF's ``get_length_grouped_indices``),
  sort each by length descending, move the longest example's batch first.
- ``lhotse_batches``: Lhotse ``DynamicBucketingSampler``: 10 buckets of equal total duration
  (``estimate_duration_buckets``), shuffled within buckets, batches of ``batch_size`` (max_cuts)
  drawn from a random non-empty bucket, the leftovers last.
- ``tf_quantile_batches``: TF ``bucket_by_sequence_length`` with 4 quantile buckets (edges at the
  quartiles, TF's half-open ``[b_i, b_{i+1})`` buckets) over a shuffled stream: a bucket emits a
  batch when full; partial batches are flushed at the end.
- ``sorted_batches``: fully sorted by length (ties by index), the same batches every epoch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqbucket.batching.boundaries import equal_token_boundaries

PeerSampler = Callable[[np.ndarray, int, int, int], list[np.ndarray]]


def _rng(seed: int, epoch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, 99])


def _chunks(order: np.ndarray, b: int) -> list[np.ndarray]:
    return [order[i : i + b] for i in range(0, order.size, b)]


def random_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    return _chunks(_rng(seed, epoch).permutation(lengths.size), b)


def megabatch_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    perm = _rng(seed, epoch).permutation(lengths.size)
    mega = max(1, min(lengths.size // (4 * b), 50)) * b
    groups = [perm[i : i + mega] for i in range(0, perm.size, mega)]
    groups = [g[np.argsort(-lengths[g], kind="stable")] for g in groups]
    top = int(np.argmax([lengths[g[0]] for g in groups]))
    groups[0][0], groups[top][0] = groups[top][0], groups[0][0]  # longest batch first (HF)
    return _chunks(np.concatenate(groups), b)


def _bucket_streams(lengths: np.ndarray, edges: tuple[int, ...], perm: np.ndarray) -> list:
    bid = np.searchsorted(np.asarray(edges), lengths[perm], side="left")
    return [perm[bid == k] for k in range(len(edges))]


def lhotse_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    rng = _rng(seed, epoch)
    streams = _bucket_streams(
        lengths, equal_token_boundaries(lengths, 10), rng.permutation(lengths.size)
    )
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


def sorted_batches(lengths: np.ndarray, b: int, seed: int, epoch: int) -> list[np.ndarray]:
    return _chunks(np.argsort(lengths, kind="stable"), b)


PEERS: dict[str, PeerSampler] = {
    "random": random_batches,
    "megabatch (HF)": megabatch_batches,
    "Lhotse dynamic, 10 buckets": lhotse_batches,
    "4 quantile buckets (TF)": tf_quantile_batches,
    "fully sorted": sorted_batches,
}
