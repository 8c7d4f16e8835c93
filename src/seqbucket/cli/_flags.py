"""Command-line flags generated from a config dataclass: one flag per field, defined once.

Each field ``name: type = default  # why`` becomes ``--name-with-dashes`` with the field's type,
its choices (``CHOICES`` of the config module), its "why" comment as help and its default shown.
Fields are grouped under their section headers (see ``seqbucket._fielddoc``). A flag the user
did not type is absent from the parsed namespace (``argparse.SUPPRESS``), so a value from a
``--config`` file is only overridden by a flag actually given; ``none`` sets an optional field
to None.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from typing import Any

from seqbucket._fielddoc import field_docs

NONE = "none"  # what a user types to unset an optional setting, e.g. --patience none


def _converter(kind: type, optional: bool) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        if optional and text.lower() == NONE:
            return None
        return kind(text)

    convert.__name__ = kind.__name__  # argparse names the type in "invalid int value: 'x'"
    return convert


def _shown(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def add_config_flags(
    parser: argparse.ArgumentParser,
    cls: type,
    *,
    types: Callable[[str], tuple[type, ...]],
    optional: Callable[[str], bool],
    choices: Mapping[str, tuple[str, ...]],
    positional: str | None = None,
    metavars: Mapping[str, str] | None = None,
    aliases: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """Add one flag per field of dataclass ``cls`` to ``parser``; return the field names added.

    ``types(name)``/``optional(name)`` give a field's value types and whether None is allowed;
    ``positional`` names the field taken as an optional positional argument (``DATA``);
    ``metavars`` and ``aliases`` only change how a flag is shown or spelled.
    """
    metavars = metavars or {}
    aliases = aliases or {}
    docs = field_docs(cls)
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in fields(cls):
        doc = docs[f.name]
        default = None if f.default is MISSING else f.default
        text = f"{doc.help} (default: {_shown(default)})".replace("%", "%%")
        if f.name == positional:
            parser.add_argument(
                f.name, metavar=f.name.upper(), nargs="?", default=argparse.SUPPRESS, help=text
            )
            continue
        group = groups.get(doc.group)
        if group is None:
            group = groups[doc.group] = parser.add_argument_group(doc.group)
        flags = ("--" + f.name.replace("_", "-"), *aliases.get(f.name, ()))
        kinds = types(f.name)
        if kinds == (bool,):
            group.add_argument(
                *flags,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=text,
            )
            continue
        kind = float if float in kinds else kinds[0]
        metavar = metavars.get(f.name) or {int: "N", float: "X"}.get(kind, f.name.upper())
        group.add_argument(
            *flags,
            dest=f.name,
            # a choice field is unset by leaving its flag out, not by typing none
            type=_converter(kind, optional(f.name) and f.name not in choices),
            choices=choices.get(f.name),
            metavar=None if f.name in choices else metavar,
            default=argparse.SUPPRESS,
            help=text,
        )
    return tuple(f.name for f in fields(cls))
