"""Solve one receiver choice's SDP through a backend fallback chain, checking the answer physically.

Each backend in the chain is tried in order. An answer is accepted when the solver reports success
*and* the SINR, CRLB and power constraints recomputed from the returned covariance matrices hold
(a solver can report success on a point that misses a constraint by 1e-3). An infeasibility
verdict is checked by the remaining fast routes: a verified point from any of them wins, otherwise
the verdict stands. Every attempt is recorded.

Preconditioning of the blocks (``ChoiceSDP(precondition=...)``) is a per-route choice. Measured on
random Table II choices at CVXOPT's own gap tolerances: with it CVXOPT solved 12 of 16, and
without it 3 of the remaining 4 (at PICOS's 1e-8 tolerances the picture was reversed and both
failed often); Clarabel failed without it; Ipopt's factorization was indifferent.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

import numpy as np

from isactoolbox.core.result import Timings
from isactoolbox.core.verification import VerificationReport
from isactoolbox.errors import BackendUnavailableError, UnsupportedProblemError
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.solution import Decision
from isactoolbox.network_isac.strategies.base import PHYSICAL_RTOL, decision_checks
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceOutcome, ChoiceSDP, ChoiceSpec
from isactoolbox.status import Status

#: Routes not used to double-check an infeasibility verdict: Ipopt's factorization needs 40-290 s
#: to give up on an infeasible SDP (measured on S=3, K=3 drops).
SLOW_TO_REFUTE = frozenset({"pyomo:ipopt"})

#: backend family or name -> whether its SDPs are built with the congruence preconditioner
PRECONDITION = {"clarabel": True}


def wants_precondition(backend: Any) -> bool:
    name = getattr(backend, "name", str(backend))
    return PRECONDITION.get(name, PRECONDITION.get(name.partition(":")[0], False))


def routes(backends: Sequence[Any]) -> list[tuple[Any, bool]]:
    """(Backend, precondition) pairs from Backends or pairs (a bare Backend gets its family's default)."""
    return [b if isinstance(b, tuple) else (b, wants_precondition(b)) for b in backends]


def route_specs(backends: Sequence[Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """Picklable (name, options, precondition) of each route, to rebuild the chain in a worker process."""
    return [(be.name, {k: v for k, v in be.params.items() if v is not None}, pre) for be, pre in routes(backends)]


def chain_from_specs(specs: Sequence[tuple[str, dict[str, Any], bool]]) -> list[tuple[Any, bool]]:
    from isactoolbox.core.backend import get_backend

    return [(get_backend(name, **opts), pre) for name, opts, pre in specs]


def outcome_decision(outcome: ChoiceOutcome) -> Decision:
    """The (matrix-valued) decision of a fixed-choice outcome."""
    spec = outcome.spec
    K = len(spec.candidates)
    assoc = np.array(spec.association)
    W = np.array([outcome.beams[(int(assoc[k]), k)] for k in range(K)])
    R = outcome.sensing.copy()
    R[spec.receiver] = 0.0
    return Decision(spec.receiver, assoc, 0.5 * (W + np.conj(np.swapaxes(W, 1, 2))),
                    0.5 * (R + np.conj(np.swapaxes(R, 1, 2))))


def physical_violation(scenario: NetworkISAC, outcome: ChoiceOutcome) -> float:
    """Largest relative violation of SINR / CRLB / power recomputed from a fixed-choice outcome."""
    report = VerificationReport()
    decision_checks(scenario, outcome_decision(outcome), report)
    return report.max_violation


@dataclasses.dataclass
class ChainOutcome:
    """The accepted outcome of a chain and what every backend said."""

    outcome: ChoiceOutcome
    backend: str
    attempts: list[dict[str, Any]]
    timings: Timings


class ChoiceSolver:
    """Keeps one compiled :class:`ChoiceSDP` per (spec, preconditioning) and solves it through a chain.

    ``backends`` are Backend instances (re-used across calls, so a backend can update its
    solver model in place when only Gamma / eps change).
    """

    def __init__(self, scenario: NetworkISAC, backends: Sequence[Any], *, sinr_min: float | None = None,
                 crlb_max: float | None = None, cache_size: int = 64) -> None:
        self.scenario = scenario
        self.backends = routes(backends)
        self.sinr_min = sinr_min
        self.crlb_max = crlb_max
        self._cache: dict[tuple[ChoiceSpec, bool], ChoiceSDP] = {}
        self.cache_size = cache_size

    def model(self, spec: ChoiceSpec, precondition: bool, directions: Mapping[int, np.ndarray] | None = None) -> ChoiceSDP:
        if directions is not None:
            # Fixed-direction models (one per randomization draw) are never re-used: not cached.
            return ChoiceSDP(self.scenario, spec, directions=directions, sinr_min=self.sinr_min,
                             crlb_max=self.crlb_max, precondition=precondition)
        key = (spec, precondition)
        sdp = self._cache.get(key)
        if sdp is None:
            if len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))
            sdp = ChoiceSDP(self.scenario, spec, sinr_min=self.sinr_min, crlb_max=self.crlb_max,
                            precondition=precondition)
            self._cache[key] = sdp
        return sdp

    def solve(self, spec: ChoiceSpec, directions: Mapping[int, np.ndarray] | None = None) -> ChainOutcome:
        attempts: list[dict[str, Any]] = []
        timings = Timings()
        last: ChoiceOutcome | None = None
        last_backend = ""
        refuting = False
        for be, precondition in self.backends:
            if refuting and be.name in SLOW_TO_REFUTE:
                continue
            name = be.name + (" (preconditioned)" if precondition else "")
            sdp = self.model(spec, precondition, directions)
            try:
                out = sdp.solve(be)
            except (BackendUnavailableError, UnsupportedProblemError) as exc:
                attempts.append({"backend": name, "status": "unavailable", "message": str(exc)})
                continue
            timings.absorb(out.timings)
            entry = {"backend": name, "status": out.status.value, "objective": out.objective,
                     "seconds": out.timings.solver}
            verified_point = False
            if out.status.has_solution and out.sensing is not None and spec.is_fixed:
                violation = physical_violation(self.scenario, out)
                entry["violation"] = violation
                verified_point = violation <= PHYSICAL_RTOL
                if out.status.is_success and not verified_point:
                    out.status = Status.INACCURATE
                    out.message = (f"recomputed constraints violated by {violation:.1e} (relative); "
                                   + out.message).rstrip("; ")
                    entry["status"] = out.status.value
            attempts.append(entry)
            if out.status is Status.INFEASIBLE and last is not None and last.status is Status.INFEASIBLE:
                continue  # a second infeasibility verdict adds nothing; keep the first
            if refuting and not (out.status.is_success or verified_point):
                continue  # the infeasibility verdict stands (a verified point, even inaccurate, refutes it)
            last, last_backend = out, name
            if out.status.is_success or out.status is Status.UNBOUNDED or refuting:
                break
            if out.status is Status.INFEASIBLE:
                # Near the feasibility boundary CVXOPT has called SDPs infeasible that another route
                # solved with a verified point, so the remaining fast routes get a chance to refute it.
                refuting = True
        if last is None:
            last = ChoiceOutcome(spec, Status.SOLVER_ERROR, None, {}, None, timings,
                                 message="no backend of the chain was usable: "
                                         + "; ".join(a["message"] for a in attempts))
        return ChainOutcome(last, last_backend, attempts, timings)
