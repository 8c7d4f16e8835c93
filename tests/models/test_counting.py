"""param_count and param_breakdown for every model kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from seqbucket.models import ModelConfig, build_model, param_breakdown, param_count


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm", "unshared"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_breakdown_sums_to_the_count(kind, bidirectional):
    config = ModelConfig(
        kind=kind,
        task="tag",
        vocab_size=20,
        embed_dim=4,
        hidden_size=6,
        num_layers=2,
        bidirectional=bidirectional,
        num_classes=3,
        max_len=7,
    )
    model = build_model(config)
    breakdown = param_breakdown(model)
    assert sum(breakdown.values()) == param_count(model)
    assert breakdown["encoder.embedding"] == 20 * 4
    assert breakdown["head.proj"] == (6 * (2 if bidirectional else 1) + 1) * 3
    layers = {k for k in breakdown if k.startswith("encoder.rnn.")}
    want = {"encoder.rnn.l0", "encoder.rnn.l1"}
    if bidirectional:
        want |= {"encoder.rnn.l0_reverse", "encoder.rnn.l1_reverse"}
    assert layers == want


@pytest.mark.parametrize(("kind", "cls"), [("rnn", nn.RNN), ("gru", nn.GRU), ("lstm", nn.LSTM)])
def test_shared_count_equals_pytorch_module(kind, cls):
    model = build_model(
        ModelConfig(kind=kind, input_size=5, hidden_size=7, num_layers=3, num_classes=2)
    )
    reference = sum(p.numel() for p in cls(5, 7, num_layers=3).parameters()) + (7 + 1) * 2
    assert param_count(model) == reference


def test_the_parameter_table_in_the_docs_is_what_param_count_says():
    # Invariant: docs/models.md's shared-vs-unshared table is the output of param_count.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text()
    kinds = {
        "RNN (Elman), shared": dict(kind="rnn"),
        "LSTM, shared": dict(kind="lstm"),
        "unshared Elman": dict(kind="unshared", unshared_cell="rnn"),
        "unshared LSTM": dict(kind="unshared", unshared_cell="lstm"),
    }
    for name, fields in kinds.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| {name} |"))
        documented = [int(c.replace(",", "")) for c in row.strip("| ").split(" | ")[1:]]
        counts = [
            param_count(
                build_model(
                    ModelConfig(input_size=16, hidden_size=128, num_classes=2, max_len=T, **fields)
                ).encoder
            )
            for T in (5, 20, 50, 100)
        ]
        assert documented == counts, name
