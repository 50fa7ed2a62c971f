"""What every reproduction writes: CSV data beside each PNG (PDF on request), and a short report."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence


@dataclasses.dataclass
class ReproductionReport:
    """Files written by one reproduction and the numbers a reader checks against the paper."""

    name: str
    files: list[Path] = dataclasses.field(default_factory=list)
    #: headline numbers (e.g. per-scheme values, orderings) for notes and the CLI's JSON output
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: one line per finding, printed by the CLI
    lines: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from isactoolbox.serialization import to_jsonable

        return to_jsonable({"name": self.name, "files": [str(f) for f in self.files],
                            "summary": self.summary, "lines": self.lines})


def write_rows(rows: Sequence[Mapping[str, Any]], path: str | Path, columns: Iterable[str] | None = None) -> Path:
    """Write dict rows as CSV (columns: ``columns`` or the union of keys in first-seen order)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if columns is None:
        cols: list[str] = []
        for r in rows:
            cols.extend(k for k in r if k not in cols)
    else:
        cols = list(columns)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in cols})
    return path


def new_figure(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots`` on the non-interactive Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def save_figure(fig: Any, path: str | Path, *, pdf: bool = False) -> list[Path]:
    """Save ``fig`` as PNG (and PDF when asked) and close it; returns the written paths."""
    import matplotlib.pyplot as plt

    path = Path(path).with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    out = [path]
    if pdf:
        fig.savefig(path.with_suffix(".pdf"))
        out.append(path.with_suffix(".pdf"))
    plt.close(fig)
    return out
