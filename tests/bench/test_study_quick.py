"""Every study's ``--quick`` variant end to end (in-process): it trains, scores, and writes a JSON,
a Markdown table and a PNG that agree with each other. Quick numbers are not findings, so only
what must hold at any size is asserted."""

from __future__ import annotations

import json

import pytest

from seqbucket.bench.study import STUDIES, params, run_study
from seqbucket.errors import ConfigError

EXPECTED_ROWS = {"params": 2, "unseen-lengths": 5, "position": 2, "order": 2}


@pytest.mark.parametrize("name", list(STUDIES))
def test_quick_study_writes_consistent_outputs(name: str, tmp_path) -> None:
    lines: list[str] = []
    result, paths = run_study(name, quick=True, out=tmp_path, log=lines.append)
    assert [p.name for p in paths] == [f"{name}.json", f"{name}.md", f"{name}.png"]
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads(paths[0].read_text())
    assert saved["rows"] == result.rows and len(result.rows) == EXPECTED_ROWS[name]
    assert all(len(row) == len(result.columns) for row in result.rows)
    md = paths[1].read_text()
    assert md == result.markdown() and all(f"- {f}" in md for f in result.findings)
    assert result.findings and lines  # something to say, and progress was reported
    if name != "params":
        assert saved["settings"]["seeds"] == 2
        assert all(("separated" in f) or ("chance" in f) for f in result.findings)


def test_params_quick_counts_agree_with_the_formula(tmp_path) -> None:
    result, _ = run_study("params", quick=True, out=tmp_path)
    assert result.data["mismatches"] == []
    first, last = result.data["points"]
    assert first["shared"] == last["shared"]  # sharing: the count does not grow with T
    head = params.CLASSES * params.HIDDEN + params.CLASSES
    for cell in ("rnn", "gru", "lstm"):  # unshared: recurrent parameters proportional to T
        grown, small = last["unshared"][cell] - head, first["unshared"][cell] - head
        assert grown * first["T"] == small * last["T"]


def test_unknown_study_and_too_few_seeds_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="expected a study among params"):
        run_study("nope", out=tmp_path)
    with pytest.raises(ConfigError, match="at least 2"):
        run_study("params", seeds=1, out=tmp_path)
