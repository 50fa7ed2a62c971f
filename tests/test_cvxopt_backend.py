"""``cvxopt:conelp`` (canonical data straight to cvxopt.solvers.conelp), each answer checked against
something independent: a closed form, HiGHS, numpy eigenvalues, picos:cvxopt, Clarabel."""
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize

from isactoolbox.backends import get_backend, list_backends
from isactoolbox.errors import OptionError, UnsupportedProblemError
from isactoolbox.modeling import Model, inner, trace
from isactoolbox.status import Status
from isactoolbox.testing import backend_checks
from isactoolbox.testing.reference_problems import REFERENCE_PROBLEMS

SCENARIOS = Path(__file__).resolve().parents[1] / "isactoolbox" / "data" / "scenarios"
HAVE_CLARABEL = any(r["backend"] == "clarabel:clarabel" and r["available"] for r in list_backends())


@pytest.mark.parametrize("check", [pytest.param(run, id=name) for name, run in backend_checks("cvxopt:conelp")])
def test_conformance(check):
    check()


def test_listed_and_default_solver():
    rows = {r["backend"]: r for r in list_backends()}
    assert rows["cvxopt:conelp"]["available"] and rows["cvxopt:conelp"]["classes"] == ["LP", "SDP"]
    assert get_backend("cvxopt").name == "cvxopt:conelp"


@pytest.mark.parametrize("kkt_solver, dense_g", [("chol", True), ("chol2", False)])
def test_lp_matches_highs(kkt_solver, dense_g):
    """Both forms of G (dense for the dense KKT solvers, sparse for 'chol2') give HiGHS's optimum."""
    import cvxopt

    rng = np.random.default_rng(3)
    A = rng.uniform(0.5, 2.0, size=(6, 4))
    b = rng.uniform(1.0, 3.0, size=6)
    c = rng.uniform(0.5, 1.5, size=4)
    m = Model()
    x = m.real("x", 4, lb=0.0, ub=5.0)
    m.add(A @ x >= b)
    m.add(x[0] + x[1] == 1.5)
    m.minimize(c @ x)
    backend = get_backend("cvxopt", kkt_solver=kkt_solver)
    compiled = m.compile()
    assert isinstance(backend._import(compiled)["G"], cvxopt.matrix) is dense_g
    sol = backend.solve(compiled)
    ref = scipy.optimize.linprog(c, A_ub=-A, b_ub=-b, A_eq=[[1, 1, 0, 0]], b_eq=[1.5], bounds=[(0, 5)] * 4,
                                 method="highs")
    assert sol.status is Status.OPTIMAL and ref.status == 0
    assert sol.objective == pytest.approx(ref.fun, rel=1e-7)
    assert sol.iterations > 0 and sol.solve_time > 0 and sol.solver_version
    cert = sol.certificate
    assert cert["primal_objective"] == pytest.approx(cert["dual_objective"], rel=1e-7)


def test_real_sdp_is_the_smallest_eigenvalue():
    rng = np.random.default_rng(21)
    B = rng.normal(size=(6, 6))
    C = B + B.T
    m = Model()
    X = m.symmetric("X", 6, psd=True)
    m.add(trace(X) == 1.0)
    m.minimize(inner(C, X))
    sol = get_backend("cvxopt").solve(m.compile())
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(np.linalg.eigvalsh(C)[0], rel=1e-7)


def test_complex_hermitian_sdp_is_the_largest_eigenvalue():
    rng = np.random.default_rng(4)
    B = rng.normal(size=(5, 5)) + 1j * rng.normal(size=(5, 5))
    A = B + B.conj().T
    m = Model()
    X = m.hermitian("X", 5, psd=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    sol = get_backend("cvxopt").solve(m.compile())
    lam, vec = np.linalg.eigh(A)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(lam[-1], rel=1e-7)
    # the optimum is the projector on the top eigenvector, complex phases included
    assert np.allclose(sol.value(X), np.outer(vec[:, -1], vec[:, -1].conj()), atol=1e-4)


@pytest.mark.parametrize("name", ["infeasible_lp", "infeasible_sdp"])
def test_infeasible(name):
    model, _ = REFERENCE_PROBLEMS[name]()
    sol = get_backend("cvxopt").solve(model)
    assert sol.status is Status.INFEASIBLE and sol.raw_status == "primal infeasible" and sol.x is None


def test_unbounded():
    model, _ = REFERENCE_PROBLEMS["unbounded_lp"]()
    sol = get_backend("cvxopt").solve(model)
    assert sol.status is Status.UNBOUNDED and sol.raw_status == "dual infeasible"


def test_empty_equality_row_with_nonzero_right_side_is_infeasible():
    m = Model()
    x = m.real("x", 2, lb=0.0)
    p = m.parameter("p", 1, value=1.0)
    m.add(p * x[0] == 1.0)
    m.minimize(x.sum())
    compiled = m.compile()
    be = get_backend("cvxopt")
    assert be.solve(compiled).objective == pytest.approx(1.0, rel=1e-7)
    p.value = 0.0  # the row becomes 0 == 1
    sol = be.solve(compiled)
    assert sol.status is Status.INFEASIBLE and "0 == nonzero" in sol.message


def test_translation_leaves_the_canonical_data_as_they_were():
    """Canonical data are cached and shared (their arrays may be read-only): the backends drop
    explicit zeros from copies of their own, never from the data."""
    from isactoolbox.backends.pyomo_linear import nonempty_rows
    from isactoolbox.modeling.csr import csr_from_arrays

    m = Model()
    x = m.real("x", 3, lb=0.0)
    m.add(x[0] + x[1] == 1.0)
    m.minimize(x.sum())
    compiled = m.compile()
    d = compiled.data()
    arrays = (d.A_eq.data[[0, 1]].tolist() + [0.0], [0, 1, 2], [0, 3])  # x[2] with an explicit 0
    arrays = [np.array(a, dtype=t) for a, t in zip(arrays, (float, np.int32, np.int32))]
    for a in arrays:
        a.setflags(write=False)
    d.A_eq = csr_from_arrays(*arrays, (1, 3))
    assert list(nonempty_rows(d.A_eq)) == [0]
    sol = get_backend("cvxopt").solve(compiled)
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(1.0, rel=1e-7)
    assert d.A_eq.nnz == 3 and d.A_eq.data[2] == 0.0


def test_refuses_integers():
    model, _ = REFERENCE_PROBLEMS["misdp"]()
    with pytest.raises(UnsupportedProblemError, match="MISDP"):
        get_backend("cvxopt").solve(model)


@pytest.mark.parametrize("option, value", [("abs_tol", -1.0), ("feas_tol", 0.0), ("max_iterations", 0),
                                           ("kkt_solver", "cholesky"), ("kkt_fallback", "yes"),
                                           ("no_such_option", 1)])
def test_bad_option_names_the_option(option, value):
    with pytest.raises(OptionError, match=option):
        get_backend("cvxopt", **{option: value})


def _repeated_equality_lp(rhs: float = 2.0):
    """The same equality twice (rank 1 < 2 rows) when ``rhs`` is 2; contradictory otherwise."""
    m = Model()
    x = m.real("x", 2, lb=0.0)
    m.add(x[0] + x[1] == 1.0)
    m.add(2 * x[0] + 2 * x[1] == rhs)
    m.minimize(x[0] + 3 * x[1])
    return m.compile()


def _unconstrained_direction_lp():
    """y enters neither G nor A: rank([G; A]) < n, which the chol KKT solver cannot factor (an exact
    zero pivot on every BLAS build), while ldl with KKT regularisation solves it."""
    m = Model()
    x = m.real("x", 2, lb=0.0)
    y = m.real("y", 1)
    m.add(x[0] + x[1] == 1.0)
    m.minimize(x[0] + 3 * x[1] + 0 * y[0])
    return m.compile()


def test_repeated_equality_rows_are_dropped_before_the_solve():
    # chol on the rank-deficient A raised on one machine and ran to the iteration limit on another
    sol = get_backend("cvxopt").solve(_repeated_equality_lp())
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(1.0, rel=1e-7)
    assert [a[:2] for a in sol.certificate["kkt_attempts"]] == [("chol", "optimal")]
    np.testing.assert_allclose(sol.x, [1.0, 0.0], atol=1e-6)


def test_contradictory_equality_rows_are_infeasible_without_a_solve():
    sol = get_backend("cvxopt").solve(_repeated_equality_lp(rhs=3.0))
    assert sol.status is Status.INFEASIBLE and sol.x is None
    assert "equality row 1" in sol.message and "combination" in sol.message


def test_singular_kkt_falls_back_to_ldl():
    sol = get_backend("cvxopt").solve(_unconstrained_direction_lp())
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(1.0, rel=1e-7)
    first, second = sol.certificate["kkt_attempts"]
    assert first[0] == "chol" and first[2] is None  # chol raised
    assert second[:2] == ("ldl", "optimal") and sol.certificate["kkt_solver"] == "ldl"
    assert "fallback" in sol.message


def test_singular_kkt_without_fallback_is_a_named_solver_error():
    sol = get_backend("cvxopt", kkt_fallback=False).solve(_unconstrained_direction_lp())
    assert sol.status is Status.SOLVER_ERROR and sol.x is None
    assert "ValueError" in sol.message and "chol" in sol.message


def test_iteration_limit_keeps_the_point():
    model, _ = REFERENCE_PROBLEMS["real_sdp"]()
    sol = get_backend("cvxopt", max_iterations=2).solve(model)
    assert sol.status is Status.ITERATION_LIMIT and sol.iterations == 2 and sol.x is not None
    assert "limit" in sol.message


def test_log_is_captured_only_when_asked(capsys):
    model, _ = REFERENCE_PROBLEMS["lp"]()
    be = get_backend("cvxopt")
    assert be.solve(model).log is None
    sol = be.solve(model, keep_log=True)
    assert "pcost" in sol.log and "Optimal solution found" in sol.log
    assert capsys.readouterr().out == ""


def test_parameter_update_matches_a_fresh_build():
    """A compiled model re-solved after a parameter change equals a model built with that value."""
    rng = np.random.default_rng(5)

    def build(value):
        m = Model()
        X = m.hermitian("X", 3, psd=True)
        A = m.parameter("A", (3, 3), value, complex=True)
        m.add(trace(X).real == 1.0)
        m.maximize(inner(A, X))
        return m.compile(), A

    compiled, A = build(np.eye(3))
    be = get_backend("cvxopt")
    be.solve(compiled)
    for _ in range(2):
        B = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
        A.value = B + B.conj().T
        again = be.solve(compiled)
        fresh = get_backend("cvxopt").solve(build(A.value)[0])
        assert again.objective == pytest.approx(fresh.objective, rel=1e-9)
        assert again.objective == pytest.approx(np.linalg.eigvalsh(A.value)[-1], rel=1e-7)


# -- the project's SDPs, against picos:cvxopt and Clarabel ----------------------------------------
@pytest.fixture(scope="module")
def network_isac():
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP, ChoiceSpec

    sc = load_scenario(SCENARIOS / "network_isac_table2.json")
    d = sc.distances_to_users()
    assoc = [min((s for s in range(sc.n_bs) if s != 0), key=lambda s: d[s, k]) for k in range(sc.n_users)]
    routes = ["cvxopt", "picos:cvxopt"] + (["clarabel"] if HAVE_CLARABEL else [])
    return {r: ChoiceSDP(sc, ChoiceSpec.fixed(0, assoc), precondition=True).solve(get_backend(r)) for r in routes}


@pytest.fixture(scope="module")
def bpms_wcrb():
    from isactoolbox.bpms.problems import WCRBProblem
    from isactoolbox.core.scenario import load_scenario

    sc = load_scenario(SCENARIOS / "bpms_k3.json")
    routes = ["cvxopt", "picos:cvxopt"] + (["clarabel"] if HAVE_CLARABEL else [])
    return {r: get_backend(r).solve(WCRBProblem(sc, use_codebook=False).compiled) for r in routes}


def test_network_isac_sdp_agrees_with_picos_cvxopt(network_isac):
    ours, picos = network_isac["cvxopt"], network_isac["picos:cvxopt"]
    assert ours.status is Status.OPTIMAL and picos.status is Status.OPTIMAL
    assert ours.objective == pytest.approx(picos.objective, rel=1e-6)


@pytest.mark.skipif(not HAVE_CLARABEL, reason="isactoolbox-clarabel plugin not installed")
def test_network_isac_sdp_against_clarabel(network_isac):
    """Clarabel's "Solved" stops 5.7e-5 to 1.2e-4 (relative) above CVXOPT here: which of the two
    depends on last-bit rounding of the data (the same model built before and after the session-12
    build changes; in and out of the full suite), so it is held to 2e-4. CVXOPT's answer is the
    optimum: its dual objective is a lower bound Clarabel's feasible point cannot beat."""
    ours, clar = network_isac["cvxopt"], network_isac["clarabel"]
    assert clar.status is Status.OPTIMAL
    assert ours.objective == pytest.approx(clar.objective, rel=2e-4)
    assert ours.objective <= clar.objective * (1 + 1e-7)


def test_bpms_wcrb_agrees_with_picos_cvxopt_and_clarabel(bpms_wcrb):
    ours = bpms_wcrb["cvxopt"]
    assert ours.status is Status.OPTIMAL
    for route, other in bpms_wcrb.items():
        assert other.status is Status.OPTIMAL, route
        assert ours.objective == pytest.approx(other.objective, rel=1e-6), route
    cert = ours.certificate
    assert cert["primal_objective"] == pytest.approx(cert["dual_objective"], rel=1e-7)


def test_bpms_rho_update_matches_a_fresh_build():
    from isactoolbox.bpms.problems import WCRBProblem
    from isactoolbox.core.scenario import load_scenario

    sc = load_scenario(SCENARIOS / "bpms_k3.json")
    prob = WCRBProblem(sc, use_codebook=False)
    be = get_backend("cvxopt")
    be.solve(prob.compiled)
    prob.rho.value = 0.2
    again = be.solve(prob.compiled)
    fresh_prob = WCRBProblem(sc, use_codebook=False)
    fresh_prob.rho.value = 0.2
    fresh = get_backend("cvxopt").solve(fresh_prob.compiled)
    assert again.status is Status.OPTIMAL
    assert again.objective == pytest.approx(fresh.objective, rel=1e-9)


@pytest.mark.parametrize("shape, density", [((40, 7), 0.5), ((300, 20), 0.3), ((2000, 600), 0.01), ((50, 9), 0.0)])
def test_scipy_to_cvxopt_conversion_keeps_every_entry(shape, density):
    """The chunked triplet conversion (sparse G for 'chol2', A always) gives the scipy matrix entry for
    entry, storing only its nonzeros, from filled to empty matrices."""
    import cvxopt
    import scipy.sparse as sp

    from isactoolbox.backends.cvxopt_backend import _spmatrix

    M = sp.random(*shape, density=density, format="csr", random_state=np.random.default_rng(7))
    got = _spmatrix(M)
    assert got.size == shape and got.typecode == "d"
    np.testing.assert_array_equal(np.array(cvxopt.matrix(got)), M.toarray())
    assert len(got.V) == M.nnz
