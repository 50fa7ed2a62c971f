"""Position-domain FIMs (7), (9), linear in V = W W^H, whitened and equilibrated, and the CRBs (8), (10).

The physical FIM of a transmit covariance ``V`` (W, n_tx x n_tx, per subcarrier) is

    F(V) = D^{-1} Ft(V / v0) D^{-1},   Ft_ab(X) = tr(C_ab X)   (C_ab Hermitian, C_ab = C_ba),

with ``v0 = P / M`` (so the power constraint reads ``tr X <= 1``) and the diagonal ``D`` chosen so
that the isotropic full-power covariance ``X = I / n_tx`` gives ``Ft`` a unit diagonal. The noise
(1/sigma^2) is inside ``C``; ``Ft`` is what a solver sees. Position CRBs map back through
``[F^{-1}]_tt = d_t^2 [Ft^{-1}]_tt``: :attr:`LinearFIM.crb_weights` holds ``d_t^2`` (m^2).

The coefficients are computed once per scenario (cached) and in closed form over the subcarriers
(:meth:`~isactoolbox.bpms.link.MultipathLink.frequency_gram`).
"""
from __future__ import annotations

import dataclasses
import weakref
from typing import Callable

import numpy as np

from isactoolbox.bpms.position_model import PositionModel, bistatic_model, monostatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic


@dataclasses.dataclass(frozen=True)
class LinearFIM:
    """A position-domain FIM as a linear map of the (scaled) transmit covariance.

    Shapes: ``coefficients`` (n, n, n_tx, n_tx) complex; ``scale`` (n,) in 1/(parameter unit);
    ``target`` the indices whose CRB is traced. ``power_unit`` v0 (W).
    """

    coefficients: np.ndarray
    scale: np.ndarray
    power_unit: float
    names: tuple[str, ...]
    units: tuple[str, ...]
    target: np.ndarray

    @property
    def size(self) -> int:
        return int(self.coefficients.shape[0])

    @property
    def n_tx(self) -> int:
        return int(self.coefficients.shape[2])

    @property
    def crb_weights(self) -> np.ndarray:
        """d_t^2 (m^2): CRB = sum_t d_t^2 [Ft^{-1}]_tt for the scaled FIM Ft."""
        return self.scale[self.target] ** 2

    # -- evaluation --
    def scaled(self, X: np.ndarray) -> np.ndarray:
        """Ft(X) (n, n), dimensionless, for X = V / v0 (Hermitian n_tx x n_tx)."""
        return np.einsum("abxy,yx->ab", self.coefficients, np.asarray(X)).real

    def physical(self, V: np.ndarray) -> np.ndarray:
        """F(V) in physical units (1 / (unit_a unit_b)) for V in W."""
        return self.scaled(np.asarray(V) / self.power_unit) / np.outer(self.scale, self.scale)

    def codebook(self, U: np.ndarray) -> np.ndarray:
        """B (q, n, n) with Ft(U diag(lam) U^H / v0) = sum_i (lam_i / v0) B_i; U is (n_tx, q)."""
        return np.einsum("xi,abxy,yi->iab", U.conj(), self.coefficients, U).real

    def restricted(self, Q: np.ndarray) -> "LinearFIM":
        """The same FIM as a map of Y with X = Q Y Q^H: coefficients Q^H C_ab Q, Q (n_tx, r).

        Exact, not an approximation, when the columns of ``Q`` span every ``range(C_ab)`` (see
        :func:`shared_range`): then ``tr(C_ab X) = tr(C_ab P X P)`` with ``P = Q Q^H``.
        """
        Q = np.asarray(Q)
        coeffs = Q.conj().T @ self.coefficients @ Q  # matmul broadcasts over (a, b)
        coeffs = 0.5 * (coeffs + coeffs.conj().transpose(0, 1, 3, 2))
        return dataclasses.replace(self, coefficients=coeffs)

    def scaled_crb_block(self, Ft: np.ndarray) -> np.ndarray:
        """[Ft^{-1}]_tt, or an all-inf block when Ft is not positive definite."""
        Ft = 0.5 * (Ft + Ft.T)
        try:
            L = np.linalg.cholesky(Ft)
        except np.linalg.LinAlgError:
            t = len(self.target)
            return np.full((t, t), np.inf)
        E = np.zeros((self.size, len(self.target)))
        E[self.target, np.arange(len(self.target))] = 1.0
        Y = np.linalg.solve(L, E)
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
    A = model.link.fim_coefficients(model.xi0)
    J = model.jacobian
    # J^T A J entry-wise in (i, j): two tensordots keep it a handful of BLAS calls.
    half = np.tensordot(J.T, A, axes=(1, 0))                     # (a, j, x, y)
    Cp = np.tensordot(J.T, half, axes=(1, 1)).transpose(1, 0, 2, 3)  # (a, b, x, y)
    n_tx = A.shape[2]
    diag_ref = power_unit / n_tx * np.einsum("aaxx->a", Cp).real
    if np.any(diag_ref <= 0):
        bad = [model.names[i] for i in np.flatnonzero(diag_ref <= 0)]
        raise ValueError(f"no Fisher information on {', '.join(bad)} even under isotropic transmission")
    d = 1.0 / np.sqrt(diag_ref)
    coeffs = Cp * (power_unit * np.outer(d, d))[:, :, None, None]
    coeffs = 0.5 * (coeffs + coeffs.conj().transpose(0, 1, 3, 2))  # exact Hermitian despite rounding
    return LinearFIM(coefficients=coeffs, scale=d, power_unit=float(power_unit), names=model.names,
                     units=model.units, target=np.asarray(model.target))


def shared_range(*fims: LinearFIM, rtol: float = 1e-6) -> np.ndarray:
    """Orthonormal Q (n_tx, r) spanning the ranges of every coefficient C_ab of ``fims``.

    Every FIM here sees the covariance only through ``Q^H X Q``: for X >> 0, ``P X P`` (``P = Q Q^H``)
    is PSD, has the same FIMs and no more power, so a covariance program whose other constraints are
    ``X >> 0`` and ``tr X <= 1`` loses nothing by ``X = Q Y Q^H``. Physically ``range(Q)`` is the span
    of the transmit steering vectors and their angle derivatives at the K + 1 BS-side angles
    (2K + 2 columns, the CPA codebook's span), found here from the data so no model detail is assumed.

    ``rtol``: directions whose singular value of ``[C_ab]_ab`` is below ``rtol`` times the largest are
    dropped. They are found from the Gram matrix ``sum_ab C_ab C_ab^H`` (n_tx x n_tx: 1 ms where an SVD of
    the n_tx x 9000 stack takes 30), which resolves singular values down to ~1e-8 of the largest; on
    the shipped scenarios the kept ones are >= 0.1 and the dropped ~1e-15 of the largest.
    """
    nt = fims[0].n_tx
    stacked = np.concatenate([f.coefficients.transpose(2, 0, 1, 3).reshape(nt, -1) for f in fims], axis=1)
    lam, V = np.linalg.eigh(stacked @ stacked.conj().T)  # ascending, lam = singular values^2
    keep = lam > (rtol**2) * max(lam[-1], 0.0)
    if not np.any(keep):  # no information at all: nothing to reduce to, keep the full space
        return np.eye(nt, dtype=complex)
    return V[:, keep][:, ::-1]


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
