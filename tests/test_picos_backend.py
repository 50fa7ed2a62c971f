"""The PICOS backend on the shared reference problems (known optima), and its refusals."""
import numpy as np
import pytest

from isactoolbox.backends import get_backend, list_backends
from isactoolbox.errors import OptionError, UnsupportedProblemError
from isactoolbox.modeling import Model, inner, trace
from isactoolbox.status import Status
from isactoolbox.testing import backend_checks
from isactoolbox.testing.reference_problems import REFERENCE_PROBLEMS

AVAILABLE = [r["backend"] for r in list_backends() if r["available"] and r["backend"].startswith("picos:")]
CHECKS = [pytest.param(run, id=name) for b in AVAILABLE for name, run in backend_checks(b)]


def test_cvxopt_and_glpk_are_usable_here():
    assert {"picos:cvxopt", "picos:glpk"} <= set(AVAILABLE)


@pytest.mark.parametrize("check", CHECKS)
def test_reference_problem(check):
    check()


def test_refuses_misdp_before_solving():
    model, _ = REFERENCE_PROBLEMS["misdp"]()
    with pytest.raises(UnsupportedProblemError, match="MISDP"):
        get_backend("picos:cvxopt").solve(model)


def test_unknown_solver_names_the_field():
    with pytest.raises(OptionError, match="solver"):
        get_backend("picos:nosuchsolver")


def test_parameter_update_resolves_with_new_optimum():
    """The same compiled model re-solved after a data change matches the closed form each time."""
    rng = np.random.default_rng(5)
    m = Model()
    X = m.hermitian("X", 3, psd=True)
    A = m.parameter("A", (3, 3), np.eye(3), complex=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    compiled = m.compile()
    be = get_backend("picos:cvxopt")
    for _ in range(3):
        B = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
        A.value = B + B.conj().T
        sol = be.solve(compiled)
        assert sol.status == Status.OPTIMAL
        assert sol.objective == pytest.approx(np.linalg.eigvalsh(A.value)[-1], rel=1e-6)
        Xv = sol.value(X)
        # the optimum is the rank-one projector on the top eigenvector
        assert np.linalg.eigvalsh(Xv)[-1] == pytest.approx(1.0, abs=1e-5)


def test_tolerance_and_kkt_options_reach_picos_and_keep_the_closed_form():
    """abs_tol / rel_tol are duality-gap tolerances, feas_tol both feasibility ones, kkt_solver CVXOPT's
    KKT solver: each lands on the PICOS option of that meaning, and the answer stays the eigenvalue."""
    rng = np.random.default_rng(8)
    B = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    Av = B + B.conj().T
    m = Model()
    X = m.hermitian("X", 4, psd=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(Av, X))
    compiled = m.compile()
    for kkt in ("chol", "ldl"):
        be = get_backend("picos:cvxopt", abs_tol=1e-7, rel_tol=1e-6, feas_tol=1e-7, kkt_solver=kkt)
        sol = be.solve(compiled)
        opts = be._prepared[2]["problem"].options
        assert (opts.abs_ipm_opt_tol, opts.rel_ipm_opt_tol) == (1e-7, 1e-6)
        assert {opts.abs_prim_fsb_tol, opts.abs_dual_fsb_tol, opts.rel_prim_fsb_tol, opts.rel_dual_fsb_tol} == {1e-7}
        assert opts.cvxopt_kktsolver == kkt
        assert sol.status == Status.OPTIMAL
        assert sol.objective == pytest.approx(np.linalg.eigvalsh(Av)[-1], rel=1e-5)
