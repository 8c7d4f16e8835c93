"""Held-out accuracy against auto's randomness knob: what the default is chosen from.

Run: ``.venv/bin/python benchmarks/randomness_accuracy.py`` (about 15 minutes on 2 shared cores;
``--quick``: JapaneseVowels only, one seed). Each (data set, knob, seed) trains a small LSTM
(hidden 32, the run defaults otherwise: batch size 16, AdamW, cosine schedule) for a few epochs
with ``batching = "auto"`` and that ``randomness``, then prints:

- ``test``: accuracy of the best-validation checkpoint on the test split;
- ``best val``: the best validation accuracy and the epoch it came at;
- ``to 95%``: training seconds (summed epoch times, validation included) until validation
  accuracy first reached 95% of that run's best, i.e. time to accuracy;
- ``padding``: the mean padding overhead of the training epochs (padded / real tokens - 1).

The runs are short on purpose (the CPU is shared): they compare knob values with each other, not
with the best accuracy these models reach.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from seqbucket.train import TrainConfig, train

KNOBS = (0.0, 0.7, 0.89, 0.95, 1.0)
RUNS = {  # data set -> (epochs, seeds)
    "japanese-vowels": (15, (0, 1, 2)),
    "plaid": (8, (0, 1)),
}


def one_run(data: str, knob: float, seed: int, epochs: int, root: Path) -> dict[str, float]:
    config = TrainConfig(
        data=data,
        hidden_size=32,
        epochs=epochs,
        patience=None,
        randomness=knob,
        seed=seed,
        quiet=True,
        out=str(root / f"{data}-{knob}-{seed}"),
    )
    result = train(config, force=True)
    records = [json.loads(x) for x in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    val = np.array([r["val_accuracy"] for r in records])
    seconds = np.cumsum([r["seconds"] for r in records])
    reach = int(np.argmax(val >= 0.95 * val.max()))
    assert result.test is not None
    return {
        "test": float(result.test["accuracy"]),
        "best_val": float(val.max()),
        "best_epoch": float(np.argmax(val) + 1),
        "to95_s": float(seconds[reach]),
        "padding": float(np.mean([r["padding_overhead"] for r in records])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="JapaneseVowels, one seed")
    args = parser.parse_args()
    runs = {"japanese-vowels": (15, (0,))} if args.quick else RUNS
    with tempfile.TemporaryDirectory() as tmp:
        for data, (epochs, seeds) in runs.items():
            print(f"\n## {data}: {epochs} epochs, seeds {seeds}, mean (min..max) over seeds")
            print(f"{'randomness':>10} {'test':>17} {'best val':>9} {'to 95%':>8} {'padding':>8}")
            for knob in KNOBS:
                rows = [one_run(data, knob, s, epochs, Path(tmp)) for s in seeds]
                test = [r["test"] for r in rows]
                print(
                    f"{knob:>10.2f} {np.mean(test):6.1%} ({min(test):.1%}..{max(test):.1%})"
                    f" {np.mean([r['best_val'] for r in rows]):8.1%}"
                    f" {np.mean([r['to95_s'] for r in rows]):7.1f}s"
                    f" {np.mean([r['padding'] for r in rows]):7.1%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
