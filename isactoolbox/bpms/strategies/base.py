"""Shared parts of the 004 strategies: the rho option, verification and the CRB metrics."""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.bpms.metrics import BistaticPositioningCRB, MonostaticSensingCRB
from isactoolbox.bpms.problems import Outcome
from isactoolbox.bpms.recovery import numerical_rank
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.core.strategy import Strategy
from isactoolbox.core.verification import VerificationReport, check

#: Relative tolerance on physical re-checks (power, recovery): looser than double precision because
#: the solver's interior-point tolerances (~1e-7 to 1e-8) pass through into the returned point.
RTOL = 1e-5


def _unit_interval(x: float) -> str | None:
    return None if 0.0 <= x <= 1.0 else "must lie in [0, 1]"


class BPMSStrategy(Strategy):
    """Base of every 004 strategy. ``values``: ``W`` (n_tx, L) complex beamformers (sqrt(W), per
    subcarrier) and ``V`` (n_tx, n_tx) the covariance the optimisation produced (W).
    """

    scenario_kinds: ClassVar[tuple[str, ...]] = ("bistatic-monostatic",)
    options: ClassVar[dict[str, Option]] = {
        "rho": Option(0.5, float, "tradeoff weight: rho * CRB_BP + (1 - rho) * CRB_MS (rho = 1: BP only)",
                      check=_unit_interval),
    }
    #: True when the method transmits at exactly P/M ((16b), (19b)); else tr W W^H <= P/M (11b).
    full_power: ClassVar[bool] = False

    # -- verification: recomputed from W in double precision --
    def verify(self, scenario: BistaticMonostatic, values: Mapping[str, Any],
               options: Mapping[str, Any]) -> VerificationReport:
        report = VerificationReport()
        W = np.asarray(values["W"], dtype=complex)
        budget = scenario.power_per_subcarrier
        power = float(np.linalg.norm(W) ** 2)
        report.add(check("power", power, "==" if self.full_power else "<=", budget, tolerance=RTOL, unit="W"))
        report.add(check("antennas", W.shape[0], "==", scenario.n_tx, tolerance=0.0))
        report.add(check("slots", W.shape[1], "<=", scenario.n_slots, tolerance=0.0))
        bp = BistaticPositioningCRB().evaluate(scenario, {"W": W})
        ms = MonostaticSensingCRB().evaluate(scenario, {"W": W})
        # A singular FIM is a property of the design (e.g. L = 1 cannot resolve BP), not a violated
        # constraint: it is reported, and the metrics say inf.
        for label, value in (("BP", bp), ("MS", ms)):
            if not np.isfinite(value) or value > 1e12:
                report.notes.append(f"{label} FIM (numerically) singular for these beamformers: CRB = {value:.3g} m^2")
        if values.get("V") is not None:
            V = np.asarray(values["V"])
            err = np.linalg.norm(W @ W.conj().T - V) / max(np.linalg.norm(V), 1e-300)
            if numerical_rank(V) <= scenario.n_slots:
                # rank V <= L: the eigendecomposition reproduces V, so any mismatch is an error
                report.add(check("recovery W W^H = V", err, "<=", 0.0, tolerance=RTOL, scale=1.0))
            else:
                report.notes.append(f"rank V > L = {scenario.n_slots}: W W^H approximates V "
                                    f"(relative error {err:.2e}); CRBs are those of W")
        return report

    def evaluate_metrics(self, scenario: BistaticMonostatic, values: Mapping[str, Any],
                         options: Mapping[str, Any]) -> dict[str, Any]:
        """bp-crb, ms-crb (m^2), their square roots (m) and the weighted sum at ``rho`` (m^2)."""
        bp = BistaticPositioningCRB().evaluate(scenario, {"W": values["W"]})
        ms = MonostaticSensingCRB().evaluate(scenario, {"W": values["W"]})
        rho = options.get("rho", 0.5)
        return {"bp-crb": bp, "ms-crb": ms, "sqrt-bp-crb": float(np.sqrt(bp)), "sqrt-ms-crb": float(np.sqrt(ms)),
                "weighted-crb": rho * bp + (1 - rho) * ms}

    # -- helpers for subclasses --
    @staticmethod
    def weighted_crb(scenario: BistaticMonostatic, W: np.ndarray, rho: float) -> float:
        return (rho * BistaticPositioningCRB().evaluate(scenario, {"W": W})
                + (1 - rho) * MonostaticSensingCRB().evaluate(scenario, {"W": W}))

    @staticmethod
    def result_from(outcome: Outcome, build_time: float = 0.0) -> Result:
        """A Result with status, solver identity and timings of ``outcome`` (values filled by caller)."""
        res = Result(status=outcome.status, message=outcome.message, solver=outcome.solver,
                     solver_version=outcome.solver_version)
        res.timings.absorb(outcome.timings)
        res.timings.build += build_time
        res.extra.update(outcome.extra)
        return res
