"""``Result``: what every strategy returns, JSON-serializable and lossless."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from isactoolbox.core.verification import VerificationReport
from isactoolbox.serialization import from_jsonable, to_jsonable
from isactoolbox.status import Status


@dataclasses.dataclass
class Timings:
    """Wall-clock seconds: building the neutral/solver model, inside solver calls, whole run."""

    build: float = 0.0
    solver: float = 0.0
    total: float = 0.0
    solves: int = 0  # number of solver calls (e.g. SDPs) the run made

    def absorb(self, other: "Timings") -> None:
        self.build += other.build
        self.solver += other.solver
        self.solves += other.solves


@dataclasses.dataclass
class Result:
    """Outcome of ``Strategy.solve``.

    ``values`` holds the physical solution (e.g. beamformers ``W`` with shapes documented by the
    strategy); ``metrics`` the performance metrics evaluated on it; ``verification`` every physical
    constraint recomputed from ``values``. ``extra`` holds strategy-specific data (evaluated
    choices, iteration history, tightness report, ...). ``attempts`` lists backend attempts when a
    fallback chain was used.
    """

    status: Status
    objective: float | None = None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    verification: VerificationReport = dataclasses.field(default_factory=VerificationReport)
    timings: Timings = dataclasses.field(default_factory=Timings)
    strategy: str = ""
    scenario_kind: str = ""
    backend: str = ""
    solver: str = ""
    solver_version: str = ""
    message: str = ""
    history: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    attempts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    solver_log: str | None = None

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["status"] = self.status.value
        d["verification"] = self.verification.to_dict()
        d["timings"] = dataclasses.asdict(self.timings)
        return to_jsonable(d)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Result":
        data = from_jsonable(dict(data))
        data["verification"] = VerificationReport.from_dict(data.get("verification", {}))
        data["timings"] = Timings(**data.get("timings", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Result":
        return cls.from_dict(json.loads(Path(path).read_text()))

    def summary(self) -> str:
        """A few human-readable lines."""
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        lines = [f"status      {self.status}",
                 f"objective   {obj}",
                 f"strategy    {self.strategy}  on {self.scenario_kind}",
                 f"backend     {self.backend} ({self.solver} {self.solver_version})".rstrip(),
                 f"verified    {'yes' if self.verification.passed else 'NO'}"
                 f"  (max relative violation {self.verification.max_violation:.2e},"
                 f" {len(self.verification.checks)} checks)",
                 f"time        total {self.timings.total:.3f} s, solver {self.timings.solver:.3f} s,"
                 f" build {self.timings.build:.3f} s, {self.timings.solves} solver call(s)"]
        for name, value in self.metrics.items():
            if np.ndim(value) == 0 and value is not None:
                lines.append(f"metric      {name} = {float(value):.6g}")
        if self.message:
            lines.append(f"message     {self.message}")
        return "\n".join(lines)
