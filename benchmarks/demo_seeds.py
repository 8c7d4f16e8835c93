"""Train the `make demo` configuration (LSTM, auto batching, japanese-vowels) for several seeds
and print, per seed, the best validation accuracy and loss (what the defaults were chosen on), the
test accuracy, and the wall time; then the means.

    .venv/bin/python benchmarks/demo_seeds.py                  # seeds 0-4, the defaults
    .venv/bin/python benchmarks/demo_seeds.py --seeds 0 1 2 3 4 5 6 7 \\
        --set bidirectional=false --set hidden_size=96 --set lr=0.003   # another candidate

    .venv/bin/python benchmarks/demo_seeds.py --recipe plaid --seeds 0 1 2   # the PLAID recipe

Each seed also draws a different validation split (15% of train, stratified), so the mean over
seeds is the validation estimate used to pick defaults. The test split is scored once per run,
after training, and never feeds a choice. Times are in-process (torch already imported); the CLI
adds its start-up (about 2 s) on top. Beside the wall time, each run's CPU time (this process,
all threads) is printed: on a shared machine the wall time also counts other people's work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from seqbucket.train import TrainConfig, train
from seqbucket.train.recipes import recipe_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _overrides(pairs: list[str]) -> dict:
    # KEY=VALUE with a TOML value (numbers, true/false, "strings"), or KEY=none to unset it.
    changes = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if value.strip() == "none":
            changes[key.strip()] = None
        else:
            changes.update(tomllib.loads(f"{key} = {value}"))
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--data", help="data set (default: the recipe's, else japanese-vowels)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--recipe", help="start from a shipped recipe (its data unless --data)")
    args = parser.parse_args()
    changes = _overrides(args.set)
    base = TrainConfig.from_toml(recipe_path(args.recipe)) if args.recipe else TrainConfig()
    if args.data or not args.recipe:
        base = base.replace(data=args.data or "japanese-vowels")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            out = str(Path(tmp) / f"s{seed}")
            config = base.replace(seed=seed, out=out, quiet=True, **changes)
            cpu = time.process_time()
            result = train(config, force=True)
            cpu = time.process_time() - cpu
            val = result.val or {}
            test = (result.test or {}).get("accuracy", float("nan"))
            rows.append(
                (
                    val.get("accuracy", float("nan")),
                    val.get("loss", float("nan")),
                    test,
                    result.seconds,
                    cpu,
                )
            )
            best = result.best_epoch if result.best_epoch is not None else 0
            print(
                f"seed {seed}: val accuracy {rows[-1][0]:.2%} val loss {rows[-1][1]:.4f}  "
                f"test accuracy {test:.2%}  best epoch {best}/{result.epochs} "
                f"({result.stop_reason})  {result.seconds:.1f} s wall, {cpu:.1f} s CPU",
                flush=True,
            )
    val_acc, val_loss, test_acc, seconds, cpus = (list(col) for col in zip(*rows, strict=True))
    print(f"settings: {'recipe ' + args.recipe if args.recipe else 'defaults'} {changes or ''}")
    print(
        f"mean over {len(rows)} seeds: val accuracy {statistics.mean(val_acc):.2%}, "
        f"val loss {statistics.mean(val_loss):.4f}, test accuracy {statistics.mean(test_acc):.2%} "
        f"(min {min(test_acc):.2%}, max {max(test_acc):.2%}), "
        f"time per run {statistics.mean(seconds):.1f} s wall, {statistics.mean(cpus):.1f} s CPU"
    )


if __name__ == "__main__":
    main()
