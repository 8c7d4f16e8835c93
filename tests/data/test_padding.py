"""pad_sequences against Keras' documented examples; unpad as its inverse (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.data import pad_sequences, unpad

SEQS = [[1], [2, 3], [4, 5, 6]]


def test_keras_documented_examples():
    # From the Keras docs of keras.utils.pad_sequences (defaults are 'pre').
    assert pad_sequences(SEQS).tolist() == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    assert pad_sequences(SEQS, value=-1).tolist() == [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]
    assert pad_sequences(SEQS, padding="post").tolist() == [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    assert pad_sequences(SEQS, maxlen=2).tolist() == [[0, 1], [2, 3], [5, 6]]


def test_keras_dtype_truncating_and_sample_shape():
    out = pad_sequences(SEQS)
    assert isinstance(out, np.ndarray) and out.dtype == np.int32
    assert pad_sequences(SEQS, maxlen=2, truncating="post").tolist() == [[0, 1], [2, 3], [4, 5]]
    # Keras' int32 default truncates floats; pass dtype to keep them.
    assert pad_sequences([[1.5]], maxlen=2).tolist() == [[0, 1]]
    assert pad_sequences([[1.5]], maxlen=2, dtype="float32").tolist() == [[0.0, 1.5]]
    feats = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32", padding="post")
    assert feats.shape == (2, 2, 3) and feats[1, 1].tolist() == [0, 0, 0]
    # Empty sequences are all padding; an empty list gives an empty array.
    assert pad_sequences([[], [1, 2]]).tolist() == [[0, 0], [1, 2]]
    assert pad_sequences([]).shape == (0, 0)
    with pytest.raises(ValueError, match="step shape"):
        pad_sequences([np.ones((2, 3)), np.ones((1, 4))])
    with pytest.raises(ValueError):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="string padding value"):
        pad_sequences(SEQS, value="x")


ragged = st.lists(st.lists(st.integers(-1000, 1000), min_size=0, max_size=12), max_size=12)


@given(seqs=ragged, side=st.sampled_from(["pre", "post"]), extra=st.integers(0, 3))
def test_unpad_inverts_pad_sequences(seqs, side, extra):
    # Invariant: unpad(pad_sequences(s)) == s whenever nothing is truncated.
    lengths = [len(s) for s in seqs]
    maxlen = (max(lengths) if lengths else 0) + extra
    padded = pad_sequences(seqs, maxlen=maxlen, padding=side, value=-7)
    assert padded.shape == (len(seqs), maxlen)
    back = unpad(padded, lengths, padding=side)
    assert [b.tolist() for b in back] == seqs
    # The padding holds exactly the value, nothing else.
    assert int((padded == -7).sum()) >= len(seqs) * maxlen - sum(lengths)


@given(
    seqs=st.lists(st.lists(st.integers(0, 99), min_size=1, max_size=10), min_size=1, max_size=8),
    maxlen=st.integers(1, 10),
    trunc=st.sampled_from(["pre", "post"]),
    side=st.sampled_from(["pre", "post"]),
)
def test_truncation_keeps_the_documented_end(seqs, maxlen, trunc, side):
    padded = pad_sequences(seqs, maxlen=maxlen, truncating=trunc, padding=side)
    kept = [min(len(s), maxlen) for s in seqs]
    for s, row in zip(seqs, unpad(padded, kept, padding=side), strict=True):
        want = s[-maxlen:] if trunc == "pre" else s[:maxlen]
        assert row.tolist() == want


def test_unpad_rejects_bad_lengths():
    with pytest.raises(ValueError, match=r"outside 0\.\.3"):
        unpad(np.zeros((2, 3)), [1, 4])
    with pytest.raises(ValueError, match="lengths"):
        unpad(np.zeros((2, 3)), [1])
