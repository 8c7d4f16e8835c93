"""The studies' synthetic data and baselines: each task means what its study says it means."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqbucket.bench.study import order, position, unseen_lengths
from seqbucket.bench.study.params import formula_params
from seqbucket.data import collate
from seqbucket.models import ModelConfig, build_model, param_count


@settings(max_examples=25, deadline=None)
@given(
    cell=st.sampled_from(["rnn", "gru", "lstm"]),
    steps=st.one_of(st.none(), st.integers(1, 4)),
    layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    input_size=st.integers(1, 5),
    hidden=st.integers(1, 6),
    classes=st.integers(1, 4),
)
def test_formula_equals_param_count(
    cell, steps, layers, bidirectional, input_size, hidden, classes
):
    config = ModelConfig(
        kind=cell if steps is None else "unshared",
        unshared_cell=cell,
        input_size=input_size,
        hidden_size=hidden,
        num_layers=layers,
        bidirectional=bidirectional,
        num_classes=classes,
        max_len=steps,
    )
    expected = formula_params(
        cell,
        input_size=input_size,
        hidden_size=hidden,
        num_classes=classes,
        steps=steps,
        num_layers=layers,
        bidirectional=bidirectional,
    )
    assert param_count(build_model(config)) == expected


def test_motif_label_is_exactly_motif_presence() -> None:
    rng = np.random.default_rng(0)
    motif = np.array([2, 3, 4])
    ds = unseen_lengths.motif_data(300, (21, 100), motif, rng, "m")
    labels = [unseen_lengths._has_motif(ds[i].x, motif) for i in range(len(ds))]
    assert labels == [bool(ds[i].y) for i in range(len(ds))]
    assert 21 <= ds.lengths.min() and ds.lengths.max() <= 100
    assert np.mean(labels) == 0.5


def _phrase_start(seq: np.ndarray) -> int:
    return int(np.flatnonzero(seq < position.FILLER[0])[0])  # phrase words sit below the fillers


def test_phrase_positions_unseen_in_training_and_lengths_within_max_len() -> None:
    rng = np.random.default_rng(1)
    train = position.phrase_data(400, position.SEEN_STARTS, rng, "t")
    unseen = position.phrase_data(400, position.UNSEEN_STARTS, rng, "u")
    seen_starts = {_phrase_start(train[i].x) for i in range(len(train))}
    unseen_starts = {_phrase_start(unseen[i].x) for i in range(len(unseen))}
    assert not seen_starts & unseen_starts
    assert max(train.lengths.max(), unseen.lengths.max()) <= position.MAX_LEN
    for ds in (train, unseen):  # the label is the phrase, whatever its position
        for i in range(len(ds)):
            s = _phrase_start(ds[i].x)
            assert tuple(ds[i].x[s : s + 3]) == position.PHRASES[int(ds[i].y)]


def test_order_classes_hold_the_same_words() -> None:
    # Invariant: in the order task both classes contain A and B exactly once, adjacent, so a
    # bag of words cannot tell them apart; only which comes first differs.
    ds = order.order_data(200, "order", np.random.default_rng(2), "o")
    for i in range(len(ds)):
        x = ds[i].x
        (a,), (b,) = np.flatnonzero(x == order.A), np.flatnonzero(x == order.B)
        assert abs(a - b) == 1 and (a < b) == (ds[i].y == 0)


def test_bag_of_embeddings_is_order_blind_and_padding_blind() -> None:
    torch.manual_seed(0)
    bag = order.BagOfEmbeddings(order.VOCAB, 8, 16, 2)
    ds = order.order_data(8, "order", np.random.default_rng(3), "o")
    examples = [ds[i] for i in range(len(ds))]
    batch = collate(examples)
    padded = collate(examples, pad_to=int(batch.lengths.max()) + 7)
    reversed_ = collate([type(e)(e.x[::-1].copy(), e.y) for e in examples])
    with torch.no_grad():
        logits = bag(batch.x, batch.lengths)
        torch.testing.assert_close(bag(padded.x, padded.lengths), logits)
        torch.testing.assert_close(bag(reversed_.x, reversed_.lengths), logits)


@pytest.mark.parametrize("budget", [2000, 5250, 20000])
def test_matched_hidden_meets_the_budget(budget: int) -> None:
    width = order.matched_hidden(budget, order.VOCAB, 16, 2)
    count = param_count(order.BagOfEmbeddings(order.VOCAB, 16, width, 2))
    assert abs(count - budget) <= (16 + 1 + 2) / 2 + 1
