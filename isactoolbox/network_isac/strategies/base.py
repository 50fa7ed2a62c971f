"""What every network-ISAC strategy shares: verification, metrics, and turning an SDP outcome into a Result.

``Result.values`` of every network-ISAC strategy holds ``receiver`` (int), ``association`` (K,) int,
``W`` (K, N) complex beamforming vectors in sqrt(W) and ``R`` (S, N, N) complex sensing covariances in
W (see :mod:`isactoolbox.network_isac.solution`).
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.strategy import Strategy
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.errors import ValidationError
from isactoolbox.network_isac import fim, sinr as sinr_model
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.solution import Decision, bs_powers, parse_solution, transmit_covariances
from isactoolbox.network_isac.units import linear_to_db

#: Relative tolerance of the recomputed SINR, CRLB and power constraints. Interior-point solutions
#: of the whitened SDPs meet them to ~1e-8; 1e-5 leaves room for the rank-one recovery.
PHYSICAL_RTOL = 1e-5
#: lambda_2 / lambda_1 below this counts as rank one.
RANK_ONE_RTOL = 1e-6

#: Per-SDP fallback chain used when a strategy gets no backend: (name, options, precondition).
#: Measured on 16 random Table II choices (docs/network_isac.md): PICOS's default 1e-8 gap and
#: feasibility tolerances made CVXOPT stall at a 1e-7 gap and fail on 7 of 16 (singular KKT, then a
#: second full solve with LDL: ~5.5 s per failure). With CVXOPT's own gap tolerances (abs 1e-7,
#: rel 1e-6; objective within 4e-7 of the tight answer) and the block preconditioner, 12 of 16 were
#: solved in ~1 s; without the second KKT attempt a failure costs ~1 s, and CVXOPT without the
#: preconditioner (feasibility 1e-7) solved 3 of the other 4. 16 choices: 125 s with the old chain,
#: 34 s with this one, 15 optimal instead of 9. Clarabel (single-threaded, ~0.4 s) is faster still
#: but its "Solved" objectives were up to 6e-5 off (its dual bound above CVXOPT's optimum), too
#: loose for 1e-4 certificates, so it is a fallback. Ipopt on the certified factorization is last:
#: 40-290 s to give up on an infeasible SDP. A missing backend is skipped. CVXOPT runs through the
#: direct ``cvxopt`` backend (same solver and settings as PICOS's, without its 0.03 s translation).
_CVXOPT_GAP = {"max_iterations": 50, "abs_tol": 1e-7, "rel_tol": 1e-6}
DEFAULT_CHAIN: tuple[tuple[str, dict[str, Any], bool], ...] = (
    ("cvxopt", {**_CVXOPT_GAP, "kkt_solver": "chol", "kkt_fallback": False}, True),
    ("cvxopt", {**_CVXOPT_GAP, "feas_tol": 1e-7}, False),
    ("clarabel", {}, True),
    ("pyomo:ipopt", {"max_rounds": 4}, False),
)


def default_chain() -> list[Any]:
    """The default routes as (Backend, precondition) pairs; backends whose plugin is missing are left out."""
    from isactoolbox.core.backend import get_backend
    from isactoolbox.errors import IsacToolboxError

    out = []
    for name, opts, precondition in DEFAULT_CHAIN:
        try:
            out.append((get_backend(name, **opts), precondition))
        except IsacToolboxError:  # e.g. the Clarabel plugin is not installed
            continue
    return out


def _positive_int(x: int) -> str | None:
    return None if x >= 1 else "must be >= 1"


RECOVERY_OPTIONS: dict[str, Option] = {
    "randomizations": Option(32, int, "Gaussian randomization draws when an SDR solution is not rank one",
                             check=_positive_int),
    "seed": Option(0, int, "seed of the Gaussian randomization (and of random choices)"),
}


def decision_checks(scenario: NetworkISAC, decision: Decision, report: VerificationReport, *,
                    tolerance: float = PHYSICAL_RTOL) -> None:
    """Append the SINR, CRLB and power checks of ``decision`` to ``report`` (SI units)."""
    gamma = scenario.sinr_min
    for k, value in enumerate(sinr_model.sinr(scenario, decision)):
        report.add(check(f"SINR of CU {k} >= Gamma", value, ">=", gamma, unit="1", tolerance=tolerance))
    covariances = transmit_covariances(decision)
    crlb = fim.location_crlb(scenario, decision.receiver, covariances)
    report.add(check("location CRLB <= eps", crlb, "<=", scenario.crlb_max, unit="m^2", tolerance=tolerance))
    powers = bs_powers(decision)
    for s, p in enumerate(powers):
        if s == decision.receiver:
            report.add(check(f"receiving BS {s} is silent", p, "<=", 0.0, unit="W", tolerance=tolerance,
                             scale=scenario.max_power))
        else:
            report.add(check(f"power of BS {s} <= P", p, "<=", scenario.max_power, unit="W", tolerance=tolerance))
    for s, C in enumerate(covariances):
        lam_min = float(np.linalg.eigvalsh(0.5 * (C + C.conj().T))[0]) if np.any(C) else 0.0
        report.add(check(f"covariance of BS {s} PSD", lam_min, ">=", 0.0, unit="W", tolerance=tolerance,
                         scale=scenario.max_power))


class NetworkISACStrategy(Strategy):
    """Base of the network-ISAC strategies: physical verification and metrics from the final beamformers."""

    scenario_kinds: ClassVar[tuple[str, ...]] = ("network-isac",)
    default_backend: ClassVar[str] = ",".join(dict.fromkeys(name for name, _, _ in DEFAULT_CHAIN))

    def resolve_backends(self, backend: Any) -> list[Any]:
        # The whole chain goes to every SDP (per-SDP fallback inside the strategy), so the template's
        # strategy-level loop sees one entry.
        return [default_chain() if backend is None else super().resolve_backends(backend)]

    def verify(self, scenario: NetworkISAC, values: Mapping[str, Any], options: Mapping[str, Any]) -> VerificationReport:
        report = VerificationReport()
        try:
            decision = parse_solution(scenario, values)
        except ValidationError as exc:
            report.add(check(f"solution well-formed ({exc.field})", 0.0, "==", 1.0))
            report.notes.append(str(exc))
            return report
        W = np.asarray(values["W"])
        if W.ndim == 3:  # covariance matrices: a rank-one beamformer is what the problem asks for
            for k in range(W.shape[0]):
                lam = np.linalg.eigvalsh(0.5 * (W[k] + W[k].conj().T))
                ratio = float(lam[-2] / lam[-1]) if lam[-1] > 0 else 0.0
                report.add(check(f"beam of CU {k} rank one", ratio, "<=", 0.0, scale=1.0, tolerance=RANK_ONE_RTOL))
        decision_checks(scenario, decision, report)
        return report

    def evaluate_metrics(self, scenario: NetworkISAC, values: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        decision = parse_solution(scenario, values)
        s = sinr_model.sinr(scenario, decision)
        powers = bs_powers(decision)
        return {"total-power": float(np.sum(powers)), "total-power-dbm": float(10 * np.log10(np.sum(powers) * 1e3))
                if np.sum(powers) > 0 else float("-inf"),
                "bs-power": powers, "sinr": s, "min-sinr-db": float(linear_to_db(np.min(s))),
                "location-crlb": fim.location_crlb(scenario, decision.receiver, transmit_covariances(decision))}
