"""What every study returns (:class:`StudyResult`) and how it is written: JSON, a Markdown
table and a PNG, side by side in one folder (``<out>/<name>.json|.md|.png``)."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seqbucket.errors import ConfigError


@dataclass
class StudyResult:
    """One study's measurements.

    Attributes:
        name: the study's CLI name (``params``, ``unseen-lengths``, ...).
        title: one line saying what was measured.
        settings: everything that decides the numbers (seeds, sizes, steps, model widths).
        columns: the Markdown table's headers; ``rows`` its cells, already formatted.
        data: the raw numbers behind the table (per-seed values and intervals), for the JSON.
        findings: one sentence per comparison the study exists for, each saying whether its
            interval separates the models.
        seconds: wall time of the study.
    """

    name: str
    title: str
    settings: dict[str, Any]
    columns: list[str]
    rows: list[list[str]]
    data: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self) -> str:
        """The table, then the findings as a list, then the settings in one line."""
        lines = [
            "| " + " | ".join(self.columns) + " |",
            "|" + "|".join("---" for _ in self.columns) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        text = f"**{self.title}**\n\n" + "\n".join(lines) + "\n"
        if self.findings:
            text += "\n" + "\n".join(f"- {f}" for f in self.findings) + "\n"
        shown = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return text + f"\nSettings: {shown}. Wall time {self.seconds:.0f} s.\n"


PlotFn = Callable[[StudyResult, Any], None]  # draws on a matplotlib Figure


def wrapped_title(title: str, width: int = 110) -> str:
    """``title`` broken into lines that fit a PNG 8 inches wide at font size 8."""
    return "\n".join(textwrap.wrap(title, width))


def require_matplotlib() -> None:
    """Fail before any training when the PNG could not be drawn."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError(
            "seqbucket study writes a PNG and needs matplotlib (pip install 'seqbucket[plot]'),"
            " which is not installed"
        ) from None


def write_outputs(result: StudyResult, out_dir: str | Path, plot: PlotFn) -> list[Path]:
    """Write ``<name>.json``, ``<name>.md`` and ``<name>.png`` into ``out_dir`` (created if
    missing); each file appears whole or not at all (temp file + rename)."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = (out / f"{result.name}.{ext}" for ext in ("json", "md", "png"))
    _atomic_write(json_path, (json.dumps(asdict(result), indent=2) + "\n").encode())
    _atomic_write(md_path, result.markdown().encode())
    fig = plt.figure(figsize=(8, 4.5), dpi=100)
    try:
        plot(result, fig)
        fig.tight_layout()
        tmp = png_path.with_name(png_path.name + ".tmp.png")
        fig.savefig(tmp)
        os.replace(tmp, png_path)
    finally:
        plt.close(fig)
    return [json_path, md_path, png_path]


def _atomic_write(path: Path, data: bytes) -> None:
    # A plain open() (not mkstemp, whose files are private, mode 0600) so the outputs get the
    # usual permissions; the name is unique to this process.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
