"""`seqbucket bench`: the quick run end to end, and its bad input."""

from __future__ import annotations

import json

from seqbucket.bench.strategies import registry


def test_quick_bench_trains_every_strategy_and_writes_the_table(cli, tmp_path):
    out = tmp_path / "bench"
    proc = cli("bench", "japanese-vowels", "--quick", "--out", str(out), timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "bench.json").read_text())
    rows = {r["strategy"]: r for r in doc["summary"]}
    assert list(rows) == list(registry())  # every strategy, in the registry's order
    assert doc["command"].startswith("seqbucket bench japanese-vowels --quick")
    for name, row in rows.items():
        assert row["runs"] == 1 and row["tokens_per_s"]["median"] > 0, name
        assert 0.0 <= row["test_accuracy"]["median"] <= 1.0, name
        assert row["peak_saved_mb"] > 0, name
    # What each strategy is, seen in its figures: no padding one at a time or one length per
    # batch; pad-all pads most; the DataLoader and PackedSequence runs draw the same batches.
    assert rows["per-sample"]["padding_overhead"] == 0.0
    assert rows["per-length"]["padding_overhead"] == 0.0
    assert rows["pad-all"]["padding_overhead"] == max(r["padding_overhead"] for r in rows.values())
    assert rows["packed"]["padding_overhead"] == rows["dataloader"]["padding_overhead"]
    assert rows["per-length"]["repeat_pairs"] > rows["random"]["repeat_pairs"]
    runs = doc["runs"]
    assert all(len(r["records"]) == 2 for r in runs)  # --quick: 2 epochs each
    table = (out / "bench.md").read_text()
    assert table.startswith("```\nseqbucket bench japanese-vowels --quick")
    assert "| auto |" in table and "| packed |" in table
    assert "| strategy | real tok/s |" in proc.stdout
    assert "no ranking is supported" in table  # one seed each: no spread, no ranking
    # --report-only summarises the runs already there, training nothing.
    (out / "bench.md").unlink()
    proc = cli("bench", "japanese-vowels", "--quick", "--out", str(out), "--report-only",
               "--strategies", "auto,random")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    again = json.loads((out / "bench.json").read_text())
    assert [r["strategy"] for r in again["summary"]] == ["auto", "random"]
    assert sorted(r["strategy"] for r in again["runs"]) == ["auto", "random"]


def test_unknown_strategy_is_one_line(cli, one_line_error, tmp_path):
    proc = cli("bench", "japanese-vowels", "--strategies", "auto,nope", "--out", str(tmp_path))
    one_line_error(proc, "'nope'", "--strategies")
    proc = cli("bench", "japanese-vowels", "--repeats", "0", "--out", str(tmp_path))
    one_line_error(proc, "--repeats >= 1")


def test_every_strategy_trains_the_front_end_train_would_pick():
    import argparse

    from seqbucket.cli.bench import _base_config

    def base(*flags: str):
        args = argparse.Namespace(
            data="plaid", config=None, quick=True, epochs=5, model=None, hidden_size=None,
            frontend=None, batch_size=None, bidirectional=None, lr=None, seed=None, threads=None,
        )  # fmt: skip
        for flag in flags:
            key, _, value = flag.partition("=")
            setattr(args, key, value)
        return _base_config(args)

    # PLAID's median training length is about 300: train picks the conv front end there.
    picked = base()
    assert (picked.frontend, picked.pooling) == ("conv", "mean-max")
    raw = base("frontend=none")
    assert (raw.frontend, raw.pooling) == ("none", "last")
