"""Physical solutions of ISAL allocation strategies and the information they yield.

Two forms, as strategies put them in ``Result.values``:

- ``{"power": P}``: one transmission interval per slot, ``P`` (S, N) W (N = R + A active nodes,
  radars first; (N,) accepted for one slot) -- the integrated scheme;
- ``{"step_power": P, "carry": rule}``: step-by-step, ``P`` (S, K, N) W for K steps per slot
  (radar, [clock,] target), carry rule "block" (default) or "efim" (see :mod:`.stepwise`).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from isactoolbox.isal.fisher import FisherCoefficients, as_power, causal_information, fisher_coefficients
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.stepwise import CARRY_RULES, end_of_slot_information, step_matrices


class SolutionInformation:
    """The information matrices a solution yields: at the end of each slot (causal) and overall."""

    def __init__(self, scenario: ISALNetwork, solution: Mapping[str, Any],
                 coeffs: FisherCoefficients | None = None) -> None:
        self.scenario = scenario
        self.coeffs = coeffs if coeffs is not None else fisher_coefficients(scenario)
        if "step_power" in solution:
            carry = solution.get("carry", "block")
            if carry not in CARRY_RULES:
                raise ValueError(f"carry must be one of {CARRY_RULES}, got {carry!r}")
            sp = np.asarray(solution["step_power"], dtype=float)
            if not np.all(np.isfinite(sp)) or np.any(sp < 0):
                raise ValueError("step powers must be finite and >= 0")
            self._slots = end_of_slot_information(self.coeffs, sp, carry)
            self.step_matrices = step_matrices(self.coeffs, sp, carry)
        elif "power" in solution:
            p = as_power(scenario, solution["power"])
            self._slots = [causal_information(self.coeffs, p, s) for s in range(scenario.n_slots)]
            self.step_matrices = None
        else:
            raise ValueError("an ISAL solution needs 'power' (S, N) or 'step_power' (S, K, N)")

    def at_end_of_slot(self, slot: int) -> np.ndarray:
        """Information (1/m^2) on the parameters of slots 0..slot available at the end of ``slot``."""
        return self._slots[slot]

    def full(self) -> np.ndarray:
        """Information (1/m^2) on all parameters after the last slot."""
        return self._slots[-1]


def energy_used(scenario: ISALNetwork, solution: Mapping[str, Any], step_duration: float | None = None) -> float:
    """Energy (J) of a solution: powers times the slot (or step) duration, summed."""
    if "step_power" in solution:
        dur = scenario.slot_duration if step_duration is None else step_duration
        return float(np.sum(solution["step_power"]) * dur)
    return float(np.sum(as_power(scenario, solution["power"])) * scenario.slot_duration)
