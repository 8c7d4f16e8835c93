"""``word-language``: which language is this word? A real text set built offline from ``wordfreq``.

Character-level sequence classification. For each of six languages (en, de, fr, es, it, nl) take
the ``TOP_N`` most frequent words of wordfreq's ``small`` list, keep words of at least two
letters (``str.isalpha``), and drop every word that appears in more than one language's list (its
label would be ambiguous). A word goes to the test split when ``crc32(word) % 5 == 0`` (about
20%), so the split is deterministic and does not depend on ``TOP_N`` or the language set.
``x`` is the word's characters as ids of a vocabulary built from the training split (a test
character never seen in training maps to ``<unk>``); ``y`` is the language.

Needs the optional ``text`` extra (``pip install seqbucket[text]``). wordfreq's code is
Apache-2.0 and its word lists CC BY-SA 4.0 (see ``seqbucket/datasets/README.md``); nothing of it
is copied into seqbucket: the set is built from the installed package at load time (~0.1 s).
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

from seqbucket.data.example import SequenceDataset
from seqbucket.data.vocab import Vocab
from seqbucket.errors import SeqbucketError

LANGUAGES = ("en", "de", "fr", "es", "it", "nl")
TOP_N = 2000  # words per language before de-duplication: ~9,000 words, lengths 2 to ~15
TEST_MODULUS = 5  # crc32(word) % 5 == 0 -> test: a stable ~20% split
DESCRIPTION = (
    f"which of {len(LANGUAGES)} languages ({', '.join(LANGUAGES)}) a word is from, char-level; "
    f"top {TOP_N} words each from wordfreq, shared words dropped"
)


class MissingExtraError(SeqbucketError, ImportError):
    """An optional dependency (extra) that a feature needs is not installed."""


def wordfreq_available() -> bool:
    """Whether the ``text`` extra (wordfreq) is importable."""
    try:
        import wordfreq  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _words() -> tuple[tuple[str, int, bool], ...]:
    """``(word, language id, is_test)`` for every kept word, in language then rank order."""
    try:
        import wordfreq
    except ImportError:
        raise MissingExtraError(
            "the word-language dataset needs wordfreq: pip install seqbucket[text]"
        ) from None
    lists = {
        lang: [w for w in wordfreq.top_n_list(lang, TOP_N, wordlist="small") if len(w) >= 2]
        for lang in LANGUAGES
    }
    seen: dict[str, int] = {}
    for words in lists.values():
        for w in set(words):
            seen[w] = seen.get(w, 0) + 1
    out = []
    for k, lang in enumerate(LANGUAGES):
        for w in lists[lang]:
            if w.isalpha() and seen[w] == 1:
                out.append((w, k, zlib.crc32(w.encode("utf-8")) % TEST_MODULUS == 0))
    return tuple(out)


def load_word_language(split: str, vocab: Vocab | None = None) -> SequenceDataset:
    """The ``train`` or ``test`` split; ``vocab`` defaults to the training split's characters."""
    words = _words()
    train_words = [w for w, _, test in words if not test]
    if vocab is None:
        vocab = Vocab.build(train_words)
    chosen = [(w, k) for w, k, test in words if test == (split == "test")]
    lengths = np.fromiter((len(w) for w, _ in chosen), dtype=np.int64, count=len(chosen))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = vocab.encode([c for w, _ in chosen for c in w])
    targets = np.fromiter((k for _, k in chosen), dtype=np.int64, count=len(chosen))
    return SequenceDataset(
        values,
        offsets,
        targets,
        "classify",
        name=f"word-language-{split}",
        vocab=vocab,
        label_names=list(LANGUAGES),
    )
