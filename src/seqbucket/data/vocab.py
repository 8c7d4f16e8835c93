"""Vocabulary: token strings <-> int64 ids, with ``<pad>`` = 0 and ``<unk>`` = 1.

Ids ``0 .. len(specials)-1`` are the special tokens (``<pad>`` first, so that zero padding is
the pad id; ``<unk>`` second). Ordinary tokens follow by decreasing frequency, ties broken by
first appearance, so a vocabulary built twice from the same data is identical. A token that is
not in the vocabulary encodes to ``<unk>``: encoding never fails.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from seqbucket.errors import ConfigError, DataError, MissingFileError

PAD = "<pad>"
UNK = "<unk>"
BOS = "<bos>"
EOS = "<eos>"
DEFAULT_SPECIALS = (PAD, UNK)
PAD_ID = 0
UNK_ID = 1


class Vocab:
    """An ordered list of tokens; ``tokens[i]`` has id ``i``.

    Args:
        tokens: every token in id order, starting with ``<pad>`` then ``<unk>``.
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:2] != [PAD, UNK]:
            raise DataError(f"a vocabulary must start with {PAD!r}, {UNK!r}; got {tokens[:2]!r}")
        index = {tok: i for i, tok in enumerate(tokens)}
        if len(index) != len(tokens):
            dup = next(t for t in tokens if tokens.count(t) > 1)
            raise DataError(f"vocabulary token {dup!r} appears more than once")
        self.tokens = tokens
        self._index = index

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        min_freq: int = 1,
        max_size: int | None = None,
        specials: Sequence[str] = DEFAULT_SPECIALS,
    ) -> Vocab:
        """Count tokens and keep those seen at least ``min_freq`` times.

        ``max_size`` caps the total size, special tokens included (so ``max_size=1000`` gives
        ids ``0..999``). ``specials`` must start with ``<pad>``, ``<unk>``; a language model adds
        ``<bos>``, ``<eos>``.
        """
        if min_freq < 1:
            raise ConfigError(f"min_freq must be at least 1, got {min_freq}")
        specials = list(specials)
        if max_size is not None and max_size < len(specials):
            raise ConfigError(
                f"max_size must be at least {len(specials)} (the special tokens), got {max_size}"
            )
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        for s in specials:
            counts.pop(s, None)
        # Counter.most_common is stable: equal counts keep first-seen order (deterministic).
        kept = [tok for tok, c in counts.most_common() if c >= min_freq]
        if max_size is not None:
            kept = kept[: max_size - len(specials)]
        return cls(specials + kept)

    # -- lookups -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.tokens == self.tokens

    def __hash__(self) -> int:
        return hash(tuple(self.tokens))

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)})"

    @property
    def pad_id(self) -> int:
        return PAD_ID

    @property
    def unk_id(self) -> int:
        return UNK_ID

    def id(self, token: str) -> int:
        """The id of ``token``, or ``<unk>``'s id."""
        return self._index.get(token, UNK_ID)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """``np.int64 (len(tokens),)`` ids; unknown tokens become ``<unk>`` (1)."""
        get = self._index.get
        return np.fromiter((get(t, UNK_ID) for t in tokens), dtype=np.int64, count=len(tokens))

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Token strings of ``ids``; an id outside the vocabulary raises ``DataError``."""
        out = []
        for i in ids:
            if not 0 <= int(i) < len(self.tokens):
                raise DataError(f"token id {int(i)} outside the vocabulary of {len(self)} tokens")
            out.append(self.tokens[int(i)])
        return out

    # -- persistence ---------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"tokens": self.tokens}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, source: str = "vocabulary") -> Vocab:
        try:
            data = json.loads(text)
            tokens = data["tokens"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(
                f"{source}: expected a JSON object with a 'tokens' list ({exc})"
            ) from None
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise DataError(f"{source}: 'tokens' must be a list of strings")
        return cls(tokens)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        p = Path(path)
        if not p.is_file():
            raise MissingFileError(f"vocabulary file not found: {p}")
        return cls.from_json(p.read_text(encoding="utf-8"), source=str(p))
