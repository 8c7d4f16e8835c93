"""Training and scoring for the studies, through the product's own path: lengths ->
``BucketBatchSampler`` (a batching plan) -> ``collate`` -> model -> ``masked_loss``.

Synthetic data is made in-process from a seed (:func:`token_dataset` wraps token sequences as a
``SequenceDataset``). Every model here takes ``(x (B, T) int64 ids, lengths (B,) CPU int64)`` and
returns classify logits ``(B, C)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from seqbucket.batching import BatchingConfig, parse_batching, plan
from seqbucket.batching.sampler import BucketBatchSampler
from seqbucket.data import SequenceDataset, collate
from seqbucket.models import flush_denormals, masked_loss
from seqbucket.train.guards import num_threads

# Token ids: 0 is padding and 1 is <unk> (the Vocab convention); synthetic words start here.
FIRST_WORD = 2
# Scoring batches: big, since there is no backward pass.
EVAL_BATCH = 256
# The token studies' model size: small enough for a study to run in a minute or two on one core,
# large enough that the shared GRU solves every task here.
EMBED, HIDDEN = 16, 32

Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def token_dataset(seqs: Sequence[np.ndarray], labels: Sequence[int], name: str) -> SequenceDataset:
    """A classify ``SequenceDataset`` of int64 token sequences ``(T_i,)`` and their class ids."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])
    targets = np.asarray(labels, dtype=np.int64)
    return SequenceDataset(values, offsets, targets, "classify", name=name)


@contextlib.contextmanager
def study_torch() -> Iterator[None]:
    """One intra-op thread and flushed denormals for the block.

    One thread: the study models are tiny (H=32), so a second thread buys nothing, and on a
    loaded machine OpenMP workers that spin-wait for a busy core made a step 5-7 times slower
    (measured: 228 ms vs 32 ms per GRU step with the load average at 12 on 2 cores).
    Denormals: NOTE [denormal trap] in ``models/denormal.py``.
    """
    with num_threads(1), flush_denormals():
        yield


def train_classifier(
    model: nn.Module,
    data: SequenceDataset,
    *,
    steps: int,
    seed: int,
    batching: BatchingConfig | None = None,
    lr: float = 3e-3,
) -> float:
    """``steps`` AdamW updates on ``data`` batched by ``batching`` (default ``auto``, 32 per
    batch), epoch after epoch as the sampler plans them. Returns the mean loss of the last 20
    steps. The model's parameters are updated in place; ``seed`` fixes the batch order."""
    config = batching or parse_batching("auto", batch_size=32)
    sampler = BucketBatchSampler(data.lengths, config, seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    losses: list[float] = []
    done, epoch = 0, 0
    while done < steps:
        sampler.set_epoch(epoch)
        for _, indices, pad_to in sampler.iter_batches():
            batch = collate([data[int(i)] for i in indices], pad_to=pad_to)
            assert batch.y is not None  # token_dataset always has labels
            loss = masked_loss("classify", model(batch.x, batch.lengths), batch.y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            # Clipping keeps the 100-step unshared runs from an occasional blow-up.
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
            done += 1
            if done == steps:
                break
        epoch += 1
    model.eval()
    return float(np.mean(losses[-20:]))


@torch.no_grad()
def predict(
    model: nn.Module, data: SequenceDataset, *, truncate_to: int | None = None
) -> np.ndarray:
    """Predicted class ids ``(N,)`` in ``data``'s order.

    Batches come from an ``auto`` plan (similar lengths together). ``truncate_to``: every input
    is cut to its first ``truncate_to`` steps (``collate(..., truncate=True)``), the only way a
    model with weights for ``truncate_to`` steps can read longer inputs.
    """
    model.eval()
    batches = plan(data.lengths, parse_batching("auto", batch_size=EVAL_BATCH), seed=0)
    out = np.empty(len(data), dtype=np.int64)
    for indices, pad_to in zip(batches.batches, batches.pad_lengths, strict=True):
        examples = [data[int(i)] for i in indices]
        if truncate_to is not None:
            batch = collate(examples, pad_to=truncate_to, truncate=True)
        else:
            batch = collate(examples, pad_to=int(pad_to))
        out[indices] = model(batch.x, batch.lengths).argmax(-1).numpy()
    return out


def accuracy(model: nn.Module, data: SequenceDataset, *, truncate_to: int | None = None) -> float:
    """Fraction of ``data`` whose predicted class equals its label."""
    assert data.targets is not None
    return float(np.mean(predict(model, data, truncate_to=truncate_to) == data.targets))


def gru_classifier(
    *,
    shared: bool,
    vocab_size: int,
    num_classes: int,
    seed: int,
    max_len: int | None = None,
    embed_dim: int = EMBED,
    hidden_size: int = HIDDEN,
) -> nn.Module:
    """A token-input GRU classifier, freshly initialised from ``seed``: the shared ``kind="gru"``
    or the unshared baseline with GRU steps (``unshared_cell="gru"``, weights for ``max_len``
    steps). Same equations, embedding and head; the only difference is sharing."""
    from seqbucket.models import ModelConfig, build_model

    torch.manual_seed(seed)
    config = ModelConfig(
        kind="gru" if shared else "unshared",
        unshared_cell="gru",
        task="classify",
        vocab_size=vocab_size,
        embed_dim=embed_dim,
        hidden_size=hidden_size,
        num_classes=num_classes,
        max_len=None if shared else max_len,
    )
    return build_model(config)
