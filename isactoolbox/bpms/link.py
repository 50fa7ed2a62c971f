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
``M = K K^H`` gives ``A_ij = L_i^H L_j`` with ``L_i`` of only rank(M) <= 5P rows. The subcarrier sums
enter ``M`` only through the (2P x 2P) Gram of those columns, :meth:`MultipathLink.frequency_basis_gram`,
which needs O(sqrt M) exponentials instead of M P.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from isactoolbox.bpms.arrays import steering, steering_with_derivative


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

    @functools.cached_property
    def terms(self) -> tuple[np.ndarray, np.ndarray]:
        """(param, col), each (5P,): the parameter and frequency-basis column of each rank-one term of
        :meth:`MultipathLink.derivative_terms` (blocks tx angle, rx angle, delay, Re gain, Im gain)."""
        k = np.arange(self.n_paths)
        param = np.concatenate([self.tx_angle, self.rx_angle, self.delay, self.gain_re, self.gain_im])
        col = np.concatenate([k, k, k + self.n_paths, k, k])  # only the delay term has the omega factor
        param.setflags(write=False)
        col.setflags(write=False)
        return param, col


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
        a_tx, da_tx = steering_with_derivative(th_tx, self.n_tx, self.reference)
        if self.layout.rx_angle is self.layout.tx_angle and self.n_rx == self.n_tx:
            return a_tx, a_tx, da_tx, da_tx, g  # monostatic, equal arrays: the same responses
        a_rx, da_rx = steering_with_derivative(th_rx, self.n_rx, self.reference)
        return a_tx, a_rx, da_tx, da_rx, g

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
        g = g[:, None]
        ga = g * a_rx
        u = np.concatenate([ga, g * da_rx, ga, a_rx, 1j * a_rx])
        w = np.concatenate([da_tx, a_tx, a_tx, a_tx, a_tx])
        param, col = self.layout.terms
        return u, w, param, col

    def frequency_basis(self, delays: np.ndarray) -> np.ndarray:
        """The 2P distinct subcarrier factors: ``exp(-j 2 pi m df tau_k)`` then ``(-j 2 pi m df) exp(...)``, (M, 2P)."""
        omega = -2j * np.pi * self.subcarrier_spacing * np.arange(self.n_subcarriers)
        phases = self.subcarrier_phases(delays)
        return np.concatenate([phases, omega[:, None] * phases], axis=1)

    def frequency_basis_gram(self, delays: np.ndarray) -> np.ndarray:
        """``B^H B`` (2P, 2P) for ``B = frequency_basis(delays)``, without forming the (M, 2P) basis.

        Only delay differences enter ``B^H B``, so the delays are centred first: the common phase (the
        clock bias, ~1 us) drops out exactly, and the smaller phases are rounded less than in ``B``.
        With ``m = nb a + b`` (``nb`` a divisor of M near sqrt(M), ``0 <= a < na = M / nb``,
        ``0 <= b < nb``) and ``omega_m = -j c m``, column k of B is a face-splitting product:

            phi_k(m) = alpha_k(a) beta_k(b),   omega_m phi_k(m) = alpha'_k(a) beta_k(b) + alpha_k(a) beta'_k(b),

        ``alpha_k(a) = exp(-j c tau_k nb a)``, ``alpha'_k = -j c nb a alpha_k``, ``beta_k(b) = exp(-j c tau_k b)``,
        ``beta'_k = -j c b beta_k``. Inner products of such products are products of inner products, so
        ``B^H B`` follows entry by entry from the Grams ``Ga`` of ``[alpha, alpha']`` and ``Gb`` of
        ``[beta, beta']`` (2P x 2P each, :func:`_face_split_gram`): 2 sqrt(M) P exponentials, not M P.
        """
        P = delays.shape[0]
        phase, weight = _face_split_grid(P, self.n_subcarriers, self.subcarrier_spacing)
        tau = delays - delays.mean()
        F = np.exp(phase * np.concatenate([tau, tau, tau, tau])) * weight  # (na, 4P): [alpha, alpha', beta, beta']
        G = F.conj().T @ F
        return _face_split_gram(G[:2 * P, :2 * P], G[2 * P:, 2 * P:])

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

    def fim_factor(self, xi: np.ndarray, jacobian: np.ndarray | None = None) -> np.ndarray:
        """L (n, r, n_tx), r <= 5P, with ``A_ij = L_i^H L_j``; ``L_i = L[i]`` in 1 / (unit of xi_i * sqrt(W)).

        :meth:`fim_coefficients` is the Hermitian part of ``A_ij``. With the rank-one terms of
        :meth:`derivative_terms`, ``A_ij = sum_{s in i, t in j} M_st w_s w_t^H`` where
        ``M_st = (2N/sigma^2) Sd[col_s, col_t] u_s^H u_t`` (Sd the Gram of :meth:`frequency_basis`), so
        ``M = K K^H`` gives ``L_i = (sum_{s in i} w_s K[s, :])^H``. Exact up to rounding: no direction of
        ``M`` above the eigensolver's own rounding level is dropped.

        With a real ``jacobian`` J (n, q) of a reparametrisation xi(eta), returns instead the factor
        (q, r, n_tx) of the FIM in eta, ``F_a = sum_i J_ia L_i = (sum_s J[param_s, a] w_s K[s, :])^H``:
        one product over the terms, no (n, r, n_tx) intermediate.
        """
        u, w, param, col = self.derivative_terms(xi)
        Sd = self.frequency_basis_gram(np.asarray(xi, dtype=float)[self.layout.delay])
        M = (2.0 * self.n_pilots / self.noise_variance) * Sd[col[:, None], col] * (u.conj() @ u.T)
        K = _psd_factor(M)  # (T, r)
        T, r = K.shape
        # mix[s, a]: weight of term s in output row a (a term feeds its own parameter's rows only)
        mix = np.eye(self.size)[param] if jacobian is None else np.asarray(jacobian, dtype=float)[param]
        q = mix.shape[1]
        weights = (mix[:, :, None] * K[:, None, :]).reshape(T, q * r)
        return (weights.T @ w).conj().reshape(q, r, self.n_tx)

    def fim(self, xi: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Channel-domain FIM (6) for a transmit covariance V = W W^H (n_tx x n_tx, W per subcarrier)."""
        return np.einsum("ijxy,yx->ij", self.fim_coefficients(xi), V).real


_EPS = np.finfo(float).eps


def _divisor_near_sqrt(m: int) -> int:
    """The largest divisor of ``m`` not above sqrt(m) (1 for a prime)."""
    d = math.isqrt(m)
    while m % d:
        d -= 1
    return d


@functools.lru_cache(maxsize=32)
def _face_split_grid(P: int, M: int, df: float) -> tuple[np.ndarray, np.ndarray]:
    """The delay-independent parts of :meth:`MultipathLink.frequency_basis_gram`, (na, 4P) each (read-only).

    Columns [alpha, alpha', beta, beta'] (P each) over the rows k = 0..na-1 (k = a; k = b for k < nb):
    the phase per second of delay, ``-j c nb k`` (alpha, alpha') or ``-j c k`` (beta, beta'), and the
    factor that multiplies ``exp(phase tau)``: 1 (alpha, beta), the same ``-j c nb k`` (alpha') and
    ``-j c k`` (beta'), and 0 on the rows k >= nb of beta and beta'.
    """
    nb = _divisor_near_sqrt(M)
    k = np.arange(M // nb, dtype=float)  # M // nb >= nb
    c = 2 * np.pi * df  # omega_m = -j c m
    phase = np.multiply.outer(k, -1j * np.repeat([nb * c, nb * c, c, c], P))  # per second of delay
    primed = np.repeat([False, True, False, True], P)
    weight = np.where(primed, phase, 1.0)
    weight[nb:, 2 * P:] = 0.0  # beta has nb samples only
    for a in (phase, weight):
        a.setflags(write=False)
    return phase, weight


def _face_split_gram(Ga: np.ndarray, Gb: np.ndarray) -> np.ndarray:
    """Gram (2P, 2P) of the columns ``x_k (x) y_k`` and ``x'_k (x) y_k + x_k (x) y'_k``, k < P, given the
    Grams ``Ga`` of ``[x, x']`` and ``Gb`` of ``[y, y']`` (2P, 2P each).

    ``<x_i (x) y_i, x_j (x) y_j> = Ga[i, j] Gb[i, j]``, so block (p, q) of the result (p, q in {0, 1},
    the number of primes) is ``sum Ga_(p1 q1) o Gb_(p2 q2)`` over ``p1 + p2 = p``, ``q1 + q2 = q``.
    """
    P = Ga.shape[0] // 2
    A = Ga.reshape(2, P, 2, P)
    B = Gb.reshape(2, P, 2, P)
    S = A * B[:1, :, :1]  # (p2, q2) = (0, 0)
    S[:, :, 1] += A[:, :, 0] * B[:1, :, 1]  # (0, 1)
    S[1] += A[0] * B[1, :, :1]  # (1, 0)
    S[1, :, 1] += A[0, :, 0] * B[1, :, 1]  # (1, 1)
    return S.reshape(2 * P, 2 * P)


def _psd_factor(M: np.ndarray) -> np.ndarray:
    """K (T, r) with ``M = K K^H`` up to rounding, for a Hermitian PSD (T, T) ``M``, singular or not.

    The entries of ``M`` span some 30 decades (delay terms carry ``(2 pi m df)^2``), so the eigen-
    decomposition is taken of the unit-diagonal ``D^-1 M D^-1``; eigenvalues below its rounding
    level (``T eps`` times the largest; e.g. the collinear Re/Im gain terms) carry only rounding.
    """
    s = np.sqrt(np.maximum(M.diagonal().real, 0.0))
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)  # a term with no energy stays a zero row
    lam, E = np.linalg.eigh(M * (inv[:, None] * inv))  # ascending: the kept ones come last
    T = M.shape[0]
    first = T - int(np.count_nonzero(lam > T * _EPS * max(lam[-1], 0.0)))
    return s[:, None] * E[:, first:] * np.sqrt(lam[first:])
