"""``seqbucket export RUN --format onnx``: the run's best model as one file for every length,
checked against eager by running the written file on batches of mixed lengths."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    # The formats are listed here, not imported: building the parser must not import torch.
    p = subparsers.add_parser(
        "export",
        help="export a trained run as ONNX with dynamic batch and time axes",
        description="Export RUN's best.pt as one model taking (x, lengths) for any batch size "
        "and length, then check the file: it is run (onnxruntime for onnx) on batches of mixed "
        "lengths and must match the eager model within 1e-4.",
    )
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument(
        "--format",
        default="onnx",
        help="onnx, the one format so far (needs onnx, onnxscript, onnxruntime: the dev extra)",
    )
    p.add_argument("--out", metavar="FILE", help="output file (default RUN/model.<format>)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.train.export import export_run

    result = export_run(args.run_dir, args.format, args.out)
    shapes = ", ".join(f"{b}x{t}" for b, t in result.checked)
    print(
        f"wrote {result.path} ({result.format}); checked on {len(result.checked)} batches"
        f" of mixed lengths (B x T: {shapes}): max |exported - eager| = {result.max_abs_diff:.2g}",
        file=sys.stderr,
    )
    return 0
