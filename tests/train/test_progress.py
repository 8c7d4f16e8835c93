"""Progress: a live bar only on a terminal; otherwise (or --quiet) one line per epoch."""

from __future__ import annotations

import io

from seqbucket.train.progress import Progress, format_epoch

RECORD = {
    "epoch": 1,
    "step": 14,
    "train_loss": 1.5,
    "val_loss": 1.2,
    "val_accuracy": 0.875,
    "tokens_per_s": 12345.0,
    "padding_overhead": 0.031,
    "seconds": 0.4,
    "best": True,
}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_on_a_terminal_shows_loss_tokens_and_padding():
    stream = _Tty()
    progress = Progress(stream=stream, refresh_seconds=0)
    assert progress.live
    progress.start_epoch(0, total_steps=3)
    for _ in range(3):
        progress.update(0.5, 1000.0, 0.25)
    progress.epoch_end(RECORD)
    text = stream.getvalue()
    assert "loss=0.5000" in text and "tok_s=1,000" in text and "pad=25.0%" in text
    assert text.rstrip().endswith(format_epoch(RECORD))


def test_not_a_terminal_or_quiet_prints_one_line_per_epoch():
    for stream, quiet in ((io.StringIO(), False), (_Tty(), True)):
        progress = Progress(quiet=quiet, stream=stream)
        assert not progress.live
        progress.start_epoch(0, total_steps=3)
        progress.update(0.5, 1000.0, 0.25)
        progress.epoch_end(RECORD)
        assert stream.getvalue() == format_epoch(RECORD) + "\n"
    line = format_epoch(RECORD)
    assert "epoch 1" in line and "val_acc 87.5%" in line and "12,345 tok/s" in line
    assert "pad 3.1%" in line and "*best" in line
