"""The linear part of a compiled model as a Pyomo ``ConcreteModel``, built row by row from sparse data.

Shared by every ``pyomo:*`` solver: variables ``m.x[j]`` (model coordinates, with bounds and
integrality), the objective ``c @ x + c0`` (always minimised: the canonical form is a minimisation),
equalities ``A_eq x + b_eq == 0`` as ``m.eq`` and inequalities ``G x + h <= 0`` as ``m.ineq``.
Each row becomes one Pyomo ``LinearExpression`` made directly from the CSR slice (no dense matrices,
no per-entry arithmetic on Pyomo objects). Rows without variables are not sent to the solver; their
constants are checked here instead (:func:`trivial_violation`), so a model whose data alone is
contradictory is reported infeasible without a solver call.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from isactoolbox.modeling.csr import row_lengths

#: A row without variables is contradictory when its constant violates the row by more than this.
TRIVIAL_ROW_TOL = 1e-9


@dataclasses.dataclass
class LinearPyomo:
    """A Pyomo model of the canonical linear data plus index maps back to the data's rows."""

    model: Any
    xs: list  # Pyomo VarData per model coordinate
    eq_rows: np.ndarray  # canonical row of each m.eq entry (rows with variables only)
    ineq_rows: np.ndarray


def linear_expressions(A: sp.csr_matrix, b: np.ndarray, xs: Sequence[Any], rows: np.ndarray) -> list:
    """``A[i] @ x + b[i]`` for each ``i`` in ``rows`` as Pyomo LinearExpressions."""
    from pyomo.core.expr.numeric_expr import LinearExpression

    A = sp.csr_matrix(A)
    indptr, indices, data = A.indptr, A.indices, A.data
    out = []
    for i in rows:
        s, e = indptr[i], indptr[i + 1]
        out.append(LinearExpression(constant=float(b[i]), linear_coefs=data[s:e].tolist(),
                                    linear_vars=[xs[j] for j in indices[s:e]]))
    return out


def nonempty_rows(A: sp.csr_matrix) -> np.ndarray:
    """Rows with at least one nonzero coefficient (explicit zeros dropped first)."""
    A = sp.csr_matrix(A, copy=True)  # canonical data's arrays may be shared, read-only: never edit them
    A.eliminate_zeros()
    return np.flatnonzero(row_lengths(A.indptr) > 0)


def trivial_violation(d: Any) -> str:
    """Why the rows without variables make the model infeasible ('' when they do not)."""
    msgs = []
    for name, A, b, sense in (("equality", d.A_eq, d.b_eq, "=="), ("inequality", d.G, d.h, "<=")):
        empty = np.setdiff1d(np.arange(A.shape[0]), nonempty_rows(A))
        if not empty.size:
            continue
        const = b[empty]
        bad = np.abs(const) > TRIVIAL_ROW_TOL if sense == "==" else const > TRIVIAL_ROW_TOL
        if np.any(bad):
            msgs.append(f"{name} row {int(empty[bad][0])} has no variables and reads "
                        f"{float(const[bad][0]):.3g} {sense} 0")
    if np.any(d.lb > d.ub):
        j = int(np.flatnonzero(d.lb > d.ub)[0])
        msgs.append(f"coordinate {j} has lower bound {d.lb[j]:.3g} above upper bound {d.ub[j]:.3g}")
    return "; ".join(msgs)


def build_linear(d: Any, nx: int, *, relax_integers: bool = False, objective: bool = True) -> LinearPyomo:
    """Pyomo model of ``d`` (a CanonicalData); integrality dropped when ``relax_integers``."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    m = pyo.ConcreteModel("isactoolbox")
    integer = np.zeros(nx, bool)
    if not relax_integers:
        integer[d.integer] = True
    binary = integer & (d.lb >= 0) & (d.ub <= 1)

    def domain(model: Any, j: int) -> Any:
        if binary[j]:
            return pyo.Binary
        return pyo.Integers if integer[j] else pyo.Reals

    def bounds(model: Any, j: int) -> tuple[float | None, float | None]:
        lo, hi = d.lb[j], d.ub[j]
        return (float(lo) if np.isfinite(lo) else None, float(hi) if np.isfinite(hi) else None)

    m.x = pyo.Var(range(nx), domain=domain, bounds=bounds)
    xs = [m.x[j] for j in range(nx)]
    if objective:
        nz = np.flatnonzero(d.c)
        m.obj = pyo.Objective(expr=LinearExpression(constant=float(d.c0), linear_coefs=d.c[nz].tolist(),
                                                    linear_vars=[xs[j] for j in nz]), sense=pyo.minimize)
    eq_rows, ineq_rows = nonempty_rows(d.A_eq), nonempty_rows(d.G)
    eq = linear_expressions(d.A_eq, d.b_eq, xs, eq_rows)
    ineq = linear_expressions(d.G, d.h, xs, ineq_rows)
    m.eq = pyo.Constraint(range(len(eq)), rule=lambda model, i: eq[i] == 0)
    m.ineq = pyo.Constraint(range(len(ineq)), rule=lambda model, i: ineq[i] <= 0)
    return LinearPyomo(m, xs, eq_rows, ineq_rows)


def start_point(d: Any, nx: int) -> np.ndarray:
    """Zero moved into the bounds (midpoint of finite boxes): a neutral start for local solvers."""
    x = np.zeros(nx)
    both = np.isfinite(d.lb) & np.isfinite(d.ub)
    x[both] = 0.5 * (d.lb[both] + d.ub[both])
    return np.clip(x, d.lb, d.ub)
