"""SPEB metrics of ISAL networks (paper 003, eq. (9)): target, radar positions, clock offsets.

``evaluate(scenario, solution)`` takes a solution in either form of :mod:`.solution` and returns the
squared position (or offset) error bound in m^2, summed over slots (``slot=None``) or for one slot.
``causal=True`` (default) bounds slot s with the information available at the end of slot s (the
paper's sequential slots); ``causal=False`` uses every slot (smoothing). For one slot both agree.
"""
from __future__ import annotations

from typing import Any, ClassVar, Mapping

import numpy as np

from isactoolbox.core.metric import PerformanceMetric
from isactoolbox.isal.fisher import speb
from isactoolbox.isal.parameters import CLOCK, RADAR, TARGET
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.solution import SolutionInformation


class _BlockSPEB(PerformanceMetric):
    block: ClassVar[str] = ""
    unit = "m^2"
    scenario_kinds = ("isal",)
    sense = "min"

    def __init__(self, slot: int | None = None, causal: bool = True) -> None:
        self.slot = slot
        self.causal = causal

    def evaluate(self, scenario: ISALNetwork, solution: Mapping[str, Any]) -> float:
        info = SolutionInformation(scenario, solution)
        lay = info.coeffs.layout
        slots = range(scenario.n_slots) if self.slot is None else [self.slot]
        total = 0.0
        for s in slots:
            fim = info.at_end_of_slot(s) if self.causal else info.full()
            total += speb(fim, lay.index(self.block, s))
        return float(total)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(slot={self.slot!r}, causal={self.causal!r})"

    def constraint(self, model: Any, scenario: ISALNetwork, variables: Mapping[str, Any], bound: Any) -> list[Any]:
        """``SPEB <= bound`` (m^2) as Schur-complement LMIs on the node powers.

        ``variables["power"]``: an affine expression of the powers in W, (S*N,) slot-major (or (N,)
        for one slot). Adds one symmetric epigraph variable per slot and returns the constraints it
        added: ``[[D FIM(P) D, D E / sqrt(bound)], [., U_s]] >> 0`` and ``sum_s tr U_s <= 1``, with the
        equilibration ``D`` of :meth:`FisherCoefficients.equilibrated` (solver-friendly numbers).
        """
        from isactoolbox.isal.fisher import fisher_coefficients
        from isactoolbox.modeling import bmat, trace

        bound = float(bound)
        if not bound > 0:
            raise ValueError(f"{self.name} bound must be > 0 m^2, got {bound}")
        co = fisher_coefficients(scenario).equilibrated(scenario.power_max)
        lay = co.layout
        power = variables["power"]
        S, N = scenario.n_slots, scenario.n_active
        if power.shape not in ((S * N, 1), (1, S * N)):
            raise ValueError(f"variables['power'] must have {S * N} entries (slots x active nodes), got {power.shape}")
        slots = range(S) if self.slot is None else [self.slot]
        added, total = [], 0.0
        for s in slots:
            w = (s + 1) * lay.per_slot if self.causal else lay.size
            last = s if self.causal else S - 1
            idx = lay.index(self.block, s)
            if idx.size == 0:
                continue
            fim = 0.0
            for t in range(last + 1):
                for i in range(N):
                    coeff = co.coefficients[t, i][:w, :w] / co.power_scale
                    if np.any(coeff):
                        fim = power[t * N + i] * coeff + fim
            prior = sum((term.placed(lay.size)[:w, :w] for term in co.prior_terms if np.all(term.index < w)),
                        np.zeros((w, w)))
            E = np.zeros((w, idx.size))
            E[idx, np.arange(idx.size)] = co.scaling[idx] / np.sqrt(bound)
            U = model.symmetric(f"{self.name}_epigraph_{s}_{len(model.variables)}", idx.size)
            added.append(model.add(bmat([[fim + prior, E], [E.T, U]]) >> 0, name=f"{self.name}[{s}] schur"))
            total = total + trace(U)
        added.append(model.add(total <= 1.0, name=f"{self.name} <= {bound:g} m^2"))
        return added


class TargetSPEB(_BlockSPEB):
    """SPEB of the target position, m^2 (the objective of both allocation schemes)."""

    name = "target-speb"
    block = TARGET


class RadarSPEB(_BlockSPEB):
    """SPEB of all radar positions (sum over radars), m^2."""

    name = "radar-speb"
    block = RADAR


class ClockOffsetSPEB(_BlockSPEB):
    """Error bound of the radar clock offsets in metres (``c * delta``), m^2 (divide by c^2 for s^2).

    Zero in synchronous networks, where the offsets are known.
    """

    name = "clock-speb"
    block = CLOCK


def all_spebs(scenario: ISALNetwork, solution: Mapping[str, Any], causal: bool = True) -> dict[str, float]:
    """Target, radar and clock SPEBs (summed over slots) and per-slot target SPEBs."""
    out = {m.name: m.evaluate(scenario, solution) for m in (TargetSPEB(causal=causal), RadarSPEB(causal=causal),
                                                            ClockOffsetSPEB(causal=causal))}
    if scenario.n_slots > 1:
        out["target-speb-per-slot"] = np.array([TargetSPEB(slot=s, causal=causal).evaluate(scenario, solution)
                                                for s in range(scenario.n_slots)])
    return out
