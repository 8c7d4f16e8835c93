"""Encoder speed on CPU: what the figures in ``docs/models.md`` come from.

Three measurements, all full training steps (forward + backward + optimiser step) of an LSTM
(input F=16, hidden H=128, batch B=32, 11 classes) with ``torch.set_num_threads`` left to the
caller and denormals flushed (NOTE [denormal trap] in ``seqbucket.models.denormal``) unless said:

(a) the exact fused encoder vs a raw ``nn.LSTM`` on the same padded tensors (target >= 0.9);
(b) the fused encoder vs ``PackedSequence`` on PLAID-like lengths (target >= 4x);
(c) the denormal trap: many-to-one (loss on the final state) vs all-outputs (loss on every
    step) at T=300, with and without flushing (many-to-one must not be slower under flushing).

Throughputs count real tokens only (padding is waste, not work). Variants are interleaved
round by round and each is summarised by its fastest round (as ``timeit`` does: other
processes can only add time), so load on a shared machine biases none of them; ratios are more
trustworthy than absolute times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from seqbucket._mask import lengths_to_mask
from seqbucket.models import (
    ModelConfig,
    build_model,
    flush_denormals,
    flushing_denormals,
    masked_loss,
    set_flush_denormal_all_threads,
)

Step = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], None]
PaddedBatch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # x (B,T,F), lengths (B,), y (B,)


@dataclass(frozen=True)
class SpeedConfig:
    """Sizes of the measurement; the defaults keep the whole run near 1-2 minutes on 2 cores."""

    input_size: int = 16  # F, as in docs/MEASURED (PLAID itself has 1 channel)
    hidden_size: int = 128  # H: the size the project's speed figures use
    batch_size: int = 32  # B
    num_classes: int = 11  # PLAID's appliance types
    # 12 batches x 5 rounds: with 6 x 3 the fused/raw ratio swung 0.86-0.92 between runs on a quiet
    # 2-core machine; with 12 x 5 it held at 0.98.
    batches: int = 12  # random batches per timed pass in (a) and (b)
    packed_batches: int = 3  # (b): PackedSequence is slow, so time it on the first few only
    rounds: int = 5  # interleaved timed passes per variant; the fastest is reported
    trap_length: int = 300  # T of (c)
    trap_steps: int = 4  # timed steps per variant in (c)
    seed: int = 0


def plaid_like_lengths(seed: int = 0) -> tuple[np.ndarray, str]:
    """PLAID's training lengths if the data package can load them, else a sample that mimics
    them (log-normal, median 300, clipped to 100..1344). Returns ``(lengths, where_from)``."""
    try:
        from seqbucket.data import load_dataset

        return np.asarray(load_dataset("plaid").lengths, dtype=np.int64), "PLAID train lengths"
    except Exception as exc:  # the data package is optional for this measurement
        rng = np.random.default_rng(seed)
        lengths = np.clip(np.round(300 * np.exp(rng.normal(0.0, 0.4, 537))), 100, 1344)
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:80]
        return lengths.astype(np.int64), f"sampled PLAID-like lengths (load failed: {reason})"


def random_batches(lengths: np.ndarray, cfg: SpeedConfig, count: int) -> list[PaddedBatch]:
    """``count`` random batches (no length grouping), each padded to its own maximum."""
    rng = np.random.default_rng(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    order = rng.permutation(len(lengths))
    batches = []
    for i in range(count):
        pick = order[(i * cfg.batch_size) % len(order) :][: cfg.batch_size]
        n = torch.as_tensor(lengths[pick], dtype=torch.int64)
        x = torch.randn(len(n), int(n.max()), cfg.input_size, generator=gen)
        x *= lengths_to_mask(n, x.shape[1]).unsqueeze(-1)  # zero padding
        y = torch.randint(0, cfg.num_classes, (len(n),), generator=gen)
        batches.append((x, n, y))
    return batches


def _lstm_config(cfg: SpeedConfig, **changes: object) -> ModelConfig:
    fields: dict = dict(
        kind="lstm", task="classify", input_size=cfg.input_size, hidden_size=cfg.hidden_size,
        num_classes=cfg.num_classes,
    )  # fmt: skip
    return ModelConfig(**(fields | changes))


def seqbucket_step(config: ModelConfig, seed: int) -> Step:
    """One training step of ``build_model(config)`` with ``masked_loss`` and Adam."""
    torch.manual_seed(seed)
    model = build_model(config)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        masked_loss(config.task, model(x, lengths), y).backward()
        opt.step()

    return step


def raw_lstm_step(cfg: SpeedConfig, seed: int, bidirectional: bool = False) -> Step:
    """The baseline: ``nn.LSTM`` on the padded tensor, head on ``h_n`` (inexact: it reads the
    state after the padding), cross-entropy and Adam. Nothing but PyTorch's kernel."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(cfg.input_size, cfg.hidden_size, batch_first=True, bidirectional=bidirectional)
    head = nn.Linear(cfg.hidden_size * (2 if bidirectional else 1), cfg.num_classes)
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)

    def step(x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        _, (h_n, _) = lstm(x)  # h_n: (D, B, H)
        logits = head(torch.cat(list(h_n), dim=-1))
        nn.functional.cross_entropy(logits, y).backward()
        opt.step()

    return step


def compare(
    variants: dict[str, Step], batches: dict[str, list[PaddedBatch]], rounds: int
) -> dict[str, float]:
    """Fastest seconds per pass over each variant's batches, rounds interleaved, after one
    untimed warm-up step each."""
    for name, step in variants.items():
        step(*batches[name][0])
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, step in variants.items():
            start = time.perf_counter()
            for batch in batches[name]:
                step(*batch)
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def real_tokens(batches: list[PaddedBatch]) -> int:
    return int(sum(int(b[1].sum()) for b in batches))


def padded_vs_raw(cfg: SpeedConfig, lengths: np.ndarray) -> dict[str, float]:
    """(a): real tokens/s of fused vs raw nn.LSTM, unidirectional and bidirectional."""
    batches = random_batches(lengths, cfg, cfg.batches)
    variants = {
        "fused": seqbucket_step(_lstm_config(cfg), cfg.seed),
        "raw nn.LSTM": raw_lstm_step(cfg, cfg.seed),
        "fused bidirectional": seqbucket_step(_lstm_config(cfg, bidirectional=True), cfg.seed),
        "raw nn.LSTM bidirectional": raw_lstm_step(cfg, cfg.seed, bidirectional=True),
    }
    seconds = compare(variants, dict.fromkeys(variants, batches), cfg.rounds)
    tokens = real_tokens(batches)
    return {name: tokens / s for name, s in seconds.items()}


def fused_vs_packed(cfg: SpeedConfig, lengths: np.ndarray) -> dict[str, float]:
    """(b): real tokens/s of fused vs packed (same model code, ``impl`` switched)."""
    batches = random_batches(lengths, cfg, cfg.batches)
    subset = batches[: cfg.packed_batches]
    variants = {
        "fused": seqbucket_step(_lstm_config(cfg), cfg.seed),
        "packed": seqbucket_step(_lstm_config(cfg, impl="packed"), cfg.seed),
    }
    seconds = compare(variants, {"fused": batches, "packed": subset}, max(1, cfg.rounds - 1))
    return {
        "fused": real_tokens(batches) / seconds["fused"],
        "packed": real_tokens(subset) / seconds["packed"],
    }


@contextmanager
def denormals(flush: bool) -> Iterator[None]:
    """Flush (via :func:`flush_denormals`) or explicitly keep denormals, restoring after."""
    if flush:
        with flush_denormals():
            yield
        return
    previous = flushing_denormals()
    set_flush_denormal_all_threads(False)
    try:
        yield
    finally:
        set_flush_denormal_all_threads(previous)


def denormal_trap(cfg: SpeedConfig) -> dict[tuple[str, bool], float]:
    """(c): fastest seconds per training step at T = ``trap_length``, for (loss, flush) in
    {many-to-one, all-outputs} x {False, True}. Each variant starts from the same weights."""
    gen = torch.Generator().manual_seed(cfg.seed)
    B, T = cfg.batch_size, cfg.trap_length
    x = torch.randn(B, T, cfg.input_size, generator=gen)
    lengths = torch.full((B,), T, dtype=torch.int64)
    targets = {
        "many-to-one": torch.randint(0, cfg.num_classes, (B,), generator=gen),
        "all-outputs": torch.randint(0, cfg.num_classes, (B, T), generator=gen),
    }
    results = {}
    for flush in (False, True):
        with denormals(flush):
            for loss, y in targets.items():
                task = "classify" if loss == "many-to-one" else "tag"
                step = seqbucket_step(_lstm_config(cfg, task=task), cfg.seed)
                step(x, lengths, y)  # warm-up
                times = []
                for _ in range(cfg.trap_steps):
                    start = time.perf_counter()
                    step(x, lengths, y)
                    times.append(time.perf_counter() - start)
                results[(loss, flush)] = min(times)
    return results


def subnormal_gradient_steps(cfg: SpeedConfig) -> int:
    """(c) diagnostic: without flushing, at how many of the T steps the many-to-one loss's
    gradient with respect to the inputs holds subnormal values. Nonzero means the trap's
    conditions exist; how much they cost depends on the CPU."""
    gen = torch.Generator().manual_seed(cfg.seed)
    B, T = cfg.batch_size, cfg.trap_length
    x = torch.randn(B, T, cfg.input_size, generator=gen, requires_grad=True)
    y = torch.randint(0, cfg.num_classes, (B,), generator=gen)
    torch.manual_seed(cfg.seed)
    model = build_model(_lstm_config(cfg))
    with denormals(False):
        masked_loss("classify", model(x, torch.full((B,), T)), y).backward()
    assert x.grad is not None
    g = x.grad.abs()
    tiny = torch.finfo(torch.float32).tiny  # smallest normal fp32
    return int(((g > 0) & (g < tiny)).any(dim=2).any(dim=0).sum())


def run(cfg: SpeedConfig, out: Callable[[str], None] = print) -> dict[str, float]:
    """Run (a), (b), (c), print each figure through ``out`` and return them flat."""
    lengths, source = plaid_like_lengths(cfg.seed)
    out(
        f"lengths: {source}; n={len(lengths)} min={lengths.min()} "
        f"median={int(np.median(lengths))} max={lengths.max()}"
    )
    figures: dict[str, float] = {}
    with flush_denormals():
        a = padded_vs_raw(cfg, lengths)
        out(
            f"(a) {cfg.batches} random batches of {cfg.batch_size}, padded to the batch max, "
            f"fastest of {cfg.rounds} rounds:"
        )
        for name, rate in a.items():
            out(f"    {name:<28} {rate:>10,.0f} real tokens/s")
        figures["a_ratio"] = a["fused"] / a["raw nn.LSTM"]
        figures["a_ratio_bidirectional"] = a["fused bidirectional"] / a["raw nn.LSTM bidirectional"]
        out(
            f"    fused / raw = {figures['a_ratio']:.2f} (target >= 0.9); "
            f"bidirectional: {figures['a_ratio_bidirectional']:.2f}"
        )
        b = fused_vs_packed(cfg, lengths)
        out(
            f"(b) fused on {cfg.batches} batches vs PackedSequence on the first "
            f"{cfg.packed_batches}:"
        )
        for name, rate in b.items():
            out(f"    {name:<28} {rate:>10,.0f} real tokens/s")
        figures["b_speedup"] = b["fused"] / b["packed"]
        out(f"    fused / packed = {figures['b_speedup']:.1f}x (target >= 4x)")
    c = denormal_trap(cfg)
    out(
        f"(c) LSTM training step at T={cfg.trap_length}, B={cfg.batch_size}, "
        f"fastest of {cfg.trap_steps} steps:"
    )
    for (loss, flush), s in c.items():
        out(f"    {loss:<12} flush_denormals={flush!s:<5} {s * 1000:>8.1f} ms/step")
        figures[f"c_{loss}_{'flush' if flush else 'noflush'}_s"] = s
    trap = c[("many-to-one", False)] / c[("all-outputs", False)]
    fixed = c[("many-to-one", True)] / c[("all-outputs", True)]
    out(
        f"    many-to-one / all-outputs: {trap:.2f} without flushing, "
        f"{fixed:.2f} with (target <= 1)"
    )
    figures["c_ratio_noflush"], figures["c_ratio_flush"] = trap, fixed
    steps = subnormal_gradient_steps(cfg)
    out(
        f"    without flushing, the many-to-one input gradient holds subnormal values at {steps} "
        f"of {cfg.trap_length} steps"
    )
    figures["c_subnormal_steps"] = steps
    return figures
