"""Reference problems with known optima, shared by the project's tests and third-party conformance runs.

Each builder returns ``(compiled_model, expected)`` where ``expected`` has ``status`` and, when
optimal, ``objective`` and a ``tol`` (relative) to check against.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from isactoolbox.modeling import Model, bmat, inner, trace
from isactoolbox.status import Status


def lp() -> tuple[Any, dict]:
    """min x0 + 2 x1 s.t. x0 + x1 >= 1, x0 - x1 <= 0.5, x >= 0  ->  x = (0.75, 0.25), value 1.25."""
    m = Model("lp")
    x = m.real("x", 2, lb=0.0)
    m.add(x.sum() >= 1.0)
    m.add(x[0] - x[1] <= 0.5)
    m.minimize(x[0] + 2 * x[1])
    return m.compile(), {"status": Status.OPTIMAL, "objective": 1.25, "tol": 1e-6, "class": "LP"}


def real_sdp() -> tuple[Any, dict]:
    """min tr(C X) s.t. tr X = 1, X >> 0 (real symmetric): the smallest eigenvalue of C."""
    rng = np.random.default_rng(7)
    B = rng.normal(size=(5, 5))
    C = B + B.T
    m = Model("real-sdp")
    X = m.symmetric("X", 5, psd=True)
    m.add(trace(X) == 1.0)
    m.minimize(inner(C, X))
    return m.compile(), {"status": Status.OPTIMAL, "objective": float(np.linalg.eigvalsh(C)[0]),
                         "tol": 1e-6, "class": "SDP"}


def _hermitian(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return B + B.conj().T


def complex_lmi_max_eig() -> tuple[Any, dict]:
    """min t s.t. t I - A >> 0 (A complex Hermitian): the largest eigenvalue of A."""
    A = _hermitian(3, 4)
    m = Model("complex-lmi")
    t = m.real("t")
    m.add(t * np.eye(4) - A >> 0, name="lmi")
    m.minimize(t)
    return m.compile(), {"status": Status.OPTIMAL, "objective": float(np.linalg.eigvalsh(A)[-1]),
                         "tol": 1e-6, "class": "SDP"}


def complex_hermitian_sdp() -> tuple[Any, dict]:
    """max Re tr(A X) s.t. tr X = 1, X Hermitian PSD: the largest eigenvalue of A (dual of the LMI form)."""
    A = _hermitian(5, 4)
    m = Model("complex-sdp")
    X = m.hermitian("X", 4, psd=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    return m.compile(), {"status": Status.OPTIMAL, "objective": float(np.linalg.eigvalsh(A)[-1]),
                         "tol": 1e-6, "class": "SDP"}


def schur_crb_sdp() -> tuple[Any, dict]:
    """min tr U s.t. [[U, I], [I, F]] >> 0 with F fixed: tr(F^-1) (the CRB epigraph pattern)."""
    rng = np.random.default_rng(11)
    B = rng.normal(size=(3, 3))
    F = B @ B.T + np.eye(3)
    m = Model("schur")
    U = m.symmetric("U", 3)
    m.add(bmat([[U, np.eye(3)], [np.eye(3), F]]) >> 0, name="schur")
    m.minimize(trace(U))
    return m.compile(), {"status": Status.OPTIMAL, "objective": float(np.trace(np.linalg.inv(F))),
                         "tol": 1e-6, "class": "SDP"}


def milp() -> tuple[Any, dict]:
    """max z0 + 2 z1 s.t. 2 z0 + 3 z1 <= 12.5, z integer >= 0  ->  z = (0, 4) or (1, 3)... value 8."""
    m = Model("milp")
    z = m.integer("z", 2, lb=0.0, ub=10.0)
    b = m.binary("b")
    m.add(2 * z[0] + 3 * z[1] <= 12.5)
    m.add(z[0] <= 10 * b)  # big-M link: using z0 costs 0.5 through b
    m.maximize(z[0] + 2 * z[1] - 0.5 * b)
    return m.compile(), {"status": Status.OPTIMAL, "objective": 8.0, "tol": 1e-6, "class": "MILP"}


def infeasible_lp() -> tuple[Any, dict]:
    m = Model("infeasible-lp")
    x = m.real("x", 2, lb=0.0)
    m.add(x.sum() <= -1.0)
    m.minimize(x.sum())
    return m.compile(), {"status": Status.INFEASIBLE, "class": "LP"}


def unbounded_lp() -> tuple[Any, dict]:
    m = Model("unbounded-lp")
    x = m.real("x", 2)
    m.add(x[0] + x[1] <= 1.0)
    m.minimize(x[0])
    return m.compile(), {"status": Status.UNBOUNDED, "class": "LP"}


def infeasible_sdp() -> tuple[Any, dict]:
    """X >> 0 with tr X = -1."""
    m = Model("infeasible-sdp")
    X = m.symmetric("X", 3, psd=True)
    m.add(trace(X) == -1.0)
    m.minimize(trace(X))
    return m.compile(), {"status": Status.INFEASIBLE, "class": "SDP"}


def misdp() -> tuple[Any, dict]:
    """A tiny mixed-integer SDP (for refusal checks and MISDP-capable backends)."""
    m = Model("misdp")
    X = m.symmetric("X", 2, psd=True)
    b = m.binary("b")
    m.add(X[0, 0] <= 2 * b)
    m.add(trace(X) == 1.0)
    m.minimize(X[1, 1] + 0.25 * b)
    return m.compile(), {"status": Status.OPTIMAL, "objective": 0.25, "tol": 1e-5, "class": "MISDP"}


REFERENCE_PROBLEMS: dict[str, Callable[[], tuple[Any, dict]]] = {
    "lp": lp, "real_sdp": real_sdp, "complex_lmi_max_eig": complex_lmi_max_eig,
    "complex_hermitian_sdp": complex_hermitian_sdp, "schur_crb_sdp": schur_crb_sdp, "milp": milp,
    "infeasible_lp": infeasible_lp, "unbounded_lp": unbounded_lp, "infeasible_sdp": infeasible_sdp,
    "misdp": misdp,
}
