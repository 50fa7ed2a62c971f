"""WCRB-FDB whose beamformer recovery draws uniform-phase vectors instead of Gaussian ones.

The built-in ``wcrb-fdb`` solves the relaxation (15) for the covariance V and then recovers the
beamformers W (n_tx, L) in its ``beamformers`` hook: exactly by eigendecomposition when
rank V <= L, otherwise by Gaussian randomisation ``W = V^(1/2) Z`` scored by the weighted CRB.
This strategy overrides only that hook. When rank V > L its draws have entries
``Z_ij = exp(j phi_ij) / sqrt(L)`` with phases uniform in [0, 2 pi): still ``E[W W^H] = V``, but
every draw spreads the power evenly over the eigen-directions of V, where a Gaussian draw can put
almost all of it on one (the "uniform-phase" randomisation of SDR, Luo et al., IEEE SPM 2010).
The solver model, verification, metrics, options and status rules are inherited unchanged.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.bpms.problems import Outcome
from isactoolbox.bpms.recovery import eigen_beamformers, numerical_rank
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.wcrb import WCRBFullDigital


class WCRBPhaseRecovery(WCRBFullDigital):
    """FDB-WCRB (15) with uniform-phase randomisation in the recovery step (rank V > L only)."""

    name: ClassVar[str] = "wcrb-fdb-phase"

    def beamformers(self, scenario: BistaticMonostatic, out: Outcome, rho: float,
                    options: Mapping[str, Any]) -> tuple[np.ndarray, dict]:
        L = scenario.n_slots
        V = 0.5 * (out.V + out.V.conj().T)
        rank = numerical_rank(V)
        if rank <= L:
            # The eigendecomposition is exact here; nothing for a randomisation to improve.
            return super().beamformers(scenario, out, rho, options)
        power = float(np.trace(V).real)

        def score(W: np.ndarray) -> float:
            return self.weighted_crb(scenario, W, rho)

        # The truncated eigendecomposition (power restored) competes, so the recovery is never
        # worse than the deterministic one whatever the draws.
        best = eigen_beamformers(V, L)
        best = best * np.sqrt(power / max(np.linalg.norm(best) ** 2, 1e-300))
        best_score, method = score(best), "eigendecomposition"
        lam, Q = np.linalg.eigh(V)
        root = Q * np.sqrt(np.clip(lam, 0.0, None))
        rng = np.random.default_rng(options["seed"])
        for _ in range(options["randomisations"]):
            Z = np.exp(2j * np.pi * rng.random((V.shape[0], L))) / np.sqrt(L)
            cand = root @ Z
            cand *= np.sqrt(power / max(np.linalg.norm(cand) ** 2, 1e-300))
            s = score(cand)
            if s < best_score:
                best, best_score, method = cand, s, "uniform-phase randomisation"
        err = float(np.linalg.norm(best @ best.conj().T - V) / max(np.linalg.norm(V), 1e-300))
        return best, {"method": method, "rank": rank, "exact": False, "relative_error": err}
