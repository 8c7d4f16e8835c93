"""Recipes: settings files shipped with the package (``seqbucket/configs/<name>.toml``), each
tuned for one data set on its validation split. ``seqbucket train DATA --recipe NAME`` reads
one as it would ``--config``; flags given beside it still win."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from seqbucket.errors import ConfigError


def _folder() -> Path:
    return Path(str(resources.files("seqbucket") / "configs"))


def recipe_names() -> list[str]:
    """The shipped recipes, by name (file stem), sorted."""
    return sorted(p.stem for p in _folder().glob("*.toml"))


def recipe_path(name: str) -> Path:
    """The TOML file of recipe ``name``; ``ConfigError`` names the known ones otherwise."""
    path = _folder() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"expected a recipe name, one of {recipe_names()}, got {name!r}")
    return path
