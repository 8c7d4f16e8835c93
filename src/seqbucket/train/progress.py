"""Live progress: a tqdm bar on stderr with loss, real tokens/s and padding overhead.

The bar is shown only when stderr is a terminal and the run is not ``quiet``; otherwise (a log
file, CI, ``--quiet``) nothing is drawn per step and one summary line is printed per epoch, so logs
stay readable.

Nothing here ever stops a run: a stream whose reader went away (``train ... | head -2``) is
pointed at ``os.devnull`` and training goes on to write its checkpoints and ``result.json``
(see :func:`write_line`).
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

from tqdm import tqdm


class Progress:
    """One bar per epoch. ``update`` after each step; ``epoch_end`` prints the epoch summary."""

    def __init__(
        self, *, quiet: bool = False, stream: TextIO | None = None, refresh_seconds: float = 0.1
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        # Redraw at most every refresh_seconds: a 1 ms training step must not wait on the bar.
        self.refresh_seconds = refresh_seconds
        self.live = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self._bar: tqdm | None = None

    def start_epoch(self, epoch: int, total_steps: int, done_steps: int = 0) -> None:
        if not self.live:
            return
        self._bar = tqdm(
            total=total_steps,
            initial=done_steps,
            desc=f"epoch {epoch + 1}",
            file=self.stream,
            leave=False,
            dynamic_ncols=True,
            mininterval=self.refresh_seconds,
        )

    def update(self, loss: float, tokens_per_s: float, padding_overhead: float) -> None:
        if self._bar is None:
            return
        self._bar.set_postfix(
            loss=f"{loss:.4f}",
            tok_s=f"{tokens_per_s:,.0f}",
            pad=f"{padding_overhead:.1%}",
            refresh=False,
        )
        self._bar.update(1)

    def epoch_end(self, record: dict[str, Any]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        write_line(self.stream, format_epoch(record))

    def message(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            write_line(self.stream, text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def write_line(stream: TextIO, text: str) -> None:
    """Print ``text`` to ``stream``. A closed pipe (the reader left) is not an error for a
    training run: the stream's descriptor is pointed at ``os.devnull``, so this and every later
    write, and Python's flush at exit, succeed silently."""
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        silence(stream)


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at ``os.devnull`` (a no-op for in-memory streams)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def format_epoch(record: dict[str, Any]) -> str:
    """One line, e.g. ``epoch 3  step 45  loss 0.812  val_loss 0.701  val_acc 91.3%  ...``."""
    epoch = f"epoch {record['epoch']}" + (" (partial)" if record.get("partial") else "")
    parts = [epoch, f"step {record['step']}"]
    parts.append(f"loss {record['train_loss']:.4f}")
    if record.get("val_loss") is not None:
        parts.append(f"val_loss {record['val_loss']:.4f}")
    if record.get("val_accuracy") is not None:
        parts.append(f"val_acc {record['val_accuracy']:.1%}")
    if record.get("val_rmse") is not None:
        parts.append(f"val_rmse {record['val_rmse']:.4f}")
    if record.get("val_perplexity") is not None:
        parts.append(f"val_ppl {record['val_perplexity']:.2f}")
    parts.append(f"{record['tokens_per_s']:,.0f} tok/s")
    parts.append(f"pad {record['padding_overhead']:.1%}")
    parts.append(f"{record['seconds']:.2f}s")
    if record.get("best"):
        parts.append("*best")
    return "  ".join(parts)
