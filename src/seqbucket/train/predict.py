"""Predictions of a finished run on new data, in the input's order.

The input is read with the run's vocabulary and label names, batched with the run's bucketed
strategy (so little padding), and each output is put back at its example's index: batching order
never shows in the result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from seqbucket.data import SequenceDataset
from seqbucket.data.vocab import BOS, PAD
from seqbucket.errors import ConfigError
from seqbucket.models import flush_denormals
from seqbucket.train.artifacts import LoadedRun, load_run
from seqbucket.train.evaluate import forward
from seqbucket.train.guards import num_threads
from seqbucket.train.threads import config_threads
from seqbucket.train.wiring import collate_batch, eval_batches


def predict(
    run_dir: str | Path | LoadedRun, input: str, split: str = "test"
) -> list[dict[str, Any]]:
    """One record per example of ``input`` (a path, or an embedded name -> its ``split``), in
    input order. ``run_dir`` may be a run already loaded with ``load_run``. Fields by task:

    - classify: ``index``, ``label`` (predicted name), ``probabilities`` ({name: p}).
    - tag: ``index``, ``labels`` (predicted name per step).
    - lm: ``index``, ``next_tokens`` (most likely next token after each step).
    - regress: ``index``, ``value``.
    """
    run = run_dir if isinstance(run_dir, LoadedRun) else load_run(run_dir)
    ds = run.read_input(input, split, require_labels=False)
    if not ds.labelled and ds.task != run.meta.task:
        # Without labels a reader cannot tell tag or regress data from classify data: the
        # inputs are what they are, and the model's task decides what is predicted.
        ds = SequenceDataset(
            ds.values,
            ds.offsets,
            None,
            run.meta.task,
            name=ds.name,
            vocab=ds.vocab,
            label_names=run.meta.label_names,
        )
    if ds.task != run.meta.task:
        raise ConfigError(
            f"expected {run.meta.task!r} data for the model in {run.run_dir}, "
            f"got {ds.task!r} data in {input}"
        )
    outputs: list[dict[str, Any] | None] = [None] * len(ds)
    with torch.no_grad(), flush_denormals(), num_threads(config_threads(run.config)):
        for indices, pad_to in eval_batches(ds.lengths, run.config):
            batch = collate_batch(ds, indices, pad_to).to(run.device)
            logits = forward(run.model, batch, run.standardizer).float().cpu()
            lengths = batch.lengths.tolist()
            for row, index in enumerate(np.asarray(indices).tolist()):
                outputs[index] = _record(run, index, logits[row], lengths[row], batch.padding)
    missing = [i for i, o in enumerate(outputs) if o is None]
    if missing:
        raise ConfigError(f"expected a prediction for every example, got none for {missing[:5]}")
    return [o for o in outputs if o is not None]


def _record(run: LoadedRun, index: int, logits: torch.Tensor, length: int, padding: str) -> dict:
    task = run.meta.task
    if task == "regress":
        return {"index": index, "value": float(logits)}
    names = run.meta.label_names
    if task == "classify":
        probs = torch.softmax(logits, dim=-1).tolist()  # (C,)
        label_of = names if names is not None else [str(c) for c in range(len(probs))]
        best = int(np.argmax(probs))
        return {
            "index": index,
            "label": label_of[best],
            "probabilities": {label_of[c]: round(p, 6) for c, p in enumerate(probs)},
        }
    if task == "lm" and run.meta.vocab is not None:
        # <pad> and <bos> are never a next token (bos only ever starts a sequence): an
        # untrained or weak model could still rank them first, so they are masked out.
        logits = logits.clone()
        for special in (PAD, BOS):
            if special in run.meta.vocab.tokens:
                logits[..., run.meta.vocab.tokens.index(special)] = float("-inf")
    steps = logits.argmax(-1)  # (T,)
    real = steps[:length] if padding == "post" else steps[steps.shape[0] - length :]
    ids = real.tolist()
    if task == "tag":
        return {"index": index, "labels": [names[i] if names else str(i) for i in ids]}
    vocab = run.meta.vocab
    return {"index": index, "next_tokens": vocab.decode(ids) if vocab else ids}


def write_predictions(records: list[dict[str, Any]], output: str | Path | None) -> None:
    """JSONL to ``output``, or to stdout when ``output`` is None.

    Raises:
        ConfigError: ``output`` is a directory (it must name a file).
    """
    if output is not None and Path(output).is_dir():
        raise ConfigError(f"expected an output file path, got a directory: {output}")
    text = "".join(json.dumps(r) + "\n" for r in records)
    if output is None:
        stream: TextIO = sys.stdout
        stream.write(text)
        stream.flush()
    else:
        Path(output).write_text(text, encoding="utf-8")
