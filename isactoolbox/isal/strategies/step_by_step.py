"""Step-by-step scheme (paper 003, eqs. (54)-(83)): radar localisation, [clock offsets,] target sensing.

Per slot, every step is its own transmission interval (``step_duration``, default one slot) with its
own share of the energy budget and its own SDP minimising the SPEB of its block; the information it
gathered is carried as prior into the next step (carry rule "block" as in the paper, or "efim", see
:mod:`isactoolbox.isal.stepwise`). The shares are found by traversal: a 1-D (synchronous: 2 steps)
or 2-D (asynchronous: 3 steps) search per slot, inside a search over the split between slots.
Each step's SDP is compiled once and re-solved with new ``budget``/``constant`` parameters.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result
from isactoolbox.core.strategy import Strategy
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.isal.metrics import TargetSPEB
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.stepwise import CARRY_RULES
from isactoolbox.isal.strategies.common import (POWER_RTOL, SEARCH_OPTIONS, SLOT_SHARE_OPTION, STEP_SHARE_OPTION,
                                               check_share_length, report_metrics, verify_powers)
from isactoolbox.isal.strategies.sequential import StepRunner, allocate
from isactoolbox.status import Status

OBJECTIVE_RTOL = 1e-4


class StepByStep(Strategy):
    """Sequential per-block SDPs with the energy split between steps and slots found by traversal.

    Values: ``step_power`` (S, K, N) W (K = 2 synchronous, 3 asynchronous; radars first),
    ``step_energy`` (S, K) J (the energy each step was given), ``carry``. Objective: sum over slots
    of the target SPEB at the end of the slot, m^2. Status ``feasible``: every SDP is solved to
    optimality but the split is only the best point of the share lattice.
    """

    name = "step-by-step"
    scenario_kinds = ("isal",)
    options = {
        "carry": Option("block", str, "information carried between steps: 'block' (the paper: the leading FIM "
                                      "block) or 'efim' (the Schur complement)", choices=CARRY_RULES),
        "step_duration": Option(None, float, "length of one step's interval, s (default: one slot)",
                                allow_none=True, check=lambda x: None if x > 0 else "must be > 0"),
        "step_shares": STEP_SHARE_OPTION,
        "slot_shares": SLOT_SHARE_OPTION,
        **SEARCH_OPTIONS,
    }

    def _solve(self, scenario: ISALNetwork, backend: Any, options: Mapping[str, Any]) -> Result:
        runner = StepRunner(scenario, backend, carry=options["carry"], step_duration=options["step_duration"])
        owner = type(self).__name__
        step_shares = check_share_length(owner, "step_shares", options["step_shares"], runner.steps_per_slot)
        slot_shares = check_share_length(owner, "slot_shares", options["slot_shares"], scenario.n_slots)
        alloc = allocate(runner, scenario.energy_budget, method=options["search"], resolution=options["resolution"],
                         min_share=options["min_share"], points=options["points"], step_shares=step_shares,
                         slot_shares=slot_shares)
        state = alloc.state
        bad = [s for s in state.statuses if not s.is_success]
        result = Result(status=bad[0] if bad else Status.FEASIBLE, timings=runner.timings, solver=runner.solver,
                        solver_version=runner.solver_version)
        if not np.isfinite(alloc.value) or any(np.any(np.isnan(p)) for p in state.powers):
            result.status = bad[0] if bad else Status.SOLVER_ERROR
            result.message = "no energy split gave a finite target SPEB"
            return result
        S, K = scenario.n_slots, runner.steps_per_slot
        step_power = runner.step_power(state)
        step_energy = np.array(alloc.energies).reshape(S, K)
        result.values = {"step_power": step_power, "step_energy": step_energy, "carry": options["carry"]}
        result.objective = TargetSPEB().evaluate(scenario, result.values)
        gap = float(max(state.gaps))
        result.extra = {
            "steps": [s.name for s in runner.steps],
            "step_shares": alloc.step_shares, "slot_shares": alloc.slot_shares,
            "energy_fraction": step_energy / scenario.energy_budget,
            "step_speb": np.array(state.spebs).reshape(S, K),
            "evaluations": alloc.evaluations, "objective_gap": gap,
            "energy": float(np.sum(step_power) * runner.duration),
            "traversal": alloc.history,
        }
        if result.status.is_success and gap > OBJECTIVE_RTOL:
            result.status = Status.INACCURATE
            result.message = f"a step's solver objective and recomputed SPEB differ by {gap:.1e} (relative)"
        else:
            searched = "fixed shares" if step_shares is not None and (slot_shares is not None or S == 1) else (
                f"{alloc.evaluations} share points searched ({options['search']})")
            result.message = (f"{searched}, {runner.timings.solves} SDPs; each step's SDP optimal, the split "
                              "optimal on the share lattice only")
        return result

    def verify(self, scenario: ISALNetwork, values: Mapping[str, Any], options: Mapping[str, Any]) -> VerificationReport:
        report = VerificationReport()
        duration = options.get("step_duration") or scenario.slot_duration
        power = np.asarray(values["step_power"], dtype=float)
        step_energy = np.asarray(values["step_energy"], dtype=float)
        verify_powers(scenario, power, report, "step", scenario.energy_budget, duration)
        report.add(check("step energies sum <= budget", float(np.sum(step_energy)), "<=", scenario.energy_budget,
                         unit="J", tolerance=POWER_RTOL))
        used = np.sum(power, axis=-1) * duration
        worst = np.unravel_index(np.argmax(used - step_energy), used.shape)
        report.add(check(f"step {tuple(int(i) for i in worst)} energy <= its share", float(used[worst]), "<=",
                         float(step_energy[worst]), unit="J", tolerance=POWER_RTOL,
                         scale=max(float(scenario.energy_budget), 1e-300)))
        report.add(check("target SPEB finite", float(np.isfinite(TargetSPEB().evaluate(scenario, values))), "==", 1.0))
        return report

    def evaluate_metrics(self, scenario: ISALNetwork, values: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        return report_metrics(scenario, values)
