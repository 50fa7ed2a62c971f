"""Verification reports: each physical constraint recomputed from the final solution.

Strategies never trust the solver's own residuals for these; they recompute every constraint in
double precision from the final physical quantities (beamformers, powers) and record the violation.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

import numpy as np

DEFAULT_RTOL = 1e-5


@dataclasses.dataclass(frozen=True)
class ConstraintCheck:
    """One recomputed constraint ``value sense limit`` (sense is "<=", ">=" or "==").

    ``violation`` is the amount by which it fails, relative to ``max(1, |limit|)``; zero when met.
    """

    name: str
    value: float
    sense: str
    limit: float
    violation: float
    tolerance: float
    unit: str = ""

    @property
    def ok(self) -> bool:
        return self.violation <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["ok"] = self.ok
        return d


def check(name: str, value: float, sense: str, limit: float, *, tolerance: float = DEFAULT_RTOL,
          unit: str = "", scale: float | None = None) -> ConstraintCheck:
    """Build a :class:`ConstraintCheck`; the violation is relative to ``scale`` (default |limit|, at least tiny)."""
    value = float(value)
    limit = float(limit)
    scale = float(scale) if scale is not None else max(abs(limit), 1e-300)
    if sense == "<=":
        gap = value - limit
    elif sense == ">=":
        gap = limit - value
    elif sense == "==":
        gap = abs(value - limit)
    else:
        raise ValueError(f"sense must be '<=', '>=' or '==', got {sense!r}")
    violation = max(0.0, gap) / scale if np.isfinite(value) else float("inf")
    return ConstraintCheck(name, value, sense, limit, float(violation), float(tolerance), unit)


@dataclasses.dataclass
class VerificationReport:
    """All recomputed constraints of one result."""

    checks: list[ConstraintCheck] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def add(self, item: ConstraintCheck | Iterable[ConstraintCheck]) -> None:
        if isinstance(item, ConstraintCheck):
            self.checks.append(item)
        else:
            self.checks.extend(item)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def max_violation(self) -> float:
        return max((c.violation for c in self.checks), default=0.0)

    @property
    def failures(self) -> list[ConstraintCheck]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "max_violation": self.max_violation,
                "checks": [c.to_dict() for c in self.checks], "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VerificationReport":
        checks = [ConstraintCheck(**{k: v for k, v in c.items() if k != "ok"}) for c in data.get("checks", [])]
        return cls(checks=checks, notes=list(data.get("notes", [])))
