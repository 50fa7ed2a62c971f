"""Measure the paper's three conclusions on ISAL networks (paper 003, Sec. 5 and 7).

(i)   step-by-step energy: clock offsets < radar localisation < target sensing (asynchronous, one slot);
(ii)  more energy goes to the sensing-resource-limited slot (two slots);
(iii) step-by-step is better on sensing-resource-abundant networks, integrated on limited ones.

Each function returns plain numbers (JSON-ready) so a benchmark or report can print or store them.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from isactoolbox.backends import get_backend
from isactoolbox.isal.networks import LAYOUTS, shipped_network
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.strategies.integrated import Integrated
from isactoolbox.isal.strategies.sequential import StepRunner
from isactoolbox.isal.strategies.step_by_step import StepByStep
from isactoolbox.isal.strategies.traversal import search


def _budget(sc: ISALNetwork, per_slot: float | None) -> ISALNetwork:
    return sc if per_slot is None else sc.replace(energy_budget=per_slot * sc.n_slots)


def step_shares(names: Iterable[str] = ("single_abundant_a", "single_abundant_b", "single_limited_a",
                                       "single_limited_b"), *, per_slot: float | None = None, carry: str = "block",
                resolution: float = 0.01, fixed: Iterable[float] = (0.2, 0.4, 0.6, 0.8),
                backend: str = "cvxopt") -> dict[str, Any]:
    """Conclusion (i): optimal (radar, clock, target) energy shares of the asynchronous step-by-step scheme.

    Besides the unconstrained optimum (which may sit on the ``min_share`` floor), the paper's Fig. 11
    procedure: fix one step's share and find the best split of the rest between the other two.
    """
    out: dict[str, Any] = {}
    for name in names:
        sc = _budget(shipped_network(name, synchronous=False), per_slot)
        res = StepByStep(carry=carry, resolution=resolution).solve(sc, backend=backend)
        runner = StepRunner(sc, get_backend(backend), carry=carry)
        E = sc.energy_budget
        conditional = []
        for free_step, pair in ((2, (0, 1)), (0, (1, 2)), (1, (0, 2))):  # fix target / radar / clock share
            for f in fixed:
                def value(x: np.ndarray) -> float:
                    shares = np.zeros(3)
                    shares[free_step] = f
                    shares[pair[0]], shares[pair[1]] = x[0] * (1 - f), x[1] * (1 - f)
                    return runner.slot_target_speb(runner.run(tuple(shares * E)), 0)

                best = search(value, 2, method="refine", resolution=resolution, min_share=0.0)
                shares = np.zeros(3)
                shares[free_step] = f
                shares[pair[0]], shares[pair[1]] = best.shares * (1 - f)
                conditional.append({"fixed_step": ["radar", "clock", "target"][free_step], "fixed_share": f,
                                    "best_shares": shares.round(4).tolist(), "target_speb": best.value})
        out[name] = {"best_shares": res.extra["energy_fraction"][0].round(4).tolist(),
                     "target_speb": res.objective, "conditional": conditional}
    return out


def slot_energies(names: Iterable[str] = ("dual_abundant_abundant", "dual_abundant_limited",
                                         "dual_limited_abundant", "dual_limited_limited"), *,
                  per_slot: float | None = None, resolution: float = 0.01, backend: str = "cvxopt",
                  synchronous: Iterable[bool] = (True, False)) -> dict[str, Any]:
    """Conclusion (ii): energy per slot chosen by the integrated (joint and paper-sequential) and step-by-step schemes."""
    out: dict[str, Any] = {}
    for name in names:
        for sync in synchronous:
            sc = _budget(shipped_network(name, sync), per_slot)
            joint = Integrated().solve(sc, backend=backend)
            seq = Integrated(slots="sequential", resolution=resolution).solve(sc, backend=backend)
            sbs = StepByStep(resolution=resolution).solve(sc, backend=backend)
            out[f"{name}/{'sync' if sync else 'async'}"] = {
                "integrated_joint_J": np.round(joint.extra["slot_energy"], 4).tolist(),
                "integrated_sequential_J": np.round(seq.extra["slot_energy"], 4).tolist(),
                "step_by_step_J": np.round(np.sum(sbs.values["step_energy"], axis=1), 4).tolist(),
                "target_speb_per_slot_joint": np.asarray(joint.metrics["target-speb-per-slot"]).tolist()}
    return out


def scheme_comparison(names: Iterable[str] = tuple(LAYOUTS), *, per_slot: float | None = None, carry: str = "block",
                      resolution: float = 0.01, backend: str = "cvxopt",
                      synchronous: Iterable[bool] = (True, False)) -> dict[str, Any]:
    """Conclusion (iii): target SPEB of step-by-step over integrated (ratio < 1: step-by-step better)."""
    out: dict[str, Any] = {}
    for name in names:
        for sync in synchronous:
            sc = _budget(shipped_network(name, sync), per_slot)
            integ = Integrated().solve(sc, backend=backend)
            sbs = StepByStep(carry=carry, resolution=resolution).solve(sc, backend=backend)
            out[f"{name}/{'sync' if sync else 'async'}"] = {
                "integrated_m2": integ.objective, "step_by_step_m2": sbs.objective,
                "ratio": sbs.objective / integ.objective,
                "energy_used_J": [integ.extra["energy"], sbs.extra["energy"]],
                "step_energy_fraction": np.round(sbs.extra["energy_fraction"], 3).tolist(),
                "sdps": sbs.timings.solves, "seconds": sbs.timings.total}
    return out
