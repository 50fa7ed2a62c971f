"""Location FIM of network ISAC (paper 000) against a finite-difference Slepian-Bangs FIM.

The reference FIM is computed from an independent implementation of the echo mean
``mu = sum_s' c_s' g_s' a(theta_r) a(theta_s')^H X_s' e^{-j 2 pi f tau_s'}`` with explicit signals
whose sample covariances are exactly C_s' (zero across BSs, zero first frequency moment and second
moment B^2 C), differentiated numerically:  F_ij = (2/s2) sum Re{(dmu/dxi_i)^H (dmu/dxi_j)}.
"""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.network_isac import fim
from isactoolbox.network_isac.scenario import NetworkISAC

C0 = 299_792_458.0


def _steer(theta: float, n: int) -> np.ndarray:
    return np.exp(-1j * np.pi * np.arange(n) * np.sin(theta))


def _angle(bs: np.ndarray, orientation: float, p: np.ndarray) -> float:
    return float(np.arctan2(p[1] - bs[1], p[0] - bs[0]) - orientation)


def _random_covariances(rng: np.random.Generator, sc: NetworkISAC, receiver: int, silent=()) -> np.ndarray:
    S, N = sc.n_bs, sc.n_antennas
    C = np.zeros((S, N, N), dtype=complex)
    for s in range(S):
        if s == receiver or s in silent:
            continue
        rank = rng.integers(1, N + 1)
        A = rng.standard_normal((N, rank)) + 1j * rng.standard_normal((N, rank))
        C[s] = A @ A.conj().T * (sc.max_power / np.real(np.trace(A @ A.conj().T))) * rng.uniform(0.05, 1)
    return C


def _signals(rng: np.random.Generator, C: np.ndarray, tx: list[int], bandwidth: float):
    """Signals X[s] (N, L) with sum_l X_s X_s'^H = L C_s delta_ss' and frequencies +-B (L,)."""
    N = C.shape[1]
    M = len(tx) * N
    half = M + 3
    Q, _ = np.linalg.qr(rng.standard_normal((half, M)) + 1j * rng.standard_normal((half, M)))
    L = 2 * half
    X = {}
    for m, s in enumerate(tx):
        w, V = np.linalg.eigh(C[s])
        root = V @ np.diag(np.sqrt(np.clip(w, 0, None))) @ V.conj().T
        Xh = root @ Q[:, m * N:(m + 1) * N].conj().T * np.sqrt(L / 2)
        X[s] = np.hstack([Xh, Xh])
    freqs = np.concatenate([np.full(half, bandwidth), np.full(half, -bandwidth)])
    return X, freqs, L


def _echo_mean(sc: NetworkISAC, receiver: int, xi: np.ndarray, X, freqs, tx, normalize=True) -> np.ndarray:
    p = xi[:2]
    m = len(tx)
    g = xi[2:2 + m] + 1j * xi[2 + m:]
    N = sc.n_antennas
    bs, o = sc.bs_positions, sc.bs_orientations
    a_r = _steer(_angle(bs[receiver], o[receiver], p), N)
    mu = 0
    for idx, s in enumerate(tx):
        c = abs(sc.echo_gains[receiver, s]) if normalize else 1.0
        tau = (np.linalg.norm(p - bs[receiver]) + np.linalg.norm(p - bs[s])) / C0
        b = _steer(_angle(bs[s], o[s], p), N)
        mu = mu + c * g[idx] * np.outer(a_r, b.conj()) @ X[s] * np.exp(-2j * np.pi * freqs * tau)[None, :]
    return mu


def _fd_fim(sc, receiver, C, rng, tx=None, normalize=True):
    tx = [s for s in range(sc.n_bs) if s != receiver] if tx is None else tx
    X, freqs, L = _signals(rng, C, tx, sc.rms_bandwidth)
    alpha = np.array([sc.echo_gains[receiver, s] for s in tx])
    g0 = alpha / np.abs(alpha) if normalize else alpha
    xi0 = np.concatenate([sc.target_position, g0.real, g0.imag])
    steps = np.array([1e-5, 1e-5] + [1e-6 * max(1.0, abs(v)) for v in xi0[2:]])
    derivs = []
    for i in range(xi0.size):
        e = np.zeros_like(xi0)
        e[i] = steps[i]
        derivs.append((_echo_mean(sc, receiver, xi0 + e, X, freqs, tx, normalize)
                       - _echo_mean(sc, receiver, xi0 - e, X, freqs, tx, normalize)) / (2 * steps[i]))
    D = np.array([d.ravel() for d in derivs])
    F = 2.0 / sc.noise_power_bs * np.real(D.conj() @ D.T)
    return F, L


def _drop(seed: int, S: int, N: int, bandwidth: float) -> NetworkISAC:
    rng = np.random.default_rng(1000 + seed)
    return NetworkISAC.random(seed, n_bs=S, n_users=2, n_antennas=N, rms_bandwidth=bandwidth,
                              bs_orientations=rng.uniform(-np.pi, np.pi, S))


@pytest.mark.parametrize("bandwidth", [0.0, 20e6])
@pytest.mark.parametrize("seed,S,N", [(1, 2, 3), (2, 3, 4), (3, 4, 4), (4, 4, 6)])
def test_analytic_fim_matches_finite_difference_slepian_bangs(seed, S, N, bandwidth):
    sc = _drop(seed, S, N, bandwidth)
    rng = np.random.default_rng(seed)
    receiver = int(rng.integers(S))
    C = _random_covariances(rng, sc, receiver)
    F_fd, L = _fd_fim(sc, receiver, C, rng)
    sc = sc.replace(samples=L)
    F = fim.fim(sc, receiver, C)
    assert np.max(np.abs(F - F_fd)) <= 1e-6 * np.max(np.abs(F_fd))
    # The position block itself, entry by entry (it spans many orders of magnitude).
    np.testing.assert_allclose(F[:2, :2], F_fd[:2, :2], rtol=1e-6)
    # The CRLB through the equilibrated Schur complement equals tr(inv(F)) of the reference FIM.
    crlb_ref = np.trace(np.linalg.inv(F_fd)[:2, :2])
    assert fim.location_crlb(sc, receiver, C) == pytest.approx(crlb_ref, rel=1e-6)


def test_delay_information_only_adds():
    sc = _drop(5, 3, 4, 0.0)
    rng = np.random.default_rng(5)
    C = _random_covariances(rng, sc, 0)
    angle_only = fim.location_crlb(sc, 0, C)
    with_delay = fim.location_crlb(sc.replace(rms_bandwidth=50e6), 0, C)
    assert with_delay < angle_only


def test_silent_transmitter_drops_out_of_the_fim():
    sc = _drop(6, 4, 4, 10e6)
    rng = np.random.default_rng(6)
    receiver, silent = 1, 3
    C = _random_covariances(rng, sc, receiver, silent=(silent,))
    active = [s for s in range(4) if s not in (receiver, silent)]
    F_fd, L = _fd_fim(sc, receiver, C, rng, tx=active)
    crlb_ref = np.trace(np.linalg.inv(F_fd)[:2, :2])
    assert fim.location_crlb(sc.replace(samples=L), receiver, C) == pytest.approx(crlb_ref, rel=1e-6)


@pytest.mark.parametrize("bandwidth", [0.0, 30e6])
def test_crlb_invariant_to_phase_references_and_nuisance_scaling(bandwidth):
    sc = _drop(8, 4, 6, bandwidth)
    rng = np.random.default_rng(8)
    C = _random_covariances(rng, sc, 2)
    base = fim.location_crlb(sc, 2, C)
    F0 = fim.fim(sc, 2, C)
    for reference in (2.5, 1.3):  # array centre, arbitrary point
        F = fim.fim(sc, 2, C, reference=reference)
        assert not np.allclose(F[:2, :2], F0[:2, :2], rtol=1e-3)  # the FIM itself changes...
        assert fim.location_crlb(sc, 2, C, reference=reference) == pytest.approx(base, rel=1e-9)  # ...the CRLB not
    # Raw gains alpha as nuisances instead of alpha/|alpha|.
    assert fim.location_crlb(sc, 2, C, normalize_gains=False) == pytest.approx(base, rel=1e-9)
    # Another phase reference for the gains: rotate every alpha.
    rotated = sc.replace(echo_gains=sc.echo_gains * np.exp(1j * rng.uniform(-np.pi, np.pi, (4, 4))))
    assert fim.location_crlb(rotated, 2, C) == pytest.approx(base, rel=1e-9)


def test_linear_fim_is_equilibrated_and_maps_back():
    sc = NetworkISAC.table2()
    S, N = sc.n_bs, sc.n_antennas
    for receiver in range(S):
        lin = fim.linear_fim(sc, receiver)
        assert lin.coefficients.shape == (2 * S, 2 * S, S, N, N)
        assert np.all(lin.coefficients[:, :, receiver] == 0)
        herm = lin.coefficients - np.conj(np.swapaxes(lin.coefficients, -1, -2))
        assert np.max(np.abs(herm)) == 0
        ref = np.zeros((S, N, N), dtype=complex)
        ref[list(lin.transmitters)] = np.eye(N) / N  # full power P, isotropic, in units of P
        F_eq = lin.equilibrated(ref)
        np.testing.assert_allclose(np.diag(F_eq)[2:], 1.0, rtol=1e-12)
        assert np.mean(np.diag(F_eq)[:2]) == pytest.approx(1.0, rel=1e-12)
        # Linearity in each transmitter's covariance.
        rng = np.random.default_rng(receiver)
        C1 = _random_covariances(rng, sc, receiver)
        C2 = _random_covariances(rng, sc, receiver)
        np.testing.assert_allclose(lin.physical(C1 + 2 * C2), lin.physical(C1) + 2 * lin.physical(C2),
                                   rtol=1e-10, atol=1e-12 * np.abs(lin.physical(C1)).max())


def test_collinear_geometry_angle_only_is_unidentifiable():
    # Target on the line through both BSs, beyond BS 0: both angles move only across that line;
    # the bistatic delay adds information along it (between the BSs it would not: d_1 + d_2 is
    # constant on the segment).
    sc = NetworkISAC.random(0, bs_positions=[[0.0, 100.0], [0.0, -100.0]], target_position=[0.0, 130.0],
                            n_users=1, n_antennas=4)
    C = np.zeros((2, 4, 4), dtype=complex)
    C[1] = np.eye(4)
    assert fim.location_crlb(sc, 0, C) == float("inf")
    assert np.isfinite(fim.location_crlb(sc.replace(rms_bandwidth=20e6), 0, C))
