"""BP / MS FIMs and CRBs (004) against finite-difference Slepian-Bangs FIMs of the channel itself."""
from __future__ import annotations

import time

import numpy as np
import pytest

from isactoolbox.bpms.arrays import steering, steering_derivative
from isactoolbox.bpms.fim import bp_fim, build_linear_fim, covariance, ms_fim
from isactoolbox.bpms.position_model import bistatic_model, monostatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic


@pytest.fixture(scope="module")
def sc3() -> BistaticMonostatic:
    return BistaticMonostatic.paper(3)


def random_beamformers(sc: BistaticMonostatic, seed: int = 0) -> np.ndarray:
    """A generic full-rank W (n_tx, L) at full power tr W W^H = P/M."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((sc.n_tx, sc.n_slots)) + 1j * rng.standard_normal((sc.n_tx, sc.n_slots))
    return W * np.sqrt(sc.power_per_subcarrier) / np.linalg.norm(W)


def slepian_bangs_fd(channel, x0: np.ndarray, steps: np.ndarray, W: np.ndarray, sc: BistaticMonostatic):
    """F_ij = (2/s2) sum_{l,n,m} Re{dmu_i^H dmu_j}, mu_{l,n,m} = H_m w_l s_{n,m}, |s| = 1, central differences.

    Summing the N unit-modulus pilots gives the factor N; the L slots are the columns of W.
    """
    dmu = []
    for i, h in enumerate(steps):
        e = np.zeros_like(x0)
        e[i] = h
        dH = (channel(x0 + e) - channel(x0 - e)) / (2 * h)
        dmu.append((dH @ W).ravel())
    D = np.array(dmu)
    return 2.0 * sc.n_pilots / sc.noise_variance * (D.conj() @ D.T).real


def position_steps(model) -> np.ndarray:
    steps = np.full(len(model.names), 1e-5)  # metres (positions, clock) and normalised gains
    steps[[i for i, n in enumerate(model.names) if n == "ue_orientation"]] = 1e-7
    return steps


def crb_from(F: np.ndarray, target: np.ndarray) -> float:
    return float(np.trace(np.linalg.inv(F)[np.ix_(target, target)]))


# --- position-domain CRBs vs FD of the channel at full M -------------------------------------------
@pytest.mark.parametrize("which", ["bp", "ms"])
def test_crb_matches_finite_difference_fim_of_channel(sc3, which):
    model = bistatic_model(sc3) if which == "bp" else monostatic_model(sc3)
    lin = bp_fim(sc3) if which == "bp" else ms_fim(sc3)
    W = random_beamformers(sc3, 1)
    F_fd = slepian_bangs_fd(model.channel_of_eta, model.eta0, position_steps(model), W, sc3)
    F = lin.physical(covariance(W))
    D = np.diag(lin.scale)
    assert np.allclose(D @ F @ D, D @ F_fd @ D, rtol=0, atol=1e-6)
    assert lin.crb(covariance(W)) == pytest.approx(crb_from(F_fd, model.target), rel=1e-6)


def test_ms_crb_with_rank_deficient_beam_matches_fd():
    # A few beams only (L = 4) still illuminate all 4 nodes; small M keeps it quick.
    sc = BistaticMonostatic.paper(3, n_subcarriers=128, n_slots=4)
    model = monostatic_model(sc)
    W = random_beamformers(sc, 2)
    F_fd = slepian_bangs_fd(model.channel_of_eta, model.eta0, position_steps(model), W, sc)
    assert ms_fim(sc).crb(covariance(W)) == pytest.approx(crb_from(F_fd, model.target), rel=1e-6)


# --- channel-domain FIM (6) vs FD of H(xi), smaller M ----------------------------------------------
@pytest.mark.parametrize("which", ["bp", "ms"])
def test_channel_domain_fim_matches_finite_differences(which):
    sc = BistaticMonostatic.paper(2, n_subcarriers=64)
    model = bistatic_model(sc) if which == "bp" else monostatic_model(sc)
    link, xi0 = model.link, model.xi0
    steps = np.array([1e-7 if n.startswith(("aod", "aoa", "angle")) else
                      1e-14 if n.startswith("delay") else 1e-3 * abs(xi0[i]) + 1e-12
                      for i, n in enumerate(link.names)])
    W = random_beamformers(sc, 3)
    F_fd = slepian_bangs_fd(link.channel, xi0, steps, W, sc)
    F = link.fim(xi0, covariance(W))
    d = 1 / np.sqrt(np.diag(F))
    assert np.allclose(d[:, None] * F * d, d[:, None] * F_fd * d, rtol=0, atol=1e-6)


# --- vectorised subcarrier sum vs a direct loop over all M = 1024 subcarriers ----------------------
def direct_channel_fim(sc: BistaticMonostatic, which: str, xi: np.ndarray, V: np.ndarray) -> np.ndarray:
    """(6) summed subcarrier by subcarrier with dH_m/dxi written out from (3) / (5)."""
    K1 = sc.n_targets + 1
    r = sc.array_phase_reference
    n_rx = sc.n_ue if which == "bp" else sc.n_rx
    if which == "bp":
        th_t, th_r, tau = xi[:K1], xi[K1:2 * K1], xi[2 * K1:3 * K1]
        g = xi[3 * K1:4 * K1] + 1j * xi[4 * K1:]
    else:
        th_t = th_r = xi[:K1]
        tau, g = xi[K1:2 * K1], xi[2 * K1:3 * K1] + 1j * xi[3 * K1:]
    aT, daT = steering(th_t, sc.n_tx, r), steering_derivative(th_t, sc.n_tx, r)
    aR, daR = steering(th_r, n_rx, r), steering_derivative(th_r, n_rx, r)
    df = sc.subcarrier_spacing
    F = np.zeros((len(xi), len(xi)))
    for m in range(sc.n_subcarriers):
        e = np.exp(-2j * np.pi * m * df * tau)
        blocks = {"t": [], "r": [], "tau": [], "re": [], "im": []}
        for k in range(K1):
            base = np.outer(aR[k], aT[k].conj())
            blocks["t"].append(g[k] * e[k] * np.outer(aR[k], daT[k].conj()))
            blocks["r"].append(g[k] * e[k] * np.outer(daR[k], aT[k].conj()))
            blocks["tau"].append(-2j * np.pi * m * df * g[k] * e[k] * base)
            blocks["re"].append(e[k] * base)
            blocks["im"].append(1j * e[k] * base)
        if which == "bp":
            dH = blocks["t"] + blocks["r"] + blocks["tau"] + blocks["re"] + blocks["im"]
        else:
            dH = [a + b for a, b in zip(blocks["t"], blocks["r"])] + blocks["tau"] + blocks["re"] + blocks["im"]
        dH = np.array(dH)
        T = np.einsum("jab,bc->jac", dH, V)  # dH_j V
        F += np.einsum("jac,iac->ij", T, dH.conj()).real  # Re tr(dH_j V dH_i^H)
    return 2 * sc.n_pilots / sc.noise_variance * F


@pytest.mark.parametrize("which", ["bp", "ms"])
def test_vectorised_fim_equals_per_subcarrier_loop_full_m(sc3, which):
    model = bistatic_model(sc3) if which == "bp" else monostatic_model(sc3)
    V = covariance(random_beamformers(sc3, 4))
    F_loop = direct_channel_fim(sc3, which, model.xi0, V)
    F_vec = model.link.fim(model.xi0, V)
    d = 1 / np.sqrt(np.diag(F_loop))
    assert np.max(np.abs(d[:, None] * (F_vec - F_loop) * d)) < 1e-10


# --- geometry ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["bp", "ms"])
def test_jacobian_matches_finite_differences(sc3, which):
    model = bistatic_model(sc3) if which == "bp" else monostatic_model(sc3)
    J_fd = np.empty_like(model.jacobian)
    for j, h in enumerate(position_steps(model)):
        e = np.zeros(len(model.eta0))
        e[j] = h
        J_fd[:, j] = (model.xi_of_eta(model.eta0 + e) - model.xi_of_eta(model.eta0 - e)) / (2 * h)
    scale = np.max(np.abs(model.jacobian), axis=1, keepdims=True)
    assert np.allclose(model.jacobian / scale, J_fd / scale, atol=1e-8)


def test_parameter_counts_match_paper(sc3):
    K = sc3.n_targets
    bp, ms = bistatic_model(sc3), monostatic_model(sc3)
    assert bp.jacobian.shape == (5 * K + 5, 4 * K + 6)
    assert ms.jacobian.shape == (4 * K + 4, 4 * K + 4)
    assert len(ms_fim(sc3).target) == 2 * K + 2 and list(bp_fim(sc3).target) == [0, 1]


# --- invariances ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sizes", [{}, {"n_ue": 8, "n_rx": 6}])
def test_crbs_do_not_depend_on_array_phase_reference(sizes):
    sc3 = BistaticMonostatic.paper(3, **sizes)
    first = sc3.with_phase_reference("first")
    assert first.array_phase_reference == "first"
    V = covariance(random_beamformers(sc3, 5))
    for make, lin in ((bistatic_model, bp_fim), (monostatic_model, ms_fim)):
        a, b = make(sc3), make(first)
        # the same physical channel, written with r = (N-1)/2 and with r = 0 ...
        assert np.allclose(a.link.channel(a.xi0), b.link.channel(b.xi0), rtol=0,
                           atol=1e-12 * np.max(np.abs(a.link.channel(a.xi0))))
        if make is bistatic_model or sc3.n_rx != sc3.n_tx:
            # ... has a different channel-domain FIM (angle/gain coupling depends on r; in MS with
            # M_R = M_T the tx and rx shifts cancel) ...
            assert not np.allclose(a.link.fim(a.xi0, V), b.link.fim(b.xi0, V), rtol=1e-3)
        # ... and the same position CRB
        assert lin(first).crb(V) == pytest.approx(lin(sc3).crb(V), rel=1e-8)
    assert first.with_phase_reference("centre").bp_phases == pytest.approx(sc3.bp_phases, abs=1e-12)


def test_crbs_do_not_depend_on_gain_parametrisation(sc3):
    V = covariance(random_beamformers(sc3, 6))
    P = sc3.power_per_subcarrier
    for make in (bistatic_model, monostatic_model):
        raw = build_linear_fim(make(sc3, normalise_gains=False), P)
        norm = build_linear_fim(make(sc3, normalise_gains=True), P)
        assert norm.crb(V) == pytest.approx(raw.crb(V), rel=1e-8)
        # raw gains are ~1e-5 (BP) / ~1e-7 (MS): their FIM rows are far from O(1) without the scaling
        assert np.max(raw.scale) / np.min(raw.scale) > 1e3 * np.max(norm.scale) / np.min(norm.scale)


def test_equilibration_gives_unit_diagonal_and_maps_back(sc3):
    lin = bp_fim(sc3)
    Ft = lin.scaled(np.eye(sc3.n_tx) / sc3.n_tx)
    assert np.allclose(np.diag(Ft), 1.0)
    V = covariance(random_beamformers(sc3, 7))
    model = bistatic_model(sc3)
    F_direct = model.jacobian.T @ model.link.fim(model.xi0, V) @ model.jacobian  # (7) without scaling
    d = lin.scale
    assert np.allclose(d[:, None] * lin.physical(V) * d, d[:, None] * F_direct * d, atol=1e-10)
    # CRB through the scaled FIM and the weights equals the CRB of the physical FIM
    Ft = lin.scaled(V / lin.power_unit)
    via_weights = float(lin.crb_weights @ np.diag(np.linalg.inv(Ft))[lin.target])
    assert via_weights == pytest.approx(crb_from(F_direct, lin.target), rel=1e-8)


def test_fim_is_linear_in_v_and_hermitian_coefficients(sc3):
    lin = ms_fim(sc3)
    C = lin.coefficients
    assert np.allclose(C, C.conj().transpose(0, 1, 3, 2))
    assert np.allclose(C, C.transpose(1, 0, 2, 3))
    V1, V2 = covariance(random_beamformers(sc3, 8)), covariance(random_beamformers(sc3, 9)[:, :2])
    assert np.allclose(lin.physical(V1 + 2 * V2), lin.physical(V1) + 2 * lin.physical(V2))


def test_singular_fim_gives_infinite_crb(sc3):
    zero = np.zeros((sc3.n_tx, sc3.n_tx))
    assert ms_fim(sc3).crb(zero) == np.inf
    assert bp_fim(sc3).crb(zero) == np.inf
    # all power on one null direction of every BP path: no BP information, CRB is not finite
    U = np.array([steering(th, sc3.n_tx) for th in bistatic_model(sc3).xi0[:sc3.n_targets + 1]]).T
    q, _ = np.linalg.qr(U, mode="complete")
    w = q[:, -1:] * np.sqrt(sc3.power_per_subcarrier)  # orthogonal to every a_T(theta_B,k)
    assert not np.isfinite(bp_fim(sc3).crb(covariance(w))) or bp_fim(sc3).crb(covariance(w)) > 1e6


def test_precompute_is_fast_for_k3():
    sc = BistaticMonostatic.paper(3)  # fresh instance: nothing cached
    t0 = time.perf_counter()
    bp_fim(sc)
    ms_fim(sc)
    assert time.perf_counter() - t0 < 0.5
