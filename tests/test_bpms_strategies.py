"""Strategies of 004 (WCRB / WBF / WVM as FDB and CPA, APA) on the K = 2 paper scenario."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from isactoolbox.backends import get_backend
from isactoolbox.bpms.fim import bp_fim, ms_fim
from isactoolbox.bpms.formulation import codebook
from isactoolbox.bpms.metrics import BistaticPositioningCRB, MonostaticSensingCRB
from isactoolbox.bpms.pareto import ALL_SCHEMES, pareto_sweep
from isactoolbox.bpms.problems import wcrb_problem
from isactoolbox.bpms.recovery import recover_beamformers
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.errors import OptionError
from isactoolbox.modeling import Model, trace
from isactoolbox.registry import registry
from isactoolbox.status import Status

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
RHOS = (0.0, 0.5, 1.0)
TOL = 1e-5  # interior-point accuracy passes into the CRBs at about this level


@pytest.fixture(scope="module")
def sc() -> BistaticMonostatic:
    return BistaticMonostatic.paper(2)


@pytest.fixture(scope="module")
def backend():
    return get_backend("picos:cvxopt")


@pytest.fixture(scope="module")
def sweep(sc, backend):
    # wbf-cpa's lifted SDP (6 blocks of 17 x 17) takes ~5 s per rho; its closed form is checked
    # against the SDP in test_wbf_cpa_sdp_matches_closed_form (slow).
    return pareto_sweep(sc, ALL_SCHEMES, RHOS, backend=backend, keep_results=True,
                        options={"wbf-cpa": {"method": "closed-form"}})


def res(sweep, scheme, rho):
    return sweep.results[(scheme, rho)]


def weighted(r, rho):
    return rho * r.metrics["bp-crb"] + (1 - rho) * r.metrics["ms-crb"]


def test_registry_names(sc):
    for name in ALL_SCHEMES:
        cls = registry.strategy(name)
        assert cls.name == name and "bistatic-monostatic" in cls.scenario_kinds


def test_every_result_is_verified_with_honest_status(sweep, sc):
    P = sc.power_per_subcarrier
    for (scheme, rho), r in sweep.results.items():
        assert r.verification.passed, (scheme, rho, r.verification.failures)
        assert r.status is (Status.FEASIBLE if scheme == "apa" else Status.OPTIMAL), (scheme, rho, r.message)
        W = r.values["W"]
        assert W.shape == (sc.n_tx, sc.n_slots)
        # every scheme ends at full power: the CRBs decrease with power, (16b), (19b) demand it
        assert np.linalg.norm(W) ** 2 == pytest.approx(P, rel=TOL)
        # the CRBs reported are those of the returned beamformers
        assert r.metrics["bp-crb"] == pytest.approx(BistaticPositioningCRB().evaluate(sc, {"W": W}), rel=1e-12)


def test_rho_one_bp_and_rho_zero_ms_best_for_wcrb_fdb(sweep):
    best_bp = res(sweep, "wcrb-fdb", 1.0).metrics["bp-crb"]
    best_ms = res(sweep, "wcrb-fdb", 0.0).metrics["ms-crb"]
    for (scheme, rho), r in sweep.results.items():
        assert best_bp <= r.metrics["bp-crb"] * (1 + TOL), (scheme, rho)
        assert best_ms <= r.metrics["ms-crb"] * (1 + TOL), (scheme, rho)


def test_wcrb_fdb_minimises_the_weighted_crb_among_all_schemes(sweep):
    # (12) is what WCRB-FDB solves (relaxation exact here: rank V <= L); nothing may beat it.
    for rho in RHOS:
        ref = weighted(res(sweep, "wcrb-fdb", rho), rho)
        for scheme in ALL_SCHEMES:
            assert ref <= weighted(res(sweep, scheme, rho), rho) * (1 + TOL), (scheme, rho)


def test_fdb_never_worse_than_cpa(sweep):
    # same criterion: the codebook covariances are a subset of all covariances
    for rho in RHOS:
        assert weighted(res(sweep, "wcrb-fdb", rho), rho) <= weighted(res(sweep, "wcrb-cpa", rho), rho) * (1 + TOL)
    # mismatch criteria: no CPA point of a criterion dominates an FDB point of the same criterion
    for crit in ("wcrb", "wvm", "wbf"):
        for rf in RHOS:
            f = sweep.point(f"{crit}-fdb", rf)
            for rc in RHOS:
                c = sweep.point(f"{crit}-cpa", rc)
                assert not (c.sqrt_bp < f.sqrt_bp * (1 - TOL) and c.sqrt_ms < f.sqrt_ms * (1 - TOL)), (crit, rf, rc)


def test_apa_is_one_point_with_equal_codebook_powers(sweep, sc):
    Ws = [res(sweep, "apa", rho).values["W"] for rho in RHOS]
    assert all(np.array_equal(Ws[0], W) for W in Ws[1:])
    U = codebook(sc)
    q = U.shape[1]
    col_power = np.linalg.norm(Ws[0], axis=0) ** 2
    assert np.allclose(col_power[:q], sc.power_per_subcarrier / q) and np.all(col_power[q:] == 0)
    V = Ws[0] @ Ws[0].conj().T
    assert np.allclose(V, sc.power_per_subcarrier / q * U @ U.conj().T, atol=1e-12 * sc.power_per_subcarrier)


def test_wcrb_curve_is_monotone_in_rho(sc, backend):
    rhos = np.linspace(0.0, 1.0, 6)
    for scheme in ("wcrb-fdb", "wcrb-cpa"):
        strat = registry.strategy(scheme)()
        out = [strat.solve(sc, backend, rho=float(r)).metrics for r in rhos]
        bp = np.array([m["bp-crb"] for m in out])
        ms = np.array([m["ms-crb"] for m in out])
        assert np.all(np.diff(bp) <= TOL * bp[:-1]), (scheme, bp)
        assert np.all(np.diff(ms) >= -TOL * ms[:-1]), (scheme, ms)
        assert bp[0] > bp[-1] * 1.1 and ms[-1] > ms[0] * 1.1  # a real tradeoff, not a flat line


def test_rho_sweep_reuses_one_compiled_model(sc, backend):
    strat = registry.strategy("wcrb-fdb")()
    strat.solve(sc, backend, rho=0.2)
    compiled = wcrb_problem(sc, False)[0].compiled
    again = strat.solve(sc, backend, rho=0.7)
    assert again.extra["model_reused"] is True
    assert wcrb_problem(sc, False)[0].compiled is compiled
    # the re-solved model answers as a freshly built one does
    fresh = strat.solve(BistaticMonostatic.paper(2), backend, rho=0.7)
    assert fresh.extra["model_reused"] is False
    assert again.metrics["bp-crb"] == pytest.approx(fresh.metrics["bp-crb"], rel=TOL)
    assert again.timings.solves == 1 and again.timings.solver > 0


def test_schur_bound_is_tight_at_the_optimum(sweep):
    for scheme in ("wcrb-fdb", "wcrb-cpa"):
        for rho in RHOS:
            r = res(sweep, scheme, rho)
            assert abs(r.extra["bound_gap"]) < TOL, (scheme, rho)


@pytest.mark.parametrize("metric", [BistaticPositioningCRB(), MonostaticSensingCRB()])
def test_single_objective_optimum_by_a_second_method(sweep, sc, backend, metric):
    # min power s.t. CRB <= c* (c* = WCRB optimum at full power) needs exactly the full power:
    # CRB(t V) = CRB(V) / t, so any cheaper covariance would beat WCRB at full power.
    rho = 1.0 if metric.name == "bp-crb" else 0.0
    c_star = res(sweep, "wcrb-fdb", rho).metrics[metric.name]
    m = Model("min-power")
    X = m.hermitian("X", sc.n_tx, psd=True)
    metric.constraint(m, sc, {"X": X}, c_star)
    m.minimize(trace(X).real)
    sol = backend.solve(m.compile())
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(1.0, rel=TOL)


def test_unreachable_crb_bound_is_infeasible_not_a_number(sc, backend):
    m = Model("impossible")
    X = m.hermitian("X", sc.n_tx, psd=True)
    m.add(trace(X).real <= 1.0)
    MonostaticSensingCRB().constraint(m, sc, {"X": X}, 1e-9)
    m.minimize(trace(X).real)
    assert backend.solve(m.compile()).status is Status.INFEASIBLE


def test_wbf_sdp_matches_closed_form(sc, backend):
    sdp = registry.strategy("wbf-fdb")().solve(sc, backend, rho=0.3)
    cf = registry.strategy("wbf-fdb")(method="closed-form").solve(sc, backend, rho=0.3)
    assert sdp.status is Status.OPTIMAL and sdp.extra["lift_rank_ratio"] < 1e-5
    assert np.linalg.norm(sdp.values["W"] - cf.values["W"]) / np.linalg.norm(cf.values["W"]) < 1e-4
    assert sdp.objective == pytest.approx(cf.objective, rel=1e-4)


@pytest.mark.slow
def test_wbf_cpa_sdp_matches_closed_form(sc, backend):
    sdp = registry.strategy("wbf-cpa")().solve(sc, backend, rho=0.4)
    cf = registry.strategy("wbf-cpa")(method="closed-form").solve(sc, backend, rho=0.4)
    assert np.linalg.norm(sdp.values["W"] - cf.values["W"]) / np.linalg.norm(cf.values["W"]) < 1e-4


def test_wvm_sdp_matches_convex_combination_of_extremes(sweep, sc, backend):
    rho = 0.5
    Vb, Vm = res(sweep, "wcrb-fdb", 1.0).values["V"], res(sweep, "wcrb-fdb", 0.0).values["V"]
    expected = rho * Vb + (1 - rho) * Vm  # feasible (full power, PSD), so it is the projection
    sdp = res(sweep, "wvm-fdb", rho).values["V"]
    cf = registry.strategy("wvm-fdb")(method="closed-form").solve(sc, backend, rho=rho).values["V"]
    scale = np.linalg.norm(expected)
    assert np.linalg.norm(cf - expected) < 1e-10 * scale
    assert np.linalg.norm(sdp - expected) < 5e-4 * scale


def test_too_few_slots_fall_back_to_randomisation(backend):
    sc = BistaticMonostatic.paper(2, n_slots=1)
    r = registry.strategy("wcrb-fdb")().solve(sc, backend, rho=0.0)
    assert r.status is Status.FEASIBLE and "rank V" in r.message
    assert r.extra["recovery"]["exact"] is False
    assert r.verification.passed and any("rank V > L" in n for n in r.verification.notes)
    assert np.linalg.norm(r.values["W"]) ** 2 == pytest.approx(sc.power_per_subcarrier, rel=1e-9)
    # a single beam is worse for MS than the rank-2 covariance the relaxation found
    assert r.metrics["ms-crb"] > ms_fim(sc).crb(r.values["V"])


def test_randomised_recovery_keeps_power_and_never_loses_to_truncation():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((8, 3)) + 1j * rng.standard_normal((8, 3))
    V = A @ A.conj().T
    target = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    score = lambda W: -np.linalg.norm(target.conj() @ W) ** 2  # noqa: E731
    W, rep = recover_beamformers(V, 1, score=score, draws=200, seed=3)
    W_trunc, _ = recover_beamformers(V, 1, score=None)
    assert rep["rank"] == 3 and not rep["exact"]
    assert np.linalg.norm(W) ** 2 == pytest.approx(np.trace(V).real)
    assert score(W) <= score(W_trunc)
    W_full, rep_full = recover_beamformers(V, 3)
    assert rep_full["exact"] and np.allclose(W_full @ W_full.conj().T, V)


def test_verify_recomputes_power_from_beamformers(sweep, sc):
    r = res(sweep, "wcrb-fdb", 0.5)
    strat = registry.strategy("wcrb-fdb")()
    report = strat.verify(sc, {"W": 1.01 * r.values["W"]}, r.options)
    assert not report.passed and {c.name for c in report.failures} >= {"power"}
    assert strat.verify(sc, {"W": r.values["W"], "V": r.values["V"]}, r.options).passed


def test_bad_rho_is_rejected_naming_the_option(sc):
    with pytest.raises(OptionError, match="rho"):
        registry.strategy("wcrb-fdb")(rho=1.5)
    with pytest.raises(OptionError, match="method"):
        registry.strategy("wvm-cpa")(method="magic")


def test_equilibrated_fims_are_what_the_solver_sees(sc):
    # isotropic full power gives unit diagonals: no raw 1e17-sized data reaches the solver
    for lin in (bp_fim(sc), ms_fim(sc)):
        assert np.allclose(np.diag(lin.scaled(np.eye(sc.n_tx) / sc.n_tx)), 1.0)
        assert np.max(np.abs(lin.coefficients)) < 1e3


def test_no_warnings_escape_from_my_code(sc, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=FutureWarning)  # scipy.sparse inside the modelling layer
        registry.strategy("wcrb-cpa")().solve(sc, backend, rho=0.5)
