"""Plain text for language modelling: line and chunk modes, next-token targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.data import load_dataset, read_lm_text
from seqbucket.errors import ConfigError, DataError


def test_line_mode_adds_bos_and_eos(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("ab\n\nc\n", encoding="utf-8")
    ds = load_dataset(path)
    assert ds.task == "lm" and len(ds) == 2  # the blank line is skipped
    assert ds.vocab.tokens[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    np.testing.assert_array_equal(ds.lengths, [3, 2])  # n tokens -> n + 1 steps, never empty
    assert ds.vocab.decode(ds[0].x) == ["<bos>", "a", "b"]
    assert ds.vocab.decode(ds[0].y) == ["a", "b", "<eos>"]
    assert ds.vocab.decode(ds[1].y) == ["c", "<eos>"]


@given(text=st.text(alphabet="abc \n", min_size=2, max_size=60), chunk=st.integers(1, 9))
def test_chunks_tile_the_stream(tmp_path_factory, text, chunk):
    # Invariant: x = stream[:-1], y = stream[1:] cut into chunk-sized, non-empty pieces.
    path = tmp_path_factory.mktemp("lm") / "c.txt"
    path.write_bytes(text.encode("utf-8"))
    ds = read_lm_text(path, mode="chunk", chunk_size=chunk)
    ids = ds.vocab.encode(list(text))
    assert ds.lengths.min() >= 1 and ds.lengths.max() <= chunk
    np.testing.assert_array_equal(np.concatenate([ds[i].x for i in range(len(ds))]), ids[:-1])
    np.testing.assert_array_equal(np.concatenate([ds[i].y for i in range(len(ds))]), ids[1:])
    assert len(ds) == -(-(len(text) - 1) // chunk)


def test_word_chunks_end_lines_with_eos(tmp_path):
    path = tmp_path / "w.txt"
    path.write_text("the cat\nsat .\n", encoding="utf-8")
    ds = load_dataset(path, mode="chunk", chunk_size=10, tokenizer="word")
    assert ds.vocab.decode(ds[0].x) == ["the", "cat", "<eos>", "sat", "."]


def test_too_little_text(tmp_path):
    (tmp_path / "one.txt").write_text("a", encoding="utf-8")
    with pytest.raises(DataError, match=r"one\.txt: 1 token\(s\); language modelling needs"):
        load_dataset(tmp_path / "one.txt", mode="chunk")
    (tmp_path / "blank.txt").write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"blank\.txt: no non-blank lines"):
        load_dataset(tmp_path / "blank.txt")
    with pytest.raises(ConfigError, match="mode must be one of line, chunk"):
        load_dataset(tmp_path / "one.txt", mode="para")
