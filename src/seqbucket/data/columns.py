"""Raw field values of a records file (``.csv``, ``.tsv``, ``.jsonl``), one per record, in the
order the reader (``text_files.read_records``) makes examples of them: the reader turns every
record into exactly one example, so index ``i`` here is example ``i`` there. ``predict`` uses
this to echo an id column or the input text next to each prediction.
"""

from __future__ import annotations

import os
from typing import Any

from seqbucket.data._files import read_text
from seqbucket.data.text_files import _csv_records, _jsonl_records
from seqbucket.errors import DataError

RECORD_FORMATS = (".csv", ".tsv", ".jsonl")


def read_field(path: str | os.PathLike[str], field: str) -> list[Any]:
    """The value of ``field`` in every record of ``path``, in file order.

    Raises:
        DataError: a record without ``field`` (naming the file and line), or a file that is not
            CSV, TSV or JSONL (``.gz`` allowed).
    """
    text, name = read_text(path)
    suffix = name.removesuffix(".gz").rsplit(".", 1)[-1].lower()
    if suffix in ("csv", "tsv"):
        records = _csv_records(text, name, "\t" if suffix == "tsv" else ",", [field])
    elif suffix == "jsonl":
        records = _jsonl_records(text, name)
    else:
        raise DataError(f"expected a .csv, .tsv or .jsonl file to read field {field!r}, got {name}")
    values = []
    for where, record in records:
        if field not in record:
            raise DataError(f"{where}: no field {field!r} (fields: {', '.join(map(str, record))})")
        values.append(record[field])
    return values
