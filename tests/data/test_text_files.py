"""CSV/TSV/JSONL records: text classification, shared vocabularies, series and tags."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqbucket.data import UNK_ID, load_dataset
from seqbucket.errors import ConfigError, DataError


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_csv_char_classification(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text('text,label\nhello,en\n"bonjour, toi",fr\nhi,en\n', encoding="utf-8")
    ds = load_dataset(path)
    assert ds.task == "classify" and ds.num_features is None and ds.label_names == ["en", "fr"]
    np.testing.assert_array_equal(ds.lengths, [5, 12, 2])
    assert ds.vocab.decode(ds[1].x) == list("bonjour, toi") and ds[1].y == 1


def test_tsv_word_tokens_named_columns_and_numeric_label_order(tmp_path):
    path = tmp_path / "data.tsv"
    path.write_text("id\tsentence\tstars\n1\tgood film .\t10\n2\tbad\t2\n", encoding="utf-8")
    ds = load_dataset(path, text_column="sentence", label_column="stars", tokenizer="word")
    # Numeric labels sort as numbers: "2" before "10".
    assert ds.label_names == ["2", "10"] and [ds[0].y, ds[1].y] == [1, 0]
    assert ds.vocab.decode(ds[0].x) == ["good", "film", "."]
    reg = load_dataset(path, text_column="sentence", label_column="stars", task="regress")
    assert reg.task == "regress" and reg[0].y == 10.0


def test_test_split_reuses_training_vocab_and_labels(tmp_path):
    train = load_dataset(_jsonl(tmp_path / "train.jsonl", [{"text": "ab", "label": "x"}]))
    test_path = _jsonl(tmp_path / "test.jsonl", [{"text": "abz", "label": "x"}])
    test = load_dataset(test_path, vocab=train.vocab, label_names=train.label_names)
    assert test.vocab is train.vocab
    assert test[0].x.tolist() == [train.vocab.id("a"), train.vocab.id("b"), UNK_ID]
    bad = _jsonl(
        tmp_path / "bad.jsonl", [{"text": "ab", "label": "x"}, {"text": "a", "label": "q"}]
    )
    with pytest.raises(DataError, match=r"bad\.jsonl line 2: label 'q' is not among the known"):
        load_dataset(bad, vocab=train.vocab, label_names=train.label_names)


def test_vocab_options(tmp_path):
    path = _jsonl(tmp_path / "v.jsonl", [{"text": "aaab", "label": 1}, {"text": "ac", "label": 2}])
    assert load_dataset(path, min_freq=2).vocab.tokens == ["<pad>", "<unk>", "a"]
    assert len(load_dataset(path, max_size=3).vocab) == 3


def test_prediction_input_without_labels(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\nabc\nd\n", encoding="utf-8")
    ds = load_dataset(path, require_labels=False)
    assert not ds.labelled and ds[0].y is None and len(ds) == 2


def test_jsonl_numeric_series(tmp_path):
    uni = load_dataset(_jsonl(tmp_path / "u.jsonl", [{"x": [1, 2, 3], "label": "a"}]))
    assert uni.num_features == 1 and uni[0].x.shape == (3, 1) and uni.vocab is None
    multi = load_dataset(
        _jsonl(tmp_path / "m.jsonl", [{"x": [[1, 2], [3, 4]]}, {"x": [[5, 6]]}]),
        require_labels=False,
    )
    assert multi.num_features == 2 and multi.lengths.tolist() == [2, 1]
    with pytest.raises(DataError, match=r"n\.jsonl line 1: value at step 2 channel 1 is NaN"):
        load_dataset(_jsonl(tmp_path / "n.jsonl", [{"x": [1.0, float("nan")], "label": 0}]))
    with pytest.raises(DataError, match=r"e\.jsonl line 1: empty sequence"):
        load_dataset(_jsonl(tmp_path / "e.jsonl", [{"x": [], "label": 0}]))


def test_jsonl_per_step_tags(tmp_path):
    path = _jsonl(
        tmp_path / "t.jsonl", [{"text": "ab", "label": ["B", "I"]}, {"text": "c", "label": ["B"]}]
    )
    ds = load_dataset(path)
    assert ds.task == "tag" and ds.label_names == ["B", "I"]
    assert ds[0].y.tolist() == [0, 1]
    bad = _jsonl(tmp_path / "tb.jsonl", [{"text": "ab", "label": ["B"]}])
    with pytest.raises(DataError, match=r"tb\.jsonl line 1: expected a list of 2 tags"):
        load_dataset(bad)


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        (
            "c.csv",
            "sentence,label\nhi,a\n",
            {},
            r"c\.csv line 1: no column 'text'; the header has sentence, label",
        ),
        ("c.csv", "text,y\nhi,a\n", {}, r"c\.csv line 1: no column 'label'"),
        ("c.csv", "text,label\n,a\n", {}, r"c\.csv line 2: empty sequence"),
        ("c.csv", "text,label\nhi,a,extra\n", {}, r"c\.csv line 2: expected 2 fields"),
        ("c.csv", "", {}, r"c\.csv: empty file"),
        (
            "j.jsonl",
            '{"text": "a", "label": 1}\n{"text": \n',
            {},
            r"j\.jsonl line 2: not valid JSON",
        ),
        ("j.jsonl", "[1, 2]\n", {}, r"j\.jsonl line 1: expected a JSON object"),
        ("j.jsonl", '{"text": "a"}\n', {}, r"j\.jsonl line 1: no label field 'label'"),
        (
            "j.jsonl",
            '{"text": "a", "label": "x"}\n{"body": "b"}\n',
            {},
            r"j\.jsonl line 2: no field 'text'",
        ),
        (
            "r.jsonl",
            '{"text": "a", "label": "x"}\n',
            {"task": "regress"},
            r"r\.jsonl line 1: target 'x' is not a number",
        ),
    ],
)
def test_bad_records(tmp_path, name, content, options, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_dataset(path, **options)


def test_bad_options(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("text,label\nhi,a\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="tokenizer must be one of"):
        load_dataset(path, tokenizer="bpe")
    with pytest.raises(ConfigError, match=r"option 'mode' does not apply to \.csv files"):
        load_dataset(path, mode="chunk")
