"""One tqdm bar per bench run (all its epochs), instead of ``train``'s bar and line per epoch."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from tqdm import tqdm

from seqbucket.train.progress import Progress


class RunBar(Progress):
    """A bar labelled ``label`` over ``epochs`` x steps per epoch; epoch lines are not printed
    (the bench prints its table at the end). Drawn only on a terminal, like ``train``'s."""

    def __init__(self, label: str, epochs: int, *, stream: TextIO | None = None) -> None:
        super().__init__(quiet=False, stream=stream if stream is not None else sys.stderr)
        self.label = label
        self.epochs = epochs
        self._run_bar: tqdm | None = None

    def start_epoch(self, epoch: int, total_steps: int, done_steps: int = 0) -> None:
        if not self.live or self._run_bar is not None:
            return
        self._run_bar = tqdm(
            total=total_steps * self.epochs,
            desc=self.label,
            file=self.stream,
            leave=False,
            dynamic_ncols=True,
            mininterval=self.refresh_seconds,
        )

    def update(self, loss: float, tokens_per_s: float, padding_overhead: float) -> None:
        if self._run_bar is not None:
            self._run_bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{tokens_per_s:,.0f}",
                                      refresh=False)  # fmt: skip
            self._run_bar.update(1)

    def epoch_end(self, record: dict[str, Any]) -> None:
        pass  # the bench's table reports the epochs

    def message(self, text: str) -> None:
        pass  # train's header line: the bench prints its own

    def close(self) -> None:
        if self._run_bar is not None:
            self._run_bar.close()
            self._run_bar = None
