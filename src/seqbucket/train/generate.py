"""Sampling text from a trained language model (``seqbucket generate``).

The prompt is tokenized as the run's training text was (``char`` or ``word``), encoded with its
vocabulary and, for a model trained line by line (``lm_mode`` line, the default), started with
``<bos>`` as every training line was. Each new token is drawn from the model's distribution at
the last step: logits divided by ``temperature`` (0: always the most likely token), cut to the
``top_k`` most likely (None: all), softmax, one draw from a seeded generator, so the same seed
gives the same text. ``<pad>``, ``<unk>`` and ``<bos>`` are never drawn. ``<eos>`` ends a line:
in line mode generation stops there; in word chunk mode (where ``<eos>`` separates the file's
lines) it is written as a newline.

Each step runs the model over the whole sequence so far (the model's API takes whole padded
sequences, and exactness was tested there): cost grows with the square of the length, which is
nothing next to training for the few hundred tokens a sample has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from seqbucket.data.tokenize import get_tokenizer
from seqbucket.data.vocab import BOS, EOS, PAD, UNK
from seqbucket.errors import ConfigError
from seqbucket.models import flush_denormals
from seqbucket.train.guards import num_threads
from seqbucket.train.precision import autocast


def generate(
    run_dir: str | Path | Any,
    prompt: str,
    *,
    max_new: int = 100,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
) -> str:
    """The text that a language-model run (a path, or a ``LoadedRun``) writes after ``prompt``,
    up to ``max_new`` tokens (fewer when it ends the line), without the prompt itself.

    Raises:
        ConfigError: the run is not a unidirectional language model on tokens, a setting is out
            of range, or (chunk mode) the prompt has no token.
    """
    from seqbucket.train.artifacts import LoadedRun, load_run  # artifacts imports evaluate

    run = run_dir if isinstance(run_dir, LoadedRun) else load_run(run_dir)
    vocab = run.meta.vocab
    if run.meta.task != "lm" or vocab is None:
        raise ConfigError(
            f"expected a language-model run (task lm, trained on a .txt file), got task "
            f"{run.meta.task!r} in {run.run_dir}"
        )
    if run.model_config.bidirectional:
        raise ConfigError(
            f"expected a unidirectional model to generate from, got a bidirectional one in "
            f"{run.run_dir} (it was trained seeing the next token)"
        )
    if max_new < 1:
        raise ConfigError(f"expected max_new >= 1, got {max_new}")
    if not temperature >= 0:
        raise ConfigError(f"expected temperature >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ConfigError(f"expected top_k >= 1 or unset, got {top_k}")

    word = run.config.tokenizer == "word"
    line_mode = run.config.lm_mode in (None, "line")
    ids = vocab.encode(get_tokenizer("word" if word else "char")(prompt)).tolist()
    if line_mode:
        ids = [vocab.id(BOS), *ids]
    if not ids:
        raise ConfigError("expected a prompt of at least one token (the model reads a stream)")
    banned = [vocab.id(t) for t in (PAD, UNK, BOS) if t in vocab]
    eos = vocab.id(EOS) if EOS in vocab else None
    generator = torch.Generator().manual_seed(seed)
    new: list[str] = []
    with torch.no_grad(), flush_denormals(), num_threads(run.config.threads):
        for _ in range(max_new):
            x = torch.tensor([ids], dtype=torch.int64, device=run.device)  # (1, T)
            lengths = torch.tensor([len(ids)], dtype=torch.int64)  # (1,) CPU, as always
            with autocast(run.device, run.config.precision):
                logits = run.model(x, lengths)  # (1, T, V)
            nxt = _draw(logits[0, -1].float().cpu(), banned, temperature, top_k, generator)
            if nxt == eos:
                if line_mode or not word:
                    break
                new.append("\n")
            else:
                new.append(vocab.tokens[nxt])
            ids.append(nxt)
    return _join(new, word, prompt)


def _draw(
    logits: torch.Tensor,
    banned: list[int],
    temperature: float,
    top_k: int | None,
    generator: torch.Generator,
) -> int:
    """One token id from ``logits`` ``(V,)`` (see the module docstring)."""
    logits = logits.clone()
    logits[banned] = float("-inf")
    if temperature == 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k is not None and top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits[logits < kth] = float("-inf")
    probs = torch.softmax(logits, dim=-1)  # (V,)
    return int(torch.multinomial(probs, 1, generator=generator))


def _join(tokens: list[str], word: bool, prompt: str) -> str:
    """Characters join as they are; words with single spaces (a newline stands alone), and a
    space after a prompt that does not end in whitespace."""
    if not word:
        return "".join(tokens)
    text = ""
    for token in tokens:
        if token == "\n" or not text or text.endswith("\n"):
            text += token
        else:
            text += " " + token
    if text and prompt and not prompt[-1].isspace() and not text.startswith("\n"):
        text = " " + text
    return text
