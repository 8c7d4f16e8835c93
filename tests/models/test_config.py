"""ModelConfig: validation, plain-type round trip (weights_only checkpoints), logits shapes."""

from __future__ import annotations

import io

import pytest
import torch

from seqbucket.errors import ConfigError
from seqbucket.models import ModelConfig, build_model


def test_round_trip_through_a_weights_only_checkpoint():
    config = ModelConfig(kind="gru", task="tag", input_size=3, num_classes=4, bidirectional=True)
    model = build_model(config)
    buffer = io.BytesIO()
    torch.save({"config": config.to_dict(), "state": model.state_dict()}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    again = ModelConfig.from_dict(loaded["config"])
    assert again == config
    build_model(again).load_state_dict(loaded["state"])


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ConfigError, match=r"unknown keys \['hidden'\]"):
        ModelConfig.from_dict({"input_size": 3, "num_classes": 2, "hidden": 4})


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        (dict(kind="transformer", input_size=3, num_classes=2), "kind must be one of"),
        (dict(task="rank", input_size=3), "task must be one of"),
        (dict(impl="cudnn", input_size=3, num_classes=2), "impl must be one of"),
        (dict(num_classes=2), "exactly one of input_size"),
        (dict(input_size=3, vocab_size=5, num_classes=2), "exactly one of input_size"),
        (dict(input_size=3), "needs num_classes"),
        (dict(task="lm", input_size=3), "needs token inputs"),
        (dict(task="lm", vocab_size=9, bidirectional=True), "must be unidirectional"),
        (dict(kind="unshared", input_size=3, num_classes=2), "needs max_len"),
        (dict(input_size=3, num_classes=2, hidden_size=0), "hidden_size must be a positive int"),
        (dict(input_size=3, num_classes=2, dropout=1.0), r"dropout must be in \[0, 1\)"),
        (dict(input_size=3, num_classes=2, dropout=0.3), r"dropout acts between stacked layers"),
        (dict(vocab_size=1, num_classes=2), "vocab_size must be >= 2"),
    ],
)
def test_invalid_configs(fields, match):
    with pytest.raises(ConfigError, match=match):
        ModelConfig(**fields)


@pytest.mark.parametrize(
    ("task", "shape"),
    [("classify", (3, 5)), ("tag", (3, 6, 5)), ("lm", (3, 6, 11)), ("regress", (3,))],
)
@pytest.mark.parametrize("impl", ["fused", "loop", "packed"])
def test_logits_shapes(task, shape, impl):
    tokens = task == "lm"
    config = ModelConfig(
        task=task, impl=impl, hidden_size=4, num_classes=5,
        input_size=None if tokens else 2, vocab_size=11 if tokens else None, embed_dim=3,
    )  # fmt: skip
    x = torch.randint(1, 11, (3, 6)) if tokens else torch.randn(3, 6, 2)
    assert build_model(config)(x, torch.tensor([6, 2, 4])).shape == shape


def test_embedding_keeps_padding_id_zero_at_zero():
    model = build_model(ModelConfig(task="lm", vocab_size=7, embed_dim=3, hidden_size=4))
    assert torch.equal(model.encoder.embedding.weight[0], torch.zeros(3))


@pytest.mark.parametrize("impl", ["fused", "loop"])
def test_dropout_between_layers_is_active_in_training_only(impl):
    torch.manual_seed(0)
    config = ModelConfig(input_size=3, num_classes=2, hidden_size=8, num_layers=2, dropout=0.5,
                         bidirectional=True, impl=impl)  # fmt: skip
    model = build_model(config)
    x, lengths = torch.randn(4, 5, 3), torch.tensor([5, 4, 2, 1])
    model.train()
    assert not torch.equal(model(x, lengths), model(x, lengths))
    model.eval()
    evaluated = model(x, lengths)
    assert torch.equal(evaluated, model(x, lengths))
    model.encoder.impl = "packed"  # the same weights under the reference impl
    torch.testing.assert_close(model(x, lengths), evaluated, atol=1e-5, rtol=0)
