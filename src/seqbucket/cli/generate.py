"""``seqbucket generate RUN --prompt TEXT``: sample text from a trained language model."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate",
        help="sample text from a trained character or word language model",
        description="Continue --prompt with tokens drawn from a language-model run (trained on "
        "a .txt file). Prints the prompt followed by the generated text.",
    )
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `seqbucket train`")
    p.add_argument("--prompt", default="", help="text to continue (default: empty; line mode)")
    p.add_argument(
        "--max-new", type=int, default=100, metavar="N", help="tokens to add (default 100)"
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        metavar="T",
        help="divide logits by T: lower is safer, 0 always takes the likeliest (default 1.0)",
    )
    p.add_argument(
        "--top-k",
        type=int,
        metavar="K",
        help="draw only among the K likeliest tokens (default: all)",
    )
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from seqbucket.cli._common import open_run
    from seqbucket.train.generate import generate

    text = generate(
        open_run(args.run_dir),
        args.prompt,
        max_new=args.max_new,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    )
    print(args.prompt + text)
    return 0
