"""Train the `make demo` configuration (LSTM, auto batching, japanese-vowels) for several seeds
and print, per seed, the best validation accuracy and loss (what the defaults were chosen on), the
test accuracy, and the wall time; then the means.

    .venv/bin/python benchmarks/demo_seeds.py                  # seeds 0-4, the defaults
    .venv/bin/python benchmarks/demo_seeds.py --seeds 0 1 2 3 4 5 6 7 \\
        --set bidirectional=false --set hidden_size=96 --set lr=0.003   # another candidate

Each seed also draws a different validation split (15% of train, stratified), so the mean over
seeds is the validation estimate used to pick defaults. The test split is scored once per run,
after training, and never feeds a choice. Times are in-process (torch already imported); the CLI
adds its start-up (about 2 s) on top.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from seqbucket.train import TrainConfig, train

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _overrides(pairs: list[str]) -> dict:
    # KEY=VALUE with a TOML value (numbers, true/false, "strings").
    return {k: v for pair in pairs for k, v in tomllib.loads(pair.replace("=", " = ", 1)).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--data", default="japanese-vowels")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    changes = _overrides(args.set)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            out = str(Path(tmp) / f"s{seed}")
            config = TrainConfig(data=args.data, seed=seed, out=out, quiet=True).replace(**changes)
            result = train(config, force=True)
            val = result.val or {}
            test = (result.test or {}).get("accuracy", float("nan"))
            rows.append(
                (
                    val.get("accuracy", float("nan")),
                    val.get("loss", float("nan")),
                    test,
                    result.seconds,
                )
            )
            best = result.best_epoch if result.best_epoch is not None else 0
            print(
                f"seed {seed}: val accuracy {rows[-1][0]:.2%} val loss {rows[-1][1]:.4f}  "
                f"test accuracy {test:.2%}  best epoch {best}/{result.epochs} "
                f"({result.stop_reason})  {result.seconds:.1f} s",
                flush=True,
            )
    val_acc, val_loss, test_acc, seconds = (list(col) for col in zip(*rows, strict=True))
    print(f"settings: {changes or 'defaults'}")
    print(
        f"mean over {len(rows)} seeds: val accuracy {statistics.mean(val_acc):.2%}, "
        f"val loss {statistics.mean(val_loss):.4f}, test accuracy {statistics.mean(test_acc):.2%} "
        f"(min {min(test_acc):.2%}, max {max(test_acc):.2%}), "
        f"time per run {statistics.mean(seconds):.1f} s"
    )


if __name__ == "__main__":
    main()
