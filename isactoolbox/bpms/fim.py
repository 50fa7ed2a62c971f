"""Position-domain FIMs (7), (9), linear in V = W W^H, whitened and equilibrated, and the CRBs (8), (10).

The physical FIM of a transmit covariance ``V`` (W, n_tx x n_tx, per subcarrier) is

    F(V) = D^{-1} Ft(V / v0) D^{-1},   Ft_ab(X) = tr(C_ab X)   (C_ab Hermitian, C_ab = C_ba),

with ``v0 = P / M`` (so the power constraint reads ``tr X <= 1``) and the diagonal ``D`` chosen so
that the isotropic full-power covariance ``X = I / n_tx`` gives ``Ft`` a unit diagonal. The noise
(1/sigma^2) is inside ``C``; ``Ft`` is what a solver sees. Position CRBs map back through
``[F^{-1}]_tt = d_t^2 [Ft^{-1}]_tt``: :attr:`LinearFIM.crb_weights` holds ``d_t^2`` (m^2).

A :class:`LinearFIM` holds ``C`` through a thin factor: ``C_ab`` is the Hermitian part of
``F_a^H F_b`` with ``F_a`` (r x n_tx), r <= 5(K+1) (:meth:`~isactoolbox.bpms.link.MultipathLink.fim_factor`
pushed through the Jacobian). Evaluations, range reduction and codebooks work on the factor; the
full (n, n, n_tx, n_tx) ``coefficients`` are formed only when asked for. Both FIMs are cached per
scenario.
"""
from __future__ import annotations

import dataclasses
import functools
import weakref
from typing import Callable

import numpy as np

from isactoolbox.bpms.position_model import PositionModel, bistatic_model, monostatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic


@dataclasses.dataclass(frozen=True)
class LinearFIM:
    """A position-domain FIM as a linear map of the (scaled) transmit covariance.

    Shapes: ``factor`` (n, r, n_tx) complex, dimensionless, ``Ft_ab(X) = Re tr(F_a^H F_b X)`` with
    ``F_a = factor[a]``; :attr:`coefficients` (n, n, n_tx, n_tx), formed from it on first use;
    ``scale`` (n,) the diagonal d of ``D`` (module docstring), in each parameter's unit;
    ``target`` the indices whose CRB is traced. ``power_unit`` v0 (W).
    """

    factor: np.ndarray
    scale: np.ndarray
    power_unit: float
    names: tuple[str, ...]
    units: tuple[str, ...]
    target: np.ndarray

    @property
    def size(self) -> int:
        return int(self.factor.shape[0])

    @property
    def n_tx(self) -> int:
        return int(self.factor.shape[2])

    @functools.cached_property
    def coefficients(self) -> np.ndarray:
        """C (n, n, n_tx, n_tx), dimensionless: ``Ft_ab(X) = tr(C_ab X)``, C_ab Hermitian and C_ab = C_ba exactly."""
        n, r, nt = self.factor.shape
        flat = self.factor.transpose(1, 0, 2).reshape(r, n * nt)  # a copy
        flat *= 0.5  # exact: G below is F_a^H F_b / 4, the 1/4 of the mean taken at no cost
        G = flat.conj().T @ flat  # block (a, b) is F_a^H F_b / 4
        # G is Hermitian only up to rounding; G + G^H is exactly, so its block (b, a) is the exact
        # conjugate transpose of block (a, b) and the block-symmetric sum below is exactly Hermitian.
        # Two (n n_tx)^2 buffers in all (the second becomes C): fresh ones cost page faults, which on
        # small VMs take longer than the arithmetic on them.
        C = np.conjugate(G.T, out=np.empty_like(G))
        G += C
        G4 = G.reshape(n, nt, n, nt)
        C = C.reshape(n, n, nt, nt)
        np.add(G4.transpose(0, 2, 1, 3), G4.transpose(2, 0, 1, 3), out=C)
        return C

    @property
    def crb_weights(self) -> np.ndarray:
        """d_t^2 (m^2): CRB = sum_t d_t^2 [Ft^{-1}]_tt for the scaled FIM Ft."""
        return self.scale[self.target] ** 2

    # -- evaluation --
    def scaled(self, X: np.ndarray) -> np.ndarray:
        """Ft(X) (n, n), dimensionless, for X = V / v0 (Hermitian n_tx x n_tx; only its Hermitian part counts)."""
        X = np.asarray(X)
        X = 0.5 * (X + X.conj().T)
        n = self.size
        FX = self.factor @ X
        Ft = (self.factor.reshape(n, -1).conj() @ FX.reshape(n, -1).T).real  # sum_kx conj(F_a) (F_b X)
        return 0.5 * (Ft + Ft.T)  # symmetric only up to rounding otherwise

    def physical(self, V: np.ndarray) -> np.ndarray:
        """F(V) in physical units (1 / (unit_a unit_b)) for V in W."""
        return self.scaled(np.asarray(V) / self.power_unit) / np.outer(self.scale, self.scale)

    def isotropic_scaled(self) -> np.ndarray:
        """Ft(I / n_tx) (n, n): the scaled FIM under isotropic full-power transmission.

        ``Re tr(F_a^H F_b) / n_tx``, the real inner product of the factor rows (real and imaginary
        parts interleaved), as one real product; its diagonal is 1 up to rounding (the equilibration).
        """
        R = np.ascontiguousarray(self.factor).reshape(self.size, -1).view(float)
        Ft = (R @ R.T) / self.n_tx
        return 0.5 * (Ft + Ft.T)

    def codebook(self, U: np.ndarray) -> np.ndarray:
        """B (q, n, n) with Ft(U diag(lam) U^H / v0) = sum_i (lam_i / v0) B_i; U is (n_tx, q)."""
        FU = self.factor @ np.asarray(U)  # (n, r, q)
        B = np.einsum("aki,bki->iab", FU.conj(), FU).real  # u_i^H C_ab u_i = Re (F_a u_i)^H (F_b u_i)
        return 0.5 * (B + B.transpose(0, 2, 1))

    def restricted(self, Q: np.ndarray) -> "LinearFIM":
        """The same FIM as a map of Y with X = Q Y Q^H: factor F_a Q, coefficients Q^H C_ab Q, Q (n_tx, r).

        Exact, not an approximation, when the columns of ``Q`` span every ``range(C_ab)`` (see
        :func:`shared_range`): then ``tr(C_ab X) = tr(C_ab P X P)`` with ``P = Q Q^H``.
        """
        return dataclasses.replace(self, factor=self.factor @ np.asarray(Q))

    def scaled_crb_block(self, Ft: np.ndarray) -> np.ndarray:
        """[Ft^{-1}]_tt, or an all-inf block when Ft is not positive definite."""
        Ft = 0.5 * (Ft + Ft.T)
        try:
            L = np.linalg.cholesky(Ft)
        except np.linalg.LinAlgError:
            t = len(self.target)
            return np.full((t, t), np.inf)
        Y = np.linalg.solve(L, np.eye(self.size)[:, self.target])  # L^-1 E, E the target columns of I
        return Y.T @ Y

    def crb_matrix(self, V: np.ndarray) -> np.ndarray:
        """Target block of F(V)^{-1} (m^2)."""
        d = self.scale[self.target]
        return self.scaled_crb_block(self.scaled(np.asarray(V) / self.power_unit)) * np.outer(d, d)

    def crb(self, V: np.ndarray) -> float:
        """tr of the target block of F(V)^{-1} (m^2); inf when F(V) is singular."""
        return float(np.trace(self.crb_matrix(V)))


def build_linear_fim(model: PositionModel, power_unit: float) -> LinearFIM:
    """Equilibrated position-domain FIM of ``model``; ``power_unit`` v0 = P / M (W)."""
    # F_a = sum_i J_ia L_i, so F_a^H F_b = sum_ij J_ia J_jb A_ij (J is real): (7) and (9) on the factor
    F = model.link.fim_factor(model.xi0, model.jacobian)  # (n_eta, r, n_tx)
    n, _, n_tx = F.shape
    Fr = F.reshape(n, -1).view(float)  # real and imaginary parts interleaved
    diag_ref = power_unit / n_tx * np.einsum("ij,ij->i", Fr, Fr)  # tr C_aa = ||F_a||_F^2
    if np.any(diag_ref <= 0):
        bad = [model.names[i] for i in np.flatnonzero(diag_ref <= 0)]
        raise ValueError(f"no Fisher information on {', '.join(bad)} even under isotropic transmission")
    d = 1.0 / np.sqrt(diag_ref)
    return LinearFIM(factor=F * (np.sqrt(power_unit) * d)[:, None, None], scale=d, power_unit=float(power_unit),
                     names=model.names, units=model.units, target=np.asarray(model.target))


def shared_range(*fims: LinearFIM, rtol: float = 1e-6) -> np.ndarray:
    """Orthonormal Q (n_tx, r) spanning the ranges of every coefficient C_ab of ``fims``.

    Every FIM here sees the covariance only through ``Q^H X Q``: for X >> 0, ``P X P`` (``P = Q Q^H``)
    is PSD, has the same FIMs and no more power, so a covariance program whose other constraints are
    ``X >> 0`` and ``tr X <= 1`` loses nothing by ``X = Q Y Q^H``. Physically ``range(Q)`` is the span
    of the transmit steering vectors and their angle derivatives at the K + 1 BS-side angles
    (2K + 2 columns, the CPA codebook's span), found here from the data so no model detail is assumed.

    ``Q`` holds the left singular vectors of the stack ``[C_ab]_ab`` (n_tx x n^2 n_tx over all
    ``fims``), largest first, whose singular value is at least ``rtol`` times the largest. They come
    from the stack's Gram, which resolves singular values down to ~1e-8 of the largest; on the
    shipped scenarios the kept ones are >= 0.1 and the dropped ~1e-15 of the largest.

    The stack (n_tx x 10^4) is never formed: every ``C_ab`` lies in the row space of the factors
    (``C_aa = F_a^H F_a`` spans ``range(F_a^H)``), so with ``Q0`` a basis of that space, from the
    factors' n_tx x n_tx Gram, the stack's Gram is ``Q0 (sum_ab Cr_ab Cr_ab^H) Q0^H`` with
    ``Cr_ab = Q0^H C_ab Q0`` the coefficients of ``restricted(Q0)``, whose sum
    :func:`_coefficient_gram` takes from the factor without forming them either.
    """
    nt = fims[0].n_tx
    R = np.concatenate([f.factor.reshape(-1, nt) for f in fims])  # every factor row
    lam, V = np.linalg.eigh(R.conj().T @ R)
    # Everything above this Gram's own rounding: Q0 may hold extra directions, never miss one.
    Q0 = V[:, lam > nt * np.finfo(float).eps * max(lam[-1], 0.0)]
    if Q0.shape[1] == 0:  # no information at all: nothing to reduce to, keep the full space
        return np.eye(nt, dtype=complex)
    W = sum(_coefficient_gram(f.factor @ Q0) for f in fims)
    core = 0.25 * (W + W.conj().T)  # Hermitian exactly, as the stack's Gram
    # The eigenvectors of the n_tx x n_tx Gram, not of the r0 x r0 core: the basis (phases included)
    # the full stack gives, so the reduced programs are the same numerical problems as with it.
    lam, V = np.linalg.eigh(Q0 @ core @ Q0.conj().T)  # ascending, lam = singular values^2
    keep = lam > (rtol**2) * max(lam[-1], 0.0)
    return V[:, keep][:, ::-1]


def _coefficient_gram(G: np.ndarray) -> np.ndarray:
    """``T2 + T1`` (r0, r0), whose Hermitian part is ``2 sum_ab C_ab C_ab^H``, for the factor G (n, r, r0).

    ``C_ab = (X_ab + X_ab^H) / 2`` with ``X_ab = G_a^H G_b`` and ``X_ab^H = X_ba``, so
    ``sum_ab C_ab C_ab^H = (2 T2 + T1 + T1^H) / 4`` with ``T2 = sum_ab X_ab X_ab^H = sum_a G_a^H H G_a``
    (``H = sum_b G_b G_b^H``, r x r; T2 Hermitian up to rounding) and
    ``T1 = sum_ab X_ab X_ab = sum_{k,l,y} conj(U[k,x,l,y]) U[k,y,l,z]``, ``U[k,x,l,y] = sum_a G_a[k,x] G_a[l,y]``:
    products of (r r0)^2 entries instead of the n^2 r0^2 of C (less than half at n = 18, r = 12, r0 = 8).
    """
    n, r, r0 = G.shape
    Gt = G.transpose(1, 0, 2).reshape(r, n * r0)  # [k, (a, x)]
    H = Gt @ Gt.conj().T
    T2 = Gt.reshape(r * n, r0).conj().T @ (H @ Gt).reshape(r * n, r0)
    Z = G.reshape(n, r * r0)  # [a, (k, x)]
    U = Z.T @ Z  # [(k, x), (l, y)]
    # T1 contracts [x, (k, y, l)] -> conj U[k,x,l,y] with [(k, y, l), z] -> U[k,y,l,z], a reshape of U
    Uc = np.conjugate(U.reshape(r, r0, r, r0).transpose(1, 0, 3, 2)).reshape(r0, -1)
    return T2 + Uc @ U.reshape(-1, r0)


# --- per-scenario cache (scenarios are immutable; eq=False makes them hash by identity) ---
_CACHE: "weakref.WeakKeyDictionary[BistaticMonostatic, dict[str, LinearFIM]]" = weakref.WeakKeyDictionary()


def _cached(sc: BistaticMonostatic, key: str, make: Callable[[], LinearFIM]) -> LinearFIM:
    entry = _CACHE.setdefault(sc, {})
    if key not in entry:
        entry[key] = make()
    return entry[key]


def bp_fim(sc: BistaticMonostatic) -> LinearFIM:
    """Bistatic-positioning FIM (7); target = UE position."""
    return _cached(sc, "bp", lambda: build_linear_fim(bistatic_model(sc), sc.power_per_subcarrier))


def ms_fim(sc: BistaticMonostatic) -> LinearFIM:
    """Monostatic-sensing FIM (9); target = positions of the UE and all targets."""
    return _cached(sc, "ms", lambda: build_linear_fim(monostatic_model(sc), sc.power_per_subcarrier))


def covariance(W: np.ndarray) -> np.ndarray:
    """V = W W^H for beamformers W (n_tx, L), W per subcarrier."""
    W = np.asarray(W)
    if W.ndim == 1:
        W = W[:, None]
    return W @ W.conj().T


def bp_crb(sc: BistaticMonostatic, V: np.ndarray) -> float:
    """CRB (8) of the UE position, m^2."""
    return bp_fim(sc).crb(V)


def ms_crb(sc: BistaticMonostatic, V: np.ndarray) -> float:
    """CRB (10) of all positions (UE and targets), m^2."""
    return ms_fim(sc).crb(V)
