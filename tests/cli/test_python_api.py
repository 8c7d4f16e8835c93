"""The Python API for runs, in process: ``seqbucket.load_run(path)`` with ``.predict`` and
``.evaluate``, and ``generate``. It reuses the runs the CLI tests train (tests/cli/conftest.py),
so the API and the command are checked against each other on the same runs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

import seqbucket
from seqbucket.data import load_dataset
from seqbucket.errors import CheckpointError, ConfigError, DataError
from seqbucket.models import build_model
from seqbucket.train.generate import generate
from seqbucket.train.init_from import init_weights, read_init_source

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_load_run_gives_the_model_and_what_it_was_trained_with(trained, data):
    run = seqbucket.load_run(trained["run"])
    assert isinstance(run.model, torch.nn.Module) and not run.model.training
    assert run.vocab is None  # a feature model
    assert run.label_names == [str(c) for c in range(1, 10)]
    assert run.standardizer is not None and run.standardizer.mean.shape == (12,)
    # evaluate: the numbers train saved in result.json, from a path or a data set in memory.
    saved = json.loads((trained["run"] / "result.json").read_text())["test"]
    by_path = run.evaluate(data["test"])
    assert by_path["accuracy"] == saved["accuracy"]
    assert by_path["confusion"] == saved["confusion"]
    ds = load_dataset(data["test"], label_names=run.label_names)
    by_dataset = run.evaluate(ds)
    assert by_dataset["loss"] == pytest.approx(by_path["loss"], abs=1e-6)
    assert by_dataset["per_class"] == by_path["per_class"]
    # predict: arrays in memory get the predictions the file gets, in order.
    arrays = [ds[i].x for i in range(len(ds))]  # (T, 12) each
    from_memory, from_file = run.predict(arrays), run.predict(data["test"])
    assert [p["label"] for p in from_memory] == [p["label"] for p in from_file]
    for a, b in zip(from_memory, from_file, strict=True):
        assert a["probabilities"] == pytest.approx(b["probabilities"], abs=1e-5)
    with pytest.raises(
        DataError, match=r"sequences\[1\]: expected shape \(T>=1, 12\), got \(4, 3\)"
    ):
        run.predict([arrays[0], np.zeros((4, 3))])
    with pytest.raises(DataError, match="got text"):
        run.predict(["abc"])
    with pytest.raises(ConfigError, match="non-empty list"):
        run.predict([])


def test_text_run_predicts_strings_like_the_file(text_run):
    run = seqbucket.load_run(text_run["run"])
    assert run.vocab is not None and run.label_names == ["x", "y"]
    from_memory = run.predict(text_run["texts"])
    from_file = run.predict(str(text_run["inputs"]), id_column="id")
    assert [p["label"] for p in from_memory] == [p["label"] for p in from_file]
    assert [p["id"] for p in from_file] == text_run["ids"]
    with pytest.raises(DataError, match="line 1: no field 'user'"):
        run.predict(str(text_run["inputs"]), id_column="user")


def test_init_from_refuses_a_different_model(trained):
    source = read_init_source(trained["run"])
    run = seqbucket.load_run(trained["run"])
    other = dataclasses.replace(run.model_config, hidden_size=9)
    with pytest.raises(
        CheckpointError, match=r"its model has hidden_size=8, this run's has hidden_size=9"
    ):
        init_weights(build_model(other), other, source)
    init_weights(build_model(run.model_config), run.model_config, source)  # the same: accepted
    with pytest.raises(CheckpointError, match="does not exist"):
        read_init_source(trained["run"] / "nowhere")


def test_generate_is_seeded_greedy_at_temperature_zero_and_lm_only(lm_run, trained):
    run = seqbucket.load_run(lm_run["run"])
    a = generate(run, "the c", max_new=20, temperature=1.0, top_k=5, seed=3)
    assert a == generate(run, "the c", max_new=20, temperature=1.0, top_k=5, seed=3)
    # Temperature 0 takes the likeliest character each time; 4 epochs on a text that repeats
    # "the cat" twelve times are enough to learn it.
    assert generate(run, "the c", max_new=3, temperature=0) == "at "
    # predict on a language model: the next character after each step of the input
    (record,) = run.predict(["the ca"])
    assert len(record["next_tokens"]) == len("the ca") + 1  # <bos> and each character
    with pytest.raises(ConfigError, match="expected a language-model run"):
        generate(seqbucket.load_run(trained["run"]), "x")
    with pytest.raises(ConfigError, match="expected temperature >= 0"):
        generate(run, "x", temperature=-1.0)
