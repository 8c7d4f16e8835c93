"""NPZ ragged storage: writer/reader round trip and validation."""

from __future__ import annotations

import numpy as np
import pytest

from seqbucket.data import SequenceDataset, Vocab, load_dataset, read_npz, write_npz
from seqbucket.errors import DataError


def _same(a: SequenceDataset, b: SequenceDataset) -> None:
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert (a.task, a.label_names, a.vocab) == (b.task, b.label_names, b.vocab)


def test_round_trip_features_and_tokens(tmp_path):
    jv = load_dataset("japanese-vowels")
    write_npz(tmp_path / "jv.npz", jv)
    _same(read_npz(tmp_path / "jv.npz"), jv)
    vocab = Vocab.build([list("abc")])
    tags = SequenceDataset(
        np.array([2, 3, 4]),
        [0, 1, 3],
        np.array([0, 1, 1]),
        "tag",
        vocab=vocab,
        label_names=["O", "X"],
    )
    write_npz(tmp_path / "t.npz", tags, compress=False)
    _same(load_dataset(tmp_path / "t.npz"), tags)


def test_hand_made_file_and_validation(tmp_path):
    np.savez(
        tmp_path / "h.npz",
        values=np.ones((4, 2)),
        offsets=np.array([0, 1, 4]),
        targets=np.array([0, 1]),
    )
    ds = read_npz(tmp_path / "h.npz")
    assert ds.task == "classify" and ds.lengths.tolist() == [1, 3] and ds.values.dtype == np.float32
    np.savez(
        tmp_path / "e.npz",
        values=np.ones((4, 2)),
        offsets=np.array([0, 1, 1, 4]),
        targets=np.zeros(3, int),
    )
    with pytest.raises(DataError, match=r"e\.npz: example 1 is an empty sequence"):
        read_npz(tmp_path / "e.npz")
    bad = np.ones((4, 2))
    bad[2, 1] = np.inf
    np.savez(tmp_path / "n.npz", values=bad, offsets=np.array([0, 1, 4]), targets=np.zeros(2, int))
    with pytest.raises(DataError, match=r"n\.npz: example 1 holds NaN or infinite values"):
        read_npz(tmp_path / "n.npz")
    np.savez(tmp_path / "k.npz", data=np.ones(3))
    with pytest.raises(DataError, match=r"k\.npz: no array 'values'"):
        read_npz(tmp_path / "k.npz")
    (tmp_path / "g.npz").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(DataError, match=r"g\.npz: not an \.npz file"):
        read_npz(tmp_path / "g.npz")
    np.savez(tmp_path / "u.npz", values=np.ones((2, 1)), offsets=np.array([0, 2]))
    with pytest.raises(DataError, match="no 'targets' array"):
        read_npz(tmp_path / "u.npz")
    assert read_npz(tmp_path / "u.npz", require_labels=False)[0].y is None
