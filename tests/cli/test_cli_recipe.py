"""`seqbucket train plaid --recipe plaid --quick`: the shipped PLAID recipe, end to end in a
subprocess, cut to a few steps; and the automatic front-end choice in the run header."""

from __future__ import annotations

import json

import pytest

from seqbucket.batching.config import DEFAULT_RANDOMNESS
from seqbucket.train import TrainConfig
from seqbucket.train.recipes import recipe_names, recipe_path

pytestmark = pytest.mark.slow


def test_quick_recipe_trains_plaid_with_the_conv_front_end_and_tests_once(cli, tmp_path):
    run = tmp_path / "plaid"
    proc = cli("train", "plaid", "--recipe", "plaid", "--quick", "--quiet", "--out", str(run))
    assert proc.returncode == 0, proc.stderr
    header = proc.stderr.splitlines()[0] if proc.stderr else proc.stdout.splitlines()[0]
    assert "series-norm + conv 3x128/2 + bidirectional gru 1x128, mean-max pooling" in (
        proc.stdout + proc.stderr
    ), header
    assert "parameters, scored as a weight average (0.995) | batching" in proc.stdout + proc.stderr
    assert "stopped by max_steps" in proc.stdout and "(537 examples)" in proc.stdout
    saved = TrainConfig.from_toml(run / "config.toml")
    recipe = TrainConfig.from_toml(recipe_path("plaid"))
    # The recipe's choices reach the run; --quick changes only the stopping rule.
    # (the run also records auto's randomness, which the recipe leaves at the default)
    assert saved.randomness == DEFAULT_RANDOMNESS
    unchanged = dict(max_steps=None, epochs=recipe.epochs, out=None, quiet=False, randomness=None)
    assert saved.replace(**unchanged) == recipe
    assert saved.max_steps == 3
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == 3 and "val_accuracy" in records[-1]


def test_default_model_picks_the_front_end_by_median_length(trained):
    # Short series (JapaneseVowels, median 15 steps) stay a plain recurrent net, and the run
    # says why; the long PLAID case is tests/train/test_run.py's.
    proc = trained["proc"]
    out = proc.stdout + proc.stderr
    line = next(x for x in out.splitlines() if x.startswith("model: "))
    assert line.startswith("model: no front end, chosen because the median training length")
    assert "is < 128 (set --frontend to choose)" in line
    assert "conv" not in out.splitlines()[0]


def test_unknown_recipe_is_a_one_line_error(cli):
    proc = cli("train", "plaid", "--recipe", "nope")
    assert proc.returncode == 2 and "plaid" in proc.stderr and "Traceback" not in proc.stderr
    assert recipe_names() == ["plaid"]
