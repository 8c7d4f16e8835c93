"""The per-row time gathers: inverse pairs, and agreement with the one mask definition."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from seqbucket._mask import lengths_to_mask
from seqbucket.models import post_to_pre, pre_to_post, reverse_within_length


@st.composite
def batches(draw):
    T = draw(st.integers(1, 9))
    lengths = torch.tensor(draw(st.lists(st.integers(1, T), min_size=1, max_size=5)))
    x = torch.randn(len(lengths), T, 2)
    return x, lengths


@given(batches())
def test_pre_post_are_inverse_and_move_the_mask(batch):
    x, lengths = batch
    T = x.shape[1]
    # Invariant: the two conversions are inverses, and they carry one mask onto the other.
    assert torch.equal(post_to_pre(pre_to_post(x, lengths), lengths), x)
    assert torch.equal(pre_to_post(post_to_pre(x, lengths), lengths), x)
    post_mask = lengths_to_mask(lengths, T, "post")
    pre_mask = lengths_to_mask(lengths, T, "pre")
    assert torch.equal(pre_to_post(pre_mask, lengths), post_mask)
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(pre_to_post(x, lengths)[b, :n], x[b, T - n :])


@given(batches())
def test_reverse_within_length(batch):
    x, lengths = batch
    # Invariant: real steps are reversed, padding stays put, and reversing twice is the identity.
    r = reverse_within_length(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        assert torch.equal(r[b, :n], x[b, :n].flip(0))
        assert torch.equal(r[b, n:], x[b, n:])
    assert torch.equal(reverse_within_length(r, lengths), x)


def test_gradients_of_the_gathers_are_the_inverse_gathers():
    # Invariant: the custom backward (inverse permutation) equals autograd's numerical gradient.
    lengths = torch.tensor([4, 1, 3])
    x = torch.randn(3, 4, 2, dtype=torch.float64, requires_grad=True)
    for fn in (reverse_within_length, pre_to_post, post_to_pre):
        assert torch.autograd.gradcheck(lambda t, fn=fn: fn(t, lengths), (x,))
