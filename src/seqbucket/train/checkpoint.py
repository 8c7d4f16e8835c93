"""Atomic checkpoint files.

A checkpoint is data: a dict of tensors and plain Python values (str, int, float, bool, None,
lists, tuples, dicts), written with ``torch.save`` and read back with
``torch.load(weights_only=True)``, so that loading one never runs code.

Writes are atomic: ``torch.save`` serialises into memory first (its zip writer would turn a
full disk into a ``RuntimeError``; writing the bytes ourselves keeps it an ``OSError``), then the
bytes go to a temporary file in the same directory, which is flushed and
``fsync``-ed, then ``os.replace``-d over the target, and the directory itself is ``fsync``-ed so
the rename survives a power cut. A crash or a full disk at any point leaves either the old
checkpoint or the new one, never a torn file.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from seqbucket.errors import CheckpointError

FORMAT = "seqbucket-checkpoint"
VERSION = 1


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """Write ``state`` to ``path`` atomically, tagged with the format name and version.

    Raises:
        CheckpointError: the write failed (e.g. out of disk); the previous file at ``path``, if
            any, is untouched and the temporary file is removed. The message says whether there
            was a previous file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.is_file()
    payload = {"format": FORMAT, "version": VERSION, **state}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, buffer.getbuffer())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        reason = exc.strerror or str(exc)
        kept = (
            "the previous checkpoint is intact"
            if existed
            else f"there was no earlier {path.name}, so none exists now"
        )
        raise CheckpointError(f"could not write checkpoint {path}: {reason}; {kept}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (``weights_only=True``, on CPU).

    Raises:
        CheckpointError: the file is missing, truncated, corrupt, not a seqbucket checkpoint, or
            from a newer format version. The message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = first.split(". ")[0]  # torch appends advice about its internals: keep the cause
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({first[:160]}); "
            "delete it or restore it from a backup"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"expected a seqbucket checkpoint in {path}, got another file")
    if state.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {state.get('version')!r}, "
            f"this seqbucket reads version {VERSION}"
        )
    return state


def _write_all(fd: int, data: memoryview) -> None:
    # os.write may write less than asked (signals, pipes); loop until every byte is out.
    view = data.cast("B")
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable. Some platforms (Windows) cannot open a directory: skip there.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
