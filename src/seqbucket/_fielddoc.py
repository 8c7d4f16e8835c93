"""The "why" comments of a config dataclass, read from its source as data.

A config dataclass documents each field where it is defined, nanoGPT-style::

    # -- model --                       a section header: TOML section ``[model]``
    # -- data: reading data files --    a section with its own help group title
    hidden_size: int = 64  # per direction; 128 gave no better validation score
    # None: bidirectional unless the task is lm.     comment lines above a field belong to it
    bidirectional: bool | None = None

``field_docs`` turns that into ``{field: FieldDoc(section, group, help)}``, so that the TOML
layout and the command-line flags are generated from the one definition of each setting: adding
a setting is one line (plus its range check, if it has one).
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, fields
from functools import cache

_HEADER = re.compile(r"^#\s*--\s*(\w+)(?::\s*(.*?))?\s*--\s*$")  # "# -- data: title --"
_FIELD = re.compile(r"^(\w+)\s*:[^=#]*(?:=[^#]*)?(?:#\s*(.*))?$")  # "name: type = default  # why"


@dataclass(frozen=True)
class FieldDoc:
    """Where a field sits and what it is for.

    ``section``: the TOML section (the header word); ``group``: the help group title (the header's
    text after the colon, or the section name); ``help``: the field's comments, in source order.
    """

    section: str
    group: str
    help: str


@cache
def field_docs(cls: type) -> dict[str, FieldDoc]:
    """``{field name: FieldDoc}`` for every field of the dataclass ``cls``, in definition order.

    Raises ``ValueError`` when a field has no section header above it or no comment at all: a
    setting without a reason is a documentation bug, caught by the tests rather than by users.
    """
    names = {f.name for f in fields(cls)}
    docs: dict[str, FieldDoc] = {}
    section = group = ""
    pending: list[str] = []
    for raw in inspect.getsource(cls).splitlines():
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            section, group = header.group(1), header.group(2) or header.group(1)
            pending = []
            continue
        if line.startswith("#"):
            pending.append(line.lstrip("#").strip())
            continue
        match = _FIELD.match(line)
        if match is None or match.group(1) not in names:
            pending = []  # a docstring, a method or a blank line: comments above it are not ours
            continue
        name, trailing = match.group(1), match.group(2)
        text = " ".join([*pending, trailing] if trailing else pending).strip()
        if not section or not text:
            raise ValueError(f"{cls.__name__}.{name}: expected a section header and a comment")
        docs[name] = FieldDoc(section, group, text)
        pending = []
    missing = [n for n in names if n not in docs]
    if missing:
        raise ValueError(f"{cls.__name__}: no documented definition found for {sorted(missing)}")
    return docs
