"""Neutral-model building blocks for 004: the FIM as an affine expression and the CRB Schur LMI.

Decision variables are scaled: the transmit covariance is ``X = V / v0`` with ``v0 = P / M`` (so
the power budget (11b) is ``tr X <= 1``), or, over a codebook ``U`` with unit-norm columns, the
powers ``lam = lambda / v0`` (``V = v0 U diag(lam) U^H``, budget ``sum lam <= 1``). The FIMs are
the equilibrated ``Ft`` of :class:`~isactoolbox.bpms.fim.LinearFIM`.

CRB epigraph (Schur complement, no inverse): with ``E`` selecting the target coordinates and
``S = diag(sqrt(w))``, ``w`` the CRB weights over a common unit,

    [[Ft(X), E S], [S E^T, T]] >> 0   <=>   T >= S E^T Ft(X)^{-1} E S   (Ft(X) > 0),

so ``tr T >= sum_t w_t [Ft^{-1}]_tt = CRB / unit``, with equality at the optimum.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from isactoolbox.bpms.arrays import steering, steering_derivative
from isactoolbox.bpms.fim import LinearFIM
from isactoolbox.bpms.position_model import bistatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.modeling import AffineExpression, Model, Parameter, Variable, bmat, trace


def fim_expression(lin: LinearFIM, X: AffineExpression) -> AffineExpression:
    """Ft(X) as a real symmetric (n, n) affine expression of the Hermitian (n_tx, n_tx) X."""
    n, nt = lin.size, lin.n_tx
    # tr(C X) = sum_xy C[y, x] X[x, y]; row-major vec(X) has X[x, y] at x*nt + y.
    Cmat = lin.coefficients.transpose(0, 1, 3, 2).reshape(n * n, nt * nt)
    return (Cmat @ X.reshape((nt * nt, 1))).real.reshape((n, n))


def codebook_fim_expression(lin: LinearFIM, U: np.ndarray, lam: AffineExpression) -> AffineExpression:
    """Ft(U diag(lam) U^H) as an (n, n) affine expression of the real powers lam (q, 1)."""
    n = lin.size
    return (codebook_fim_map(lin, U) @ lam).reshape((n, n))


def fim_coordinate_map(lin: LinearFIM, X: Variable) -> np.ndarray:
    """A (n^2, X.dim), real: row-major ``vec Ft(X) = A @ X.coordinates`` for a Hermitian (n_tx, n_tx) X.

    The value a parametric program (:func:`parametric_fim`) takes for this FIM. For the coordinate
    basis of a Hermitian X (the diagonal, then Re and Im of the upper triangle, row-major),
    ``tr(C E_k)`` is ``C_xx``, ``2 Re C_xy`` and ``2 Im C_xy``, so only the entries x <= y of each
    ``C_ab`` are needed. They come straight from the factor, ``C_ab = (F_a^H F_b + F_b^H F_a) / 2``,
    without the full coefficient tensor; the rows of (a, b) and (b, a) add the same two numbers, so
    they are equal exactly.
    """
    n, nt = lin.size, lin.n_tx
    if X.kind != "hermitian":
        Cmat = lin.coefficients.transpose(0, 1, 3, 2).reshape(n * n, nt * nt)  # as in fim_expression
        return (Cmat @ X.entry_map.toarray()).real
    r = lin.factor.shape[1]
    Phi = lin.factor.transpose(1, 0, 2).reshape(r, n * nt)
    H = (Phi.conj().T @ Phi).reshape(n, nt, n, nt)  # H[a, x, b, y] = (F_a^H F_b)[x, y]
    xs, ys = _coordinate_pairs(nt)
    up = xs.size - nt
    Hp = H[:, xs, :, ys]  # (pairs, n, n): advanced indices first
    C = (Hp + Hp.transpose(0, 2, 1)).reshape(xs.size, n * n)  # 2 C_ab[x, y], pair by pair
    A = np.empty((n * n, X.dim))
    A[:, :nt] = 0.5 * C[:nt].real.T
    A[:, nt:nt + up] = C[nt:].real.T
    A[:, nt + up:] = C[nt:].imag.T
    return A


@functools.lru_cache(maxsize=None)
def _coordinate_pairs(nt: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a Hermitian (nt, nt) matrix's coordinates: the diagonal, then the pairs x < y
    row-major; read-only, shared (every scenario of a size asks for the same)."""
    up_x, up_y = np.triu_indices(nt, 1)
    xs, ys = np.concatenate([np.arange(nt), up_x]), np.concatenate([np.arange(nt), up_y])
    for a in (xs, ys):
        a.setflags(write=False)
    return xs, ys


def codebook_fim_map(lin: LinearFIM, U: np.ndarray) -> np.ndarray:
    """A (n^2, q), real: row-major ``vec Ft(U diag(lam) U^H) = A @ lam`` for the codebook U (n_tx, q)."""
    n = lin.size
    B = lin.codebook(U)  # (q, n, n)
    return np.ascontiguousarray(B.transpose(1, 2, 0).reshape(n * n, B.shape[0]))


def parametric_fim(model: Model, name: str, n: int, x: Variable) -> AffineExpression:
    """Ft as an (n, n) expression ``mat(A @ x.coordinates)`` with A a parameter (n^2, x.dim) named
    ``name``: a compiled program then takes a new scenario's FIM (:func:`fim_coordinate_map`,
    :func:`codebook_fim_map`) as a parameter update."""
    A = model.parameter(name, (n * n, x.dim))
    return (A @ x.coordinates).reshape((n, n))


def add_crb_epigraph(model: Model, F: AffineExpression, target: np.ndarray, weights: np.ndarray | Parameter,
                     name: str) -> AffineExpression:
    """Add the Schur LMI above; return ``tr T`` (an upper bound on CRB / unit, tight at the optimum).

    ``weights`` are the CRB weights w (t,), or a (t, 1) parameter holding their square roots
    (``S``), so a compiled program takes new weights as a parameter update.
    """
    n, t = F.shape[0], len(target)
    T = model.symmetric(f"{name}_T", t)
    s = weights if isinstance(weights, Parameter) else np.sqrt(np.asarray(weights, dtype=float)).reshape(t, 1)
    # Both off-diagonal blocks E S and S E^T as one constant selection of s: entries
    # (target[c], n + c) and (n + c, target[c]) are s_c, the others no term at all (a parametric
    # zero would be stored in the LMI and dropped again at every update). One product, where E S,
    # its transpose and their placement cost three expression operations.
    N, cols = n + t, np.arange(t)
    select = np.zeros((N * N, t))
    select[np.asarray(target) * N + n + cols, cols] = 1.0
    select[(n + cols) * N + np.asarray(target), cols] = 1.0
    lmi = bmat([[F, None], [None, T]]) + (select @ s).reshape((N, N))
    model.add(lmi >> 0, name=f"{name}_schur")
    return trace(T)


def crb_unit(sc: BistaticMonostatic, bp: LinearFIM, ms: LinearFIM) -> float:
    """Common CRB unit (m^2): the BP CRB under isotropic full-power transmission.

    Both CRBs are divided by the same number, so the weighted sum keeps the paper's meaning.
    ``bp.crb(P / (M n_tx) I)``, taken from :meth:`~isactoolbox.bpms.fim.LinearFIM.isotropic_scaled`
    (one real product) rather than through the general covariance evaluation.
    """
    block = bp.scaled_crb_block(bp.isotropic_scaled())
    return float(np.diagonal(block) @ bp.crb_weights)


def codebook(sc: BistaticMonostatic) -> np.ndarray:
    """U (n_tx, 2K+2): a_T(theta_B,k) and d a_T / d theta at the K+1 BS-side angles, unit-norm columns.

    The same BS angles serve BP (AODs) and MS (echo angles), so one codebook fits both.
    """
    theta = bistatic_model(sc).xi0[: sc.n_targets + 1]
    r = sc.array_phase_reference
    U = np.concatenate([steering(theta, sc.n_tx, r), steering_derivative(theta, sc.n_tx, r)], axis=0).T
    return U / np.linalg.norm(U, axis=0, keepdims=True)


def constraint_crb_bound(model: Model, lin: LinearFIM, X: AffineExpression, bound_m2: float,
                         name: str) -> list[Any]:
    """Constraints stating CRB(V) <= bound (m^2) on the scaled covariance X = V / v0."""
    unit = float(bound_m2)
    tr_T = add_crb_epigraph(model, fim_expression(lin, X), lin.target, lin.crb_weights / unit, name)
    return [model.add(tr_T <= 1.0, name=f"{name}_bound")]
