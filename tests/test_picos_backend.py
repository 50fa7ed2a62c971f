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
