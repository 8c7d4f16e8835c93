"""Tokenizers and the vocabulary: specials, min_freq/max_size, unknowns, JSON round trip."""

from __future__ import annotations

import pytest

from seqbucket.data import PAD_ID, UNK_ID, Vocab, char_tokenize, get_tokenizer, word_tokenize
from seqbucket.errors import ConfigError, DataError


def test_tokenizers():
    assert char_tokenize("ab c") == ["a", "b", " ", "c"]
    assert word_tokenize("Hello, world! It's 2024.") == [
        "Hello", ",", "world", "!", "It", "'", "s", "2024", ".",
    ]  # fmt: skip
    assert get_tokenizer("word") is word_tokenize
    with pytest.raises(ConfigError, match="tokenizer must be one of char, word"):
        get_tokenizer("bpe")


def test_build_orders_by_frequency_with_specials_first():
    v = Vocab.build([["b", "a", "b"], ["c", "b", "a"]])
    assert v.tokens == ["<pad>", "<unk>", "b", "a", "c"]
    assert (PAD_ID, UNK_ID) == (0, 1) and v.id("<pad>") == 0 and v.id("<unk>") == 1


def test_min_freq_and_max_size():
    lists = [list("aaaabbbcc d")]
    assert Vocab.build(lists, min_freq=3).tokens == ["<pad>", "<unk>", "a", "b"]
    # max_size counts the specials too.
    assert Vocab.build(lists, max_size=3).tokens == ["<pad>", "<unk>", "a"]
    with pytest.raises(ConfigError, match="min_freq"):
        Vocab.build(lists, min_freq=0)
    with pytest.raises(ConfigError, match="max_size"):
        Vocab.build(lists, max_size=1)


def test_unknown_tokens_map_to_unk_and_never_crash():
    v = Vocab.build([list("abc")])
    ids = v.encode(list("abzq"))
    assert ids.dtype.name == "int64"
    assert ids.tolist() == [v.id("a"), v.id("b"), UNK_ID, UNK_ID]
    assert v.encode([]).tolist() == []
    assert v.decode(ids) == ["a", "b", "<unk>", "<unk>"]
    with pytest.raises(DataError, match="outside the vocabulary"):
        v.decode([99])


def test_json_round_trip(tmp_path):
    v = Vocab.build([list("héllo wörld")])
    assert Vocab.from_json(v.to_json()) == v
    v.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path / "vocab.json") == v
    (tmp_path / "bad.json").write_text('{"words": []}')
    with pytest.raises(DataError, match=r"bad\.json"):
        Vocab.load(tmp_path / "bad.json")
    with pytest.raises(DataError, match="must start with"):
        Vocab(["a", "b"])
