"""`seqbucket study` end to end in a subprocess: outputs, and one-line errors."""

from __future__ import annotations

import json

from seqbucket.bench.study import STUDIES
from seqbucket.cli.study import STUDY_NAMES


def test_cli_names_are_the_registry() -> None:
    assert STUDY_NAMES == tuple(STUDIES)


def test_study_params_quick_writes_three_files(cli, tmp_path) -> None:
    proc = cli("study", "params", "--quick", "--out", str(tmp_path), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "| T | shared rnn |" in proc.stdout and proc.stderr == ""
    assert {p.name for p in tmp_path.iterdir()} == {"params.json", "params.md", "params.png"}
    assert json.loads((tmp_path / "params.json").read_text())["name"] == "params"


def test_unknown_study_is_a_one_line_error(cli, one_line_error, tmp_path) -> None:
    proc = cli("study", "paramz", "--out", str(tmp_path))
    one_line_error(proc, "expected a study among params, unseen-lengths, position, order")
