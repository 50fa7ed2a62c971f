"""The single status vocabulary shared by backends, strategies and results."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """Outcome of a solve.

    ``OPTIMAL`` is reserved for answers that are certified (by the solver's own optimality
    conditions, or by a certificate the toolbox checked) *and* pass the physical verification.
    """

    OPTIMAL = "optimal"
    #: A verified feasible point without a proof of optimality (heuristics such as AO-penalty,
    #: or a rounding of a relaxation).
    FEASIBLE = "feasible"
    #: A local optimum of a nonconvex reformulation whose global certificate failed.
    LOCAL = "local"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    #: The solver stopped with reduced accuracy, or the verification found violations.
    INACCURATE = "inaccurate"
    ITERATION_LIMIT = "iteration_limit"
    TIME_LIMIT = "time_limit"
    SOLVER_ERROR = "solver_error"

    @property
    def has_solution(self) -> bool:
        """True when the result carries a primal point worth looking at."""
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.LOCAL, Status.INACCURATE,
                        Status.ITERATION_LIMIT, Status.TIME_LIMIT)

    @property
    def is_success(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE, Status.LOCAL)

    def __str__(self) -> str:  # "optimal", not "Status.OPTIMAL", in tables and messages
        return self.value
