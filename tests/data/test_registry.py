"""load_dataset / list_datasets: embedded names, splits, paths, max_length policies."""

from __future__ import annotations

import numpy as np
import pytest

from seqbucket.data import (
    SequenceDataset,
    apply_max_length,
    dataset_names,
    list_datasets,
    load_dataset,
)
from seqbucket.errors import ConfigError, DataError, MissingFileError


def test_splits_and_all():
    train, test = load_dataset("plaid"), load_dataset("plaid", "test")
    both = load_dataset("plaid", "all")
    assert len(both) == len(train) + len(test) == 1074
    np.testing.assert_array_equal(both.lengths, np.concatenate([train.lengths, test.lengths]))
    np.testing.assert_array_equal(both[537].x, test[0].x)
    assert train.name == "plaid-train" and both.name == "plaid-all"
    with pytest.raises(ConfigError, match="split must be one of train, test, all"):
        load_dataset("plaid", "valid")


def test_calls_return_independent_datasets():
    a, b = load_dataset("japanese-vowels"), load_dataset("japanese-vowels")
    a.name = "changed"
    assert a is not b and b.name == "japanese-vowels-train"


def test_label_order_of_a_training_run_is_applied():
    names = [str(i) for i in range(9, 0, -1)]  # reversed order
    ds = load_dataset("japanese-vowels", label_names=names)
    plain = load_dataset("japanese-vowels")
    assert ds.label_names == names
    np.testing.assert_array_equal(ds.targets, 8 - plain.targets)
    with pytest.raises(DataError, match=r"label '9' is not among the known labels"):
        load_dataset("japanese-vowels", label_names=[str(i) for i in range(1, 9)])


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(
        DataError, match=r"unknown dataset 'vowels'.*japanese-vowels, plaid, word-language"
    ):
        load_dataset("vowels")
    assert dataset_names() == ["japanese-vowels", "plaid", "word-language"]


def test_missing_and_unsupported_paths(tmp_path):
    with pytest.raises(MissingFileError, match=r"file not found: .*absent\.csv"):
        load_dataset(str(tmp_path / "absent.csv"))
    with pytest.raises(MissingFileError, match="is a directory"):
        load_dataset(tmp_path)
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"unsupported file type '\.parquet'"):
        load_dataset(tmp_path / "x.parquet")
    with pytest.raises(ConfigError, match="do not apply to the embedded data set"):
        load_dataset("plaid", tokenizer="word")


def test_max_length_policies_say_how_many():
    with pytest.raises(
        DataError,
        match=r"plaid-train: 5 of 537 examples are longer than max_length=900 \(longest 1344",
    ):
        load_dataset("plaid", max_length=900)
    dropped = load_dataset("plaid", max_length=900, overlong="drop")
    assert len(dropped) == 532 and int(dropped.lengths.max()) <= 900
    assert str(dropped.overlong_report) == (
        "5 of 537 examples longer than max_length=900 (longest 1344) dropped (overlong='drop')"
    )
    cut = load_dataset("plaid", max_length=900, overlong="truncate")
    full = load_dataset("plaid")
    assert len(cut) == 537 and int(cut.lengths.max()) == 900
    assert cut.overlong_report.affected == 5 and cut.overlong_report.policy == "truncate"
    i = int(np.argmax(full.lengths))
    np.testing.assert_array_equal(cut[i].x, full[i].x[:900])  # the first N steps are kept
    assert load_dataset("plaid", max_length=2000).overlong_report is None
    with pytest.raises(ConfigError, match="overlong must be one of"):
        load_dataset("plaid", max_length=10, overlong="clip")
    with pytest.raises(ConfigError, match="needs max_length"):
        load_dataset("plaid", overlong="drop")


def test_truncate_cuts_per_step_targets_too():
    ids = np.arange(10, dtype=np.int64)
    ds = SequenceDataset(ids, [0, 7, 10], ids + 100, "lm", name="toy")
    cut = apply_max_length(ds, 4, "truncate")
    assert cut.lengths.tolist() == [4, 3]
    assert cut[0].y.tolist() == [100, 101, 102, 103] and cut[1].x.tolist() == [7, 8, 9]
    with pytest.raises(DataError, match="dropping them leaves nothing"):
        apply_max_length(ds, 2, "drop")


def test_list_datasets():
    infos = {i.name: i for i in list_datasets()}
    jv = infos["japanese-vowels"]
    assert (
        jv.splits == {"train": 270, "test": 370} and jv.num_features == 12 and jv.num_classes == 9
    )
    assert (jv.min_length, jv.max_length) == (7, 29)
    assert infos["plaid"].splits == {"train": 537, "test": 537}


def test_word_language():
    pytest.importorskip("wordfreq")
    train, test = load_dataset("word-language"), load_dataset("word-language", "test")
    assert train.task == "classify" and train.num_features is None
    assert train.label_names == ["en", "de", "fr", "es", "it", "nl"]
    assert test.vocab == train.vocab  # test is encoded with the training characters
    words = lambda ds: {"".join(ds.vocab.decode(ds[i].x)) for i in range(len(ds))}  # noqa: E731
    assert not words(train) & words(test)  # no word in both splits
    assert 1500 < len(test) < len(train)
    assert set(np.unique(train.targets).tolist()) == set(range(6))


def test_word_language_without_the_extra(monkeypatch):
    import builtins

    from seqbucket.data import word_language

    real_import = builtins.__import__

    def no_wordfreq(name, *args, **kwargs):
        if name == "wordfreq":
            raise ImportError("no wordfreq")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wordfreq)
    word_language._words.cache_clear()
    try:
        with pytest.raises(word_language.MissingExtraError, match=r"pip install seqbucket\[text\]"):
            word_language.load_word_language("train")
        assert not word_language.wordfreq_available()
        info = {i.name: i for i in list_datasets()}["word-language"]
        assert not info.available and info.requires == "pip install seqbucket[text]"
    finally:
        monkeypatch.undo()
        word_language._words.cache_clear()
