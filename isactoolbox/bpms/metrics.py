"""BP and MS position CRBs (8), (10) as performance metrics.

A solution is a mapping with the beamformers ``"W"`` (complex, (n_tx, L), per subcarrier, so
``tr W W^H <= P/M``) or directly the transmit covariance ``"V"`` (n_tx, n_tx). ``W`` wins when
both are present: strategies report the CRB of the beamformers they actually return.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.bpms.fim import LinearFIM, bp_fim, covariance, ms_fim
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.core.metric import PerformanceMetric
from isactoolbox.errors import ValidationError


def transmit_covariance(scenario: BistaticMonostatic, solution: Mapping[str, Any]) -> np.ndarray:
    """V (n_tx, n_tx) from ``solution["W"]`` or ``solution["V"]``; shapes checked."""
    n = scenario.n_tx
    if solution.get("W") is not None:
        W = np.asarray(solution["W"], dtype=complex)
        if W.ndim == 1:
            W = W[:, None]
        if W.ndim != 2 or W.shape[0] != n:
            raise ValidationError("W", f"must have shape (n_tx={n}, L), got {W.shape}", owner="solution")
        if not np.all(np.isfinite(W)):
            raise ValidationError("W", "must be finite", owner="solution")
        return covariance(W)
    if solution.get("V") is not None:
        V = np.asarray(solution["V"], dtype=complex)
        if V.shape != (n, n):
            raise ValidationError("V", f"must have shape ({n}, {n}), got {V.shape}", owner="solution")
        if not np.all(np.isfinite(V)):
            raise ValidationError("V", "must be finite", owner="solution")
        return 0.5 * (V + V.conj().T)
    raise ValidationError("W", "solution holds neither beamformers 'W' nor a covariance 'V'", owner="solution")


class _PositionCRB(PerformanceMetric):
    unit: ClassVar[str] = "m^2"
    scenario_kinds: ClassVar[tuple[str, ...]] = ("bistatic-monostatic",)
    sense: ClassVar[str] = "min"

    @staticmethod
    def fim(scenario: BistaticMonostatic) -> LinearFIM:
        raise NotImplementedError

    def evaluate(self, scenario: BistaticMonostatic, solution: Mapping[str, Any]) -> float:
        """CRB in m^2 (inf when the FIM is singular)."""
        return self.fim(scenario).crb(transmit_covariance(scenario, solution))

    def root(self, scenario: BistaticMonostatic, solution: Mapping[str, Any]) -> float:
        """sqrt(CRB) in m: the position-error bound the paper plots (Fig. 3)."""
        return float(np.sqrt(self.evaluate(scenario, solution)))

    def constraint(self, model: Any, scenario: BistaticMonostatic, variables: Mapping[str, Any],
                   bound: float) -> list[Any]:
        """``CRB <= bound`` (m^2) as a Schur-complement LMI on ``variables["X"]``.

        ``X`` is the scaled transmit covariance, a Hermitian (n_tx, n_tx) model variable with
        ``V = (P/M) X`` (so the power budget reads ``tr X <= 1``).
        """
        from isactoolbox.bpms.formulation import constraint_crb_bound

        if "X" not in variables:
            raise ValidationError("X", "needs the scaled covariance variable X = V / (P/M)", owner=self.name)
        if not bound > 0:
            raise ValidationError("bound", f"a CRB bound must be > 0 m^2, got {bound!r}", owner=self.name)
        return constraint_crb_bound(model, self.fim(scenario), variables["X"], float(bound),
                                    name=f"{self.name}[{len(model.constraints)}]")

    def matrix(self, scenario: BistaticMonostatic, solution: Mapping[str, Any]) -> np.ndarray:
        """Target block of the inverse position-domain FIM (m^2); its trace is :meth:`evaluate`."""
        return self.fim(scenario).crb_matrix(transmit_covariance(scenario, solution))


class BistaticPositioningCRB(_PositionCRB):
    """CRB (8) of the UE position from the UE's own BP measurements (m^2)."""

    name: ClassVar[str] = "bp-crb"

    @staticmethod
    def fim(scenario: BistaticMonostatic) -> LinearFIM:
        return bp_fim(scenario)


class MonostaticSensingCRB(_PositionCRB):
    """CRB (10) of all K+1 positions (UE and targets) sensed at the BS, summed (m^2)."""

    name: ClassVar[str] = "ms-crb"

    @staticmethod
    def fim(scenario: BistaticMonostatic) -> LinearFIM:
        return ms_fim(scenario)


def sqrt_crb(value: float) -> float:
    """sqrt of a CRB in m^2 -> m (inf stays inf)."""
    return float(np.sqrt(value))
