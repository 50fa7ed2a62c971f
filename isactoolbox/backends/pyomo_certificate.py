"""SDP duality certificates checked on the canonical data, whatever produced the dual candidate.

For the canonical problem (see :mod:`isactoolbox.modeling.model`)::

    min c@x + c0   s.t.  A x + b = 0,  G x + h <= 0,  lb <= x <= ub,  M_i(x) = mat(F_i x + f_i) >= 0

the Lagrangian with multipliers ``y`` (free), ``z >= 0``, ``Z_i >= 0`` (PSD) and bound multipliers
``w_l, w_u >= 0`` gives the dual problem::

    max  c0 + b@y + h@z - sum_i <Z_i, mat f_i> + lb@w_l - ub@w_u
    s.t. c + A^T y + G^T z - sum_i Re(F_i^H vec Z_i) - w_l + w_u = 0

with ``<Z, M> = Re tr(Z^H M)``. :func:`certify` takes any candidate ``(y, z, Z_i)``, projects it
onto the cones (``z`` onto the nonnegative orthant, each ``Z_i`` onto the PSD cone), recovers the
bound multipliers from the reduced cost on coordinates with a finite bound, and reports what is left:
the stationarity residual on the rest (zero for an exactly dual-feasible point), the dual objective
(a lower bound on the optimum when that residual is zero), the duality gap against a primal point,
and how far the raw candidate was from the cones (the dual slack's smallest eigenvalue). Nothing in
the verdict depends on the solver that proposed the candidate being right.

:func:`farkas` checks the same objects as an infeasibility certificate (a dual ray).
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


@dataclasses.dataclass
class DualCandidate:
    """``y``, ``z`` and one ``Z_i`` per LMI (CanonicalData.lmis order).

    ``Z_i`` may be None for an LMI that says "the variable with coordinates ``var_cols[i]`` is PSD":
    its dual slack is then the one that makes the reduced cost of those coordinates vanish,
    ``Z_i = mat(E (r_V / d))`` (the Burer-Monteiro certificate ``C - A^*(y)``), computed after the
    given ``Z_j`` are accounted for.
    """

    y: np.ndarray
    z: np.ndarray
    Z: list[np.ndarray | None]
    var_cols: list[np.ndarray | None] | None = None


def _psd_part(Z: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(projection onto the PSD cone, smallest eigenvalue, largest |eigenvalue|)."""
    H = 0.5 * (Z + Z.conj().T)
    w, U = np.linalg.eigh(H)
    P = (U * np.maximum(w, 0.0)) @ U.conj().T
    return P, float(w[0]) if w.size else 0.0, float(np.max(np.abs(w), initial=0.0))


def lmi_adjoint(F: Any, Z: np.ndarray) -> np.ndarray:
    """``Re(F^H vec Z)``: the coefficient vector of ``<Z, mat(F x)>`` in ``x`` (row-major vec)."""
    return np.real(F.conj().T @ Z.ravel())


def _dual_parts(d: Any, cand: DualCandidate, c: np.ndarray) -> dict[str, Any]:
    """Cone-projected candidate, its reduced cost split into bound multipliers and a free residual."""
    from isactoolbox.backends.pyomo_factor import coordinate_maps

    z_raw = np.asarray(cand.z, float)
    z = np.maximum(z_raw, 0.0)
    y = np.asarray(cand.y, float)
    nb = len(d.lmis)
    Zraw: list[np.ndarray | None] = list(cand.Z)
    Zp: list[np.ndarray | None] = [None] * nb
    min_eigs, scales = [0.0] * nb, [0.0] * nb
    r = c.astype(float).copy()
    if y.size:
        r += d.A_eq.T @ y
    if z.size:
        r += d.G.T @ z
    order = [i for i in range(nb) if Zraw[i] is not None] + [i for i in range(nb) if Zraw[i] is None]
    for i in order:
        lmi = d.lmis[i]
        if Zraw[i] is None:
            cols = cand.var_cols[i] if cand.var_cols is not None else None
            if cols is None:
                raise ValueError(f"no dual slack for LMI {lmi.name!r} and no variable to derive it from")
            _, E, dsc, *_ = coordinate_maps(lmi.n, lmi.complex)
            Z = (E @ (r[cols] / dsc)).reshape(lmi.n, lmi.n)
            Zraw[i] = Z if lmi.complex else Z.real
        P, lo, hi = _psd_part(np.asarray(Zraw[i]))
        Zp[i], min_eigs[i], scales[i] = P, lo, hi
        r -= lmi_adjoint(lmi.F, P)
    has_lb, has_ub = np.isfinite(d.lb), np.isfinite(d.ub)
    wl = np.where((r > 0) & has_lb, r, 0.0)
    wu = np.where((r < 0) & has_ub, -r, 0.0)
    r_free = r - wl + wu
    value = float(d.b_eq @ y if y.size else 0.0) + float(d.h @ z if z.size else 0.0)
    value -= sum(float(np.real(np.vdot(P.ravel(), lmi.f))) for lmi, P in zip(d.lmis, Zp))
    value += float(d.lb[wl > 0] @ wl[wl > 0]) - float(d.ub[wu > 0] @ wu[wu > 0])
    return {"z": z, "z_neg": float(np.max(-z_raw, initial=0.0)), "Z": Zp, "Z_raw": Zraw, "min_eigs": min_eigs,
            "eig_scales": scales, "r_free": r_free, "value": value, "y": y}


def certify(d: Any, x: np.ndarray, cand: DualCandidate, *, primal_residual: float,
            tol: float = 1e-6, feas_tol: float = 1e-6) -> dict[str, Any]:
    """Check ``cand`` as an optimality certificate for the primal point ``x``.

    Returns a dict with ``certified`` (bool) and the measured quantities: ``dual_bound``,
    ``duality_gap`` (primal minus dual objective, minimisation sense), ``relative_gap``,
    ``dual_slack_min_eig`` (smallest eigenvalue over the raw ``Z_i``, absolute),
    ``dual_slack_min_eig_rel`` (relative to each block's largest |eigenvalue|, at least 1),
    ``dual_infeasibility`` (stationarity residual on coordinates without a finite bound, relative
    to ``max(1, |c|_inf)``), ``primal_infeasibility``, ``failed`` (which tests failed) and
    ``dual_slacks`` (the raw ``Z_i``, derived ones included).
    """
    parts = _dual_parts(d, cand, d.c)
    primal = float(d.c @ x + d.c0)
    dual = float(d.c0 + parts["value"])
    gap = primal - dual
    rel_gap = abs(gap) / max(1.0, abs(primal), abs(dual))
    c_scale = max(1.0, float(np.max(np.abs(d.c), initial=0.0)))
    dual_inf = float(np.max(np.abs(parts["r_free"]), initial=0.0)) / c_scale
    rel_eigs = [lo / max(1.0, hi) for lo, hi in zip(parts["min_eigs"], parts["eig_scales"])]
    min_eig = min(parts["min_eigs"], default=0.0)
    min_eig_rel = min(rel_eigs, default=0.0)
    z_scale = max(1.0, float(np.max(np.abs(cand.z), initial=0.0)))
    x_scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    failed = []
    if rel_gap > tol:
        failed.append("duality gap")
    if dual_inf > tol:
        failed.append("dual stationarity")
    if min_eig_rel < -tol:
        failed.append("dual slack not PSD")
    if parts["z_neg"] / z_scale > tol:
        failed.append("negative inequality multiplier")
    if primal_residual > feas_tol * x_scale:
        failed.append("primal infeasibility")
    return {"certified": not failed, "failed": failed, "primal_objective": primal, "dual_bound": dual,
            "duality_gap": gap, "relative_gap": rel_gap, "dual_infeasibility": dual_inf,
            "dual_slack_min_eig": min_eig, "dual_slack_min_eig_rel": min_eig_rel,
            "block_min_eigs": parts["min_eigs"], "primal_infeasibility": primal_residual,
            "multiplier_sign_violation": parts["z_neg"], "dual_slacks": parts["Z_raw"]}


def farkas(d: Any, cand: DualCandidate, *, tol: float = 1e-7) -> dict[str, Any]:
    """Check ``cand`` as a dual ray proving primal infeasibility.

    A ray satisfies ``A^T y + G^T z - sum Re(F_i^H vec Z_i) - w_l + w_u = 0`` with the cone
    conditions and has ``b@y + h@z - sum <Z_i, f_i> + lb@w_l - ub@w_u > 0``; then no ``x`` is
    feasible. Everything is measured relative to the candidate's size.
    """
    parts = _dual_parts(d, cand, np.zeros_like(d.c))
    size = max([float(np.max(np.abs(cand.y), initial=0.0)), float(np.max(np.abs(parts["z"]), initial=0.0))]
               + [float(np.max(np.abs(Z), initial=0.0)) for Z in parts["Z"]] + [1e-300])
    value = parts["value"] / size
    residual = float(np.max(np.abs(parts["r_free"]), initial=0.0)) / size
    bound_scale = max(1.0, float(np.max(np.abs(np.concatenate([d.b_eq, d.h, d.lb[np.isfinite(d.lb)],
                                                                d.ub[np.isfinite(d.ub)]] +
                                                               [np.abs(l.f) for l in d.lmis])),
                                        initial=0.0)))
    ok = value > tol * bound_scale and residual < 1e-6 * value and parts["z_neg"] / size < tol
    ok = ok and all(lo / size >= -tol for lo in parts["min_eigs"])
    return {"infeasibility_proven": bool(ok), "ray_value": value, "ray_residual": residual}


def canonical_residuals(d: Any, x: np.ndarray) -> dict[str, float]:
    """Largest violation per constraint class of the canonical data at ``x`` (absolute)."""
    out = {"equality": float(np.max(np.abs(d.A_eq @ x + d.b_eq), initial=0.0)),
           "inequality": float(np.max(d.G @ x + d.h, initial=0.0)),
           "bounds": float(max(np.max(d.lb - x, initial=0.0), np.max(x - d.ub, initial=0.0)))}
    worst = 0.0
    for lmi in d.lmis:
        M = (lmi.F @ x + lmi.f).reshape(lmi.n, lmi.n)
        worst = max(worst, -float(np.linalg.eigvalsh(0.5 * (M + M.conj().T))[0]))
    out["lmi"] = worst
    return out


def primal_ray(d: Any, u: np.ndarray, *, tol: float = 1e-7) -> dict[str, Any]:
    """Check ``u`` as a direction of unboundedness: feasible direction with ``c @ u < 0``.

    ``A u = 0``, ``G u <= 0``, ``u_j >= 0`` where ``lb_j`` is finite, ``u_j <= 0`` where ``ub_j`` is,
    and ``mat(F_i u) >= 0`` (the LMIs' recession cone), all relative to ``|u|_inf``. Together with a
    feasible point this proves the problem unbounded.
    """
    size = max(float(np.max(np.abs(u), initial=0.0)), 1e-300)
    v = u / size
    descent = -float(d.c @ v)
    bad = [float(np.max(np.abs(d.A_eq @ v), initial=0.0)), float(np.max(d.G @ v, initial=0.0)),
           float(np.max(-v[np.isfinite(d.lb)], initial=0.0)), float(np.max(v[np.isfinite(d.ub)], initial=0.0))]
    for lmi in d.lmis:
        M = (lmi.F @ v).reshape(lmi.n, lmi.n)
        bad.append(max(0.0, -float(np.linalg.eigvalsh(0.5 * (M + M.conj().T))[0])))
    worst = max(bad)
    c_scale = max(1e-300, float(np.max(np.abs(d.c), initial=0.0)))
    ok = descent > tol * c_scale and worst <= 1e-6 * descent / c_scale
    return {"unbounded_direction": bool(ok), "descent": descent, "direction_violation": worst}
