"""Prediction records: what each task outputs for one example's logits."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from seqbucket.data import Vocab
from seqbucket.errors import ConfigError
from seqbucket.train.predict import _record, write_predictions


def test_lm_never_predicts_pad_or_bos():
    vocab = Vocab(["<pad>", "<unk>", "<bos>", "<eos>", "a", "b"])
    run = SimpleNamespace(meta=SimpleNamespace(task="lm", vocab=vocab, label_names=None))
    logits = torch.full((3, 6), -5.0)  # (T, V)
    logits[:, 0] = 10.0  # <pad> ranked first everywhere...
    logits[:, 2] = 9.0  # ...then <bos>
    logits[0, 4] = 1.0
    logits[1:, 5] = 1.0
    record = _record(run, 0, logits, 3, "post")
    assert record["next_tokens"] == ["a", "b", "b"]


def test_output_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="expected an output file path, got a directory"):
        write_predictions([{"index": 0}], tmp_path)
