"""Tokenizers: text -> list of string tokens. Pure functions, chosen by name.

- ``"char"``: every Unicode code point is a token (spaces included, so words stay apart).
- ``"word"``: the regex ``\\w+|[^\\w\\s]``: runs of letters/digits/underscore, and each other
  non-space character on its own (punctuation). Whitespace separates tokens and is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from seqbucket.errors import ConfigError

_WORD = re.compile(r"\w+|[^\w\s]")

Tokenizer = Callable[[str], list[str]]


def char_tokenize(text: str) -> list[str]:
    """``"ab c" -> ["a", "b", " ", "c"]``."""
    return list(text)


def word_tokenize(text: str) -> list[str]:
    """``"Hello, world!" -> ["Hello", ",", "world", "!"]``."""
    return _WORD.findall(text)


TOKENIZERS: dict[str, Tokenizer] = {"char": char_tokenize, "word": word_tokenize}


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called ``name`` (``"char"`` or ``"word"``)."""
    try:
        return TOKENIZERS[name]
    except KeyError:
        known = ", ".join(TOKENIZERS)
        raise ConfigError(f"tokenizer must be one of {known}, got {name!r}") from None
