"""FDB programs solved on the FIMs' shared range: X = Q Y Q^H loses nothing against the full X.

Checked three ways that do not use the reduction itself: the range against the steering vectors
and their derivatives (the physics says it is their span), the FIM of a covariance against the FIM
of its projection (the property the reduction rests on), and the reduced programs' optima against
the full M_T x M_T programs' on two backends.
"""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.backends import get_backend
from isactoolbox.bpms.fim import bp_fim, ms_fim, shared_range
from isactoolbox.bpms.formulation import codebook
from isactoolbox.bpms.problems import EpsilonConstraintProblem, WCRBProblem
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.registry import registry

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module", params=[2, 3], ids=["K2", "K3"])
def sc(request) -> BistaticMonostatic:
    return BistaticMonostatic.paper(request.param)


@pytest.fixture(scope="module")
def Q(sc) -> np.ndarray:
    return shared_range(bp_fim(sc), ms_fim(sc))


def random_psd(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    X = A @ A.conj().T
    return X / np.trace(X).real


def test_shared_range_is_the_span_of_steering_vectors_and_derivatives(sc, Q):
    U = codebook(sc)  # a_T(theta_k), d a_T / d theta at the K + 1 BS-side angles
    assert Q.shape == (sc.n_tx, 2 * sc.n_targets + 2)
    np.testing.assert_allclose(Q.conj().T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    # U lies in range(Q) and has as many independent columns: the two spans coincide.
    assert np.linalg.norm(U - Q @ (Q.conj().T @ U)) < 1e-10 * np.linalg.norm(U)
    assert np.linalg.matrix_rank(U, tol=1e-8) == Q.shape[1]


@pytest.mark.parametrize("which", [bp_fim, ms_fim], ids=["bp", "ms"])
def test_fims_see_a_covariance_only_through_its_projection(sc, Q, which):
    lin = which(sc)
    P = Q @ Q.conj().T
    for seed in range(3):
        X = random_psd(sc.n_tx, seed)
        full, projected = lin.scaled(X), lin.scaled(P @ X @ P)
        np.testing.assert_allclose(projected, full, rtol=1e-9, atol=1e-9 * np.abs(full).max())
        # the projection never uses more power
        assert np.trace(P @ X @ P).real <= np.trace(X).real + 1e-12
        Y = random_psd(Q.shape[1], seed)
        np.testing.assert_allclose(lin.restricted(Q).scaled(Y), lin.scaled(Q @ Y @ Q.conj().T),
                                   rtol=1e-9, atol=1e-9 * np.abs(full).max())


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
def test_reduced_wcrb_has_the_full_programs_optimum(sc, rho):
    be = get_backend("cvxopt")
    full, reduced = WCRBProblem(sc, False, reduce_range=False), WCRBProblem(sc, False)
    assert full.range is None and reduced.range.shape[1] == 2 * sc.n_targets + 2
    sizes = {l[0]: l[1] for l in reduced.compiled.summary()["lmis"]}
    assert sizes["Y >> 0"] == 2 * sc.n_targets + 2
    a, b = full.solve(be, rho), reduced.solve(be, rho)
    assert a.status.value == b.status.value == "optimal"
    assert b.objective == pytest.approx(a.objective, rel=1e-6)
    # the returned covariance is the physical n_tx x n_tx one and attains the bound
    assert b.V.shape == (sc.n_tx, sc.n_tx)
    assert np.trace(b.V).real <= sc.power_per_subcarrier * (1 + 1e-7)
    w = rho * bp_fim(sc).crb(b.V) + (1 - rho) * ms_fim(sc).crb(b.V)
    assert w == pytest.approx(b.objective, rel=1e-5)


def test_reduced_wcrb_agrees_across_backends(sc):
    a = WCRBProblem(sc, False, reduce_range=False).solve(get_backend("cvxopt"), 0.5)
    b = WCRBProblem(sc, False).solve(get_backend("clarabel"), 0.5)
    assert b.status.has_solution
    assert b.objective == pytest.approx(a.objective, rel=1e-5)


def test_reduced_epsilon_constraint_has_the_full_programs_optimum(sc):
    be = get_backend("cvxopt")
    full, reduced = EpsilonConstraintProblem(sc, False, reduce_range=False), EpsilonConstraintProblem(sc, False)
    bound = 1.5 * WCRBProblem(sc, False).solve(be, 1.0).objective  # BP CRB 50% above its best
    a, b = full.solve(be, bound), reduced.solve(be, bound)
    assert a.status.has_solution and b.status.has_solution
    assert b.objective == pytest.approx(a.objective, rel=1e-6)


def test_strategy_option_gives_the_same_verified_design(sc):
    strategy = registry.strategy("wcrb-fdb")()
    on = strategy.solve(sc, "cvxopt", rho=0.5)
    off = strategy.solve(sc, "cvxopt", rho=0.5, reduce_range=False)
    assert on.options["reduce_range"] is True and off.options["reduce_range"] is False
    for r in (on, off):
        assert r.status.is_success and r.verification.passed
    assert on.metrics["bp-crb"] == pytest.approx(off.metrics["bp-crb"], rel=1e-4)
    assert on.metrics["ms-crb"] == pytest.approx(off.metrics["ms-crb"], rel=1e-4)
    assert on.objective == pytest.approx(off.objective, rel=1e-6)
