"""Average power allocation (APA): equal power P / (M q) on each unit-norm codebook column.

No optimisation and no tradeoff: the same point for every rho (the option is accepted and
ignored so sweeps treat all schemes alike). Status ``feasible``: verified, optimal for nothing.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.bpms.formulation import codebook
from isactoolbox.bpms.recovery import recover_beamformers
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.base import BPMSStrategy
from isactoolbox.core.result import Result
from isactoolbox.status import Status


class AveragePowerAllocation(BPMSStrategy):
    """APA baseline over the codebook [a_T(theta_B,k), d a_T / d theta] of WCRB-CPA."""

    name: ClassVar[str] = "apa"
    full_power: ClassVar[bool] = True

    def _solve(self, scenario: BistaticMonostatic, backend: Any, options: Mapping[str, Any]) -> Result:
        U = codebook(scenario)
        q, L = U.shape[1], scenario.n_slots
        powers = np.full(q, scenario.power_per_subcarrier / q)
        V = (U * powers) @ U.conj().T
        if q <= L:
            W = np.zeros((scenario.n_tx, L), dtype=complex)
            W[:, :q] = U * np.sqrt(powers)
            method = "codebook"
        else:
            W, rec = recover_beamformers(V, L, draws=0)
            method = rec["method"]
        res = Result(status=Status.FEASIBLE, values={"W": W, "V": V, "codebook_powers": powers},
                     message="fixed equal-power allocation (no optimisation)")
        res.extra.update(codebook=U, recovery=method)
        res.objective = self.weighted_crb(scenario, W, options["rho"])
        return res
