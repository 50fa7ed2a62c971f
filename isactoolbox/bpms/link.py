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

    def derivative_factors(self, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(G (n, n_rx, n_tx), path index (n,), delay order d (n,)) with dH_m/dxi_i = f_i(m) G_i."""
        th_tx, th_rx, tau, g = self.unpack(xi)
        lay = self.layout
        a_tx = steering(th_tx, self.n_tx, self.reference)
        a_rx = steering(th_rx, self.n_rx, self.reference)
        da_tx = steering_derivative(th_tx, self.n_tx, self.reference)
        da_rx = steering_derivative(th_rx, self.n_rx, self.reference)
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

    def fim(self, xi: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Channel-domain FIM (6) for a transmit covariance V = W W^H (n_tx x n_tx, W per subcarrier)."""
        return np.einsum("ijxy,yx->ij", self.fim_coefficients(xi), V).real
