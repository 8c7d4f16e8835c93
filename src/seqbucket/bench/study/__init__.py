"""``seqbucket study NAME``: what parameter sharing buys, measured.

Each study is one module with ``run(*, quick, seeds, log) -> StudyResult`` and
``plot(result, figure)``; :func:`run_study` runs one and writes its JSON, Markdown and PNG.

- ``params``: parameter counts, shared against unshared, T = 5..100 (and beyond, by formula).
- ``unseen-lengths``: trained on <= 20 steps, tested on 21..100 (shared vs both workarounds).
- ``position``: a phrase at any step; accuracy against training examples, and at unseen steps.
- ``order``: only word order decides; RNN vs an order-blind bag of embeddings, same budget.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from seqbucket.bench.study.output import StudyResult, require_matplotlib, write_outputs
from seqbucket.errors import ConfigError

# CLI name -> module under seqbucket.bench.study: the one registry of studies.
STUDIES = {
    "params": "params",
    "unseen-lengths": "unseen_lengths",
    "position": "position",
    "order": "order",
}


def run_study(
    name: str,
    *,
    quick: bool = False,
    seeds: int | None = None,
    out: str | Path = "studies",
    log: Callable[[str], None] = lambda _: None,
) -> tuple[StudyResult, list[Path]]:
    """Run study ``name`` and write ``<out>/<name>.json|.md|.png``; return the result and paths."""
    if name not in STUDIES:
        raise ConfigError(f"expected a study among {', '.join(STUDIES)}, got {name!r}")
    if seeds is not None and seeds < 2:
        raise ConfigError(
            f"--seeds: expected at least 2 (an interval needs two values), got {seeds}"
        )
    require_matplotlib()
    module = importlib.import_module(f"seqbucket.bench.study.{STUDIES[name]}")
    result: StudyResult = module.run(quick=quick, seeds=seeds, log=log)
    return result, write_outputs(result, out, module.plot)


__all__ = ["STUDIES", "StudyResult", "run_study"]
