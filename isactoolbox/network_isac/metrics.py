"""Performance metrics of the network-ISAC model: SINR, location CRLB, total transmit power.

``solution`` is the mapping documented in :mod:`isactoolbox.network_isac.solution` (keys
``receiver``, ``association``, ``W``, ``R``).
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.core.metric import PerformanceMetric
from isactoolbox.core.scenario import Scenario
from isactoolbox.network_isac import fim, sinr as sinr_model
from isactoolbox.network_isac.solution import bs_powers, parse_solution, transmit_covariances
from isactoolbox.network_isac.units import linear_to_db

_KINDS = ("network-isac",)


class SINR(PerformanceMetric):
    """SINR (5) of every CU, linear: array (K,), or a float when ``user`` selects one CU."""

    name: ClassVar[str] = "sinr"
    unit: ClassVar[str] = "1"
    scenario_kinds: ClassVar[tuple[str, ...]] = _KINDS
    sense: ClassVar[str] = "max"

    def __init__(self, user: int | None = None) -> None:
        self.user = user

    def evaluate(self, scenario: Scenario, solution: Mapping[str, Any]) -> Any:
        values = sinr_model.sinr(scenario, parse_solution(scenario, solution))
        return values if self.user is None else float(values[self.user])

    @staticmethod
    def to_db(value: Any) -> Any:
        """dB of a linear SINR (scalar or array)."""
        return linear_to_db(value)

    def evaluate_db(self, scenario: Scenario, solution: Mapping[str, Any]) -> Any:
        """:meth:`evaluate` in dB."""
        return self.to_db(self.evaluate(scenario, solution))


class LocationCRLB(PerformanceMetric):
    """CRLB (7) of the target position at the solution's receiving BS, m^2 (``inf`` if unidentifiable)."""

    name: ClassVar[str] = "location-crlb"
    unit: ClassVar[str] = "m^2"
    scenario_kinds: ClassVar[tuple[str, ...]] = _KINDS
    sense: ClassVar[str] = "min"

    def evaluate(self, scenario: Scenario, solution: Mapping[str, Any]) -> float:
        decision = parse_solution(scenario, solution)
        return fim.location_crlb(scenario, decision.receiver, transmit_covariances(decision))


class TotalTransmitPower(PerformanceMetric):
    """Sum over BSs of tr(C_s), W (the objective of problem (8)); ``per_bs=True`` gives (S,)."""

    name: ClassVar[str] = "total-power"
    unit: ClassVar[str] = "W"
    scenario_kinds: ClassVar[tuple[str, ...]] = _KINDS
    sense: ClassVar[str] = "min"

    def __init__(self, per_bs: bool = False) -> None:
        self.per_bs = per_bs

    def evaluate(self, scenario: Scenario, solution: Mapping[str, Any]) -> Any:
        powers = bs_powers(parse_solution(scenario, solution))
        return powers if self.per_bs else float(np.sum(powers))
