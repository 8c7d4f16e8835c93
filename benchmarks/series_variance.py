"""Per-class spread of each training series, as ``series_normalize`` sees it: after the feature
standardisation ``train`` fits on the seed's training part (PLAID by default).

    .venv/bin/python benchmarks/series_variance.py            # plaid, seed 0
    .venv/bin/python benchmarks/series_variance.py --data plaid --seed 1

Prints, per class, the population variance of each series (min, 10th percentile, median, max)
and the share of series under 1e-5 and 1e-3, then how much an absolute floor
``std = sqrt(var + 1e-5)`` (series_normalize's floor until issue 12's third pass) would shrink
the normalised shapes: ``sqrt(var / (var + 1e-5))``.
"""

from __future__ import annotations

import argparse
from itertools import pairwise

import numpy as np

from seqbucket.train.split import stratified_split
from seqbucket.train.standardize import Standardizer
from seqbucket.train.wiring import load_data

OLD_FLOOR = 1e-5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="plaid")
    parser.add_argument("--seed", type=int, default=0, help="the split the standardiser fits on")
    parser.add_argument("--val-fraction", type=float, default=0.15)
    args = parser.parse_args()

    full = load_data(args.data, "train")
    labels = np.asarray(full.targets)
    train_idx, _ = stratified_split(len(full), args.val_fraction, labels=labels, seed=args.seed)
    st = Standardizer.fit(full.subset(train_idx).values)
    mean = st.mean.numpy().astype(np.float64)
    std = st.std.numpy().astype(np.float64)
    print(f"{args.data}: {len(full)} training series; standardiser mean {mean}, std {std}")
    ends = np.concatenate([[0], np.cumsum(full.lengths)])
    values = full.values.astype(np.float64)
    # (N,): each series' population variance (its smallest channel's)
    var = np.array([(((values[a:b] - mean) / std).var(axis=0)).min() for a, b in pairwise(ends)])
    print("class     n |      min      p10   median      max | <1e-5 <1e-3")
    for c in np.unique(labels):
        v = var[labels == c]
        print(
            f"{full.label_names[c]:>5} {len(v):5d} | {v.min():8.1e} {np.percentile(v, 10):8.1e} "
            f"{np.median(v):8.1e} {v.max():8.1e} | "
            f"{np.mean(v < 1e-5):5.0%} {np.mean(v < 1e-3):5.0%}"
        )
    shrink = np.sqrt(var / (var + OLD_FLOOR))
    print(
        f"all   {len(var):5d} | min {var.min():.1e}; under 1e-5: {np.mean(var < 1e-5):.1%}; "
        f"shapes shrunk by sqrt(var+1e-5): under 0.9x {np.mean(shrink < 0.9):.1%}, "
        f"under 0.1x {np.mean(shrink < 0.1):.1%}, smallest {shrink.min():.1e}x"
    )


if __name__ == "__main__":
    main()
