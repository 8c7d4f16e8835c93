"""Reading a user's file as text, with one-line errors for the ways that goes wrong.

A path that does not exist, a directory, a file that cannot be opened, or bytes that are not
UTF-8 text each raise a :class:`~seqbucket.errors.SeqbucketError` naming the path. ``.gz``
files are decompressed transparently (the embedded data sets are stored that way).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from seqbucket.errors import DataError, MissingFileError


def check_readable(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`Path` if it is an existing regular file, else ``MissingFileError``."""
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"file not found: {p} (expected an existing, readable file)")
    if p.is_dir():
        raise MissingFileError(f"{p} is a directory, expected a data file")
    if not os.access(p, os.R_OK):
        raise MissingFileError(f"{p} cannot be read (permission denied)")
    return p


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 text of ``raw`` (a leading byte-order mark is dropped); DataError if not text."""
    if name.endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{name}: not a readable gzip file ({exc})") from None
    if b"\x00" in raw[:4096]:
        raise DataError(f"{name}: binary data, expected a UTF-8 text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{name} line {line}: not UTF-8 text ({exc.reason})") from None


def read_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(text, display_name)`` of a text file; ``display_name`` is the file name for messages."""
    p = check_readable(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise MissingFileError(f"{p} cannot be read ({exc.strerror or exc})") from None
    return decode_text(raw, p.name), p.name
