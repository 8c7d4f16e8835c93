"""The .ts reader on the embedded archive files and on every kind of broken file."""

from __future__ import annotations

import gzip
import time
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqbucket.data import load_dataset, parse_ts, read_ts
from seqbucket.errors import DataError, MissingFileError

HEADER = """# a comment
@problemName Toy
@timeStamps false
@missing false
@univariate false
@dimensions 2
@equalLength false
@classLabel true a b c
@data
"""


def _write(tmp_path, body, header=HEADER, name="TOY.ts"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def test_multivariate_unequal_lengths(tmp_path):
    ds = read_ts(_write(tmp_path, "1,2,3:4,5,6:b\n7:8:a\n"))
    assert ds.task == "classify" and ds.num_features == 2 and ds.label_names == ["a", "b", "c"]
    np.testing.assert_array_equal(ds.lengths, [3, 1])
    np.testing.assert_array_equal(ds[0].x, [[1, 4], [2, 5], [3, 6]])  # (T, F)
    assert ds[0].x.dtype == np.float32 and ds[0].y == 1 and ds[1].y == 0


def test_univariate_regression_and_training_label_order(tmp_path):
    head = "@problemName R\n@univariate true\n@equalLength true\n@seriesLength 2\n"
    ds = read_ts(_write(tmp_path, "1,2:0.5\n3,4:-2\n", head + "@targetLabel true\n@data\n"))
    assert ds.task == "regress" and ds.num_features == 1 and ds[1].y == -2.0
    # A test split reuses the training label order.
    path = _write(tmp_path, "1:1:c\n2:2:a\n")
    assert [read_ts(path, label_names=["c", "b", "a"])[i].y for i in (0, 1)] == [0, 2]
    with pytest.raises(DataError, match=r"TOY.ts line 10: label 'c' is not among the training"):
        read_ts(path, label_names=["a", "b"])
    unlabelled = read_ts(path, require_labels=False)
    assert not unlabelled.labelled and unlabelled[0].y is None


def test_embedded_copies_read_as_published():
    jv_train, jv_test = load_dataset("japanese-vowels"), load_dataset("japanese-vowels", "test")
    assert (len(jv_train), len(jv_test), jv_train.num_features) == (270, 370, 12)
    assert jv_train.label_names == [str(i) for i in range(1, 10)]
    assert (int(jv_test.lengths.min()), int(jv_test.lengths.max())) == (7, 29)
    plaid = load_dataset("plaid", "all")
    assert len(plaid) == 1074 and plaid.num_features == 1 and len(plaid.label_names) == 11
    assert (int(plaid.lengths.min()), int(plaid.lengths.max())) == (100, 1344)
    # Every series of the archive files is finite, and every class occurs.
    assert np.isfinite(plaid.values).all()
    assert sorted(set(plaid.targets.tolist())) == list(range(11))


def test_embedded_copies_keep_attribution():
    raw = (
        resources.files("seqbucket").joinpath("datasets").joinpath("PLAID_TRAIN.ts.gz").read_bytes()
    )
    comments = [ln for ln in gzip.decompress(raw).decode("utf-8").splitlines() if ln[:1] == "#"]
    assert len(comments) == 24
    assert any("Gao, Jingkun" in ln for ln in comments)


def test_reading_plaid_is_fast(tmp_path):
    raw = (
        resources.files("seqbucket").joinpath("datasets").joinpath("PLAID_TEST.ts.gz").read_bytes()
    )
    path = tmp_path / "PLAID_TEST.ts"
    path.write_bytes(gzip.decompress(raw))
    start = time.perf_counter()
    ds = read_ts(path)
    elapsed = time.perf_counter() - start
    assert len(ds) == 537
    assert elapsed < 1.0, f"reading PLAID_TEST.ts took {elapsed:.2f} s"  # ~0.03 s measured


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1,2:3,4:a\n:5:a\n", r"TOY.ts line 11 channel 1: empty sequence"),
        ("1,2:3,4:a\n1,2:3:a\n", r"TOY.ts line 11: channels have different lengths \(2, 1\)"),
        (
            "1,2:3,4:a\n1,2:a\n",
            r"TOY.ts line 11: expected 2 channels as declared by @dimensions, got 1",
        ),
        ("1,NaN:3,4:a\n", r"TOY.ts line 10 channel 1 step 2: value 'NaN' is not finite"),
        ("1,2:3,inf:a\n", r"TOY.ts line 10 channel 2 step 2: value 'inf' is not finite"),
        ("1,2:3,-1e99:a\n", r"TOY.ts line 10 channel 2 step 2: value '-1e99' is not finite"),
        ("1,?:3,4:a\n", r"TOY.ts line 10 channel 1 step 2: missing value '\?'"),
        ("1,x2:3,4:a\n", r"TOY.ts line 10 channel 1 step 2: cannot read 'x2'"),
        ("1,2:3,4:z\n", r"TOY.ts line 10: label 'z' is not declared in @classLabel \(a b c\)"),
        ("1,2\n", r"TOY.ts line 10: expected channel values then ':' and a label"),
        ("", r"TOY.ts: no examples after @data"),
    ],
)
def test_bad_data_lines(tmp_path, body, message):
    with pytest.raises(DataError, match=message):
        read_ts(_write(tmp_path, body))


def test_univariate_file_with_two_channels(tmp_path):
    head = "@problemName PLAID\n@univariate true\n@classLabel true 0 1\n@data\n"
    with pytest.raises(
        DataError, match="expected 1 channel as declared by @univariate true, got 2"
    ):
        read_ts(_write(tmp_path, "1,2:0\n1,2:3,4:1\n", head, name="PLAID_TRAIN.ts"))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("@timeStamps true\n@classLabel true a\n@data\n", "@timeStamps true is not supported"),
        ("@classLabel true a\n1,2:a\n", "line 2: data before the @data header line"),
        ("@classLabel true a\n", "no @data line"),
        ("@colour blue\n@data\n", "unknown header @colour"),
        ("@dimensions two\n@data\n", "@dimensions must be a whole number"),
        ("@classLabel true\n@data\n", "@classLabel true declares no labels"),
        ("@data\n1,2\n", "no labels .* declared"),
        (
            "@equalLength true\n@seriesLength 3\n@classLabel true a\n@data\n1,2:a\n",
            "length 2, but @equalLength true requires 3",
        ),
    ],
)
def test_bad_headers(tmp_path, header, message):
    with pytest.raises(DataError, match=message):
        read_ts(_write(tmp_path, "", header=header))


def test_unreadable_files(tmp_path):
    with pytest.raises(MissingFileError, match=r"file not found: .*nope\.ts"):
        read_ts(tmp_path / "nope.ts")
    (tmp_path / "dir.ts").mkdir()
    with pytest.raises(MissingFileError, match=r"dir\.ts is a directory"):
        read_ts(tmp_path / "dir.ts")
    (tmp_path / "junk.ts").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match=r"junk\.ts: binary data"):
        read_ts(tmp_path / "junk.ts")
    (tmp_path / "latin.ts").write_bytes(b"# caf\xe9\n@data\n")
    with pytest.raises(DataError, match=r"latin\.ts line 1: not UTF-8"):
        read_ts(tmp_path / "latin.ts")
    # parse_ts takes text, for callers that already hold it.
    assert len(parse_ts(HEADER + "1:2:a\n", "mem.ts")) == 1


@given(
    series=st.lists(st.tuples(st.integers(1, 6), st.integers(0, 2)), min_size=1, max_size=6),
    channels=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_written_series_read_back_exactly(series, channels, seed):
    # Invariant: float32 values written with repr() read back bit for bit, in (T, F) layout.
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal((t, channels)).astype(np.float32) for t, _ in series]
    lines = [
        ":".join(",".join(repr(float(v)) for v in x[:, f]) for f in range(channels)) + f":{y}"
        for x, (_, y) in zip(xs, series, strict=True)
    ]
    text = f"@problemName P\n@dimensions\t{channels}\n@classLabel true 0 1 2\n@data\n"
    ds = parse_ts(text + "\n".join(lines), "P.ts")
    assert ds.lengths.tolist() == [t for t, _ in series]
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(ds[i].x, x)
        assert ds[i].y == series[i][1]
