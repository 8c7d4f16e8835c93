"""Predictions of a finished run on new data, in the input's order.

The input is read with the run's vocabulary and label names, batched with the run's bucketed
strategy (so little padding), and each output is put back at its example's index: batching order
never shows in the result.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from seqbucket.data import SequenceDataset
from seqbucket.data.columns import RECORD_FORMATS, read_field
from seqbucket.data.vocab import BOS, EOS, PAD
from seqbucket.errors import ConfigError
from seqbucket.models import flush_denormals
from seqbucket.train.artifacts import LoadedRun, load_run
from seqbucket.train.evaluate import forward
from seqbucket.train.guards import num_threads
from seqbucket.train.precision import autocast
from seqbucket.train.threads import config_threads
from seqbucket.train.wiring import collate_batch, eval_batches, file_format


def predict(
    run_dir: str | Path | LoadedRun,
    input: str,
    split: str = "test",
    *,
    id_column: str | None = None,
    echo_input: bool = False,
) -> list[dict[str, Any]]:
    """One record per example of ``input`` (a path, or an embedded name -> its ``split``), in
    input order. ``run_dir`` may be a run already loaded with ``load_run``.

    ``id_column`` (CSV/TSV/JSONL inputs): copy that field of each record as ``id``.
    ``echo_input``: add ``input``: the record's text (or ``x`` series) for CSV/TSV/JSONL, else
    the example decoded (tokens joined as the run's tokenizer split them; series as lists).
    Both come right after ``index``. Fields by task:

    - classify: ``index``, ``label`` (predicted name), ``probabilities`` ({name: p}).
    - tag: ``index``, ``labels`` (predicted name per step).
    - lm: ``index``, ``next_tokens`` (most likely next token after each step).
    - regress: ``index``, ``value``.
    """
    run = run_dir if isinstance(run_dir, LoadedRun) else load_run(run_dir)
    ds = run.read_input(input, split, require_labels=False)
    extras = _echo_columns(run, ds, input, id_column, echo_input)
    records = predict_dataset(run, ds, where=input)
    if extras:
        records = [
            {"index": r["index"], **{k: v[i] for k, v in extras.items()}, **r}
            for i, r in enumerate(records)
        ]
    return records


def predict_dataset(run: LoadedRun, ds: SequenceDataset, where: str = "") -> list[dict[str, Any]]:
    """``predict``'s records for a data set already read for ``run`` (``where`` names it in
    errors): batched with the run's strategy, under its precision, in ``ds``'s order."""
    where = where or ds.name
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
            f"got {ds.task!r} data in {where}"
        )
    outputs: list[dict[str, Any] | None] = [None] * len(ds)
    with torch.no_grad(), flush_denormals(), num_threads(config_threads(run.config)):
        for indices, pad_to in eval_batches(ds.lengths, run.config):
            batch = collate_batch(ds, indices, pad_to).to(run.device)
            with autocast(run.device, run.config.precision):
                logits = forward(run.model, batch, run.standardizer).float().cpu()
            lengths = batch.lengths.tolist()
            for row, index in enumerate(np.asarray(indices).tolist()):
                outputs[index] = _record(run, index, logits[row], lengths[row], batch.padding)
    missing = [i for i, o in enumerate(outputs) if o is None]
    if missing:
        raise ConfigError(f"expected a prediction for every example, got none for {missing[:5]}")
    return [o for o in outputs if o is not None]


def _echo_columns(
    run: LoadedRun, ds: SequenceDataset, input: str, id_column: str | None, echo_input: bool
) -> dict[str, list[Any]]:
    """``{"id": [...], "input": [...]}`` (only those asked for), one value per example."""
    extras: dict[str, list[Any]] = {}
    is_records = file_format(input) in RECORD_FORMATS
    if id_column is not None:
        if not is_records:
            raise ConfigError(
                f"expected a {'/'.join(RECORD_FORMATS)} input for --id-column, got {input}"
            )
        extras["id"] = read_field(input, id_column)
    if echo_input:
        if is_records and ds.vocab is not None:
            extras["input"] = read_field(input, run.config.text_column or "text")
        else:
            extras["input"] = [_decoded(run, ds, i) for i in range(len(ds))]
    for name, values in extras.items():
        if len(values) != len(ds):  # the reader makes one example per record: a bug otherwise
            raise ConfigError(f"expected {len(ds)} {name} values for {input}, got {len(values)}")
    return extras


def _decoded(run: LoadedRun, ds: SequenceDataset, index: int) -> Any:
    """Example ``index``'s input as text (tokens, specials dropped) or as nested lists."""
    x = ds[index].x
    if ds.vocab is None:
        return np.asarray(x).tolist()  # (T, F) series
    joiner = " " if run.config.tokenizer == "word" else ""
    tokens = [t for t in ds.vocab.decode(np.asarray(x).tolist()) if t not in (PAD, BOS, EOS)]
    return joiner.join(tokens)


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


OUTPUT_FORMATS = ("jsonl", "csv")


def write_predictions(
    records: list[dict[str, Any]], output: str | Path | None, format: str | None = None
) -> None:
    """``records`` to ``output``, or to stdout when ``output`` is None, as ``format``: ``jsonl``
    (one JSON object a line) or ``csv``. None: ``csv`` for an output named ``*.csv``, else
    ``jsonl``. CSV flattens each record: ``probabilities`` becomes one ``p_<label>`` column per
    class, lists of tokens or labels are joined by spaces, and nested values (a series) are
    written as JSON.

    Raises:
        ConfigError: ``output`` is a directory (it must name a file), or an unknown format.
    """
    if output is not None and Path(output).is_dir():
        raise ConfigError(f"expected an output file path, got a directory: {output}")
    if format is None:
        format = "csv" if output is not None and Path(output).suffix.lower() == ".csv" else "jsonl"
    if format not in OUTPUT_FORMATS:
        raise ConfigError(f"expected an output format in {OUTPUT_FORMATS}, got {format!r}")
    if format == "csv":
        text = _csv_text(records)
    else:
        text = "".join(json.dumps(r) + "\n" for r in records)
    if output is None:
        stream: TextIO = sys.stdout
        stream.write(text)
        stream.flush()
    else:
        Path(output).write_text(text, encoding="utf-8")


def _csv_text(records: list[dict[str, Any]]) -> str:
    rows = [_flat(r) for r in records]
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key == "probabilities" and isinstance(value, dict):
            row.update({f"p_{label}": p for label, p in value.items()})
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            row[key] = " ".join(str(v) for v in value)
        elif isinstance(value, (list, dict)):
            row[key] = json.dumps(value)
        else:
            row[key] = value
    return row
