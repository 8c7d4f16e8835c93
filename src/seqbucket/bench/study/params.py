"""Study ``params``: how many parameters sharing saves.

A shared recurrent layer has ``G·H·(In + H + 2)`` parameters per direction, whatever the
sequence length (G = 1 rnn, 3 gru, 4 lstm; two bias vectors as in PyTorch). The unshared
baseline keeps one such set per step, so it has T times as many. The table counts built models
with :func:`~seqbucket.models.param_count` for T = 5..100 and checks the formula against every
count; past 100 (PLAID's longest series has 1,344 steps) it uses the formula alone.
No training and no seeds: the counts are exact, so there is nothing to put an interval on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from seqbucket.bench.study.output import StudyResult, wrapped_title
from seqbucket.models import ModelConfig, build_model, param_count
from seqbucket.models.cells import GATES
from seqbucket.models.config import CELL_KINDS

# The demo's model on Japanese Vowels: 12 channels, 9 speakers, H=128 (ModelConfig's default).
INPUT, HIDDEN, CLASSES = 12, 128, 9
MEASURED_T = (5, 10, 20, 50, 100)
FORMULA_T = (200, 500, 1344, 10_000)
QUICK_T = (5, 20)


def formula_params(
    cell: str,
    *,
    input_size: int,
    hidden_size: int,
    num_classes: int,
    steps: int | None = None,
    num_layers: int = 1,
    bidirectional: bool = False,
) -> int:
    """Parameters of a feature-input classify model: recurrent layers plus the linear head.

    ``steps=None``: the shared model. ``steps=T``: the unshared baseline with ``max_len=T``.
    """
    directions = 2 if bidirectional else 1
    rows = GATES[cell] * hidden_size
    per_step = 0
    for layer in range(num_layers):
        width = input_size if layer == 0 else hidden_size * directions
        per_step += directions * rows * (width + hidden_size + 2)
    head = hidden_size * directions * num_classes + num_classes
    return per_step * (steps if steps is not None else 1) + head


def _measured(cell: str, steps: int | None) -> int:
    config = ModelConfig(
        kind="unshared" if steps is not None else cell,
        unshared_cell=cell,
        task="classify",
        input_size=INPUT,
        hidden_size=HIDDEN,
        num_classes=CLASSES,
        max_len=steps,
    )
    return param_count(build_model(config))


def run(*, quick: bool, seeds: int | None, log: Callable[[str], None]) -> StudyResult:
    """Count every model for every T; ``seeds`` is unused (counts are exact)."""
    del seeds
    start = time.perf_counter()
    sizes: dict[str, Any] = dict(input_size=INPUT, hidden_size=HIDDEN, num_classes=CLASSES)
    shared = {c: _measured(c, None) for c in CELL_KINDS}
    mismatches = [c for c in CELL_KINDS if shared[c] != formula_params(c, **sizes)]
    rows: list[list[str]] = []
    points: list[dict[str, Any]] = []
    measured_t = QUICK_T if quick else MEASURED_T
    for steps in (*measured_t, *(() if quick else FORMULA_T)):
        measured = steps in measured_t
        counts = {}
        for c in CELL_KINDS:
            expected = formula_params(c, steps=steps, **sizes)
            if measured:
                counts[c] = _measured(c, steps)
                if counts[c] != expected:
                    mismatches.append(f"unshared {c} T={steps}")
            else:
                counts[c] = expected
        log(f"params: T={steps} counted")
        points.append({"T": steps, "measured": measured, "shared": shared, "unshared": counts})
        rows.append(
            [str(steps)]
            + [f"{shared[c]:,}" for c in CELL_KINDS]
            + [f"{counts[c]:,}" for c in CELL_KINDS]
            + [f"{counts['lstm'] / shared['lstm']:.1f}x", "param_count" if measured else "formula"]
        )
    lstm_step = formula_params("lstm", steps=2, **sizes) - formula_params("lstm", steps=1, **sizes)
    findings = [
        "the formula G·H·(In+H+2)·T (+ head) equals param_count for every measured model"
        if not mismatches
        else f"MISMATCH between formula and param_count: {mismatches}",
        "shared models: the same count at every T; the unshared baseline grows linearly, "
        f"{lstm_step:,} LSTM parameters per extra step",
    ]
    return StudyResult(
        name="params",
        title=f"Parameters against sequence length T (In={INPUT}, H={HIDDEN}, {CLASSES} classes)",
        settings={"input_size": INPUT, "hidden_size": HIDDEN, "num_classes": CLASSES},
        columns=[
            "T",
            *(f"shared {c}" for c in CELL_KINDS),
            *(f"unshared {c}" for c in CELL_KINDS),
            "unshared/shared (lstm)",
            "source",
        ],
        rows=rows,
        data={"points": points, "mismatches": mismatches},
        findings=findings,
        seconds=time.perf_counter() - start,
    )


def plot(result: StudyResult, fig: Any) -> None:
    """Log-log: parameters against T, shared (flat) and unshared (linear), per cell."""
    ax = fig.add_subplot(1, 1, 1)
    ts = [p["T"] for p in result.data["points"]]
    for c, colour in zip(CELL_KINDS, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        ax.plot(ts, [p["shared"][c] for p in result.data["points"]], "--", color=colour,
                label=f"shared {c}")  # fmt: skip
        ax.plot(ts, [p["unshared"][c] for p in result.data["points"]], "-o", color=colour,
                markersize=3, label=f"unshared {c}")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T (max_len of the unshared model)")
    ax.set_ylabel("parameters")
    ax.set_title(wrapped_title(result.title), fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
