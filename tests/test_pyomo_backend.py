"""The Pyomo backend with real solvers: pyomo:highs (LP/MILP), pyomo:ipopt (certified factorization),
pyomo:highs-oa (outer approximation). Answers are checked against closed forms, brute force and a
second method (picos:cvxopt); certificates are checked against analytic dual points.
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from isactoolbox.backends import get_backend
from isactoolbox.backends.pyomo_backend import PyomoBackend
from isactoolbox.backends.pyomo_certificate import DualCandidate, certify, farkas
from isactoolbox.core.backend import Availability
from isactoolbox.errors import OptionError, UnsupportedProblemError
from isactoolbox.modeling import Model, inner, trace
from isactoolbox.status import Status
from isactoolbox.testing import reference_problems as ref

IPOPT = PyomoBackend.availability("ipopt")
# CI runs scripts/install_ipopt.sh first: there a missing Ipopt is a failure, not a skip.
needs_ipopt = pytest.mark.skipif(not IPOPT and not os.environ.get("CI"),
                                 reason=f"pyomo:ipopt {IPOPT.value}: {PyomoBackend.how_to_enable('ipopt')}")


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def herm(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return B + B.conj().T


def lovasz_theta_c5() -> tuple[Model, object]:
    """theta(C5) = max <J, X> s.t. tr X = 1, X_ij = 0 on the edges, X >= 0: sqrt(5) (Lovasz 1979).

    The optimum has rank 3, so a rank-2 factorization stops at a non-global point.
    """
    m = Model("theta-c5")
    X = m.symmetric("X", 5, psd=True)
    m.add(trace(X) == 1.0)
    for i in range(5):
        m.add(X[i, (i + 1) % 5] == 0.0, name=f"edge[{i}]")
    m.maximize(inner(np.ones((5, 5)), X))
    return m, X


# -- availability and set-up --------------------------------------------------------------------------
def test_highs_available_and_ipopt_reports_how_to_enable():
    assert PyomoBackend.availability("highs") is Availability.AVAILABLE
    assert PyomoBackend.availability("highs-oa") is Availability.AVAILABLE
    hint = PyomoBackend.how_to_enable("ipopt")
    assert "install_ipopt.sh" in hint
    script = hint.split()[1]
    assert os.path.isfile(script), f"how_to_enable names {script}, which does not exist"


def _probe(env_extra: dict[str, str], pythonpath: str | None = None) -> str:
    code = "from isactoolbox.backends.pyomo_backend import PyomoBackend as P; print(P.availability('ipopt').name)"
    env = {**os.environ, **env_extra}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@needs_ipopt
def test_availability_says_needs_build_without_pynumero(tmp_path):
    # PyNumero's library lives in ~/.pyomo: a fresh HOME is a machine where it was never built
    assert _probe({"HOME": str(tmp_path)}) == "NEEDS_BUILD"


def test_availability_says_broken_when_cyipopt_does_not_import(tmp_path):
    pkg = tmp_path / "cyipopt"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise ImportError('libipopt.so.1: cannot open shared object file')\n")
    assert _probe({}, pythonpath=str(tmp_path)) == "BROKEN"


def test_install_script_is_idempotent_and_quiet_when_done():
    script = os.path.join(os.path.dirname(__file__), "..", "scripts", "install_ipopt.sh")
    if not IPOPT:
        pytest.skip("Ipopt not installed here; the script's first run is exercised by CI")
    t0 = time.perf_counter()
    out = subprocess.run(["bash", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "" and out.stderr.strip() == ""
    assert time.perf_counter() - t0 < 20.0


# -- pyomo:highs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("build", [ref.lp, ref.milp])
def test_highs_matches_known_optima(build):
    model, expected = build()
    sol = get_backend("pyomo:highs").solve(model)
    assert sol.status is Status.OPTIMAL, sol.message
    assert rel(sol.objective, expected["objective"]) < 1e-9
    assert max(sol.residuals().values()) < 1e-9
    assert sol.certificate["solver_optimality"] == "HiGHS"


def test_highs_knapsack_against_brute_force():
    rng = np.random.default_rng(4)
    value, weight = rng.integers(1, 20, 10).astype(float), rng.integers(1, 15, 10).astype(float)
    cap = 0.4 * weight.sum()
    m = Model("knapsack")
    b = m.binary("b", 10)
    m.add(inner(weight.reshape(-1, 1), b) <= cap)
    m.maximize(inner(value.reshape(-1, 1), b))
    sol = get_backend("pyomo:highs").solve(m.compile())
    best = max(value @ np.array(c) for c in itertools.product((0, 1), repeat=10) if weight @ np.array(c) <= cap)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best, abs=1e-9)
    assert np.allclose(sol.x, np.round(sol.x))


def _milp(kind: str) -> object:
    m = Model(kind)
    z = m.integer("z", 2)
    if kind == "infeasible":  # 2 z0 + 2 z1 = 3 has no integer solution (the LP relaxation has)
        m.add(2 * z[0] + 2 * z[1] == 3.0)
        m.add(z[0] >= 0.0)
        m.add(z[1] >= 0.0)
        m.minimize(z[0])
    else:  # z0 + z1 >= 1.5 with min z0 - z1: z1 -> infinity
        m.add(z[0] + z[1] >= 1.5)
        m.minimize(z[0] - z[1])
    return m.compile()


@pytest.mark.parametrize("build,expected", [
    (lambda: ref.infeasible_lp()[0], Status.INFEASIBLE),
    (lambda: ref.unbounded_lp()[0], Status.UNBOUNDED),
    (lambda: _milp("infeasible"), Status.INFEASIBLE),
    (lambda: _milp("unbounded"), Status.UNBOUNDED),
])
def test_highs_infeasible_and_unbounded(build, expected):
    sol = get_backend("pyomo:highs").solve(build())
    assert sol.status is expected, (sol.raw_status, sol.message)
    assert sol.x is None


def test_trivially_contradictory_rows_are_infeasible_without_a_solve():
    m = Model()
    x = m.real("x", 1, lb=0.0)
    m.add(0 * x[0] + 1.0 <= 0.0)  # a row without variables that reads 1 <= 0
    m.minimize(x[0])
    sol = get_backend("pyomo:highs").solve(m.compile())
    assert sol.status is Status.INFEASIBLE and "no variables" in sol.message


# -- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,build", [
    ("pyomo:ipopt", ref.misdp), ("pyomo:ipopt", ref.milp),
    ("pyomo:highs", ref.real_sdp), ("pyomo:highs", ref.misdp),
])
def test_unsupported_requests_fail_before_solving(backend, build):
    model, _ = build()
    be = get_backend(backend)
    t0 = time.perf_counter()
    with pytest.raises(UnsupportedProblemError, match=str(model.problem_class)):
        be.solve(model)
    assert time.perf_counter() - t0 < 0.5
    assert be._prepared is None  # nothing was built


def test_bad_ipopt_option_names_the_option():
    with pytest.raises(OptionError, match="rank"):
        get_backend("pyomo:ipopt", rank=0)


# -- pyomo:ipopt: certified answers agree with picos:cvxopt -----------------------------------------
@needs_ipopt
@pytest.mark.parametrize("build", [ref.lp, ref.real_sdp, ref.schur_crb_sdp, ref.complex_lmi_max_eig,
                                   ref.complex_hermitian_sdp])
def test_ipopt_certified_and_agrees_with_cvxopt(build):
    model, expected = build()
    sol = get_backend("pyomo:ipopt").solve(model)
    other = get_backend("picos:cvxopt").solve(model)
    assert sol.status is Status.OPTIMAL, (sol.raw_status, sol.message, sol.certificate.get("failed"))
    cert = sol.certificate
    assert cert["certified"] and cert["relative_gap"] <= 1e-6 and cert["dual_slack_min_eig_rel"] >= -1e-6
    assert rel(sol.objective, expected["objective"]) < 1e-6  # closed form
    assert rel(sol.objective, other.objective) < 1e-6  # second method
    assert max(sol.residuals().values()) < 1e-6
    # the checked dual bound is itself the optimum (strong duality holds for these problems)
    assert rel(cert["dual_bound"], expected["objective"]) < 1e-6


@needs_ipopt
def test_ipopt_hermitian_solution_is_the_top_eigenprojector():
    A = herm(5, 4)
    m = Model()
    X = m.hermitian("X", 4, psd=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    sol = get_backend("pyomo:ipopt").solve(m.compile())
    w, U = np.linalg.eigh(A)
    Xv = sol.value(X)
    assert np.allclose(Xv, Xv.conj().T, atol=0)  # exactly Hermitian: built from L L^H
    assert np.linalg.eigvalsh(Xv)[0] >= -1e-12
    assert np.allclose(Xv, np.outer(U[:, -1], U[:, -1].conj()), atol=1e-5)
    assert sol.certificate["rank"] == 1


@needs_ipopt
def test_rank_increase_repairs_a_non_global_low_rank_point():
    m, X = lovasz_theta_c5()
    sol = get_backend("pyomo:ipopt", rank=1).solve(m.compile())
    rounds = sol.certificate["rounds"]
    assert "dual slack not PSD" in rounds[0]["failed"]  # the low-rank KKT point was caught ...
    assert sol.status is Status.OPTIMAL  # ... and the rank increase fixed it
    assert sol.certificate["rank"] == 3 > max(rounds[0]["ranks"].values())
    assert rel(sol.objective, np.sqrt(5.0)) < 1e-7
    assert np.linalg.matrix_rank(sol.value(X), tol=1e-6) == 3


@needs_ipopt
def test_capped_rank_reports_local_not_optimal():
    m, _ = lovasz_theta_c5()
    sol = get_backend("pyomo:ipopt", rank=2, max_rank=2).solve(m.compile())
    assert sol.status is Status.LOCAL
    assert not sol.certificate["certified"] and sol.certificate["dual_slack_min_eig_rel"] < -1e-3
    assert sol.objective < np.sqrt(5.0) - 1e-3  # a feasible point strictly worse than the optimum
    assert max(sol.residuals().values()) < 1e-6


@needs_ipopt
@pytest.mark.parametrize("build,expected", [(ref.infeasible_sdp, Status.INFEASIBLE),
                                            (ref.infeasible_lp, Status.INFEASIBLE),
                                            (ref.unbounded_lp, Status.UNBOUNDED)])
def test_ipopt_infeasible_and_unbounded_only_with_a_checked_proof(build, expected):
    model, _ = build()
    sol = get_backend("pyomo:ipopt").solve(model)
    assert sol.status is expected, (sol.raw_status, sol.message)
    key = "infeasibility_proven" if expected is Status.INFEASIBLE else "unbounded_direction"
    assert sol.certificate[key] is True


@needs_ipopt
def test_ipopt_refuses_to_call_an_unsolved_infeasible_problem_infeasible():
    # With one Ipopt iteration nothing is found and nothing is proven: no 'infeasible' claim.
    model, _ = ref.infeasible_sdp()
    sol = get_backend("pyomo:ipopt", max_iterations=1, max_rounds=1,
                      ipopt_options={"max_iter": 1}).solve(model)
    assert sol.status is not Status.INFEASIBLE or sol.certificate.get("infeasibility_proven") is True


def _sdr_beamforming(K: int, N: int, seed: int) -> tuple[object, list]:
    """SDR downlink beamforming: min sum tr W_k s.t. SINR_k >= gamma (Hermitian N x N blocks)."""
    rng = np.random.default_rng(seed)
    H = (rng.normal(size=(K, N)) + 1j * rng.normal(size=(K, N))) / np.sqrt(2)
    gamma = 2.0
    m = Model("sdr")
    W = [m.hermitian(f"W[{k}]", N, psd=True) for k in range(K)]
    for k in range(K):
        Hk = np.outer(H[k], H[k].conj())
        interference = sum(inner(Hk, W[j]) for j in range(K) if j != k)
        m.add(inner(Hk, W[k]) / gamma - interference >= 1.0, name=f"sinr[{k}]")
    m.minimize(sum(trace(Wk).real for Wk in W))
    return m.compile(), W


@needs_ipopt
def test_sdr_beamforming_rank_one_certified_and_matches_cvxopt():
    model, W = _sdr_beamforming(K=6, N=8, seed=3)
    sol = get_backend("pyomo:ipopt").solve(model)
    other = get_backend("picos:cvxopt").solve(model)
    assert sol.status is Status.OPTIMAL and other.status is Status.OPTIMAL
    assert rel(sol.objective, other.objective) < 1e-6
    assert sol.certificate["rank"] == 1  # the SDR is tight: rank-one beams are globally optimal
    for Wk in W:
        assert np.linalg.matrix_rank(sol.value(Wk), tol=1e-8 * max(1.0, np.trace(sol.value(Wk)).real)) == 1


@needs_ipopt
def test_parameter_update_resolves_warm_and_certified():
    A0, A1 = herm(1, 5), herm(2, 5)
    m = Model()
    X = m.hermitian("X", 5, psd=True)
    A = m.parameter("A", (5, 5), value=A0, complex=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    model = m.compile()
    be = get_backend("pyomo:ipopt")
    first = be.solve(model)
    A.value = A1
    second = be.solve(model)
    for sol, Am in ((first, A0), (second, A1)):
        assert sol.status is Status.OPTIMAL
        assert rel(sol.objective, np.linalg.eigvalsh(Am)[-1]) < 1e-7


# -- the certificate itself, on analytic dual points --------------------------------------------
def test_certificate_accepts_the_analytic_dual_and_rejects_a_wrong_one():
    model, expected = ref.complex_lmi_max_eig()  # min t s.t. t I - A >> 0
    d = model.data()
    lmi = d.lmis[0]  # the compiled LMI is the congruence D (t I - A) D (equilibration)
    D = lmi.scale if lmi.scale is not None else np.ones(4)
    A = -lmi.f.reshape(4, 4) / np.outer(D, D)
    w, U = np.linalg.eigh(A)
    x = np.array([w[-1]])
    # dual: Z = D^-1 u u^H D^-1 for the top eigenvector u: <Z, D D> = 1 is the stationarity row of t
    u = U[:, -1] / D
    good = DualCandidate(np.zeros(0), np.zeros(0), [np.outer(u, u.conj())])
    cert = certify(d, x, good, primal_residual=0.0)
    assert cert["certified"] and abs(cert["duality_gap"]) < 1e-12
    assert cert["dual_bound"] == pytest.approx(w[-1], rel=1e-12)
    # a dual matrix with a negative eigenvalue is refused even if the gap happens to be small
    v = U[:, 0] / D
    bad = DualCandidate(np.zeros(0), np.zeros(0), [np.outer(u, u.conj()) + 0.5 * np.outer(v, v.conj()) - 0.5 * np.diag(1 / D**2)])
    assert not certify(d, x, bad, primal_residual=0.0)["certified"]
    # a suboptimal primal point has a positive gap against the exact dual
    assert "duality gap" in certify(d, x + 0.5, good, primal_residual=0.0)["failed"]


def test_farkas_check_accepts_a_true_ray_only():
    model, _ = ref.infeasible_sdp()  # X >> 0, tr X = -1
    d = model.data()
    # y multiplies tr X + 1 = 0: A^T y - adj(Z) = 0 gives Z = y I, value b y = y > 0
    ray = DualCandidate(np.array([1.0]), np.zeros(0), [np.eye(3)])
    assert farkas(d, ray)["infeasibility_proven"]
    assert not farkas(d, DualCandidate(np.array([-1.0]), np.zeros(0), [-np.eye(3)]))["infeasibility_proven"]
    feasible, _ = ref.real_sdp()
    rng = np.random.default_rng(0)
    for _ in range(20):
        guess = DualCandidate(rng.normal(size=1), np.zeros(0), [np.eye(5) * abs(rng.normal())])
        assert not farkas(feasible.data(), guess)["infeasibility_proven"]


# -- pyomo:highs-oa --------------------------------------------------------------------------------
def test_oa_small_hermitian_sdp_matches_closed_form():
    A = herm(8, 3)
    m = Model()
    X = m.hermitian("X", 3, psd=True)
    m.add(trace(X).real == 1.0)
    m.maximize(inner(A, X))
    sol = get_backend("pyomo:highs-oa").solve(m.compile())
    assert sol.status is Status.OPTIMAL
    lam = np.linalg.eigvalsh(A)[-1]
    assert rel(sol.objective, lam) < 1e-6
    assert sol.certificate["objective_bound"] >= lam - 1e-9  # a relaxation bound: never below the max
    assert sol.certificate["lmi_min_eig_rel"] >= -1e-7


def test_oa_tiny_misdp_against_brute_force():
    rng = np.random.default_rng(12)
    B = rng.normal(size=(3, 3)); B = B + B.T
    As = [(lambda C: C + C.T)(rng.normal(size=(3, 3))) for _ in range(3)]
    cost = np.array([0.7, 0.4, 0.9])
    m = Model("misdp")
    t = m.real("t")
    b = m.binary("b", 3)
    M = t * np.eye(3) - B
    for i in range(3):
        M = M - b[i] * As[i]
    m.add(M >> 0, name="lmi")
    m.add(b.sum() >= 1.0)
    m.minimize(t + inner(cost.reshape(-1, 1), b))
    sol = get_backend("pyomo:highs-oa").solve(m.compile())
    brute = min(np.linalg.eigvalsh(B + sum(c * A for c, A in zip(combo, As)))[-1] + cost @ np.array(combo)
                for combo in itertools.product((0, 1), repeat=3) if sum(combo) >= 1)
    assert sol.status is Status.OPTIMAL, sol.message
    assert rel(sol.objective, brute) < 1e-6
    assert np.allclose(sol.x[1:], np.round(sol.x[1:]))


def test_oa_infeasible_sdp_is_proven_by_the_relaxation():
    model, _ = ref.infeasible_sdp()
    sol = get_backend("pyomo:highs-oa").solve(model)
    assert sol.status is Status.INFEASIBLE


# -- network size ---------------------------------------------------------------------------------------
def _network_sdp(S: int = 4, K: int = 16, N: int = 8, seed: int = 11, gamma: float = 0.3) -> object:
    """Network-ISAC-sized SDR: K beams and S sensing covariances (20 Hermitian 8x8 PSD blocks), SINR rows
    coupling every block, per-BS power rows and one 3x3 real LMI per BS (illumination of 3 directions)."""
    rng = np.random.default_rng(seed)
    H = (rng.normal(size=(S, K, N)) + 1j * rng.normal(size=(S, K, N))) / np.sqrt(2)
    serve = np.arange(K) % S
    steer = np.exp(1j * np.pi * np.outer(np.arange(N), np.sin(np.linspace(-0.6, 0.6, 3)))) / np.sqrt(N)
    m = Model("network")
    W = [m.hermitian(f"W[{k}]", N, psd=True) for k in range(K)]
    R = [m.hermitian(f"R[{s}]", N, psd=True) for s in range(S)]
    for k in range(K):
        Hs = [np.outer(H[s, k], H[s, k].conj()) for s in range(S)]
        interference = (sum(inner(Hs[serve[j]], W[j]) for j in range(K) if j != k)
                        + sum(inner(Hs[s], R[s]) for s in range(S)))
        m.add(inner(Hs[serve[k]], W[k]) / gamma - interference >= 1.0, name=f"sinr[{k}]")
    for s in range(S):
        C = R[s] + sum(W[k] for k in range(K) if serve[k] == s)
        m.add(trace(C).real <= 10.0, name=f"power[{s}]")
        m.add((steer.conj().T @ C @ steer).real - 0.05 * np.eye(3) >> 0, name=f"illumination[{s}]")
    m.minimize(sum(trace(X).real for X in W + R))
    return m.compile()


@needs_ipopt
def test_network_size_sdp_certified_and_matches_cvxopt():
    model = _network_sdp()
    sol = get_backend("pyomo:ipopt").solve(model)
    other = get_backend("picos:cvxopt").solve(model)
    assert other.status is Status.OPTIMAL
    assert sol.status is Status.OPTIMAL, (sol.message, sol.certificate.get("failed"))
    assert rel(sol.objective, other.objective) < 1e-6
    assert max(sol.residuals().values()) < 1e-6
    print(f"pyomo:ipopt on 20 Hermitian 8x8 blocks: build {sol.build_time:.2f} s, solve {sol.solve_time:.2f} s, "
          f"{sol.iterations} iterations; picos:cvxopt solve {other.solve_time:.2f} s")
