"""The data layer: variable-length examples, file readers, vocabularies, padding and collation.

- :class:`Example` / :class:`SequenceDataset`: ragged storage whose ``lengths`` cost nothing.
- :func:`load_dataset` / :func:`list_datasets`: embedded sets by name, or files by path
  (``.ts``, ``.csv``, ``.tsv``, ``.jsonl``, ``.txt``, ``.npz``).
- :class:`Vocab` and the ``char``/``word`` tokenizers.
- :func:`pad_sequences` / :func:`unpad` (Keras semantics) and :func:`collate` -> :class:`Batch`;
  :func:`gather_batch`: the same batch straight from a dataset's storage (the training loop's).
"""

from seqbucket.data.collate import IGNORE_INDEX, Batch, collate
from seqbucket.data.example import TASKS, Example, SequenceDataset
from seqbucket.data.gather import gather_batch
from seqbucket.data.lm_text import read_lm_text
from seqbucket.data.npz_format import read_npz, write_npz
from seqbucket.data.overlong import OVERLONG_POLICIES, OverlongReport, apply_max_length
from seqbucket.data.padding import pad_sequences, unpad
from seqbucket.data.registry import (
    DEFAULT_DATASET,
    SPLITS,
    DatasetInfo,
    dataset_names,
    list_datasets,
    load_dataset,
)
from seqbucket.data.stats import LengthSummary, length_histogram, length_summary
from seqbucket.data.text_files import read_records
from seqbucket.data.tokenize import char_tokenize, get_tokenizer, word_tokenize
from seqbucket.data.ts_format import parse_ts, read_ts
from seqbucket.data.vocab import PAD_ID, UNK_ID, Vocab
from seqbucket.data.word_language import MissingExtraError

__all__ = [
    "DEFAULT_DATASET",
    "IGNORE_INDEX",
    "OVERLONG_POLICIES",
    "PAD_ID",
    "SPLITS",
    "TASKS",
    "UNK_ID",
    "Batch",
    "DatasetInfo",
    "Example",
    "LengthSummary",
    "MissingExtraError",
    "OverlongReport",
    "SequenceDataset",
    "Vocab",
    "apply_max_length",
    "char_tokenize",
    "collate",
    "dataset_names",
    "gather_batch",
    "get_tokenizer",
    "length_histogram",
    "length_summary",
    "list_datasets",
    "load_dataset",
    "pad_sequences",
    "parse_ts",
    "read_lm_text",
    "read_npz",
    "read_records",
    "read_ts",
    "unpad",
    "word_tokenize",
    "write_npz",
]
