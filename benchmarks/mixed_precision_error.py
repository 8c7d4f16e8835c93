"""How far mixed precision moves a model's logits and gradients: the figures behind
``seqbucket.train.precision.TOLERANCE``.

    .venv/bin/python benchmarks/mixed_precision_error.py                  # CPU bf16, ~20 s
    .venv/bin/python benchmarks/mixed_precision_error.py --device cuda --precision fp16

For each cell kind, direction and depth (H=16, T<=30, B=6, 3 seeds) it prints the largest
absolute difference of the logits of a padded batch under autocast from (a) the fp32 logits and
(b) each sequence run alone under autocast, and the relative norm of the gradient error.
"""

from __future__ import annotations

import argparse
import shlex
import sys

import torch

from seqbucket.models import ModelConfig, build_model, masked_loss
from seqbucket.train.precision import TOLERANCE, autocast, check_precision


def measure(kind: str, bidirectional: bool, layers: int, seed: int, device, precision: str):
    torch.manual_seed(seed)
    config = ModelConfig(
        kind=kind, task="classify", input_size=3, hidden_size=16, num_layers=layers,
        bidirectional=bidirectional, num_classes=4,
    )  # fmt: skip
    model = build_model(config).to(device)
    g = torch.Generator().manual_seed(seed)
    B, T = 6, 30
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    x = torch.randn(B, T, 3, generator=g).to(device)  # (B, T, F)
    y = torch.randint(0, 4, (B,), generator=g).to(device)
    model.zero_grad()
    ref = model(x, lengths)  # (B, C) fp32
    masked_loss("classify", ref, y).backward()
    ref_grad = torch.cat([p.grad.flatten() for p in model.parameters()])
    model.zero_grad()
    with autocast(device, precision):
        low = model(x, lengths).float()
        alone = torch.cat(
            [model(x[b : b + 1, : lengths[b]], lengths[b : b + 1]).float() for b in range(B)]
        )
    masked_loss("classify", low, y).backward()
    grad = torch.cat([p.grad.flatten() for p in model.parameters()])
    return (
        float((low - ref).abs().max()),
        float((low - alone).abs().max()),
        float((grad - ref_grad).norm() / ref_grad.norm()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="bf16", choices=("bf16", "fp16"))
    args = parser.parse_args()
    device = torch.device(args.device)
    check_precision(device, args.precision)
    torch.set_num_threads(1)
    print("$ " + shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, {device}, {args.precision}")
    print(f"{'kind':<5} {'bidir':<5} layers  vs fp32  pad vs alone  grad rel. error")
    worst = [0.0, 0.0, 0.0]
    for kind in ("rnn", "gru", "lstm"):
        for bidirectional in (False, True):
            for layers in (1, 2):
                runs = [
                    measure(kind, bidirectional, layers, s, device, args.precision)
                    for s in range(3)
                ]
                row = [max(r[i] for r in runs) for i in range(3)]
                worst = [max(w, v) for w, v in zip(worst, row, strict=True)]
                print(
                    f"{kind:<5} {bidirectional!s:<5} {layers:>6}  {row[0]:7.4f}  {row[1]:12.4f}  "
                    f"{row[2]:14.4f}"
                )
    atol, rtol = TOLERANCE[args.precision]
    print(
        f"worst: logits {max(worst[:2]):.4f} (TOLERANCE atol {atol}), gradient "
        f"{worst[2]:.4f} relative (TOLERANCE rtol {rtol})"
    )


if __name__ == "__main__":
    main()
