"""Auxiliary conic problems whose solutions prove infeasibility or unboundedness of the canonical problem.

Both are again canonical SDPs (:class:`isactoolbox.modeling.CanonicalData`), solved by the same
factorized Ipopt route; what they return is then checked exactly by
:func:`isactoolbox.backends.pyomo_certificate.farkas` / :func:`~isactoolbox.backends.pyomo_certificate.primal_ray`,
so a wrong or local answer can never turn into a false claim.

- :func:`farkas_problem`: find ``(y, z >= 0, w_l >= 0, w_u >= 0, Z_i PSD)`` with
  ``A^T y + G^T z - sum_i Re(F_i^H vec Z_i) - w_l + w_u = 0`` and dual value ``1``, of least
  ``sum z + sum w + sum tr Z_i``. Feasible (and then checked) only if the original problem is infeasible.
- :func:`recession_problem`: find ``u`` with ``A u = 0``, ``G u <= 0``, bound-compatible signs,
  ``mat(F_i u) >= 0`` and ``c @ u = -1``: a direction of unboundedness.
- :func:`feasibility_problem`: the original constraints with a zero objective.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from isactoolbox.backends.pyomo_certificate import DualCandidate
from isactoolbox.backends.pyomo_factor import coordinate_maps
from isactoolbox.modeling.model import CanonicalData, LMIData

#: marks an auxiliary LMI as "this block of coordinates is a PSD variable" (LMIData.variable is not None)
PSD_VARIABLE = "auxiliary PSD variable"


def farkas_problem(d: Any) -> tuple[CanonicalData, Callable[[np.ndarray], DualCandidate]]:
    nx = d.c.size
    neq, nin = d.A_eq.shape[0], d.G.shape[0]
    L = np.flatnonzero(np.isfinite(d.lb))
    U = np.flatnonzero(np.isfinite(d.ub))
    maps = [coordinate_maps(l.n, l.complex) for l in d.lmis]
    ms = [P.shape[0] for P, *_ in maps]
    sizes = [neq, nin, L.size, U.size, *ms]
    offs = np.concatenate([[0], np.cumsum(sizes)])
    nu = int(offs[-1])
    sel = lambda idx: sp.csr_matrix((np.ones(idx.size), (idx, np.arange(idx.size))), shape=(nx, idx.size))  # noqa: E731
    cols = [d.A_eq.T, d.G.T, -sel(L), sel(U)]
    last = [d.b_eq, d.h, d.lb[L], -d.ub[U]]
    lmis = []
    for i, (lmi, (P, E, dsc, *_)) in enumerate(zip(d.lmis, maps)):
        K = sp.csr_matrix(np.real(P @ lmi.F))
        k = np.real(P @ lmi.f)
        cols.append(-(K.T @ sp.diags(dsc)))
        last.append(-(dsc * k))
        F = sp.hstack([sp.csr_matrix((lmi.n * lmi.n, int(offs[4 + i]))), E,
                       sp.csr_matrix((lmi.n * lmi.n, nu - int(offs[5 + i])))], format="csr")
        lmis.append(LMIData(f"Z[{lmi.name}]", lmi.n, lmi.complex, F, np.zeros(lmi.n * lmi.n), PSD_VARIABLE))
    A = sp.vstack([sp.hstack(cols, format="csr"), sp.csr_matrix(np.concatenate(last).reshape(1, -1))],
                  format="csr")
    b = np.zeros(nx + 1)
    b[-1] = -1.0
    c = np.zeros(nu)
    c[offs[1]:offs[4]] = 1.0
    for i, lmi in enumerate(d.lmis):
        c[offs[4 + i]:offs[4 + i] + lmi.n] = 1.0  # the diagonal coordinates come first: trace
    lb = np.full(nu, -np.inf)
    lb[offs[1]:offs[4]] = 0.0
    ray = CanonicalData(c=c, c0=0.0, A_eq=A, b_eq=b, G=sp.csr_matrix((0, nu)), h=np.zeros(0), lmis=lmis,
                        lb=lb, ub=np.full(nu, np.inf), integer=np.zeros(0, np.int64))

    def unpack(u: np.ndarray) -> DualCandidate:
        Zs = [(E @ u[offs[4 + i]:offs[5 + i]]).reshape(l.n, l.n) for i, (l, (P, E, *_)) in enumerate(zip(d.lmis, maps))]
        Zs = [Z if l.complex else Z.real for Z, l in zip(Zs, d.lmis)]
        return DualCandidate(u[offs[0]:offs[1]], u[offs[1]:offs[2]], Zs)

    return ray, unpack


def recession_problem(d: Any) -> CanonicalData:
    nx = d.c.size
    A = sp.vstack([d.A_eq, sp.csr_matrix(d.c.reshape(1, -1))], format="csr")
    b = np.concatenate([np.zeros(d.A_eq.shape[0]), [1.0]])
    lmis = [dataclasses.replace(l, f=np.zeros_like(l.f)) for l in d.lmis]
    return CanonicalData(c=np.zeros(nx), c0=0.0, A_eq=A, b_eq=b, G=d.G, h=np.zeros(d.G.shape[0]), lmis=lmis,
                         lb=np.where(np.isfinite(d.lb), 0.0, -np.inf), ub=np.where(np.isfinite(d.ub), 0.0, np.inf),
                         integer=np.zeros(0, np.int64))


def feasibility_problem(d: Any) -> CanonicalData:
    return dataclasses.replace(d, c=np.zeros_like(d.c), c0=0.0)
