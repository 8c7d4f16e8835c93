"""Padding against randomness: seqbucket's knob against the peers' own samplers.

Run: ``.venv/bin/python benchmarks/batching_frontier.py`` (``make bench`` installs the ``peers``
extra first). A few minutes on 2 shared cores. Planning speed at 10 million lengths:
``benchmarks/plan_10m.py``.

Every point is measured the same way (``seqbucket.bench.frontier``): padding = padded / real
tokens - 1, averaged over a run of 11 epochs; repeat = the maximum over gaps 1..10 of the
repeat-pair fraction between epoch 0 and epoch g (seed fixed); B = mean batch size. Peers run
live: Hugging Face ``LengthGroupedSampler`` and Lhotse ``DynamicBucketingSampler`` (10 buckets,
max_cuts 32), batch size 32. A peer that is not installed is skipped with one line and its
re-implementation (``seqbucket.bench.peers``) is measured instead, marked "re-impl"; TF's
quantile bucketing is always a re-implementation (TensorFlow is not installed).

For every live peer point (padding p, repeat r), the benchmark looks for a knob value with
padding <= p, repeat <= 1.10 r (one measurement's noise) and a mean batch >= the peer's.
"""

from __future__ import annotations

import argparse

import numpy as np

from seqbucket.batching import DEFAULT_RANDOMNESS, BatchingConfig, plan
from seqbucket.bench import live_peers
from seqbucket.bench.frontier import Point, dominates, measure_config, measure_peer
from seqbucket.bench.peers import FALLBACKS, tf_quantile_batches
from seqbucket.data import load_dataset

BATCH = 32
KNOB = (0.0, 0.5, 0.7, 0.8, 0.84, 0.86, 0.88, 0.89, 0.9, 0.92, 0.94, 0.96, 0.98, 1.0)


def distributions() -> dict[str, np.ndarray]:
    """The shipped data sets, and four length distributions the defaults were not tuned on."""
    rng = np.random.default_rng(2024)
    return {
        "japanese-vowels (640)": np.asarray(load_dataset("japanese-vowels", split="all").lengths),
        "plaid (1074)": np.asarray(load_dataset("plaid", split="all").lengths),
        "text, lognormal (5000)": np.clip(rng.lognormal(3.4, 0.75, 5000).astype(int), 1, 512),
        "text, zipf tail (5000)": np.clip(rng.zipf(1.6, 5000) + 4, 1, 1024),
        "gestures 29..361 (2000)": rng.integers(29, 362, 2000),
        "gestures, 3 speeds (1500)": np.clip(
            np.concatenate([rng.normal(m, 25, 500) for m in (70, 160, 300)]).astype(int), 29, 361
        ),
    }


def peer_points(lengths: np.ndarray) -> list[tuple[str, bool, Point]]:
    """``(name, live, point)`` of each peer on ``lengths``."""
    status = live_peers.available()
    rows = []
    for name, key in live_peers.LIVE_PEER_MODULE.items():
        if status[key] is None:
            rows.append((name, True, measure_peer(lengths, live_peers.LIVE_PEERS[name], BATCH)))
        else:
            rows.append((f"{name} re-impl", False, measure_peer(lengths, FALLBACKS[key], BATCH)))
    tf = measure_peer(lengths, tf_quantile_batches, BATCH)
    rows.append(("TF 4 quantile buckets re-impl", False, tf))
    return rows


def fmt(p: Point) -> str:
    return f"{p.padding:6.1%} / {p.repeat:5.3f} (mean {p.repeat_mean:5.3f})  B={p.mean_batch:5.1f}"


def report(name: str, lengths: np.ndarray) -> tuple[int, int, list[str]]:
    print(f"\n## {name}: lengths {lengths.min()}..{lengths.max()}")
    print("seqbucket auto, randomness -> noise space, width: padding / max repeat over gaps 1-10")
    ours = []
    for r in KNOB:
        config = BatchingConfig(randomness=r)
        total = plan(lengths, config).stats["total"]
        point = measure_config(lengths, config)
        ours.append(point)
        star = "  (default)" if r == DEFAULT_RANDOMNESS else ""
        where = f"{total['noise_space']:4s} w={total['noise_width']:6.3f}"
        print(f"  randomness {r:4.2f}  {where}  {fmt(point)}{star}")
    won, live, missed = 0, 0, []
    print(f"{'peer':52s} {'padding / repeat':>36s}   best seqbucket point")
    for peer, is_live, p in peer_points(lengths):
        best = dominates(ours, p)
        verdict = f"{fmt(best)}  dominated" if best else "none: NOT dominated"
        if not is_live:
            verdict += " (re-impl: not counted)"
        else:
            live += 1
            won += best is not None
            if best is None:
                missed.append(f"{name}: {peer} {fmt(p)}")
        print(f"{peer:52s} {fmt(p):>36s}   {verdict}")
    return won, live, missed


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    for key, why in live_peers.available().items():
        if why is not None:
            print(f"skipping live peer {key}: {why}")
    won = live = 0
    missed: list[str] = []
    for name, lengths in distributions().items():
        w, n, m = report(name, lengths)
        won, live, missed = won + w, live + n, missed + m
        if name.startswith("plaid"):
            d = measure_config(lengths, BatchingConfig())
            ok = d.padding <= 0.136 and d.repeat <= 0.116 and d.mean_batch >= BATCH
            print(
                f"PLAID target (default knob: padding <= 13.6% at max repeat <= 0.116, B >= 32):"
                f" {fmt(d)}  {'PASS' if ok else 'FAIL'}"
            )
    print(f"\nfrontier: {won} of {live} live peer points dominated")
    for line in missed:
        print(f"  not dominated: {line}")


if __name__ == "__main__":
    main()
