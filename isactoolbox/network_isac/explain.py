"""Why a network-ISAC drop is infeasible: which targets cannot be met together, and by how much.

Problem (8) asks, for the given Gamma (every CU's SINR floor) and eps (the location-CRLB ceiling),
for some receiving BS, association and beamformers within the per-BS power limit P. Feasibility is
monotone in both targets (a larger eps or a smaller Gamma only loosens rows), so the thresholds

- ``eps_min``: the smallest eps (m^2) that is feasible at the scenario's Gamma, and
- ``gamma_max``: the largest Gamma (linear, also in dB) that is feasible at the scenario's eps

are found by bisection on a log scale. The feasibility oracle is exact under the SDR (the same
relaxation ``exhaustive`` and ``bigm-misdp`` certify): a drop is feasible iff one fixed
(receiver, association) SDP is. Per receiver the free-association relaxation
(:meth:`ChoiceSpec.free`) is solved first: it contains every association under that receiver, so
its infeasibility rules all of them out with one SDP. Each compiled SDP is re-targeted with
:meth:`ChoiceSDP.set_targets` instead of being rebuilt. A feasible answer is accepted only when the
SINR, CRLB and power rows recomputed from the solver's matrices hold at the trial targets.

Per CU, the same oracle on the drop with only that CU says whether CU k alone can be served
together with the CRLB (so a drop infeasible only because of the CUs jointly is told apart from
one where a single CU is hopeless, e.g. deep in a fade).
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import numpy as np

from isactoolbox.core.verification import VerificationReport
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.base import PHYSICAL_RTOL, decision_checks, default_chain
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP, ChoiceSpec
from isactoolbox.network_isac.strategies.sdp_chain import outcome_decision, routes
from isactoolbox.network_isac.units import linear_to_db
from isactoolbox.status import Status

#: Default relative width of the final bisection bracket: the reported threshold is feasible and
#: the value ``1 / (1 + tol)`` of it (eps) or ``(1 + tol)`` of it (Gamma) was proved infeasible.
DEFAULT_TOL = 1e-2
# The SDP's power and FIM units are chosen at build time from Gamma and eps; far from those values
# the coefficients get badly scaled, so a model is rebuilt once a target moves this factor away.
_REBUILD_FACTOR = 30.0
# Bracket expansion: a factor 10 per step, up to these many steps (eps up to 1e8 x, Gamma down to 1e-8 x).
_EXPAND_STEPS = 8


@dataclasses.dataclass
class InfeasibilityExplanation:
    """What can and cannot be met together (SI units: eps in m^2, Gamma linear unless ``_db``).

    ``eps_min`` is ``inf`` when no eps up to 1e8 times the scenario's makes the SINR targets
    reachable (the SINR rows and the power limit conflict on their own); ``gamma_max`` is 0 when
    even a vanishing Gamma leaves the CRLB unreachable (the CRLB and the power limit conflict).
    ``certified`` is False when some SDP had no definite answer in any backend (then "infeasible"
    verdicts below may be solver failures). ``per_cu[k]`` has ``alone_feasible`` (CU k alone, same
    Gamma and eps) and ``message``.
    """

    feasible: bool
    sinr_min: float
    crlb_max: float
    eps_min: float
    gamma_max: float
    per_cu: list[dict[str, Any]]
    certified: bool
    sdps: int
    message: str
    witness: dict[str, Any] | None = None  # receiver / association feasible at the scenario's targets

    @property
    def gamma_max_db(self) -> float:
        return float(linear_to_db(self.gamma_max)) if self.gamma_max > 0 else float("-inf")

    @property
    def sinr_min_db(self) -> float:
        return float(linear_to_db(self.sinr_min))

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["gamma_max_db"] = self.gamma_max_db
        d["sinr_min_db"] = self.sinr_min_db
        return d


class FeasibilityOracle:
    """Is the drop feasible at (Gamma, eps)? Exact under the SDR, re-using compiled SDPs.

    ``backends``: a list of Backends or (Backend, precondition) pairs, tried in order per SDP.
    """

    def __init__(self, scenario: NetworkISAC, backends: Any, *, tol: float = PHYSICAL_RTOL) -> None:
        self.scenario = scenario
        self.routes = routes(backends)
        self.tol = tol
        self.sdps = 0
        self.undecided = 0
        self._models: dict[tuple[ChoiceSpec, bool], tuple[ChoiceSDP, float, float]] = {}
        # the choice found feasible last: bisection steps are near each other, so it usually is again
        self._hint: ChoiceSpec | None = None

    def _model(self, spec: ChoiceSpec, precondition: bool, gamma: float, eps: float) -> ChoiceSDP:
        key = (spec, precondition)
        entry = self._models.get(key)
        if entry is not None:
            sdp, g0, e0 = entry
            if max(gamma / g0, g0 / gamma) <= _REBUILD_FACTOR and max(eps / e0, e0 / eps) <= _REBUILD_FACTOR:
                sdp.set_targets(sinr_min=gamma, crlb_max=eps)
                return sdp
        sdp = ChoiceSDP(self.scenario, spec, sinr_min=gamma, crlb_max=eps, precondition=precondition)
        self._models[key] = (sdp, gamma, eps)
        return sdp

    def _solve(self, spec: ChoiceSpec, gamma: float, eps: float) -> Status:
        """Definite statuses: OPTIMAL/FEASIBLE (a verified point), INFEASIBLE; else SOLVER_ERROR."""
        status = self._solve_once(spec, gamma, eps, fresh=False)
        if status is Status.SOLVER_ERROR:
            # Near a threshold a re-targeted model (units fixed at build time) stalls where one built
            # at the trial targets solves: counting that stall as infeasible would bias the threshold.
            status = self._solve_once(spec, gamma, eps, fresh=True)
        return status

    def _solve_once(self, spec: ChoiceSpec, gamma: float, eps: float, *, fresh: bool) -> Status:
        trial = self.scenario.replace(sinr_min=gamma, crlb_max=eps)
        infeasible = False
        for be, precondition in self.routes:
            if fresh:
                self._models.pop((spec, precondition), None)
            out = self._model(spec, precondition, gamma, eps).solve(be)
            self.sdps += 1
            if out.status is Status.INFEASIBLE:
                # As in the strategies' chain: the remaining routes may refute the verdict with a point.
                infeasible = True
                continue
            if out.status.is_success:
                if not spec.is_fixed:
                    return Status.FEASIBLE  # a relaxation's point says nothing about a fixed choice
                report = VerificationReport()
                decision_checks(trial, outcome_decision(out), report, tolerance=self.tol)
                if report.max_violation <= self.tol:
                    return Status.FEASIBLE
        return Status.INFEASIBLE if infeasible else Status.SOLVER_ERROR

    def feasible(self, gamma: float, eps: float) -> ChoiceSpec | None:
        """A fixed choice feasible at (Gamma linear, eps m^2), or None (infeasible or undecided)."""
        S, K = self.scenario.n_bs, self.scenario.n_users
        if self._hint is not None and self._solve(self._hint, gamma, eps) is Status.FEASIBLE:
            return self._hint
        undecided = False
        for r in range(S):
            relax = self._solve(ChoiceSpec.free(self.scenario, r), gamma, eps)
            if relax is Status.INFEASIBLE:
                continue  # proves every association under receiver r infeasible
            tx = [s for s in range(S) if s != r]
            for assoc in itertools.product(tx, repeat=K):
                spec = ChoiceSpec.fixed(r, assoc)
                if spec == self._hint:
                    continue
                st = self._solve(spec, gamma, eps)
                if st is Status.FEASIBLE:
                    self._hint = spec
                    return spec
                undecided |= st is not Status.INFEASIBLE
        if undecided:
            self.undecided += 1
        return None


def _bisect(ok: Any, good: float, bad: float, tol: float) -> float:
    """Geometric bisection between a feasible ``good`` and an infeasible ``bad``; returns the feasible end."""
    while max(good / bad, bad / good) > 1.0 + tol:
        mid = math.sqrt(good * bad)
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def _eps_threshold(oracle: FeasibilityOracle, gamma: float, eps: float, feasible_here: bool, tol: float) -> float:
    """Smallest feasible eps (m^2) at Gamma; inf when none up to eps * 10^8."""
    ok = lambda e: oracle.feasible(gamma, e) is not None  # noqa: E731
    if feasible_here:
        good, bad = eps, eps / 10.0
        for _ in range(_EXPAND_STEPS):
            if not ok(bad):
                break
            good, bad = bad, bad / 10.0
        else:
            return good  # still feasible 1e-8 x below: report the last tested value
    else:
        # The far end first: when even eps * 10^8 fails, the SINR rows alone are the conflict (one test).
        if not ok(eps * 10.0 ** _EXPAND_STEPS):
            return float("inf")
        bad, good = eps, eps * 10.0
        for _ in range(_EXPAND_STEPS):
            if ok(good):
                break
            bad, good = good, good * 10.0
        else:
            return float("inf")
    return _bisect(ok, good, bad, tol)


def _gamma_threshold(oracle: FeasibilityOracle, gamma: float, eps: float, feasible_here: bool, tol: float) -> float:
    """Largest feasible Gamma (linear) at eps; 0 when none down to Gamma * 10^-8."""
    ok = lambda g: oracle.feasible(g, eps) is not None  # noqa: E731
    if feasible_here:
        good, bad = gamma, gamma * 10.0
        for _ in range(_EXPAND_STEPS):
            if not ok(bad):
                break
            good, bad = bad, bad * 10.0
        else:
            return good
    else:
        # The far end first: when even Gamma * 10^-8 fails, the CRLB alone is the conflict (one test).
        if not ok(gamma / 10.0 ** _EXPAND_STEPS):
            return 0.0
        bad, good = gamma, gamma / 10.0
        for _ in range(_EXPAND_STEPS):
            if ok(good):
                break
            bad, good = good, good / 10.0
        else:
            return 0.0
    return _bisect(ok, good, bad, tol)


def _backends(backend: Any) -> list[Any]:
    if backend is None:
        # CVXOPT alone, plain then preconditioned: the strategies' full chain goes on to Ipopt,
        # which takes minutes to give up on the infeasible SDPs a bisection is made of.
        return [route for route in default_chain() if route[0].name == "cvxopt:conelp"]
    from isactoolbox.core.backend import get_backend

    if isinstance(backend, str):
        backend = [b.strip() for b in backend.split(",") if b.strip()]
    if not isinstance(backend, (list, tuple)):
        backend = [backend]
    return [get_backend(b) if isinstance(b, str) else b for b in backend]


def explain_infeasibility(scenario: NetworkISAC, backend: Any = None, *, tol: float = DEFAULT_TOL,
                          per_cu: bool = True) -> InfeasibilityExplanation:
    """Which of (SINR >= Gamma for every CU, CRLB <= eps, power <= P) cannot hold together, and the slack.

    ``backend``: a Backend, a name or a comma list ("cvxopt,clarabel"); default the CVXOPT
    routes (50 iterations, plain then preconditioned) of the network-ISAC chain. Near a threshold
    the SDPs are nearly infeasible and backends may disagree there by a few per cent. ``tol``: relative width of the final bisection bracket (the reported
    ``eps_min`` is proved feasible and ``eps_min / (1 + tol)`` infeasible; likewise ``gamma_max`` and
    ``gamma_max * (1 + tol)``). Works on feasible drops too (then the thresholds are the margins).
    Cost on S = 3, K = 2: a few dozen small SDPs per threshold.
    """
    if not tol > 0:
        raise ValueError("tol must be > 0")
    chain = _backends(backend)
    gamma, eps = float(scenario.sinr_min), float(scenario.crlb_max)
    oracle = FeasibilityOracle(scenario, chain)
    witness = oracle.feasible(gamma, eps)
    here = witness is not None
    eps_min = _eps_threshold(oracle, gamma, eps, here, tol)
    gamma_max = _gamma_threshold(oracle, gamma, eps, here, tol)
    sdps, undecided = oracle.sdps, oracle.undecided
    cus: list[dict[str, Any]] = []
    if per_cu and scenario.n_users > 1 and not here and gamma_max <= 0:
        # The CRLB is out of reach at any Gamma, so no CU can be served with it: no SDPs needed.
        cus = [{"cu": k, "alone_feasible": False,
                "message": f"CU {k} alone cannot be served: the CRLB is out of reach at any Gamma"}
               for k in range(scenario.n_users)]
    elif per_cu and scenario.n_users > 1:
        for k in range(scenario.n_users):
            alone = scenario.replace(cu_positions=scenario.cu_positions[k:k + 1],
                                     channels=scenario.channels[:, k:k + 1, :])
            sub = FeasibilityOracle(alone, chain)
            ok = sub.feasible(gamma, eps) is not None
            sdps += sub.sdps
            undecided += sub.undecided
            cus.append({"cu": k, "alone_feasible": ok,
                        "message": (f"CU {k} alone can be served at Gamma with the CRLB" if ok else
                                    f"CU {k} alone cannot reach Gamma together with the CRLB")})
    elif per_cu:
        cus.append({"cu": 0, "alone_feasible": here,
                    "message": "the only CU" + (" can" if here else " cannot") + " be served with the CRLB"})
    g_db = float(linear_to_db(gamma))
    gmax_db = float(linear_to_db(gamma_max)) if gamma_max > 0 else float("-inf")
    P = scenario.max_power
    if here:
        msg = (f"feasible at Gamma = {g_db:.2f} dB, eps = {eps:.4g} m^2 (receiver {witness.receiver}, "
               f"association {list(witness.association)}); margins: eps down to {eps_min:.4g} m^2, "
               f"Gamma up to {gmax_db:.2f} dB")
    else:
        parts = []
        if not np.isfinite(eps_min):
            parts.append(f"SINR >= {g_db:.2f} dB for all CUs is out of reach within P = {P:.4g} W "
                         f"whatever eps")
        else:
            parts.append(f"feasible at this Gamma once eps >= {eps_min:.4g} m^2 ({eps_min / eps:.3g} x)")
        if gamma_max <= 0:
            parts.append(f"CRLB <= {eps:.4g} m^2 is out of reach within P = {P:.4g} W even without CUs' SINR")
        else:
            parts.append(f"feasible at this eps once Gamma <= {gmax_db:.2f} dB")
        bad = [c["cu"] for c in cus if not c["alone_feasible"]]
        if bad:
            parts.append("CU(s) " + ", ".join(map(str, bad)) + " cannot be served even alone")
        elif len(cus) > 1:
            parts.append("each CU alone is servable: the CUs conflict only jointly")
        msg = (f"infeasible: SINR >= {g_db:.2f} dB for every CU, CRLB <= {eps:.4g} m^2 and power <= P "
               "cannot hold together; " + "; ".join(parts))
    if undecided:
        msg += f" ({undecided} feasibility test(s) had SDPs no backend decided: not certified)"
    return InfeasibilityExplanation(
        feasible=here, sinr_min=gamma, crlb_max=eps, eps_min=float(eps_min), gamma_max=float(gamma_max),
        per_cu=cus, certified=undecided == 0, sdps=sdps, message=msg,
        witness=None if witness is None else {"receiver": witness.receiver,
                                              "association": list(witness.association)})

