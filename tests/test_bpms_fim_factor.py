"""The factored BP / MS FIMs against the direct formula J^T A J of the channel-domain coefficients.

:meth:`MultipathLink.fim_coefficients` forms ``A_ij = (2N/sigma^2) S_ij G_i^H G_j`` from full
derivative matrices and the subcarrier Gram; everything here is checked against it (or against
an SVD of its coefficient stack), never against the factor itself.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from isactoolbox.bpms.arrays import steering, steering_derivative, steering_with_derivative
from isactoolbox.bpms.fim import _coefficient_gram, build_linear_fim, shared_range
from isactoolbox.bpms.formulation import crb_unit
from isactoolbox.bpms.link import _psd_factor
from isactoolbox.bpms.position_model import bistatic_model, monostatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.core.scenario import load_scenario

SCENARIOS = resources.files("isactoolbox") / "data" / "scenarios"
MODELS = {"bp": bistatic_model, "ms": monostatic_model}


@pytest.fixture(scope="module", params=[2, 3], ids=["K2", "K3"])
def sc(request):
    return load_scenario(SCENARIOS / f"bpms_k{request.param}.json")


def direct(model, power_unit: float) -> tuple[np.ndarray, np.ndarray]:
    """(C (n, n, n_tx, n_tx), d (n,)): (7) / (9) as J^T A J entry by entry, equilibrated as documented."""
    A = model.link.fim_coefficients(model.xi0)
    J = model.jacobian
    Cp = np.einsum("ia,jb,ijxy->abxy", J, J, A)
    n_tx = A.shape[2]
    d = 1.0 / np.sqrt(power_unit / n_tx * np.einsum("aaxx->a", Cp).real)
    return Cp * power_unit * np.outer(d, d)[:, :, None, None], d


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def random_hermitian(n: int, rng: np.random.Generator) -> np.ndarray:
    A = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return A + A.conj().T


@pytest.fixture(scope="module")
def pair(sc):
    """Factored FIMs and the direct coefficients, for both models."""
    v0 = sc.power_per_subcarrier
    out = {}
    for name, make in MODELS.items():
        model = make(sc)
        out[name] = (build_linear_fim(model, v0), *direct(model, v0))
    return out


@pytest.mark.parametrize("which", list(MODELS))
def test_factored_coefficients_equal_the_direct_formula(pair, which):
    lin, C, d = pair[which]
    np.testing.assert_allclose(lin.scale, d, rtol=1e-12)
    assert rel_err(lin.coefficients, C) < 1e-12
    # the promised symmetries hold bit for bit, not just to rounding
    Cf = lin.coefficients
    assert np.array_equal(Cf, Cf.conj().transpose(0, 1, 3, 2))
    assert np.array_equal(Cf, Cf.transpose(1, 0, 2, 3))


@pytest.mark.parametrize("which", list(MODELS))
def test_channel_domain_factor_equals_fim_coefficients(sc, which):
    model = MODELS[which](sc)
    A = model.link.fim_coefficients(model.xi0)
    L = model.link.fim_factor(model.xi0)
    B = np.einsum("ikx,jky->ijxy", L.conj(), L)
    C = 0.5 * (B + B.conj().transpose(0, 1, 3, 2))
    # entries span ~30 decades across parameters (delays vs gains): compare each block with its scale
    norms = np.linalg.norm(A, axis=(2, 3))
    scale = np.sqrt(np.outer(np.diag(norms), np.diag(norms)))
    assert np.max(np.linalg.norm(C - A, axis=(2, 3)) / scale) < 1e-12


def test_channel_domain_factor_with_coincident_delays(sc):
    # two paths with the same delay make the subcarrier Gram of the distinct columns singular
    model = bistatic_model(sc)
    xi = model.xi0.copy()
    delay = model.link.layout.delay
    xi[delay[2]] = xi[delay[1]]
    A = model.link.fim_coefficients(xi)
    L = model.link.fim_factor(xi)
    B = np.einsum("ikx,jky->ijxy", L.conj(), L)
    C = 0.5 * (B + B.conj().transpose(0, 1, 3, 2))
    norms = np.linalg.norm(A, axis=(2, 3))
    scale = np.sqrt(np.outer(np.diag(norms), np.diag(norms)))
    assert np.max(np.linalg.norm(C - A, axis=(2, 3)) / scale) < 1e-12


@pytest.mark.parametrize("which", list(MODELS))
def test_rank_one_terms_sum_to_the_derivative_matrices(sc, which):
    model = MODELS[which](sc)
    G, path, order = model.link.derivative_factors(model.xi0)
    u, w, param, col = model.link.derivative_terms(model.xi0)
    summed = np.zeros_like(G)
    np.add.at(summed, param, u[:, :, None] * w[:, None, :].conj())
    np.testing.assert_allclose(summed, G, rtol=0, atol=1e-13 * np.abs(G).max())
    P = model.link.layout.n_paths
    np.testing.assert_array_equal(col, path[param] + P * order[param])  # the frequency factor of each term


def test_shared_range_is_the_range_of_the_coefficient_stack(sc, pair):
    nt = sc.n_tx
    stack = np.concatenate([pair[w][1].transpose(2, 0, 1, 3).reshape(nt, -1) for w in MODELS], axis=1)
    U, s, _ = np.linalg.svd(stack, full_matrices=False)
    U = U[:, s > 1e-6 * s[0]]
    Q = shared_range(pair["bp"][0], pair["ms"][0])
    assert Q.shape == U.shape
    np.testing.assert_allclose(Q.conj().T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    np.testing.assert_allclose(Q @ Q.conj().T, U @ U.conj().T, atol=1e-10)
    # and the same basis, column by column up to a phase: the reduced programs are unchanged
    np.testing.assert_allclose(np.abs(np.sum(Q.conj() * U, axis=0)), 1.0, atol=1e-8)


@pytest.mark.parametrize("which", list(MODELS))
def test_restricted_factor_gives_the_congruent_coefficients(sc, pair, which):
    lin, C, _ = pair[which]
    rng = np.random.default_rng(5)
    Q_shared = shared_range(pair["bp"][0], pair["ms"][0])
    Q_random, _ = np.linalg.qr(rng.standard_normal((sc.n_tx, 5)) + 1j * rng.standard_normal((sc.n_tx, 5)))
    for Q in (Q_shared, Q_random):  # a congruence for any Q, not only for the shared range
        Cr = lin.restricted(Q).coefficients
        assert rel_err(Cr, Q.conj().T @ C @ Q) < 1e-12
        assert np.array_equal(Cr, Cr.conj().transpose(0, 1, 3, 2))
        assert np.array_equal(Cr, Cr.transpose(1, 0, 2, 3))


@pytest.mark.parametrize("which", list(MODELS))
def test_evaluations_on_the_factor_match_the_direct_coefficients(sc, pair, which):
    lin, C, _ = pair[which]
    rng = np.random.default_rng(11)
    Q = shared_range(pair["bp"][0], pair["ms"][0])

    def Ft(X):
        return np.einsum("abxy,yx->ab", C, X).real

    for _ in range(3):
        X = random_hermitian(sc.n_tx, rng)
        np.testing.assert_allclose(lin.scaled(X), Ft(X), rtol=0, atol=1e-12 * np.abs(Ft(X)).max())
        Y = random_hermitian(Q.shape[1], rng)
        ref = Ft(Q @ Y @ Q.conj().T)
        np.testing.assert_allclose(lin.restricted(Q).scaled(Y), ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    U = rng.standard_normal((sc.n_tx, 4)) + 1j * rng.standard_normal((sc.n_tx, 4))
    ref = np.einsum("xi,abxy,yi->iab", U.conj(), C, U).real
    np.testing.assert_allclose(lin.codebook(U), ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_psd_factor_handles_singular_and_badly_scaled_matrices():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 4)) + 1j * rng.standard_normal((7, 4))
    D = np.diag(10.0 ** rng.uniform(-15, 15, 7))
    D[2, 2] = 0.0  # a term with no energy
    M = D @ A @ A.conj().T @ D  # rank 4, entries over 30 decades
    K = _psd_factor(M)
    assert K.shape == (7, 4)
    scale = np.sqrt(np.outer(np.diag(M).real, np.diag(M).real))
    np.testing.assert_array_less(np.abs(K @ K.conj().T - M), 1e-13 * scale + 1e-300)


# --- the fast paths of the factor build, each against an independent computation ------------------
@pytest.mark.parametrize("M", [1024, 64, 32, 13, 1])
@pytest.mark.parametrize("which", list(MODELS))
def test_frequency_basis_gram_equals_the_gram_of_the_basis(which, M):
    # M = 32 and 13: the split m = nb a + b with nb != M / nb, and with nb = 1 (a prime)
    sc = BistaticMonostatic.paper(3, n_subcarriers=M)
    model = MODELS[which](sc)
    link = model.link
    tau = link.unpack(model.xi0)[2]
    cases = [tau, np.array([tau[0], tau[1], tau[1], tau[3]])]  # the second with coincident delays
    for delays in cases:
        B = link.frequency_basis(delays)
        ref = B.conj().T @ B
        scale = np.sqrt(np.outer(np.diag(ref).real, np.diag(ref).real))
        scale[scale == 0] = 1.0  # M = 1: the omega column is zero
        err = np.abs(link.frequency_basis_gram(delays) - ref) / scale
        assert np.max(err) < 1e-13


def test_coefficient_gram_is_the_gram_of_the_coefficient_stack():
    rng = np.random.default_rng(2)
    G = rng.standard_normal((7, 5, 4)) + 1j * rng.standard_normal((7, 5, 4))
    X = np.einsum("akx,bky->abxy", G.conj(), G)  # X_ab = G_a^H G_b
    C = 0.5 * (X + X.conj().transpose(0, 1, 3, 2))
    ref = np.einsum("abxy,abzy->xz", C, C.conj())  # sum_ab C_ab C_ab^H
    W = _coefficient_gram(G)
    np.testing.assert_allclose(0.25 * (W + W.conj().T), ref, rtol=0, atol=1e-13 * np.abs(ref).max())


def test_isotropic_fim_and_crb_unit_match_the_direct_coefficients(sc, pair):
    lin, C, d = pair["bp"]
    Ft = np.einsum("abxx->ab", C).real / sc.n_tx  # tr(C_ab I) / n_tx
    np.testing.assert_allclose(lin.isotropic_scaled(), Ft, rtol=0, atol=1e-13)
    t = lin.target
    crb = float(np.sum(d[t] ** 2 * np.diag(np.linalg.inv(Ft))[t]))
    assert crb_unit(sc, lin, pair["ms"][0]) == pytest.approx(crb, rel=1e-10)
    iso = np.eye(sc.n_tx) * (sc.power_per_subcarrier / sc.n_tx)
    assert crb_unit(sc, lin, pair["ms"][0]) == pytest.approx(lin.crb(iso), rel=1e-12)  # the general path


def test_steering_with_derivative_equals_the_separate_functions():
    theta = np.array([-1.2, -0.3, 0.0, 0.7, 1.5])
    for reference in ("centre", "first"):
        a, da = steering_with_derivative(theta, 9, reference)
        np.testing.assert_array_equal(a, steering(theta, 9, reference))
        np.testing.assert_array_equal(da, steering_derivative(theta, 9, reference))


def test_shared_model_structure_is_read_only(sc):
    # layouts and labels are cached per size and shared by every model of that size
    a, b = bistatic_model(sc), bistatic_model(sc)
    assert a.link.layout is b.link.layout
    for arr in (a.link.layout.delay, *a.link.layout.terms, a.xi0):
        assert not arr.flags.writeable
