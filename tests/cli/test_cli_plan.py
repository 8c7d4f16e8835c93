"""`seqbucket plan`, end to end in a subprocess."""

from __future__ import annotations

import sys
from pathlib import Path


def _write_ts(path: Path, lengths: list[int]) -> None:
    rows = [",".join(["0.5"] * n) + f":{i % 2}" for i, n in enumerate(lengths)]
    path.write_text(
        "@problemName tiny\n@timeStamps false\n@missing false\n@univariate true\n"
        "@equalLength false\n@classLabel true 0 1\n@data\n" + "\n".join(rows) + "\n"
    )


def test_plan_prints_the_report_and_plots(tmp_path, cli):
    out_png = tmp_path / "lengths.png"
    out = cli("plan", "plaid", "--world-size", "2", "--plot", str(out_png))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "strategy auto" in text and "total" in text and "plane: padding" in text
    assert "measured repeat-pair fraction of epoch 0 vs the 10 epochs after it: mean" in text
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_buckets_on_a_small_ts_file(tmp_path, cli):
    data = tmp_path / "tiny.ts"
    _write_ts(data, [3, 5, 8, 8, 12, 20, 4, 6, 9, 15])
    out = cli("plan", str(data), "--strategy", "buckets:5,10,20", "--batch-size", "2")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()]
    assert [r[1] for r in rows if r and r[0] in {"0", "1", "2"}] == ["5", "10", "20"]


def test_bad_input_exits_2_with_one_line(tmp_path, cli):
    data = tmp_path / "tiny.ts"
    _write_ts(data, [3, 5, 8, 30])
    for args, needle in [
        (["--strategy", "buckets:5,10"], "got 1 longer sequence (longest 30"),
        (["--strategy", "buckets:10,5"], "strictly increasing, got unsorted 10,5"),
        (["--batch-size", "0"], "batch size must be at least 1, got 0"),
        (["--max-tokens", "10"], "at least the longest padded length 30"),
    ]:
        out = cli("plan", str(data), *args)
        assert out.returncode == 2, out.stdout
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("seqbucket: error: ")
        assert needle in lines[0]


def test_plot_without_matplotlib_is_a_clear_error(monkeypatch, tmp_path):
    import numpy as np
    import pytest

    from seqbucket.cli.plan import plot_lengths
    from seqbucket.errors import ConfigError

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ConfigError, match=r"needs matplotlib \(the 'plot' extra"):
        plot_lengths(np.array([3, 4, 5]), (4, 5), str(tmp_path / "x.png"), title="t")
