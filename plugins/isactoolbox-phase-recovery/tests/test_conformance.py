"""The isactoolbox conformance suite on wcrb-fdb-phase, found through its entry point."""
import numpy as np
import pytest

from isactoolbox import registry
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.bpms.strategies.wcrb import WCRBFullDigital
from isactoolbox.testing import strategy_checks

# Small arrays and few subcarriers: the same physics, a second per solve instead of several.
SMALL = dict(n_tx=8, n_rx=8, n_ue=8, n_subcarriers=64)


def strategy_class():
    return registry.strategy("wcrb-fdb-phase")


def test_registered_through_its_entry_point():
    cls = strategy_class()
    assert cls.__module__ == "isactoolbox_phase_recovery.strategy"
    assert issubclass(cls, WCRBFullDigital)
    # one step changed, nothing else: the solve template and the verification are the built-in's
    assert "beamformers" in vars(cls) and "_solve" not in vars(cls) and "verify" not in vars(cls)


@pytest.mark.parametrize("check", [pytest.param(run, id=name) for name, run in strategy_checks(
    strategy_class()(), BistaticMonostatic.random(1, n_slots=2, **SMALL), "picos:cvxopt")])
def test_conformance(check):
    check()


def test_rank_below_L_gives_the_built_in_beamformers():
    scenario = BistaticMonostatic.random(1, n_slots=2, **SMALL)
    ours = strategy_class()(rho=0.5).solve(scenario, "picos:cvxopt")
    built_in = WCRBFullDigital(rho=0.5).solve(scenario, "picos:cvxopt")
    assert ours.extra["recovery"]["exact"]
    np.testing.assert_array_equal(ours.values["W"], built_in.values["W"])
    assert ours.objective == built_in.objective


def test_rank_above_L_uses_uniform_phase_draws_and_never_loses_to_truncation():
    # L = 1 slot: the covariance of K = 3 targets has rank 2 > L, so recovery is a real step.
    scenario = BistaticMonostatic.random(1, n_slots=1, **SMALL)
    ours = strategy_class()(rho=0.3, randomisations=50).solve(scenario, "picos:cvxopt")
    truncated = WCRBFullDigital(rho=0.3, randomisations=0).solve(scenario, "picos:cvxopt")
    rec = ours.extra["recovery"]
    assert rec["rank"] > 1 and not rec["exact"]
    assert rec["method"] in ("uniform-phase randomisation", "eigendecomposition")
    assert ours.verification.passed, ours.verification.failures
    power = np.linalg.norm(ours.values["W"]) ** 2
    assert power == pytest.approx(scenario.power_per_subcarrier, rel=1e-9)
    assert ours.objective <= truncated.objective
