"""A multipath MIMO-OFDM link and its channel-domain FIM, linear in V = W W^H.

The link is ``H_m = sum_k g_k exp(-j 2 pi m df tau_k) a_rx(theta_rx,k) a_tx(theta_tx,k)^H`` for
subcarriers ``m = 0..M-1``: the BP channel (3) and the MS channel (5) are both of this form, the
MS one with a single angle per path that drives both arrays.

Every derivative of ``H_m`` w.r.t. a channel parameter ``xi_i`` factors as ``f_i(m) G_i`` with
``f_i(m) = (-j 2 pi m df)^{d_i} exp(-j 2 pi m df tau_k(i))`` (``d_i = 1`` for the delay of path
``k(i)``, else 0) and a subcarrier-independent matrix ``G_i``. Hence the FIM (6),

    F_ij = (2N / sigma^2) sum_m Re tr(dH_m/dxi_j V dH_m/dxi_i^H) = Re tr(A_ij V),
    A_ij = (2N / sigma^2) S_ij G_i^H G_j,   S_ij = sum_m conj(f_i(m)) f_j(m),

needs the subcarrier sum only through the small matrix ``S`` (one matrix product over m).

:meth:`MultipathLink.fim_coefficients` evaluates this formula directly (the reference).
:meth:`MultipathLink.fim_factor` gives the same ``A`` as a product of thin factors: each ``G_i`` is
a sum of rank-one terms ``u_t w_t^H`` and each ``f_i`` one of only 2P distinct columns, so
``A_ij = sum_{s in i, t in j} M_st w_s w_t^H`` with ``M`` a small (5P x 5P) PSD matrix, and any
``M = K K^H`` gives ``A_ij = L_i^H L_j`` with ``L_i`` of only rank(M) <= 5P rows.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from isactoolbox.bpms.arrays import steering, steering_derivative


@dataclasses.dataclass(frozen=True)
class PathLayout:
    """Where each path's parameters sit in the channel-parameter vector xi; arrays of shape (P,)."""

    tx_angle: np.ndarray
    rx_angle: np.ndarray  # equal to tx_angle when one angle drives both arrays (monostatic)
    delay: np.ndarray
    gain_re: np.ndarray
    gain_im: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.tx_angle.shape[0])


@dataclasses.dataclass(frozen=True)
class MultipathLink:
    """Static description of a link; channel parameters xi (angles rad, delays s, gains) are passed in.

    ``n_pilots`` and ``noise_variance`` (W) enter the FIM's factor 2N / sigma^2 (noise whitening).
    """

    n_tx: int
    n_rx: int
    reference: str
    subcarrier_spacing: float
    n_subcarriers: int
    n_pilots: int
    noise_variance: float
    layout: PathLayout
    names: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.names)

    def unpack(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tx angles, rx angles, delays, complex gains), each (P,)."""
        xi = np.asarray(xi, dtype=float)
        lay = self.layout
        return (xi[lay.tx_angle], xi[lay.rx_angle], xi[lay.delay],
                xi[lay.gain_re] + 1j * xi[lay.gain_im])

    def subcarrier_phases(self, delays: np.ndarray) -> np.ndarray:
        """exp(-j 2 pi m df tau_k), shape (M, P)."""
        m = np.arange(self.n_subcarriers)
        return np.exp(-2j * np.pi * self.subcarrier_spacing * np.multiply.outer(m, delays))

    def channel(self, xi: np.ndarray) -> np.ndarray:
        """H_m for all subcarriers, shape (M, n_rx, n_tx)."""
        th_tx, th_rx, tau, g = self.unpack(xi)
        a_tx = steering(th_tx, self.n_tx, self.reference)
        a_rx = steering(th_rx, self.n_rx, self.reference)
        outer = g[:, None, None] * a_rx[:, :, None] * a_tx[:, None, :].conj()
        return np.einsum("mk,kxy->mxy", self.subcarrier_phases(tau), outer)

    def _array_responses(self, xi: np.ndarray) -> tuple[np.ndarray, ...]:
        """(a_tx, a_rx, da_tx, da_rx, gains): steering vectors (P, n) and their angle derivatives, gains (P,)."""
        th_tx, th_rx, _, g = self.unpack(xi)
        r = self.reference
        return (steering(th_tx, self.n_tx, r), steering(th_rx, self.n_rx, r),
                steering_derivative(th_tx, self.n_tx, r), steering_derivative(th_rx, self.n_rx, r), g)

    def derivative_factors(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G (n, n_rx, n_tx), path index (n,), delay order d (n,)) with dH_m/dxi_i = f_i(m) G_i."""
        a_tx, a_rx, da_tx, da_rx, g = self._array_responses(xi)
        lay = self.layout
        G = np.zeros((self.size, self.n_rx, self.n_tx), dtype=complex)
        path = np.full(self.size, -1)
        order = np.zeros(self.size, dtype=int)
        for k in range(lay.n_paths):
            base = np.outer(a_rx[k], a_tx[k].conj())
            # "+=" so a shared (monostatic) angle collects both the tx and the rx term.
            G[lay.tx_angle[k]] += g[k] * np.outer(a_rx[k], da_tx[k].conj())
            G[lay.rx_angle[k]] += g[k] * np.outer(da_rx[k], a_tx[k].conj())
            G[lay.delay[k]] = g[k] * base
            G[lay.gain_re[k]] = base
            G[lay.gain_im[k]] = 1j * base
            order[lay.delay[k]] = 1
            for idx in (lay.tx_angle[k], lay.rx_angle[k], lay.delay[k], lay.gain_re[k], lay.gain_im[k]):
                path[idx] = k
        return G, path, order

    def derivative_terms(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The derivatives as sums of rank-one terms: ``dH_m/dxi_i = sum_{t: param_t = i} phi_{col_t}(m) u_t w_t^H``.

        Returns ``(u (T, n_rx), w (T, n_tx), param (T,), col (T,))`` with ``phi`` the columns of
        :meth:`frequency_basis`; T = 5P terms (per path: tx angle, rx angle, delay, Re and Im
        gain; a shared monostatic angle owns two terms). Same derivatives as
        :meth:`derivative_factors`, which builds them independently as full matrices.
        """
        a_tx, a_rx, da_tx, da_rx, g = self._array_responses(xi)
        lay = self.layout
        g = g[:, None]
        u = np.concatenate([g * a_rx, g * da_rx, g * a_rx, a_rx, 1j * a_rx])
        w = np.concatenate([da_tx, a_tx, a_tx, a_tx, a_tx])
        param = np.concatenate([lay.tx_angle, lay.rx_angle, lay.delay, lay.gain_re, lay.gain_im])
        k = np.arange(lay.n_paths)
        col = np.concatenate([k, k, k + lay.n_paths, k, k])  # only the delay term has the omega factor
        return u, w, param, col

    def frequency_basis(self, delays: np.ndarray) -> np.ndarray:
        """The 2P distinct subcarrier factors: ``exp(-j 2 pi m df tau_k)`` then ``(-j 2 pi m df) exp(...)``, (M, 2P)."""
        omega = -2j * np.pi * self.subcarrier_spacing * np.arange(self.n_subcarriers)
        phases = self.subcarrier_phases(delays)
        return np.concatenate([phases, omega[:, None] * phases], axis=1)

    def frequency_gram(self, xi: np.ndarray) -> np.ndarray:
        """S_ij = sum_m conj(f_i(m)) f_j(m), shape (n, n); one (n x M)(M x n) product, no loop over m."""
        _, path, order = self.derivative_factors(xi)
        _, _, tau, _ = self.unpack(xi)
        m = np.arange(self.n_subcarriers)
        omega = -2j * np.pi * self.subcarrier_spacing * m  # (M,)
        f = self.subcarrier_phases(tau)[:, path] * np.where(order[None, :] == 1, omega[:, None], 1.0)
        return f.conj().T @ f

    def fim_coefficients(self, xi: np.ndarray) -> np.ndarray:
        """C (n, n, n_tx, n_tx), C_ij Hermitian and C_ij = C_ji, with F_ij(V) = tr(C_ij V) = Re tr(A_ij V)."""
        G, _, _ = self.derivative_factors(xi)
        S = self.frequency_gram(xi)
        n, R, X = G.shape
        # sum_r conj(G_irx) G_jry as one BLAS product (an einsum here took 5 ms at M_T = 16).
        GG = (G.conj().transpose(0, 2, 1).reshape(n * X, R) @ G.transpose(1, 0, 2).reshape(R, n * X))
        A = (2.0 * self.n_pilots / self.noise_variance) * S[:, :, None, None] * GG.reshape(
            n, X, n, X).transpose(0, 2, 1, 3)
        # For Hermitian V, Re tr(A_ij V) = tr(((A_ij + A_ij^H)/2) V) and A_ij^H = A_ji.
        return 0.5 * (A + A.transpose(1, 0, 2, 3))

    def fim_factor(self, xi: np.ndarray) -> np.ndarray:
        """L (n, r, n_tx), r <= 5P, with ``A_ij = L_i^H L_j``; ``L_i = L[i]`` in 1 / (unit of xi_i * sqrt(W)).

        :meth:`fim_coefficients` is the Hermitian part of ``A_ij``. With the rank-one terms of
        :meth:`derivative_terms`, ``A_ij = sum_{s in i, t in j} M_st w_s w_t^H`` where
        ``M_st = (2N/sigma^2) Sd[col_s, col_t] u_s^H u_t`` (Sd the Gram of :meth:`frequency_basis`), so
        ``M = K K^H`` gives ``L_i = (sum_{s in i} w_s K[s, :])^H``. Exact up to rounding: no direction of
        ``M`` above the eigensolver's own rounding level is dropped.
        """
        u, w, param, col = self.derivative_terms(xi)
        basis = self.frequency_basis(self.unpack(xi)[2])
        Sd = basis.conj().T @ basis
        M = (2.0 * self.n_pilots / self.noise_variance) * Sd[np.ix_(col, col)] * (u.conj() @ u.T)
        K = _psd_factor(M)  # (T, r)
        T, r = K.shape
        weights = np.zeros((self.size, r, T), dtype=complex)
        weights[param, :, np.arange(T)] = K  # a term adds to its own parameter's row only
        return (weights.reshape(-1, T) @ w).conj().reshape(self.size, r, self.n_tx)

    def fim(self, xi: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Channel-domain FIM (6) for a transmit covariance V = W W^H (n_tx x n_tx, W per subcarrier)."""
        return np.einsum("ijxy,yx->ij", self.fim_coefficients(xi), V).real


def _psd_factor(M: np.ndarray) -> np.ndarray:
    """K (T, r) with ``M = K K^H`` up to rounding, for a Hermitian PSD (T, T) ``M``, singular or not.

    The entries of ``M`` span some 30 decades (delay terms carry ``(2 pi m df)^2``), so the eigen-
    decomposition is taken of the unit-diagonal ``D^-1 M D^-1``; eigenvalues below its rounding
    level (``T eps`` times the largest; e.g. the collinear Re/Im gain terms) carry only rounding.
    """
    s = np.sqrt(np.clip(M.diagonal().real, 0.0, None))
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)  # a term with no energy stays a zero row
    lam, E = np.linalg.eigh(M * np.outer(inv, inv))
    keep = lam > M.shape[0] * np.finfo(float).eps * max(lam[-1], 0.0)
    return s[:, None] * E[:, keep] * np.sqrt(lam[keep])
