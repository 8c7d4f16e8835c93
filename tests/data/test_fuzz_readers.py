"""Fuzzing the file readers: random, mostly malformed CSV, JSONL, ``.ts`` and NPZ files.

Invariant: ``load_dataset`` either returns a consistent dataset or raises a ``SeqbucketError``
(one line for the user), never another exception. Files are built from the pieces each format
is made of (separators, quotes, numbers, labels, headers), so most draws are near-misses of a
valid file rather than noise the reader rejects at the first byte.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqbucket.data import SequenceDataset, load_dataset
from seqbucket.errors import SeqbucketError

# Shared by every test here: tmp_path is reused across draws, each draw writes a fresh file.
FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])

_FIELD = st.sampled_from(
    ["", "a", "hello world", "3", "1.5", "-2", "nan", "inf", "1e400", '"', '"x,y"', " ", "é", "\t"]
)
_JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "a", "b c", "1", "1.0"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("xyz"), inner),
    max_leaves=6,
)


def _check(path: Path, **options: object) -> None:
    try:
        ds = load_dataset(path, **options)
    except SeqbucketError:
        return
    # Loaded: it must be a consistent dataset (every example non-empty, targets aligned).
    assert isinstance(ds, SequenceDataset)
    assert len(ds) >= 1 and int(ds.lengths.min()) >= 1
    if ds.labelled and ds.task == "classify":
        targets = np.asarray(ds.targets)
        assert targets.dtype == np.int64 and len(targets) == len(ds)
        if ds.label_names is not None:
            assert 0 <= targets.min() and targets.max() < len(ds.label_names)


@FUZZ
@given(
    header=st.lists(st.sampled_from(["text", "label", "x", "", "text"]), min_size=0, max_size=3),
    rows=st.lists(st.lists(_FIELD, max_size=3), max_size=6),
    sep=st.sampled_from([",", "\t"]),
    task=st.sampled_from([None, "classify", "regress"]),
)
def test_csv_and_tsv(tmp_path, header, rows, sep, task):
    suffix = "csv" if sep == "," else "tsv"
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    path = tmp_path / f"fuzz.{suffix}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(path, **({"task": task} if task else {}))


@FUZZ
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(["text", "label", "x", "y"]), _JSON_VALUE, max_size=3)
        | _JSON_VALUE,
        max_size=6,
    ),
    garbage=st.sampled_from(["", "{", "not json", "[1,", "\x00"]),
    task=st.sampled_from([None, "classify", "regress"]),
)
def test_jsonl(tmp_path, records, garbage, task):
    lines = [json.dumps(r) for r in records] + ([garbage] if garbage else [])
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(path, **({"task": task} if task else {}))


_TS_HEADERS = [
    "@problemName fuzz",
    "@timeStamps false",
    "@timeStamps true",
    "@missing false",
    "@univariate true",
    "@univariate false",
    "@dimensions 2",
    "@dimensions x",
    "@equalLength false",
    "@seriesLength 3",
    "@classLabel true a b",
    "@classLabel true",
    "@classLabel false",
    "@targetLabel true",
    "@unknown 1",
    "# comment",
]
_TS_ROW = st.lists(
    st.sampled_from(["1", "2.5", "-1", "?", "NaN", "", "x", "1e40"]), min_size=0, max_size=4
).map(",".join)


@FUZZ
@given(
    headers=st.lists(st.sampled_from(_TS_HEADERS), max_size=6),
    data=st.booleans(),
    rows=st.lists(
        st.tuples(st.lists(_TS_ROW, min_size=1, max_size=3), st.sampled_from(["a", "b", "c", ""])),
        max_size=5,
    ),
)
def test_ts(tmp_path, headers, data, rows):
    lines = list(headers) + (["@data"] if data else [])
    lines += [":".join([*channels, label]) for channels, label in rows]
    path = tmp_path / "fuzz.ts"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _check(path)


_ARRAYS = st.sampled_from(
    [
        np.zeros(0),
        np.array([0, 2, 5]),
        np.array([0, 3, 2]),
        np.array([0.0, 2.0, 5.0]),
        np.ones((5, 2), np.float32),
        np.ones((5,), np.int64),
        np.array([np.nan] * 5),
        np.array([0, 1]),
        np.array([0.5, 1.5]),
        np.array([True, False]),
        np.array(["a", "b"]),
        np.array("classify"),
        np.array("regress"),
        np.array("tag"),
        np.array("bogus"),
        np.array(3),
    ]
)


@FUZZ
@given(
    arrays=st.dictionaries(
        st.sampled_from(["values", "offsets", "targets", "task", "label_names", "labels"]),
        _ARRAYS,
        max_size=5,
    ),
    damage=st.sampled_from(["none", "truncate", "not-zip", "empty"]),
)
def test_npz(tmp_path, arrays, damage):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    raw = buffer.getvalue()
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "not-zip":
        raw = b"this is not a zip archive\n"
    elif damage == "empty":
        raw = b""
    path = tmp_path / "fuzz.npz"
    path.write_bytes(raw)
    _check(path)


@pytest.mark.parametrize("member", ["values.npy", "junk.txt"])
def test_npz_with_a_corrupt_member(tmp_path, member):
    # A zip whose member is not a .npy array: numpy raises its own errors inside.
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, b"\x93NUMPY garbage")
    _check(path)
