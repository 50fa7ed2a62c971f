"""Weighted-sum CRB (12)-(15): min rho CRB_BP + (1 - rho) CRB_MS over V (FDB) or codebook powers (CPA).

The relaxation (13) drops rank V <= L; the CRBs enter through Schur-complement LMIs (15b). The
beamformers are recovered from V by eigendecomposition (exact when rank V <= L), else by Gaussian
randomisation scored by the weighted CRB. The returned ``objective`` is the weighted CRB (m^2)
recomputed from W; ``extra["relaxation_bound"]`` is the solver's value of (15a).
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.bpms.problems import Outcome, wcrb_problem
from isactoolbox.bpms.recovery import recover_beamformers
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.base import BPMSStrategy
from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.status import Status


class _WCRB(BPMSStrategy):
    use_codebook: ClassVar[bool] = False
    options: ClassVar[dict[str, Option]] = {
        "randomisations": Option(100, int, "Gaussian draws for the recovery when rank V > L"),
        "seed": Option(0, int, "seed of the randomised recovery"),
        "objective_rtol": Option(1e-4, float, "allowed relative gap between the solver's weighted-CRB "
                                 "bound and the weighted CRB recomputed from W (else inaccurate)"),
    }

    def _solve(self, scenario: BistaticMonostatic, backend: Any, options: Mapping[str, Any]) -> Result:
        problem, reused = wcrb_problem(scenario, self.use_codebook, self.reduce_range(options))
        rho = options["rho"]
        out = problem.solve(backend, rho)
        res = self.result_from(out, 0.0 if reused else problem.build_time)
        res.extra["model_reused"] = reused
        if out.V is None:
            return res
        W, recovery = self.beamformers(scenario, out, rho, options)
        res.values = {"W": W, "V": out.V}
        if out.powers is not None:
            res.values["codebook_powers"] = out.powers
            res.extra["codebook"] = problem.U
        achieved = self.weighted_crb(scenario, W, rho)
        gap = (achieved - out.objective) / out.objective
        res.objective = achieved
        res.extra.update(relaxation_bound=out.objective, bound_gap=gap, recovery=recovery)
        if res.status is Status.OPTIMAL:
            if not recovery["exact"]:
                res.status = Status.FEASIBLE
                res.message = f"rank V = {recovery['rank']} > L: beamformers by {recovery['method']}"
            elif abs(gap) > options["objective_rtol"]:
                res.status = Status.INACCURATE
                res.message = f"weighted CRB of W differs from the solver's bound by {gap:.2e} (relative)"
        return res

    def reduce_range(self, options: Mapping[str, Any]) -> bool:
        """Whether the covariance is solved for on the FIMs' shared range (FDB only)."""
        return False

    def beamformers(self, scenario: BistaticMonostatic, out: Outcome, rho: float,
                    options: Mapping[str, Any]) -> tuple[np.ndarray, dict]:
        L = scenario.n_slots
        if out.powers is not None and out.powers.size <= L:
            # One beam per codebook entry keeps the CPA structure (and pairs columns for WBF).
            U = wcrb_problem(scenario, True)[0].U
            W = np.zeros((scenario.n_tx, L), dtype=complex)
            W[:, :U.shape[1]] = U * np.sqrt(out.powers)
            return W, {"method": "codebook", "rank": int(np.sum(out.powers > 0)), "exact": True,
                       "relative_error": float(np.linalg.norm(W @ W.conj().T - out.V)
                                               / max(np.linalg.norm(out.V), 1e-300))}
        return recover_beamformers(out.V, L, score=lambda Wc: self.weighted_crb(scenario, Wc, rho),
                                   draws=options["randomisations"], seed=options["seed"])


class WCRBFullDigital(_WCRB):
    """FDB-WCRB: (15) over a full Hermitian PSD covariance V, tr V <= P/M."""

    name: ClassVar[str] = "wcrb-fdb"
    use_codebook: ClassVar[bool] = False
    options: ClassVar[dict[str, Option]] = {
        "reduce_range": Option(True, bool, "solve for V = Q Y Q^H on the 2K+2-dimensional span Q of the "
                               "steering vectors and their derivatives (exact: same optimum, PSD cone "
                               "of side 2K+2 instead of M_T); False solves the full M_T x M_T program"),
    }

    def reduce_range(self, options: Mapping[str, Any]) -> bool:
        return bool(options["reduce_range"])


class WCRBCodebook(_WCRB):
    """CPA-WCRB: (15) with V = U diag(lambda) U^H over the codebook [a_T(theta_B,k), d a_T / d theta], lambda >= 0."""

    name: ClassVar[str] = "wcrb-cpa"
    use_codebook: ClassVar[bool] = True
