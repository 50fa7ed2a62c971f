"""ISAL allocation strategies: integrated SDP against brute force, budgets, searches, step-by-step accounting."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.backends import get_backend
from isactoolbox.errors import OptionError
from isactoolbox.isal.fisher import fisher_coefficients, speb
from isactoolbox.isal.metrics import ClockOffsetSPEB, RadarSPEB, TargetSPEB
from isactoolbox.isal.networks import LAYOUTS, shipped_network
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.strategies.integrated import Integrated
from isactoolbox.isal.strategies.sequential import StepRunner
from isactoolbox.isal.strategies.step_by_step import StepByStep
from isactoolbox.modeling import Model
from isactoolbox.status import Status

SINGLE = [n for n in LAYOUTS if n.startswith("single")]
DUAL = [n for n in LAYOUTS if n.startswith("dual")]


def two_node(sync: bool) -> ISALNetwork:
    # only the two radars transmit (anchors listen), so the powers are a 2-D brute-force grid
    return ISALNetwork(anchor_positions=[[10.0, 10.0], [190.0, 30.0]], radar_positions=[[[60.0, 150.0], [150.0, 120.0]]],
                       target_positions=[[95.0, 175.0]], node_power_max=[1.0, 1.0, 0.0, 0.0], energy_budget=1.3,
                       synchronous=sync)


@pytest.mark.parametrize("sync", [True, False])
def test_integrated_beats_every_allocation_of_a_fine_grid(sync):
    sc = two_node(sync)
    res = Integrated().solve(sc)
    assert res.status is Status.OPTIMAL and res.verification.passed
    co = fisher_coefficients(sc)
    idx = co.layout.index("target")
    grid = np.linspace(0.0, 1.0, 401)  # 2.5 mW steps
    p0, p1 = np.meshgrid(grid, grid, indexing="ij")
    ok = (p0 + p1 <= sc.energy_budget + 1e-12) & (p0 > 0) & (p1 > 0)  # one silent radar: singular (async)
    fims = p0[ok][:, None, None] * co.coefficients[0, 0] + p1[ok][:, None, None] * co.coefficients[0, 1]
    crbs = np.linalg.inv(fims)  # batched; every grid FIM here is well conditioned
    values = np.trace(crbs[:, idx][:, :, idx], axis1=1, axis2=2)
    best = float(np.min(values))
    k = int(np.argmin(values))
    assert best == pytest.approx(speb(co.fim(np.array([[p0[ok][k], p1[ok][k], 0.0, 0.0]])), idx), rel=1e-9)
    assert res.objective <= best * (1 + 1e-7)
    assert res.objective >= best * (1 - 2e-3)  # and the grid comes close to it
    assert np.sum(res.values["power"]) == pytest.approx(sc.energy_budget, rel=1e-6)  # the budget binds


def test_integrated_speb_decreases_with_the_budget_until_the_limits_bind():
    sc = shipped_network("single_abundant_b", synchronous=False)
    budgets = [0.25, 0.5, 1.0, 2.0, 3.0, 3.9, 4.5, 6.0]
    values = [Integrated().solve(sc.replace(energy_budget=e)).objective for e in budgets]
    for (e0, v0), (e1, v1) in zip(zip(budgets, values), zip(budgets[1:], values[1:])):
        if e1 <= 4.0:  # 4 nodes x 1 W x 1 s: the budget binds, more energy is strictly better
            assert v1 < v0 * (1 - 1e-3)
        elif e0 >= 4.0:  # every node at its limit: more budget changes nothing
            assert v1 == pytest.approx(v0, rel=1e-5)
        else:
            assert v1 <= v0
    # below the limits the SPEB scales exactly as 1/E (the FIM is linear in the powers)
    assert values[0] / values[1] == pytest.approx(2.0, rel=1e-5)


def test_step_by_step_speb_does_not_increase_with_the_budget():
    sc = shipped_network("single_limited_b")
    values = [StepByStep(resolution=0.05).solve(sc.replace(energy_budget=e)).objective for e in (0.5, 1.0, 2.0, 3.0)]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(values, values[1:]))


def test_integrated_joint_is_no_worse_than_the_papers_slot_by_slot_traversal():
    for name in ("dual_abundant_limited", "dual_limited_limited"):
        sc = shipped_network(name)
        joint = Integrated().solve(sc)
        seq = Integrated(slots="sequential", resolution=0.05).solve(sc)
        assert joint.status is Status.OPTIMAL and seq.status is Status.FEASIBLE
        assert joint.objective <= seq.objective * (1 + 1e-6)
        assert np.sum(joint.extra["slot_energy"]) == pytest.approx(sc.energy_budget, rel=1e-6)


@pytest.mark.parametrize("name", SINGLE)
@pytest.mark.parametrize("sync", [True, False])
def test_fast_searches_match_the_grid_on_single_slot_networks(name, sync):
    sc = shipped_network(name, sync)
    res = 0.05 if sync else 0.1  # 1-D vs 2-D grids; the slow test below goes finer
    grid = StepByStep(search="grid", resolution=res).solve(sc)
    for method in ("refine", "golden"):
        fast = StepByStep(search=method, resolution=res).solve(sc)
        np.testing.assert_allclose(fast.values["step_energy"], grid.values["step_energy"], atol=1e-9)
        assert fast.objective == pytest.approx(grid.objective, rel=1e-9)
        assert fast.extra["evaluations"] < grid.extra["evaluations"]


@pytest.mark.parametrize("name", ["dual_abundant_limited", "dual_limited_abundant"])
def test_fast_search_matches_the_grid_on_dual_slot_networks(name):
    sc = shipped_network(name)
    grid = StepByStep(search="grid", resolution=0.125).solve(sc)
    fast = StepByStep(search="refine", resolution=0.125).solve(sc)
    np.testing.assert_allclose(fast.values["step_energy"], grid.values["step_energy"], atol=1e-9)
    assert fast.objective == pytest.approx(grid.objective, rel=1e-9)
    assert fast.timings.solves < grid.timings.solves


@pytest.mark.slow
@pytest.mark.parametrize("name", SINGLE + DUAL)
@pytest.mark.parametrize("sync", [True, False])
def test_fast_searches_match_the_fine_grid_everywhere(name, sync):
    sc = shipped_network(name, sync)
    res = 0.02 if name.startswith("single") else 0.05
    grid = StepByStep(search="grid", resolution=res).solve(sc)
    for method in ("refine", "golden"):
        fast = StepByStep(search=method, resolution=res).solve(sc)
        np.testing.assert_allclose(fast.values["step_energy"], grid.values["step_energy"], atol=1e-9)
        assert fast.objective == pytest.approx(grid.objective, rel=1e-9)


def test_step_by_step_accounting_and_verification():
    sc = shipped_network("dual_abundant_limited", synchronous=False)
    res = StepByStep(step_shares=[0.3, 0.1, 0.6], resolution=0.1).solve(sc)  # slot split searched
    assert res.status is Status.FEASIBLE and res.verification.passed
    sp, se = res.values["step_power"], res.values["step_energy"]
    assert sp.shape == (2, 3, 4) and se.shape == (2, 3)
    assert np.sum(se) == pytest.approx(sc.energy_budget, rel=1e-9)
    np.testing.assert_allclose(np.sum(sp, axis=-1) * sc.slot_duration, se, rtol=1e-6)  # every step spends its share
    assert res.objective == pytest.approx(TargetSPEB().evaluate(sc, res.values), rel=1e-12)
    assert res.metrics["target-speb"] == pytest.approx(res.objective)
    assert res.extra["objective_gap"] < 1e-6  # solver objective == SPEB recomputed from the powers
    # the recomputation catches a violated step share and a violated budget
    bad = dict(res.values, step_power=sp * 1.01)
    report = StepByStep().verify(sc, bad, res.options)
    assert not report.passed and any("share" in c.name for c in report.failures)
    over = dict(res.values, step_energy=se * 1.5, step_power=sp * 1.5)
    assert any("budget" in c.name for c in StepByStep().verify(sc, over, res.options).failures)


def test_integrated_verification_catches_violations():
    sc = shipped_network("single_limited_a")
    res = Integrated().solve(sc)
    assert res.verification.passed and res.extra["objective_gap"] < 1e-6
    p = res.values["power"].copy()
    assert not Integrated().verify(sc, {"power": p * 1.1}, res.options).passed  # budget
    p[0, 0] = 1.5
    names = [c.name for c in Integrated().verify(sc, {"power": p}, res.options).failures]
    assert any("node limit" in n for n in names)
    p[0, 0] = -0.1
    assert any(">= 0" in c.name for c in Integrated().verify(sc, {"power": p}, res.options).failures)


def test_step_by_step_with_a_zero_first_share_is_the_integrated_sdp():
    sc = shipped_network("single_limited_b")
    integ = Integrated().solve(sc)
    sbs = StepByStep(step_shares=[0.0, 1.0]).solve(sc)
    assert sbs.objective == pytest.approx(integ.objective, rel=1e-6)
    np.testing.assert_allclose(sbs.values["step_power"][0, 1], integ.values["power"][0], atol=1e-5)


@pytest.mark.parametrize("name", ["single_abundant_a", "single_limited_a"])
def test_efim_carry_never_beats_the_integrated_sdp(name):
    # carrying Schur complements loses information relative to one interval with the summed powers
    sc = shipped_network(name, synchronous=False)
    integ = Integrated().solve(sc)
    efim = StepByStep(carry="efim", resolution=0.05, min_share=0.0).solve(sc)
    assert efim.objective >= integ.objective * (1 - 1e-6)


def test_one_compiled_model_per_step_is_reused_with_new_parameters():
    sc = shipped_network("single_abundant_b", synchronous=False)
    runner = StepRunner(sc, get_backend("picos:cvxopt"))
    energies = [(0.5, 0.2, 1.3), (0.3, 0.3, 1.4), (0.9, 0.1, 1.0)]
    for e in energies:
        runner.run(e)
    assert len(runner._sdps) == 3 and runner.timings.solves == 9
    # a re-solved model gives the same answer as a freshly built one
    fresh = StepRunner(sc, get_backend("picos:cvxopt")).run(energies[-1])
    np.testing.assert_allclose(runner.run(energies[-1]).spebs, fresh.spebs, rtol=1e-7)


def test_target_speb_constraint_is_the_dual_of_the_integrated_problem():
    # min energy s.t. target SPEB <= b, then the integrated SDP with that energy gives back b
    sc = shipped_network("dual_abundant_limited", synchronous=False)
    m = Model("min-energy")
    P = m.real("P", (sc.n_slots * sc.n_active,), lb=0.0, ub=np.tile(sc.power_max, sc.n_slots))
    TargetSPEB().constraint(m, sc, {"power": P}, 0.05)
    m.minimize(P.sum())
    sol = get_backend("picos:cvxopt").solve(m.compile())
    power = sol.value(P).reshape(sc.n_slots, sc.n_active)
    assert TargetSPEB().evaluate(sc, {"power": power}) == pytest.approx(0.05, rel=1e-6)
    back = Integrated().solve(sc.replace(energy_budget=float(np.sum(power))))
    assert back.objective == pytest.approx(0.05, rel=1e-5)


def test_bad_options_name_the_option():
    sc = shipped_network("single_abundant_a")
    with pytest.raises(OptionError, match="step_shares"):
        StepByStep(step_shares=[0.2, 0.2, 0.6]).solve(sc)
    with pytest.raises(OptionError, match="step_shares"):
        StepByStep(step_shares=[0.5, 0.6])
    with pytest.raises(OptionError, match="carry"):
        StepByStep(carry="schur")
    with pytest.raises(OptionError, match="search"):
        Integrated(search="bisection")


def test_reported_metrics():
    sc = shipped_network("dual_limited_abundant", synchronous=False)
    res = Integrated().solve(sc)
    assert res.metrics["target-speb"] == pytest.approx(res.objective, rel=1e-9)
    assert res.metrics["radar-speb"] == pytest.approx(RadarSPEB().evaluate(sc, res.values))
    assert res.metrics["clock-speb"] == pytest.approx(ClockOffsetSPEB().evaluate(sc, res.values))
    assert res.metrics["target-speb-per-slot"].shape == (2,)
    assert res.metrics["target-speb-smoothed"] <= res.metrics["target-speb"] * (1 + 1e-9)


def test_smoothed_objective_option():
    sc = shipped_network("dual_limited_abundant", synchronous=False)
    smooth = Integrated(causal=False).solve(sc)
    causal = Integrated().solve(sc)
    assert smooth.status is Status.OPTIMAL and smooth.verification.passed
    assert smooth.objective == pytest.approx(TargetSPEB(causal=False).evaluate(sc, smooth.values), rel=1e-9)
    assert smooth.objective <= causal.metrics["target-speb-smoothed"] * (1 + 1e-7)
    assert causal.objective <= TargetSPEB().evaluate(sc, smooth.values) * (1 + 1e-7)
