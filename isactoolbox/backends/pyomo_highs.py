"""HiGHS through Pyomo's solver interface (``pyomo.contrib.solver``): one LP/MILP solve, mapped honestly.

HiGHS's presolve may stop with "infeasible or unbounded" without saying which. That is never
reported as either: the model is re-solved without presolve, and if the answer is still ambiguous the
objective is dropped and feasibility alone is decided (feasible then means unbounded, since the
objective was unbounded on the same feasible set; for MILPs with rational data this is Meyer's
theorem).
"""
from __future__ import annotations

import dataclasses
import io
import time
from typing import Any

import numpy as np

from isactoolbox.status import Status

HIGHS_STATUS = {
    "convergenceCriteriaSatisfied": Status.OPTIMAL,
    "provenInfeasible": Status.INFEASIBLE,
    "locallyInfeasible": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "maxTimeLimit": Status.TIME_LIMIT,
    "iterationLimit": Status.ITERATION_LIMIT,
    "objectiveLimit": Status.INACCURATE,
    "minStepLength": Status.INACCURATE,
    "infeasibleOrUnbounded": Status.SOLVER_ERROR,  # resolved in solve_highs
    "error": Status.SOLVER_ERROR,
    "unknown": Status.SOLVER_ERROR,
    "interrupted": Status.SOLVER_ERROR,
    "licensingProblems": Status.SOLVER_ERROR,
    "emptyModel": Status.SOLVER_ERROR,
}


@dataclasses.dataclass
class HighsOutcome:
    status: Status
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    iterations: int | None
    raw_status: str
    solve_time: float
    log: str
    message: str = ""
    nodes: int | None = None


def highs_version() -> str:
    from isactoolbox.core.backend import distribution_version

    return distribution_version("highspy")


def _iterations(extra: Any) -> int | None:
    counts = [getattr(extra, k, None) for k in ("simplex_iteration_count", "ipm_iteration_count",
                                                 "qp_iteration_count", "pdlp_iteration_count")]
    counts = [int(c) for c in counts if c is not None and c >= 0]
    return sum(counts) if counts else None


def run_highs(model: Any, xs: list, *, time_limit: float | None = None, verbose: bool = False,
              solver_options: dict[str, Any] | None = None, solver: Any = None) -> HighsOutcome:
    """One HiGHS call on a Pyomo model; ``xs`` are the variables whose values are read back.

    ``solver`` may be a persistent ``pyomo.contrib.solver`` Highs instance already holding
    ``model`` (outer approximation re-solves after adding cuts); otherwise a fresh one is made.
    """
    from pyomo.contrib.solver.solvers.highs import Highs

    opt = solver if solver is not None else Highs()
    log = io.StringIO()
    kwargs: dict[str, Any] = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False,
                              "tee": [log] + ([__import__("sys").stdout] if verbose else []),
                              "solver_options": dict(solver_options or {})}
    if time_limit is not None:
        kwargs["time_limit"] = float(time_limit)
    t0 = time.perf_counter()
    res = opt.solve(model, **kwargs)
    elapsed = time.perf_counter() - t0
    term = res.termination_condition.name
    status = HIGHS_STATUS.get(term, Status.SOLVER_ERROR)
    x = None
    if res.solution_status.name in ("optimal", "feasible") and status.has_solution:
        vals = res.solution_loader.get_vars()
        x = np.array([vals[v] if v in vals else (v.value if v.value is not None else 0.0) for v in xs],
                     dtype=float)
        if status is Status.OPTIMAL and res.solution_status.name != "optimal":
            status = Status.INACCURATE
    elif status is Status.OPTIMAL:
        status = Status.SOLVER_ERROR
    extra = res.extra_info
    nodes = getattr(extra, "mip_node_count", None)
    return HighsOutcome(status, x, res.incumbent_objective, res.objective_bound, _iterations(extra), term,
                        float(getattr(res.timing_info, "highs_time", None) or elapsed), log.getvalue(),
                        nodes=int(nodes) if nodes is not None and nodes >= 0 else None)


def solve_highs(model: Any, xs: list, *, time_limit: float | None = None, verbose: bool = False,
                solver_options: dict[str, Any] | None = None) -> HighsOutcome:
    """:func:`run_highs`, with "infeasible or unbounded" resolved into one of the two (or an error)."""
    out = run_highs(model, xs, time_limit=time_limit, verbose=verbose, solver_options=solver_options)
    if out.raw_status != "infeasibleOrUnbounded":
        return out
    spent = out.solve_time
    again = run_highs(model, xs, time_limit=time_limit, verbose=verbose,
                      solver_options={**(solver_options or {}), "presolve": "off"})
    spent += again.solve_time
    if again.raw_status != "infeasibleOrUnbounded":
        again.solve_time = spent
        again.message = "resolved 'infeasible or unbounded' by re-solving without presolve"
        return again
    obj = model.obj
    obj.deactivate()
    try:
        feas = run_highs(model, xs, time_limit=time_limit, verbose=verbose,
                         solver_options={**(solver_options or {}), "presolve": "off"})
    finally:
        obj.activate()
    spent += feas.solve_time
    if feas.status is Status.INFEASIBLE:
        return dataclasses.replace(feas, objective=None, bound=None, solve_time=spent,
                                   message="HiGHS: infeasible or unbounded; the feasibility problem is infeasible")
    if feas.status is Status.OPTIMAL:
        return dataclasses.replace(again, status=Status.UNBOUNDED, x=None, solve_time=spent,
                                   raw_status="unbounded (feasible, objective unbounded)",
                                   message="HiGHS: infeasible or unbounded; a feasible point exists, so unbounded")
    return dataclasses.replace(again, status=Status.SOLVER_ERROR, solve_time=spent,
                               message="HiGHS could not decide between infeasible and unbounded")
