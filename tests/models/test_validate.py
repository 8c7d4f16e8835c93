"""Bad input gets a one-line SeqbucketError before any compute runs."""

from __future__ import annotations

import pytest
import torch

from seqbucket.errors import ConfigError, DataError, SeqbucketError
from seqbucket.models import ModelConfig, build_model


@pytest.fixture(scope="module")
def features_model():
    return build_model(ModelConfig(kind="lstm", input_size=3, hidden_size=4, num_classes=2))


@pytest.fixture(scope="module")
def token_model():
    return build_model(
        ModelConfig(kind="gru", task="lm", vocab_size=10, embed_dim=4, hidden_size=4)
    )


def _raises(model, x, lengths, match, padding="post", error=DataError):
    with pytest.raises(error, match=match) as info:
        model(x, lengths, padding=padding)
    assert isinstance(info.value, SeqbucketError)
    assert "\n" not in str(info.value)


def test_wrong_feature_width(features_model):
    _raises(
        features_model,
        torch.randn(2, 5, 4),
        torch.tensor([5, 3]),
        r"expected 3 features per step, got 4",
    )


def test_features_of_the_wrong_rank_or_dtype(features_model):
    _raises(
        features_model, torch.randn(2, 5), torch.tensor([5, 3]), r"expected float features of shape"
    )
    _raises(
        features_model,
        torch.ones(2, 5, 3, dtype=torch.long),
        torch.tensor([5, 3]),
        "float features",
    )
    _raises(
        features_model,
        torch.randn(2, 5, 3, dtype=torch.float64),
        torch.tensor([5, 3]),
        "torch.float32",
    )


@pytest.mark.parametrize(("bad", "where"), [(10, "example 1, step 2"), (-1, "example 0, step 4")])
def test_token_ids_outside_the_vocabulary(token_model, bad, where):
    x = torch.ones(2, 5, dtype=torch.long)
    x[1 if bad == 10 else 0, 2 if bad == 10 else 4] = bad
    _raises(
        token_model,
        x,
        torch.tensor([5, 5]),
        rf"token id {bad} at {where} is outside the vocabulary 0..9",
    )


def test_float_ids_for_a_token_model(token_model):
    _raises(token_model, torch.ones(2, 5), torch.tensor([5, 5]), "expected integer token ids")


@pytest.mark.parametrize(
    ("lengths", "match"),
    [
        (torch.tensor([6, 3]), r"lengths\[0\] = 6: expected 1 <= length <= T = 5"),
        (torch.tensor([5, 0]), r"lengths\[1\] = 0: expected 1 <= length"),
        (torch.tensor([5, 3], dtype=torch.int32), "expected dtype torch.int64, got torch.int32"),
        (torch.tensor([5, 3, 2]), r"expected shape \(2,\)"),
        (torch.tensor([[5, 3]]), r"expected shape \(2,\)"),
        ([5, 3], "expected a torch.Tensor"),
    ],
)
def test_bad_lengths(features_model, lengths, match):
    _raises(features_model, torch.randn(2, 5, 3), lengths, match)


def test_lengths_on_the_wrong_device(features_model):
    lengths = torch.tensor([5, 3], device="meta")  # any non-CPU device; meta needs no hardware
    _raises(features_model, torch.randn(2, 5, 3), lengths, "expected a CPU tensor")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_features(features_model, value):
    x = torch.randn(2, 5, 3)
    x[1, 4, 2] = value  # inside the padding of example 1: still rejected (it would poison grads)
    _raises(
        features_model,
        x,
        torch.tensor([5, 3]),
        rf"finite features, got {value} at example 1, step 4, feature 2",
    )


def test_unknown_padding_side(features_model):
    _raises(
        features_model,
        torch.randn(2, 5, 3),
        torch.tensor([5, 3]),
        "padding must be one of",
        "left",
        ConfigError,
    )


def test_checks_run_before_any_compute(features_model, monkeypatch):
    # Invariant: a rejected batch never reaches a recurrent kernel.
    calls = []
    monkeypatch.setattr(features_model.encoder.rnn, "forward", lambda *a, **k: calls.append(1))
    with pytest.raises(DataError):
        features_model(torch.randn(2, 5, 3), torch.tensor([6, 3]))
    assert calls == []
