"""Reference classifiers from aeon on an embedded data set's published train/test split: the
figures a seqbucket model is judged against. Needs the ``peers`` extra:

    .venv/bin/pip install torch==2.13.0 -e '.[peers]'
    .venv/bin/python benchmarks/reference_classifiers.py                 # PLAID, 1-NN DTW
    .venv/bin/python benchmarks/reference_classifiers.py --all           # + aeon's others
    .venv/bin/python benchmarks/reference_classifiers.py --validation-seed 0   # on val instead

``--all`` adds every aeon classifier in ``EXTRA`` that is tagged as reading unequal-length
series (the tag is checked, so a classifier that cannot read them is skipped and said so).
Each classifier is fitted on the whole training split and scored once on the test split; the
series are passed as they are stored (raw, unequal lengths), and each run prints its wall time.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from seqbucket.data import load_dataset

# aeon classifiers tried by --all (module path, class name, keyword arguments): fast, accurate
# families that aeon documents as reading unequal-length collections.
EXTRA: list[tuple[str, str, dict[str, Any]]] = [
    ("aeon.classification.feature_based", "Catch22Classifier", {}),
    ("aeon.classification.shapelet_based", "RDSTClassifier", {}),
    ("aeon.classification.convolution_based", "MiniRocketClassifier", {}),
    ("aeon.classification.convolution_based", "HydraClassifier", {}),
    ("aeon.classification.distance_based", "KNeighborsTimeSeriesClassifier",
     {"distance": "msm"}),
]  # fmt: skip


def aeon_collection(name: str, split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The split as aeon's unequal-length collection: a list of ``(channels, T_i)`` float64
    arrays, and the class ids."""
    ds = load_dataset(name, split=split)
    series = [np.ascontiguousarray(ds[i].x.T, dtype=np.float64) for i in range(len(ds))]
    return series, np.asarray(ds.targets)


def validation_split(
    train: tuple[list[np.ndarray], np.ndarray], seed: int
) -> tuple[tuple[list, np.ndarray], tuple[list, np.ndarray]]:
    """(the training part, the validation part) of ``train`` as ``seqbucket train --seed seed``
    splits it (the default ``val_fraction``, stratified by class)."""
    from seqbucket.train import TrainConfig
    from seqbucket.train.split import stratified_split

    series, labels = train
    fit_idx, val_idx = stratified_split(
        len(series), TrainConfig().val_fraction, labels=labels, seed=seed
    )
    return (
        ([series[i] for i in fit_idx], labels[fit_idx]),
        ([series[i] for i in val_idx], labels[val_idx]),
    )


def run(clf: Any, train: tuple[list, np.ndarray], test: tuple[list, np.ndarray]) -> dict:
    start = time.perf_counter()
    clf.fit(*train)
    accuracy = float(np.mean(clf.predict(test[0]) == test[1]))
    return {"accuracy": accuracy, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="plaid")
    parser.add_argument("--all", action="store_true", help="also aeon's other classifiers")
    parser.add_argument("--skip-dtw", action="store_true", help="only the --all ones")
    parser.add_argument("--jobs", type=int, default=2, help="n_jobs for those that take it")
    parser.add_argument(
        "--validation-seed",
        type=int,
        metavar="SEED",
        help="instead of the test split, score the validation split that `seqbucket train "
        "--seed SEED` carves from train (fitted on the rest): how hard that split is",
    )
    args = parser.parse_args()
    try:
        import importlib

        import aeon
    except ImportError:
        raise SystemExit("aeon is not installed: pip install torch==2.13.0 -e '.[peers]'") from None
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    train = aeon_collection(args.data, "train")
    test = aeon_collection(args.data, "test")
    if args.validation_seed is not None:
        train, test = validation_split(train, args.validation_seed)
    scored = "test" if args.validation_seed is None else f"seed-{args.validation_seed} validation"
    print(
        f"{args.data}: {len(train[0])} train / {len(test[0])} {scored} series | aeon "
        f"{aeon.__version__} | {os.cpu_count()} cores seen, n_jobs {args.jobs}"
    )
    candidates: list[tuple[str, Any]] = []
    if not args.skip_dtw:
        dtw = KNeighborsTimeSeriesClassifier(
            distance="dtw", distance_params={"window": 0.1}, n_jobs=args.jobs
        )
        candidates.append(("1-NN DTW (window 0.1)", dtw))
    if args.all:
        for module, cls_name, kwargs in EXTRA:
            cls = getattr(importlib.import_module(module), cls_name)
            label = f"{cls_name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
            if not cls.get_class_tag("capability:unequal_length", False):
                print(f"{label:45s} skipped: aeon does not tag it as reading unequal lengths")
                continue
            extra = {"n_jobs": args.jobs} if "n_jobs" in cls().get_params() else {}
            seeded = {"random_state": 0} if "random_state" in cls().get_params() else {}
            candidates.append((label, cls(**kwargs, **extra, **seeded)))
    for label, clf in candidates:
        result = run(clf, train, test)
        print(f"{label:45s} {scored} accuracy {result['accuracy']:.2%}  {result['seconds']:.1f} s")


if __name__ == "__main__":
    main()
