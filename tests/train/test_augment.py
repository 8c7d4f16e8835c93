"""Crop augmentation (NOTE [crop augmentation]): each row becomes a window of its own real
steps, within the documented bounds, drawn from (seed, step) alone; the cut steps are padding."""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqbucket.data import collate
from seqbucket.data.example import Example
from seqbucket.train.augment import crop_generator, random_crop


def _batch(lengths: list[int], extra: int, padding: str):
    g = torch.Generator().manual_seed(len(lengths))
    rows = [torch.randn(n, 2, generator=g) for n in lengths]
    examples = [Example(x=r.numpy(), y=i % 3) for i, r in enumerate(rows)]
    batch = collate(examples, pad_to=max(lengths) + extra, padding=padding)
    return batch, rows


@settings(max_examples=30, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=6),
    extra=st.integers(0, 5),
    padding=st.sampled_from(["post", "pre"]),
    crop=st.floats(0.01, 0.9),
    step=st.integers(0, 10_000),
)
def test_each_row_is_a_window_of_its_own_real_steps(lengths, extra, padding, crop, step):
    batch, rows = _batch(lengths, extra, padding)
    out = random_crop(batch, crop, crop_generator(7, step))
    again = random_crop(batch, crop, crop_generator(7, step))
    assert torch.equal(out.x, again.x) and torch.equal(out.lengths, again.lengths)
    assert out.padding == "post" and out.x.shape == batch.x.shape and torch.equal(out.y, batch.y)
    for b, row in enumerate(rows):
        n, L = int(out.lengths[b]), len(row)
        assert max(1, math.ceil((1 - crop) * L - 1e-9)) <= n <= L
        assert out.mask[b].tolist() == [t < n for t in range(out.x.shape[1])]
        assert not out.x[b, n:].any()  # the cut steps are zero padding
        windows = [row[s : s + n] for s in range(L - n + 1)]
        assert any(torch.equal(out.x[b, :n], w) for w in windows)


def test_no_crop_is_the_batch_itself_and_steps_draw_differently():
    batch, _ = _batch([40, 35, 50], 0, "post")
    assert random_crop(batch, 0.0, crop_generator(0, 0)) is batch
    a = random_crop(batch, 0.5, crop_generator(0, 0))
    b = random_crop(batch, 0.5, crop_generator(0, 1))
    assert not torch.equal(a.lengths, b.lengths) or not torch.equal(a.x, b.x)
