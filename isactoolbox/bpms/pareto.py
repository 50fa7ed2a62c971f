"""BP / MS tradeoff curves (Fig. 3): sweep rho over schemes, report sqrt-CRB pairs, mark dominated points.

>>> sweep = pareto_sweep(BistaticMonostatic.paper(3), ["wcrb-fdb", "apa"], [0.0, 0.5, 1.0])
>>> print(sweep.table())
>>> write_sweep(sweep, "tradeoff.csv")   # every point, as ``isactoolbox pareto --csv`` writes it

Every point is re-evaluated from the returned beamformers W (metrics ``sqrt-bp-crb`` /
``sqrt-ms-crb``, in m). A point is *dominated* when another point is at least as good in both
CRBs and better by more than ``rtol`` (relative; default 1e-4, above the ~1e-5 interior-point
accuracy that reaches the CRBs, so solver noise between equal points is not called dominance) in one; ``dominated_in_scheme`` compares within
the scheme's own curve only. Points without a verified solution never dominate and are marked.
"""
from __future__ import annotations

import csv
import dataclasses
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from isactoolbox.bpms.fim import bp_fim
from isactoolbox.bpms.scenario import BistaticMonostatic

#: The seven schemes of Fig. 3.
ALL_SCHEMES = ("wcrb-fdb", "wvm-fdb", "wbf-fdb", "wcrb-cpa", "wvm-cpa", "wbf-cpa", "apa")
DEFAULT_RHOS = tuple(np.round(np.linspace(0.0, 1.0, 11), 10))


@dataclasses.dataclass
class ParetoPoint:
    """One (scheme, rho) result; CRB roots in m."""

    scheme: str
    rho: float
    sqrt_bp: float
    sqrt_ms: float
    status: str
    verified: bool
    seconds: float
    dominated_in_scheme: bool = False
    dominated: bool = False

    @property
    def valid(self) -> bool:
        return self.verified and np.isfinite(self.sqrt_bp) and np.isfinite(self.sqrt_ms)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def dominates(a: ParetoPoint, b: ParetoPoint, rtol: float = 1e-4) -> bool:
    """a is no worse than b in both CRBs and better by more than rtol (relative) in at least one."""
    if not a.valid:
        return False
    no_worse = a.sqrt_bp <= b.sqrt_bp * (1 + rtol) and a.sqrt_ms <= b.sqrt_ms * (1 + rtol)
    better = a.sqrt_bp < b.sqrt_bp * (1 - rtol) or a.sqrt_ms < b.sqrt_ms * (1 - rtol)
    return no_worse and better


def mark_dominated(points: Sequence[ParetoPoint], rtol: float = 1e-4) -> None:
    """Set ``dominated`` (against all points) and ``dominated_in_scheme`` in place."""
    for b in points:
        if not b.valid:
            b.dominated = b.dominated_in_scheme = True
            continue
        b.dominated = any(dominates(a, b, rtol) for a in points if a is not b)
        b.dominated_in_scheme = any(dominates(a, b, rtol) for a in points if a is not b and a.scheme == b.scheme)


@dataclasses.dataclass
class ParetoSweep:
    points: list[ParetoPoint]
    results: dict[tuple[str, float], Any] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def schemes(self) -> list[str]:
        return list(dict.fromkeys(p.scheme for p in self.points))

    def curve(self, scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rho, sqrt BP CRB, sqrt MS CRB) of one scheme, in sweep order."""
        pts = [p for p in self.points if p.scheme == scheme]
        return (np.array([p.rho for p in pts]), np.array([p.sqrt_bp for p in pts]),
                np.array([p.sqrt_ms for p in pts]))

    def point(self, scheme: str, rho: float) -> ParetoPoint:
        for p in self.points:
            if p.scheme == scheme and abs(p.rho - rho) < 1e-12:
                return p
        raise KeyError((scheme, rho))

    def front(self) -> list[ParetoPoint]:
        """Points no other point of the sweep dominates."""
        return [p for p in self.points if not p.dominated]

    def table(self) -> str:
        lines = [f"{'scheme':10s} {'rho':>5s} {'sqrt BP CRB (m)':>16s} {'sqrt MS CRB (m)':>16s}  status      dominated"]
        for p in self.points:
            mark = "all" if p.dominated else ("scheme" if p.dominated_in_scheme else "-")
            if p.dominated_in_scheme and p.dominated:
                mark = "scheme+all"
            lines.append(f"{p.scheme:10s} {p.rho:5.2f} {p.sqrt_bp:16.6g} {p.sqrt_ms:16.6g}  {p.status:11s} {mark}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"points": [p.to_dict() for p in self.points]}

    def excess_over(self, scheme: str, reference: str = "wcrb-fdb") -> np.ndarray:
        """Per point of ``scheme``: relative sqrt-MS-CRB excess over ``reference``'s curve at equal sqrt BP CRB.

        The reference curve is interpolated linearly in (sqrt BP, sqrt MS) (a chord lies above a
        convex front, so the excess is, if anything, underestimated). Points with a better BP
        than the whole reference curve get NaN; points with a worse BP are compared to its best MS.
        """
        _, rb, rm = self.curve(reference)
        order = np.argsort(rb)
        rb, rm = rb[order], rm[order]
        _, b, m = self.curve(scheme)
        out = np.full(b.shape, np.nan)
        for i, (bi, mi) in enumerate(zip(b, m)):
            if bi < rb[0] * (1 - 1e-6):
                continue
            ref = np.min(rm) if bi >= rb[-1] else np.interp(bi, rb, rm)
            out[i] = mi / ref - 1
        return out


def boundary_excess(sweep: ParetoSweep, scenario: BistaticMonostatic, scheme: str, *,
                    codebook: bool = False, backend: Any = "cvxopt", margin: float = 1e-3) -> np.ndarray:
    """Per point of ``scheme``: sqrt MS CRB / (least sqrt MS CRB at no worse BP CRB) - 1.

    The reference is the exact tradeoff boundary (FDB, or CPA with ``codebook=True``) from the
    epsilon-constraint SDP ``min CRB_MS s.t. CRB_BP <= CRB_BP(point)``; 0 means on the boundary.
    Points whose BP CRB is within ``margin`` (relative) of the boundary's best BP CRB, or below it,
    get NaN: there the SDP's feasible set shrinks to a point and interior-point solvers fail.
    """
    from isactoolbox.bpms.problems import EpsilonConstraintProblem, cached, wcrb_problem
    from isactoolbox.core.backend import get_backend

    be = get_backend(backend) if isinstance(backend, str) else backend
    best = wcrb_problem(scenario, codebook)[0].solve(be, 1.0)
    if best.V is None:
        raise RuntimeError(f"the BP-only WCRB problem failed ({best.status}): {best.message}")
    b_min = bp_fim(scenario).crb(best.V)
    problem, _ = cached(scenario, ("epsilon", codebook), lambda: EpsilonConstraintProblem(scenario, codebook))
    _, bp, ms = sweep.curve(scheme)
    out = np.full(bp.shape, np.nan)
    for i, (b, m) in enumerate(zip(bp, ms)):
        if not np.isfinite(b) or b**2 <= b_min * (1 + margin):
            continue
        res = problem.solve(be, float(b) ** 2)
        if res.status.has_solution and res.objective is not None:
            out[i] = m / np.sqrt(res.objective) - 1
    return out


def pareto_sweep(scenario: BistaticMonostatic, schemes: Iterable[str] = ALL_SCHEMES,
                 rhos: Iterable[float] = DEFAULT_RHOS, *, backend: Any = "cvxopt",
                 options: Mapping[str, Mapping[str, Any]] | None = None, rtol: float = 1e-4,
                 keep_results: bool = False) -> ParetoSweep:
    """Solve every scheme at every rho on ``scenario``; ``options[scheme]`` are extra strategy options.

    One backend instance serves the whole sweep, and each scheme's compiled model is built once
    per scenario (rho is a model parameter), so the sweep re-solves without rebuilding.
    """
    from isactoolbox.core.backend import get_backend
    from isactoolbox.registry import registry

    be = get_backend(backend) if isinstance(backend, str) else backend
    options = dict(options or {})
    rhos = [float(r) for r in rhos]
    points: list[ParetoPoint] = []
    results: dict[tuple[str, float], Any] = {}
    for scheme in schemes:
        strategy = registry.strategy(scheme)(**dict(options.get(scheme, {})))
        for rho in rhos:
            t0 = time.perf_counter()
            res = strategy.solve(scenario, be, rho=rho)
            seconds = time.perf_counter() - t0
            bp = res.metrics.get("sqrt-bp-crb", float("nan"))
            ms = res.metrics.get("sqrt-ms-crb", float("nan"))
            verified = res.status.has_solution and res.verification.passed
            points.append(ParetoPoint(scheme, rho, float(bp), float(ms), res.status.value, verified, seconds))
            if keep_results:
                results[(scheme, rho)] = res
    mark_dominated(points, rtol)
    return ParetoSweep(points, results)


#: Columns of :func:`write_sweep`, in order; CRB roots in m, ``seconds`` is the wall time of one solve.
SWEEP_COLUMNS = ("scheme", "rho", "sqrt_bp", "sqrt_ms", "status", "verified", "dominated",
                 "dominated_in_scheme", "seconds")


def sweep_rows(sweep: ParetoSweep) -> list[dict[str, Any]]:
    """One dict per point with the :data:`SWEEP_COLUMNS` keys (sqrt_bp, sqrt_ms in m)."""
    return [{c: getattr(p, c) for c in SWEEP_COLUMNS} for p in sweep.points]


def write_sweep(sweep: ParetoSweep, path: str | Path) -> Path:
    """Write every point of ``sweep`` as CSV (columns :data:`SWEEP_COLUMNS`); returns the path.

    Floats are written with full precision (``repr``), so reading the file back gives the same
    numbers; ``verified`` / ``dominated*`` are ``True`` / ``False``. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SWEEP_COLUMNS)
        writer.writeheader()
        writer.writerows(sweep_rows(sweep))
    return path
