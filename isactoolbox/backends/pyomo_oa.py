"""Eigenvector-cut outer approximation of an (MI)SDP with HiGHS through Pyomo (``pyomo:highs-oa``).

Each LMI ``M(x) >= 0`` is replaced by linear cuts ``Re(v^H M(x) v) >= 0``, valid for every PSD
matrix. The master problem (an LP, or a MILP when the model has integers) starts with the cuts of
the unit vectors ``e_k`` and of ``e_k +- e_l`` (and ``e_k +- i e_l`` for Hermitian LMIs), which bound
the entries; after each master solve the eigenvectors of every ``M_i(x)`` with an eigenvalue below
``-tol * max(1, |M_i(x)|_2)`` become new cuts, until no LMI is violated by more than that.

Guarantees. The master is a relaxation, so its optimal value is a lower bound at every round, an
infeasible master proves the SDP infeasible, and at convergence the point is optimal for the SDP up to
the LMI tolerance (its objective *is* the bound; its LMIs hold to ``-tol`` relative). If the first
master is unbounded (cuts bound the LMI entries, not the other coordinates) the free coordinates get
an artificial box ``|x_j| <= box``; a point that ends on that box is reported INACCURATE (the SDP may
be unbounded) and an infeasible boxed master proves nothing (SOLVER_ERROR).

Measured limits (2-core machine, HiGHS 1.16 through Pyomo 6.10, default ``oa_tol`` 1e-7; max Re tr(A X)
s.t. tr X = 1 for random A, compared with the largest eigenvalue):

- n = 3 Hermitian: 55 rounds, 90 cuts, relative error 1.2e-7, 0.1 s (plus ~1 s of first imports);
- n = 6 real / Hermitian: 48 / 122 rounds, 0.2 / 0.3 s, error 8e-8 / 1e-7;
- n = 8 Hermitian: 169 rounds, 708 cuts, 1.5 s; n = 10 real: 115 rounds, 0.65 s;
- MISDP ``t I - B - sum_i b_i A_i >= 0`` (6x6, 6 binaries): right binaries in 5 MILPs, 0.1 s (brute force);
- MISDP sparse-PCA type (``X_ii <= b_i``, ``sum b <= 3``, 6x6, 6 binaries): right support after 110
  MILPs, 18 s, objective 4.3e-4 above the optimum at ``oa_tol`` 1e-6: an entry bounded only by a
  tiny diagonal (``|X_ij| <= sqrt(X_ii X_jj)`` with ``X_ii`` ~ HiGHS's 1e-7 feasibility tolerance) is
  loose by ~1e-4; at ``oa_tol`` 1e-7 it did not finish in 120 s. 8x8 with 8 binaries: 52 s.
- network-ISAC size (18 Hermitian 8x8 blocks, SOLVERS.md): 150 s, 9,253 cuts, bound 9 % below the
  optimum, smallest eigenvalue -0.37: useless there; use ``pyomo:ipopt`` or ``picos:*``.

The reported objective is therefore accurate to about ``oa_tol`` on well-scaled continuous SDPs but
only to ~1e-4 when the optimum has (near-)zero diagonal entries forced by integers.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from isactoolbox.backends.pyomo_highs import run_highs
from isactoolbox.backends.pyomo_linear import LinearPyomo
from isactoolbox.status import Status

#: at most this many eigenvector cuts per LMI per round (the most violated ones)
CUTS_PER_LMI = 4


@dataclasses.dataclass
class OAOutcome:
    status: Status
    x: np.ndarray | None
    bound: float | None
    rounds: int
    cuts: int
    min_eig_rel: float | None
    iterations: int
    solve_time: float
    raw_status: str
    message: str
    boxed: bool


def cut_row(F: sp.csr_matrix, f: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, float]:
    """``(a, a0)`` with ``Re(v^H mat(F x + f) v) = a @ x + a0`` (row-major mat)."""
    w = np.kron(v.conj(), v)
    a = np.real(F.T @ w) if np.iscomplexobj(F.data) or np.iscomplexobj(w) else F.T @ w
    return np.asarray(a, float).ravel(), float(np.real(w @ f))


def initial_vectors(n: int, is_complex: bool) -> list[np.ndarray]:
    eye = np.eye(n)
    vs = [eye[k] for k in range(n)]
    for k in range(n):
        for l in range(k + 1, n):
            vs += [eye[k] + eye[l], eye[k] - eye[l]]
            if is_complex:
                vs += [eye[k] + 1j * eye[l], eye[k] - 1j * eye[l]]
    return vs


def lmi_matrix(lmi: Any, x: np.ndarray) -> np.ndarray:
    M = (lmi.F @ x + lmi.f).reshape(lmi.n, lmi.n)
    return 0.5 * (M + M.conj().T)


def solve_oa(lin: LinearPyomo, d: Any, *, tol: float, max_rounds: int, box: float, mip_rel_gap: float,
             time_limit: float | None, verbose: bool) -> OAOutcome:
    import pyomo.environ as pyo
    from pyomo.contrib.solver.solvers.highs import Highs
    from pyomo.core.expr.numeric_expr import LinearExpression

    m, xs = lin.model, lin.xs
    m.cuts = pyo.ConstraintList()
    ncuts = 0

    def add_cut(lmi: Any, v: np.ndarray) -> bool:
        """Add the cut of ``v``; False when it has no variables and is violated (then nothing is feasible)."""
        nonlocal ncuts
        a, a0 = cut_row(lmi.F, lmi.f, v)
        scale = float(np.max(np.abs(a), initial=0.0))
        if scale == 0.0:
            return a0 >= -tol * max(1.0, float(np.max(np.abs(lmi.f), initial=0.0)))
        nz = np.flatnonzero(np.abs(a) > 1e-12 * scale)
        m.cuts.add(LinearExpression(constant=a0 / scale, linear_coefs=(a[nz] / scale).tolist(),
                                    linear_vars=[xs[j] for j in nz]) >= 0)
        ncuts += 1
        return True

    def constant_violation(rnd: int) -> OAOutcome:
        return OAOutcome(Status.INFEASIBLE, None, None, rnd, ncuts, None, 0, time.perf_counter() - t0,
                         "constant LMI", "an LMI restricted to a direction without variables is violated", False)

    t0 = time.perf_counter()
    for lmi in d.lmis:
        for v in initial_vectors(lmi.n, lmi.complex):
            if not add_cut(lmi, v):
                return constant_violation(0)
    opts = {"mip_rel_gap": mip_rel_gap}
    opt = Highs()
    deadline = None if time_limit is None else t0 + time_limit
    boxed = False
    iterations = 0
    bound: float | None = None
    min_rel: float | None = None
    x = None
    for rnd in range(1, max_rounds + 1):
        left = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
        out = run_highs(m, xs, time_limit=left, verbose=verbose, solver_options=opts, solver=opt)
        iterations += out.iterations or 0
        if out.raw_status == "infeasibleOrUnbounded" or out.status is Status.UNBOUNDED:
            if boxed:
                return OAOutcome(Status.SOLVER_ERROR, None, None, rnd, ncuts, None, iterations,
                                 time.perf_counter() - t0, out.raw_status,
                                 "outer approximation still unbounded inside the artificial box", boxed)
            free_lo = ~np.isfinite(d.lb)
            free_hi = ~np.isfinite(d.ub)
            for j in np.flatnonzero(free_lo | free_hi):
                lo = -box if free_lo[j] else None
                hi = box if free_hi[j] else None
                xs[j].setlb(lo if lo is not None else xs[j].lb)
                xs[j].setub(hi if hi is not None else xs[j].ub)
            boxed = True
            continue
        if out.status is Status.INFEASIBLE:
            if boxed:
                return OAOutcome(Status.SOLVER_ERROR, None, None, rnd, ncuts, None, iterations,
                                 time.perf_counter() - t0, out.raw_status,
                                 "master infeasible only with the artificial box: infeasibility not proven", boxed)
            return OAOutcome(Status.INFEASIBLE, None, None, rnd, ncuts, None, iterations,
                             time.perf_counter() - t0, out.raw_status,
                             "the outer approximation (a relaxation) is infeasible", boxed)
        if out.x is None or out.status not in (Status.OPTIMAL, Status.INACCURATE):
            return OAOutcome(out.status if out.status.has_solution else Status.SOLVER_ERROR, out.x, bound, rnd,
                             ncuts, min_rel, iterations, time.perf_counter() - t0, out.raw_status,
                             f"master solve stopped: {out.raw_status}", boxed)
        x = out.x
        bound = out.bound if out.bound is not None else out.objective
        worst = 0.0
        violated = []
        for lmi in d.lmis:
            w, U = np.linalg.eigh(lmi_matrix(lmi, x))
            scale = max(1.0, float(np.max(np.abs(w))))
            worst = min(worst, float(w[0]) / scale)
            bad = np.flatnonzero(w < -tol * scale)[:CUTS_PER_LMI]
            violated += [(lmi, U[:, k]) for k in bad]
        min_rel = worst
        if not violated:
            on_box = boxed and bool(np.any(np.abs(x[~(np.isfinite(d.lb) & np.isfinite(d.ub))]) >= 0.999 * box))
            if on_box:
                return OAOutcome(Status.INACCURATE, x, bound, rnd, ncuts, min_rel, iterations,
                                 time.perf_counter() - t0, out.raw_status,
                                 f"optimum of the boxed problem lies on the artificial box |x| <= {box:g}: "
                                 "the SDP may be unbounded", boxed)
            return OAOutcome(Status.OPTIMAL, x, bound, rnd, ncuts, min_rel, iterations, time.perf_counter() - t0,
                             out.raw_status, "converged", boxed)
        if deadline is not None and time.perf_counter() > deadline:
            return OAOutcome(Status.TIME_LIMIT, x, bound, rnd, ncuts, min_rel, iterations,
                             time.perf_counter() - t0, out.raw_status, "time limit during the cut loop", boxed)
        for lmi, v in violated:
            if not add_cut(lmi, v):
                return constant_violation(rnd)
    return OAOutcome(Status.ITERATION_LIMIT, x, bound, max_rounds, ncuts, min_rel, iterations,
                     time.perf_counter() - t0, "max_rounds",
                     f"{max_rounds} rounds without reaching the LMI tolerance (lower bound {bound})", boxed)
