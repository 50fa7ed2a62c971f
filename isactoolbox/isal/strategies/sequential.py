"""Running a plan of steps (one SDP each) and searching the energy split between steps and slots.

Used by the step-by-step scheme (radar -> [clock ->] target steps per slot) and by the integrated
scheme run slot after slot (one step per slot). Each step kind (slot, position) is compiled once as
a :class:`PowerSDP`; the traversal only changes its ``budget`` and ``constant`` parameters.

Split search: the slot shares are searched in an outer loop; for given slot energies every slot, in
order, searches its own step shares minimising that slot's target SPEB (each step of the scheme
optimises its own objective, and so does each slot), and the outer loop minimises the sum of the
slots' target SPEBs. Step runs are memoised on the energies of all steps so far.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from isactoolbox.core.result import Timings
from isactoolbox.isal.fisher import block_crb, causal_information, fisher_coefficients
from isactoolbox.isal.parameters import TARGET
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.stepwise import Accumulator
from isactoolbox.isal.strategies.power_sdp import PowerSDP, SchurBlock
from isactoolbox.isal.strategies.traversal import SearchResult, search
from isactoolbox.status import Status


@dataclasses.dataclass
class StepState:
    """State after a prefix of steps: accumulator, normalised powers, SPEBs and solver statuses per step."""

    acc: Accumulator
    powers: list[np.ndarray]
    spebs: list[float]  # physical SPEB (m^2) of each step's own block, recomputed from its matrix
    statuses: list[Status]
    gaps: list[float]  # relative gap solver objective vs recomputed SPEB
    failed: bool = False  # a step's SDP returned no point; the state after it is not usable


class StepRunner:
    """Memoised execution of a step plan on the equilibrated information of ``scenario``."""

    def __init__(self, scenario: ISALNetwork, backend: Any, *, carry: str = "block",
                 blocks: tuple[str, ...] | None = None, step_duration: float | None = None) -> None:
        self.scenario = scenario
        self.backend = backend
        self.coeffs = fisher_coefficients(scenario).equilibrated(scenario.power_max)
        self.initial = Accumulator(self.coeffs, carry, blocks)
        self.steps = self.initial.steps
        self.steps_per_slot = len(self.steps) // scenario.n_slots
        self.caps = scenario.power_max / self.coeffs.power_scale
        self.duration = scenario.slot_duration if step_duration is None else float(step_duration)
        self.timings = Timings()
        self.solver, self.solver_version = "", ""
        self._sdps: dict[tuple[int, int], tuple[PowerSDP, float]] = {}
        self._memo: dict[tuple[float, ...], StepState] = {(): StepState(self.initial, [], [], [], [])}
        # every slot's reference SPEB scale: its target at all nodes' limits, one slot alone
        self._reference: dict[tuple[int, str], float] = {}

    # -- SDPs --
    def _reference_speb(self, slot: int, idx: np.ndarray) -> float:
        key = (slot, str(idx.tolist()))
        if key not in self._reference:
            p = np.zeros(self.coeffs.coefficients.shape[:2])
            p[: slot + 1] = self.caps
            fim = causal_information(self.coeffs, p, slot)
            crb = self.coeffs.crb_to_physical(block_crb(fim, idx), idx)
            val = float(np.trace(crb))
            self._reference[key] = val if np.isfinite(val) and val > 0 else 1.0
        return self._reference[key]

    def _sdp(self, k: int) -> tuple[PowerSDP, float]:
        step = self.steps[k]
        key = (step.slot, step.position)
        if key not in self._sdps:
            w = step.window.size
            ref = self._reference_speb(step.slot, step.objective)
            E = np.zeros((w, step.objective.size))
            E[step.objective, np.arange(step.objective.size)] = self.coeffs.scaling[step.objective] / np.sqrt(ref)
            A = self.coeffs.coefficients[step.slot][:, :w, :w]
            sdp = PowerSDP(f"isal-step-{step.name}", [SchurBlock(A, E, True)], self.caps)
            self.timings.build += sdp.build_time
            self._sdps[key] = (sdp, ref)
        return self._sdps[key]

    # -- running --
    def run(self, energies: tuple[float, ...]) -> StepState:
        """State after the first ``len(energies)`` steps with those step energies (J)."""
        energies = tuple(round(float(e), 12) for e in energies)
        if energies in self._memo:
            return self._memo[energies]
        before = self.run(energies[:-1])
        k = len(energies) - 1
        step = self.steps[k]
        if before.failed:  # a failed step ends the chain: later steps are not run
            state = dataclasses.replace(before, statuses=before.statuses + [before.statuses[-1]],
                                        spebs=before.spebs + [np.inf], powers=before.powers + [before.powers[-1]],
                                        gaps=before.gaps + [np.inf])
            self._memo[energies] = state
            return state
        acc = before.acc.copy()
        budget = energies[-1] / (self.duration * self.coeffs.power_scale)
        status, gap = Status.OPTIMAL, 0.0
        if budget <= 0.0:
            p = np.zeros_like(self.caps)
        else:
            sdp, ref = self._sdp(k)
            out = sdp.solve(self.backend, budget, [acc.constant()])
            self.timings.solver += out.solve_time
            self.timings.build += out.build_time
            self.timings.solves += 1
            self.solver, self.solver_version = out.solver, out.solver_version
            status = out.status
            p = out.p if out.p is not None else None
        if p is None:
            state = StepState(acc, before.powers + [np.full_like(self.caps, np.nan)], before.spebs + [np.inf],
                              before.statuses + [status], before.gaps + [np.inf], failed=True)
            self._memo[energies] = state
            return state
        matrix = acc.advance(p)
        crb = self.coeffs.crb_to_physical(block_crb(matrix, step.objective), step.objective)
        value = float(np.trace(crb))
        if budget > 0.0 and out.objective is not None and np.isfinite(value):
            gap = abs(out.objective * ref - value) / max(value, 1e-300)
        state = StepState(acc, before.powers + [p], before.spebs + [value], before.statuses + [status],
                          before.gaps + [gap])
        self._memo[energies] = state
        return state

    def slot_target_speb(self, state: StepState, slot: int) -> float:
        """Causal target SPEB (m^2) of ``slot`` in a state that has finished that slot."""
        k_last = (slot + 1) * self.steps_per_slot - 1
        return state.spebs[k_last] if self.steps[k_last].block == TARGET else np.nan

    def step_power(self, state: StepState) -> np.ndarray:
        """Physical step powers (S, K, N) W of a finished state."""
        p = np.array(state.powers) * self.coeffs.power_scale
        return p.reshape(self.scenario.n_slots, self.steps_per_slot, -1)


@dataclasses.dataclass
class Allocation:
    energies: tuple[float, ...]  # J per step, plan order
    value: float  # sum of the slots' target SPEBs, m^2
    state: StepState
    slot_shares: np.ndarray
    step_shares: np.ndarray  # (S, K)
    evaluations: int  # distinct share points evaluated (outer and inner)
    history: list[dict[str, Any]]


def _fixed(shares: np.ndarray) -> SearchResult:
    return SearchResult(shares, np.nan, 0, [])


def allocate(runner: StepRunner, total_energy: float, *, method: str = "refine", resolution: float = 0.01,
             min_share: float = 0.0, points: int = 5, step_shares: np.ndarray | None = None,
             slot_shares: np.ndarray | None = None) -> Allocation:
    """Best split of ``total_energy`` over slots (outer) and over each slot's steps (inner).

    ``step_shares`` (K,) / ``slot_shares`` (S,) fix that split instead of searching it.
    """
    S, K = runner.scenario.n_slots, runner.steps_per_slot
    slot_memo: dict[tuple, tuple[float, tuple[float, ...], np.ndarray]] = {}
    history: list[dict[str, Any]] = []
    counter = {"inner": 0}

    def slot_stage(s: int, prefix: tuple[float, ...], e_slot: float) -> tuple[float, tuple[float, ...], np.ndarray]:
        key = (s, prefix, round(e_slot, 12))
        if key not in slot_memo:
            def f(shares: np.ndarray) -> float:
                state = runner.run(prefix + tuple(shares * e_slot))
                return runner.slot_target_speb(state, s)

            if step_shares is not None:
                res = _fixed(np.asarray(step_shares, dtype=float))
                res.value = f(res.shares)
            else:
                res = search(f, K, method=method, resolution=resolution, min_share=min_share, points=points)
            counter["inner"] += res.evaluations
            history.append({"slot": s, "slot_energy": e_slot, "best_step_shares": res.shares.tolist(),
                            "value": res.value, "evaluations": res.evaluations,
                            "points": [[*x, v] for x, v in res.history]})
            slot_memo[key] = (res.value, tuple(res.shares * e_slot), res.shares)
        return slot_memo[key]

    def chain(slot_shares: np.ndarray) -> tuple[float, tuple[float, ...], list[np.ndarray]]:
        prefix: tuple[float, ...] = ()
        total, shares = 0.0, []
        for s in range(S):
            value, energies, sh = slot_stage(s, prefix, float(slot_shares[s] * total_energy))
            total += value
            prefix += energies
            shares.append(sh)
        return total, prefix, shares

    if slot_shares is not None:
        outer = _fixed(np.asarray(slot_shares, dtype=float))
    else:
        outer = search(lambda x: chain(x)[0], S, method=method, resolution=resolution, min_share=min_share,
                       points=points)
    value, energies, step_shares = chain(outer.shares)
    if S > 1:
        history.append({"slot_search": [[*x, v] for x, v in outer.history], "best_slot_shares": outer.shares.tolist()})
    return Allocation(energies, value, runner.run(energies), outer.shares, np.array(step_shares),
                      outer.evaluations + counter["inner"], history)
