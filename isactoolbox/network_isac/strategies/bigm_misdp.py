"""``bigm-misdp``: the big-M mixed-integer SDP (13) + (18)-(21), by relaxation or branch-and-bound.

No installed solver takes binaries together with LMIs, so the search is ours. A node fixes the
receiving BS and, per CU, the set of BSs still allowed to serve it (:class:`ChoiceSpec`). Its
continuous relaxation (a in [0, 1], big-M with M = P) projected onto the beamformers is the SDP
built by :class:`ChoiceSDP` with several candidates per CU; blocks a zero binary forces to zero are
never created (no strictly feasible point otherwise). Its optimum is a lower bound on every
association below the node.

- ``mode="relax"``: one relaxation per receiver (lower bound), each rounded to the BS carrying most
  of a CU's beam power and solved as a fixed choice (upper bound); returns the best rounding and the gap.
- ``mode="branch-and-bound"``: best-bound search. Branch on the CU whose beam power is most split,
  one child per candidate BS; prune a node whose bound is within ``gap_tol`` of the incumbent;
  incumbents from fixed leaves and from rounding nearly integral nodes. Certified optimal when the
  queue empties with every bound from an optimally solved relaxation; at ``node_limit`` /
  ``time_limit`` the remaining gap is reported.
"""
from __future__ import annotations

import heapq
import itertools
import time
from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result, Timings
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.base import RECOVERY_OPTIONS, NetworkISACStrategy
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceOutcome, ChoiceSpec
from isactoolbox.network_isac.strategies.recovery import recover, recovered_status
from isactoolbox.network_isac.strategies.sdp_chain import ChainOutcome, ChoiceSolver
from isactoolbox.status import Status


def rounded(spec: ChoiceSpec, outcome: ChoiceOutcome) -> ChoiceSpec:
    """Each CU to the candidate BS carrying most of its beam power."""
    shares = outcome.shares()
    assoc = [max(cand, key=lambda s: shares[s, k]) for k, cand in enumerate(spec.candidates)]
    return ChoiceSpec(spec.receiver, tuple((s,) for s in assoc), spec.silent)


def most_split_user(spec: ChoiceSpec, outcome: ChoiceOutcome | None) -> int:
    """The undecided CU whose beam power is spread most evenly over its candidates."""
    open_users = [k for k, c in enumerate(spec.candidates) if len(c) > 1]
    if outcome is None or outcome.sensing is None:
        return open_users[0]
    shares = outcome.shares()
    return max(open_users, key=lambda k: 1.0 - max(shares[s, k] for s in spec.candidates[k]))


class BigMMISDP(NetworkISACStrategy):
    """Big-M MISDP of problem (8): relaxation + rounding, or an exact branch-and-bound over SDP relaxations.

    Values: see :mod:`.base`. Objective: total transmit power, W. ``extra``: ``lower_bound``,
    ``upper_bound``, ``gap`` (relative), ``nodes``, ``sdps`` and, for branch-and-bound, the node log.
    """

    name = "bigm-misdp"
    options = {
        "mode": Option("branch-and-bound", str, "'relax' (bounds from the relaxation and a rounding) or "
                                                 "'branch-and-bound' (certified optimum)",
                       choices=("relax", "branch-and-bound")),
        "gap_tol": Option(1e-5, float, "relative gap at which a node is pruned and the search stops",
                          check=lambda x: None if x >= 0 else "must be >= 0"),
        "node_limit": Option(10_000, int, "relaxations solved before stopping with the gap",
                             check=lambda x: None if x >= 1 else "must be >= 1"),
        "time_limit": Option(None, float, "seconds before stopping with the gap", allow_none=True),
        "round_threshold": Option(0.9, float, "round a node when every CU has at least this share on one BS",
                                  check=lambda x: None if 0 < x <= 1 else "must lie in (0, 1]"),
        **RECOVERY_OPTIONS,
    }

    def _solve(self, scenario: NetworkISAC, backend: Any, options: Mapping[str, Any]) -> Result:
        solver = ChoiceSolver(scenario, backend)
        self._timings = Timings()
        self._fixed: dict[ChoiceSpec, ChainOutcome] = {}
        if options["mode"] == "relax":
            return self._relax(scenario, solver, options)
        return self._branch_and_bound(scenario, solver, options)

    # ===================== TO BE OVERRIDDEN =====================
    def root_receivers(self, scenario: NetworkISAC, options: Mapping[str, Any]) -> list[int]:
        """Receiving BSs the search considers (all of them; baselines restrict this)."""
        return list(range(scenario.n_bs))

    # -- pieces ---------------------------------------------------------------------------------
    def _solve_node(self, solver: ChoiceSolver, spec: ChoiceSpec) -> ChainOutcome:
        if spec.is_fixed and spec in self._fixed:
            return self._fixed[spec]
        out = solver.solve(spec)
        self._timings.absorb(out.timings)
        if spec.is_fixed:
            self._fixed[spec] = out
        return out

    def _finish_result(self, scenario: NetworkISAC, solver: ChoiceSolver, best: ChainOutcome | None, status: Status,
                       lower: float, options: Mapping[str, Any], extra: dict[str, Any], message: str) -> Result:
        result = Result(status=status, timings=self._timings, message=message)
        upper = best.outcome.objective if best is not None else None
        gap = (upper - lower) / upper if upper is not None and np.isfinite(lower) else None
        result.extra.update(extra, lower_bound=lower, upper_bound=upper, gap=gap, sdps=self._timings.solves)
        if best is None:
            return result
        rec = recover(scenario, best.outcome, solver, randomizations=options["randomizations"], seed=options["seed"])
        self._timings.solves += rec.solves
        result.values = rec.values
        result.objective = rec.objective
        result.status = recovered_status(status, rec) if status.is_success else status
        result.backend = best.backend
        result.extra["tightness"] = rec.tightness
        return result

    # -- relaxation + rounding ------------------------------------------------------------------
    def _relax(self, scenario: NetworkISAC, solver: ChoiceSolver, options: Mapping[str, Any]) -> Result:
        lower, best, rows, undecided = np.inf, None, [], False
        for r in self.root_receivers(scenario, options):
            spec = ChoiceSpec.free(scenario, r)
            node = self._solve_node(solver, spec)
            row = {"receiver": r, "relaxation": node.outcome.status.value, "bound": node.outcome.objective}
            if node.outcome.status is Status.INFEASIBLE:
                rows.append(row)
                continue
            if node.outcome.status is not Status.OPTIMAL or node.outcome.objective is None:
                undecided = True
                lower = -np.inf
            else:
                lower = min(lower, node.outcome.objective)
            if node.outcome.sensing is not None:
                fixed = self._solve_node(solver, rounded(spec, node.outcome))
                row.update(rounding=list(fixed.outcome.spec.association), rounded_status=fixed.outcome.status.value,
                           rounded_power=fixed.outcome.objective)
                if fixed.outcome.status.is_success and (best is None or fixed.outcome.objective < best.outcome.objective):
                    best = fixed
            rows.append(row)
        if best is None:
            status = Status.INFEASIBLE if not undecided and not np.isfinite(lower) else Status.SOLVER_ERROR
            msg = ("every receiver's relaxation is infeasible" if status is Status.INFEASIBLE
                   else "no rounding gave a feasible fixed choice")
            return self._finish_result(scenario, solver, None, status, lower, options, {"receivers": rows}, msg)
        return self._finish_result(scenario, solver, best, Status.FEASIBLE, lower, options, {"receivers": rows},
                                   "relaxation lower bound and a rounded feasible choice")

    # -- branch and bound -----------------------------------------------------------------------
    def _branch_and_bound(self, scenario: NetworkISAC, solver: ChoiceSolver, options: Mapping[str, Any]) -> Result:
        start = time.perf_counter()
        tol, limit, tlimit = options["gap_tol"], options["node_limit"], options["time_limit"]
        counter = itertools.count()
        heap: list[tuple[float, int, ChoiceSpec, ChoiceOutcome | None]] = []
        for r in self.root_receivers(scenario, options):
            heapq.heappush(heap, (-np.inf, next(counter), ChoiceSpec.free(scenario, r), None))
        best: ChainOutcome | None = None
        certified = True  # every pruning used a bound from an optimally solved relaxation
        nodes, log = 0, []
        stopped = ""

        def incumbent() -> float:
            return best.outcome.objective if best is not None else np.inf

        def consider(fixed: ChainOutcome) -> None:
            nonlocal best
            o = fixed.outcome
            if o.status.is_success and o.objective is not None and o.objective < incumbent():
                best = fixed

        while heap:
            parent_bound, _, spec, parent_out = heapq.heappop(heap)
            if parent_bound >= incumbent() * (1 - tol):
                continue
            if nodes >= limit:
                stopped = f"node limit {limit} reached"
                heapq.heappush(heap, (parent_bound, next(counter), spec, parent_out))
                break
            if tlimit is not None and time.perf_counter() - start > tlimit:
                stopped = f"time limit {tlimit} s reached"
                heapq.heappush(heap, (parent_bound, next(counter), spec, parent_out))
                break
            node = self._solve_node(solver, spec)
            nodes += 1
            o = node.outcome
            log.append({"receiver": spec.receiver, "candidates": [list(c) for c in spec.candidates],
                        "status": o.status.value, "bound": o.objective, "incumbent": incumbent()})
            if o.status is Status.INFEASIBLE:
                continue
            if o.status is Status.OPTIMAL and o.objective is not None:
                bound = max(o.objective, parent_bound)
            else:
                # No valid bound from this node: keep the parent's and branch anyway.
                certified = False
                bound = parent_bound
            if spec.is_fixed:
                consider(node)
                continue
            if bound >= incumbent() * (1 - tol):
                continue
            if o.sensing is not None:
                shares = o.shares()
                if all(max(shares[s, k] for s in c) >= options["round_threshold"] for k, c in enumerate(spec.candidates)):
                    consider(self._solve_node(solver, rounded(spec, o)))
            user = most_split_user(spec, o if o.sensing is not None else None)
            for s in spec.candidates[user]:
                heapq.heappush(heap, (bound, next(counter), spec.restrict(user, s), o))

        open_bounds = [b for b, *_ in heap if b < incumbent() * (1 - tol)]
        lower = min(open_bounds, default=incumbent())
        extra = {"nodes": nodes, "node_log": log, "open_nodes": len(open_bounds)}
        if best is None:
            if not open_bounds and certified:
                return self._finish_result(scenario, solver, None, Status.INFEASIBLE, np.inf, options, extra,
                                           "every node's relaxation is infeasible")
            status = Status.TIME_LIMIT if stopped.startswith("time") else (
                Status.ITERATION_LIMIT if stopped else Status.SOLVER_ERROR)
            return self._finish_result(scenario, solver, None, status, lower, options, extra,
                                       stopped or "relaxations failed and no feasible choice was found")
        if open_bounds:
            msg = f"{stopped}; gap {(incumbent() - lower) / incumbent():.2e} to the best open bound"
            return self._finish_result(scenario, solver, best, Status.FEASIBLE, lower, options, extra, msg)
        if not certified:
            return self._finish_result(scenario, solver, best, Status.FEASIBLE, lower, options, extra,
                                       "search complete, but some relaxations gave no bound: not certified")
        return self._finish_result(scenario, solver, best, best.outcome.status, lower, options, extra,
                                   f"certified within relative gap {tol:g}")
