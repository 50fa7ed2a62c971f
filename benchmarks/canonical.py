"""The same canonical data handed to a raw solver and to CVXPY, for overhead comparisons.

Both start from ``CompiledModel.data()``: the exact problem a toolbox backend receives, so the
ratios measure the toolbox's own cost (model build, translation) and CVXPY's (canonicalization),
not differences in formulation.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp


#: Solver settings shared by the toolbox backends and the raw / CVXPY routes, so every route of a
#: row solves to the same tolerances with the same threads.
CLARABEL_SETTINGS = {"max_threads": 1}
CVXOPT_SETTINGS = {"abstol": 1e-7, "reltol": 1e-6, "feastol": 1e-8, "maxiters": 100}
_TOOLBOX_CVXOPT = {"abs_tol": CVXOPT_SETTINGS["abstol"], "rel_tol": CVXOPT_SETTINGS["reltol"],
                   "feas_tol": CVXOPT_SETTINGS["feastol"], "max_iterations": CVXOPT_SETTINGS["maxiters"],
                   "kkt_solver": "chol"}
#: The same settings as toolbox backend options, by backend name.
TOOLBOX_SETTINGS = {"clarabel": dict(CLARABEL_SETTINGS), "cvxopt": dict(_TOOLBOX_CVXOPT),
                    "picos:cvxopt": dict(_TOOLBOX_CVXOPT)}


def raw_clarabel_seconds(compiled: Any) -> tuple[float, str, float]:
    """Time of Clarabel alone (solver construction + solve) on the data the clarabel backend builds."""
    import clarabel
    from isactoolbox.core.backend import get_backend

    handle = get_backend("clarabel", **CLARABEL_SETTINGS)._import(compiled)
    t0 = time.perf_counter()
    solver = clarabel.DefaultSolver(handle["P"], handle["q"], handle["A"], handle["b"], handle["cones"],
                                    handle["settings"])
    sol = solver.solve()
    seconds = time.perf_counter() - t0
    return seconds, str(sol.status).split(".")[-1], float(sol.obj_val) + compiled.data().c0


def raw_cvxopt_seconds(compiled: Any) -> tuple[float, str, float]:
    """Time of ``cvxopt.solvers.conelp`` alone on the data the cvxopt backend builds.

    The data are assembled before the clock starts: this is the solver's own cost, the floor any
    modelling layer (PICOS, CVXPY, the toolbox) adds to. conelp gets the raw settings (no KKT
    regularisation, no fallback), as CVXPY's route does.
    """
    import cvxopt
    from isactoolbox.core.backend import get_backend

    handle = get_backend("cvxopt")._import(compiled)
    args = {k: handle[k] for k in ("c", "G", "h", "dims")}
    args.update({k: handle[k] for k in ("A", "b") if k in handle})
    opts = {**CVXOPT_SETTINGS, "show_progress": False}
    t0 = time.perf_counter()
    sol = cvxopt.solvers.conelp(options=opts, kktsolver="chol", **args)  # PICOS's first choice
    seconds = time.perf_counter() - t0
    obj = float(sol["primal objective"]) + handle["c0"] if sol["x"] is not None else float("nan")
    return seconds, str(sol["status"]), obj


def _real_lmi(F: sp.csr_matrix, f: np.ndarray, n: int, is_complex: bool, x: Any) -> Any:
    import cvxpy as cp

    # Row-major n x n data: vec(M) = F x + f. CVXPY reshapes column-major, so transpose after.
    Mr = cp.reshape(sp.csr_matrix(F.real) @ x + f.real, (n, n), order="C")
    if not is_complex:
        return 0.5 * (Mr + Mr.T)
    Mi = cp.reshape(sp.csr_matrix(F.imag) @ x + f.imag, (n, n), order="C")
    E = cp.bmat([[Mr, -Mi], [Mi, Mr]])
    return 0.5 * (E + E.T)


def cvxpy_seconds(compiled: Any, solver: str = "CLARABEL", same_settings: bool = True) -> tuple[float, float, str, float]:
    """(problem construction s, solve() wall s incl. canonicalization, status, objective) through CVXPY.

    ``same_settings``: the toolbox's solver settings (threads, tolerances); else CVXPY's defaults.
    """
    import cvxpy as cp

    t0 = time.perf_counter()
    d = compiled.data()
    x = cp.Variable(compiled.nx)
    cons = []
    if d.A_eq.shape[0]:
        cons.append(d.A_eq @ x + d.b_eq == 0)
    if d.G.shape[0]:
        cons.append(d.G @ x + d.h <= 0)
    lo, hi = np.isfinite(d.lb), np.isfinite(d.ub)
    if lo.any():
        cons.append(x[np.flatnonzero(lo)] >= d.lb[lo])
    if hi.any():
        cons.append(x[np.flatnonzero(hi)] <= d.ub[hi])
    for lmi in d.lmis:
        cons.append(_real_lmi(lmi.F, lmi.f, lmi.n, lmi.complex, x) >> 0)
    prob = cp.Problem(cp.Minimize(d.c @ x + d.c0), cons)
    build = time.perf_counter() - t0
    t1 = time.perf_counter()
    settings = CLARABEL_SETTINGS if solver == "CLARABEL" else {**CVXOPT_SETTINGS, "kktsolver": "chol"}
    if not same_settings:
        settings = {}
    prob.solve(solver=solver, **settings)
    return build, time.perf_counter() - t1, str(prob.status), float(prob.value) if prob.value is not None else float("nan")
