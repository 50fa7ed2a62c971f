"""Integrated scheme (paper 003, eqs. (26)-(53)): one SDP over all node powers, minimising the target SPEB.

``slots="joint"`` (default) optimises the powers of every slot in one SDP under the total energy
budget, minimising the sum of the slots' causal target SPEBs (``causal=False``: the smoothed SPEBs
from all slots). ``slots="sequential"`` is the paper's dual-slot procedure: slot 1's SDP alone, then
slot 2's with slot 1's information as prior, the energy split between slots found by traversal.
For one slot both are the same single SDP (26)-(35) / (42)-(47).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result, Timings
from isactoolbox.core.strategy import Strategy
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.isal.fisher import block_crb, causal_information, fisher_coefficients, speb
from isactoolbox.isal.parameters import TARGET
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.strategies.common import (SEARCH_OPTIONS, SLOT_SHARE_OPTION, check_share_length,
                                               report_metrics, verify_powers)
from isactoolbox.isal.strategies.power_sdp import PowerSDP, SchurBlock
from isactoolbox.isal.strategies.sequential import StepRunner, allocate
from isactoolbox.status import Status

# Relative gap allowed between the solver's objective and the SPEB recomputed from its powers.
OBJECTIVE_RTOL = 1e-4


class Integrated(Strategy):
    """Minimise the target SPEB over all node powers with one SDP (Schur-complement LMI, tr U objective).

    Values: ``power`` (S, N) W, radars first. Objective: sum over slots of the target SPEB, m^2.
    """

    name = "integrated"
    scenario_kinds = ("isal",)
    options = {
        "slots": Option("joint", str, "'joint': one SDP over every slot; 'sequential': slot by slot with the "
                                      "slot split found by traversal (the paper)", choices=("joint", "sequential")),
        "causal": Option(True, bool, "objective per slot from the information up to that slot (else smoothed)"),
        "slot_shares": SLOT_SHARE_OPTION,
        **SEARCH_OPTIONS,
    }

    def _solve(self, scenario: ISALNetwork, backend: Any, options: Mapping[str, Any]) -> Result:
        if options["slots"] == "sequential" and scenario.n_slots > 1 or options["slot_shares"] is not None:
            return self._solve_sequential(scenario, backend, options)
        return self._solve_joint(scenario, backend, options)

    # -- one SDP ----------------------------------------------------------------------------------
    def _solve_joint(self, scenario: ISALNetwork, backend: Any, options: Mapping[str, Any]) -> Result:
        co = fisher_coefficients(scenario).equilibrated(scenario.power_max)
        lay = co.layout
        S, N = scenario.n_slots, scenario.n_active
        caps = np.tile(scenario.power_max / co.power_scale, S)
        blocks, constants, refs = [], [], []
        full_caps = np.broadcast_to(scenario.power_max / co.power_scale, (S, N))
        windows = ([(s + 1) * lay.per_slot for s in range(S)] if options["causal"] else [lay.size])
        for j, w in enumerate(windows):
            targets = ([lay.index(TARGET, j)] if options["causal"] else [lay.index(TARGET, s) for s in range(S)])
            idx = np.concatenate(targets)
            last = j if options["causal"] else S - 1
            fim_ref = causal_information(co, full_caps, last)[:w, :w] if options["causal"] else co.fim(full_caps)
            ref = float(np.trace(co.crb_to_physical(block_crb(fim_ref, idx), idx)))
            ref = ref if np.isfinite(ref) and ref > 0 else 1.0
            E = np.zeros((w, idx.size))
            E[idx, np.arange(idx.size)] = co.scaling[idx] / np.sqrt(ref)
            A = np.zeros((S * N, w, w))
            for s in range(last + 1):
                A[s * N:(s + 1) * N] = co.coefficients[s][:, :w, :w]
            prior = np.zeros((w, w))
            for term in co.prior_terms:
                if np.all(term.index < w):
                    prior += term.placed(lay.size)[:w, :w]
            blocks.append(SchurBlock(A, E, True))
            constants.append(prior)
            refs.append(ref)
        if len(set(refs)) > 1:  # one objective scale for the sum: rescale every block to the first's units
            for j in range(1, len(blocks)):
                blocks[j] = SchurBlock(blocks[j].A, blocks[j].E * np.sqrt(refs[j] / refs[0]), True)
        sdp = PowerSDP(f"isal-integrated-{scenario.n_slots}slot", blocks, caps)
        budget = scenario.energy_budget / (scenario.slot_duration * co.power_scale)
        out = sdp.solve(backend, budget, constants)
        timings = Timings(build=sdp.build_time + out.build_time, solver=out.solve_time, solves=1)
        result = Result(status=out.status, timings=timings, message=out.message, solver=out.solver,
                        solver_version=out.solver_version)
        if out.p is None:
            return result
        power = out.p.reshape(S, N) * co.power_scale
        result.values = {"power": power}
        value = self._objective(scenario, power, options["causal"])
        result.objective = value
        gap = abs(out.objective * refs[0] - value) / max(value, 1e-300) if out.objective is not None else np.inf
        result.extra = {"solver_objective_m2": None if out.objective is None else out.objective * refs[0],
                        "objective_gap": gap, "slot_energy": np.sum(power, axis=1) * scenario.slot_duration,
                        "energy": float(np.sum(power) * scenario.slot_duration)}
        if result.status.is_success and gap > OBJECTIVE_RTOL:
            result.status = Status.INACCURATE
            result.message = f"solver objective and recomputed SPEB differ by {gap:.1e} (relative)"
        return result

    @staticmethod
    def _objective(scenario: ISALNetwork, power: np.ndarray, causal: bool) -> float:
        co = fisher_coefficients(scenario)
        lay = co.layout
        if causal:
            return float(sum(speb(causal_information(co, power, s), lay.index(TARGET, s))
                             for s in range(scenario.n_slots)))
        fim = co.fim(power)
        return float(sum(speb(fim, lay.index(TARGET, s)) for s in range(scenario.n_slots)))

    # -- slot after slot (paper) ------------------------------------------------------------------
    def _solve_sequential(self, scenario: ISALNetwork, backend: Any, options: Mapping[str, Any]) -> Result:
        runner = StepRunner(scenario, backend, carry="block", blocks=(TARGET,))
        slot_shares = check_share_length(type(self).__name__, "slot_shares", options["slot_shares"], scenario.n_slots)
        alloc = allocate(runner, scenario.energy_budget, method=options["search"],
                         resolution=options["resolution"], min_share=options["min_share"], points=options["points"],
                         slot_shares=slot_shares)
        statuses = alloc.state.statuses
        result = Result(status=Status.FEASIBLE if all(s.is_success for s in statuses) else
                        next(s for s in statuses if not s.is_success), timings=runner.timings,
                        solver=runner.solver, solver_version=runner.solver_version)
        if not np.isfinite(alloc.value):
            result.status = Status.SOLVER_ERROR if result.status.is_success else result.status
            result.message = "no energy split gave a finite target SPEB"
            return result
        power = runner.step_power(alloc.state)[:, 0, :]
        result.values = {"power": power}
        result.objective = self._objective(scenario, power, True)
        result.extra = {"slot_shares": alloc.slot_shares, "slot_energy": np.sum(power, axis=1) * scenario.slot_duration,
                        "energy": float(np.sum(power) * scenario.slot_duration),
                        "evaluations": alloc.evaluations, "objective_gap": float(max(alloc.state.gaps)),
                        "traversal": alloc.history}
        result.message = ("energy split between slots by traversal; each slot's SDP optimal, the split "
                          "optimal on the share lattice only")
        return result

    # -- checks -----------------------------------------------------------------------------------
    def verify(self, scenario: ISALNetwork, values: Mapping[str, Any], options: Mapping[str, Any]) -> VerificationReport:
        report = VerificationReport()
        power = np.asarray(values["power"], dtype=float).reshape(scenario.n_slots, scenario.n_active)
        verify_powers(scenario, power, report, "node", scenario.energy_budget, scenario.slot_duration)
        value = self._objective(scenario, power, options.get("causal", True))
        report.add(check("target SPEB finite", float(np.isfinite(value)), "==", 1.0))
        return report

    def evaluate_metrics(self, scenario: ISALNetwork, values: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        return report_metrics(scenario, values)
