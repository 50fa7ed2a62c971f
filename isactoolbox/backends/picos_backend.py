"""PICOS backend: the compiled neutral model handed to PICOS with the solver named at runtime.

``picos:cvxopt`` (default, LP/SDP), ``picos:qics`` (native complex Hermitian SDP), ``picos:glpk``
(LP/MILP) and ``picos:mosek`` (when a license exists). PICOS picks MOSEK on its own when the wheel is
installed without a license and then fails, so the solver is always named explicitly.
"""
from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from isactoolbox.core.backend import Availability, Backend, Solution, distribution_version
from isactoolbox.core.options import Option
from isactoolbox.status import Status

_MODULES = {"cvxopt": "cvxopt", "qics": "qics", "glpk": "swiglpk", "mosek": "mosek"}


def _to_cvxopt(A: sp.spmatrix) -> Any:
    import cvxopt

    A = sp.coo_matrix(A)
    if np.iscomplexobj(A.data):
        data = A.data.astype(complex).tolist()
    else:
        data = A.data.astype(float).tolist()
    return cvxopt.spmatrix(data, A.row.tolist(), A.col.tolist(), A.shape, tc="z" if np.iscomplexobj(A.data) else "d")


class PicosBackend(Backend):
    family = "picos"
    supported = {
        "cvxopt": frozenset({"LP", "SDP"}),
        "qics": frozenset({"SDP"}),
        "glpk": frozenset({"LP", "MILP"}),
        "mosek": frozenset({"LP", "MILP", "SDP"}),
    }
    default_solver = "cvxopt"
    options = {
        "abs_tol": Option(None, float, "absolute duality-gap tolerance (PICOS abs_ipm_opt_tol; default 1e-8)",
                          allow_none=True),
        "rel_tol": Option(None, float, "relative duality-gap tolerance (PICOS rel_ipm_opt_tol; default 1e-8)",
                          allow_none=True),
        "feas_tol": Option(None, float, "primal and dual feasibility tolerance, absolute and relative "
                           "(PICOS *_fsb_tol; default 1e-8)", allow_none=True),
        "max_iterations": Option(None, int, "iteration limit", allow_none=True),
        "kkt_solver": Option(None, str, "CVXOPT KKT solver ('chol', 'ldl', ...); None = PICOS's choice: chol, "
                             "and a full second solve with ldl when chol ends with unknown status",
                             allow_none=True),
    }
    # PICOS solution statuses (primal status, problem status) -> ours; see _status
    STATUS_MAP = {
        "optimal": Status.OPTIMAL,
        "feasible": Status.INACCURATE,
        "infeasible": Status.INFEASIBLE,
        "unbounded": Status.UNBOUNDED,
        "premature": Status.ITERATION_LIMIT,
        "failure": Status.SOLVER_ERROR,
        "unknown": Status.SOLVER_ERROR,
        "empty": Status.SOLVER_ERROR,
        "illposed": Status.SOLVER_ERROR,
    }

    @classmethod
    def availability(cls, solver: str) -> Availability:
        if not cls._module_present("picos") or not cls._module_present(_MODULES[solver]):
            return Availability.NOT_INSTALLED
        if solver == "mosek":
            lic = os.environ.get("MOSEKLM_LICENSE_FILE") or str(Path.home() / "mosek" / "mosek.lic")
            if not Path(lic).exists():
                return Availability.NEEDS_LICENSE
        return Availability.AVAILABLE

    @classmethod
    def how_to_enable(cls, solver: str) -> str:
        if solver == "mosek":
            return "install the mosek package and put a license at ~/mosek/mosek.lic (or MOSEKLM_LICENSE_FILE)"
        return f"pip install {_MODULES[solver]}"

    # -- hooks --
    def _import(self, model: Any) -> Any:
        import picos

        d = model.data()
        P = picos.Problem()
        integer = np.zeros(model.nx, bool)
        integer[d.integer] = True
        cont_idx, int_idx = np.flatnonzero(~integer), np.flatnonzero(integer)
        parts = []
        if cont_idx.size:
            xc = picos.RealVariable("x", int(cont_idx.size))
            parts.append((cont_idx, xc))
        if int_idx.size:
            binary = np.all(d.lb[int_idx] >= 0) and np.all(d.ub[int_idx] <= 1)
            xi = (picos.BinaryVariable if binary else picos.IntegerVariable)("z", int(int_idx.size))
            parts.append((int_idx, xi))

        def lin(A: sp.csr_matrix, b: np.ndarray) -> Any:
            expr = picos.Constant(_to_cvxopt(sp.csr_matrix(b.reshape(-1, 1))))
            for idx, var in parts:
                block = A[:, idx]
                if block.nnz:
                    expr = expr + picos.Constant(_to_cvxopt(block)) * var
            return expr

        P.set_objective("min", lin(sp.csr_matrix(d.c.reshape(1, -1)), np.array([d.c0])))
        if d.A_eq.shape[0]:
            P.add_constraint(lin(d.A_eq, d.b_eq) == 0)
        if d.G.shape[0]:
            P.add_constraint(lin(d.G, d.h) <= 0)
        for bound, sign in ((d.lb, -1.0), (d.ub, 1.0)):
            fin = np.flatnonzero(np.isfinite(bound))
            if fin.size:
                S = sp.csr_matrix((np.full(fin.size, sign), (np.arange(fin.size), fin)), shape=(fin.size, model.nx))
                P.add_constraint(lin(S, -sign * bound[fin]) <= 0)
        for lmi in d.lmis:
            # Row-major data read column-major is the transpose, which is PSD exactly when M is.
            M = lin(lmi.F, lmi.f).reshaped((lmi.n, lmi.n))
            P.add_constraint(M >> 0)
        return {"problem": P, "parts": parts}

    def _solve(self, handle: Any, model: Any, *, verbose: bool, time_limit: float | None,
               keep_log: bool) -> Solution:
        import picos

        P = handle["problem"]
        P.options.primals = None  # no exception when the solver returns no primal point
        P.options.duals = False
        P.options.verbosity = 1 if verbose else 0
        if time_limit is not None:
            P.options.timelimit = time_limit
        for ours, theirs in (("abs_tol", ("abs_ipm_opt_tol",)), ("rel_tol", ("rel_ipm_opt_tol",)),
                             ("feas_tol", ("abs_prim_fsb_tol", "abs_dual_fsb_tol", "rel_prim_fsb_tol",
                                           "rel_dual_fsb_tol")),
                             ("max_iterations", ("max_iterations",)), ("kkt_solver", ("cvxopt_kktsolver",))):
            if self.params.get(ours) is not None:
                for option in theirs:
                    setattr(P.options, option, self.params[ours])
        log = io.StringIO()
        t0 = time.perf_counter()
        try:
            redirect = contextlib.redirect_stdout(log) if (keep_log and not verbose) else contextlib.nullcontext()
            with redirect:
                sol = P.solve(solver=self.solver)
        except (picos.SolutionFailure, ArithmeticError, ValueError, picos.modeling.problem.SolutionFailure) as exc:  # type: ignore[attr-defined]
            return Solution(Status.SOLVER_ERROR, None, None, self.name, self.solver, self._version(),
                            solve_time=time.perf_counter() - t0, raw_status=type(exc).__name__,
                            message=f"{self.solver} failed: {exc}", log=log.getvalue() or None)
        elapsed = time.perf_counter() - t0
        status = self._status(sol)
        x = None
        if status.has_solution:
            x = np.zeros(model.nx)
            try:
                for idx, var in handle["parts"]:
                    x[idx] = np.array(var.value, dtype=float).ravel()
            except (TypeError, ValueError):
                x, status = None, Status.SOLVER_ERROR
        info = getattr(sol, "info", {}) or {}
        iters = None
        inner = info.get("cvxopt_sol") if isinstance(info, dict) else None
        if isinstance(inner, dict):
            iters = inner.get("iterations")
        return Solution(status, x, None, self.name, self.solver, self._version(),
                        solve_time=float(getattr(sol, "searchTime", elapsed) or elapsed),
                        iterations=iters,
                        raw_status=f"claimed={sol.claimedStatus} primal={sol.primalStatus} problem={sol.problemStatus}",
                        log=log.getvalue() or None)

    def _status(self, sol: Any) -> Status:
        problem = str(sol.problemStatus)
        primal = str(sol.primalStatus)
        claimed = str(sol.claimedStatus)
        if problem in ("infeasible", "unbounded"):
            return self.STATUS_MAP[problem]
        if primal == "infeasible" and claimed != "optimal":
            return Status.INFEASIBLE if str(sol.dualStatus) == "unbounded" else Status.SOLVER_ERROR
        if primal == "optimal" and claimed == "optimal":
            return Status.OPTIMAL
        if claimed in self.STATUS_MAP and claimed != "optimal":
            return self.STATUS_MAP[claimed]
        if primal == "feasible" or (primal == "optimal"):
            return Status.INACCURATE
        return Status.SOLVER_ERROR

    def _version(self) -> str:
        return distribution_version({"glpk": "swiglpk"}.get(self.solver, self.solver))
