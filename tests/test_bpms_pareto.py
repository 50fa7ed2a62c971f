"""pareto_sweep / dominance marking for the BP-MS tradeoff (004, Fig. 3)."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.bpms.pareto import (ALL_SCHEMES, ParetoPoint, boundary_excess, dominates, mark_dominated,
                                     pareto_sweep)
from isactoolbox.bpms.scenario import BistaticMonostatic

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
FAST = {"wbf-fdb": {"method": "closed-form"}, "wbf-cpa": {"method": "closed-form"},
        "wvm-fdb": {"method": "closed-form"}, "wvm-cpa": {"method": "closed-form"}}


def P(scheme, bp, ms, verified=True):
    return ParetoPoint(scheme, 0.0, bp, ms, "optimal" if verified else "solver_error", verified, 0.0)


def test_dominance_by_hand():
    a, b, c, d = P("x", 1.0, 2.0), P("x", 1.5, 2.5), P("y", 0.5, 3.0), P("y", 1.0, 2.0)
    bad = P("z", 0.1, 0.1, verified=False)
    assert dominates(a, b) and not dominates(b, a)
    assert not dominates(a, c) and not dominates(c, a)  # a tradeoff
    assert not dominates(a, d) and not dominates(d, a)  # equal points do not dominate each other
    assert not dominates(bad, a)                         # an unverified point never dominates
    pts = [a, b, c, d, bad]
    mark_dominated(pts)
    assert [p.dominated for p in pts] == [False, True, False, False, True]
    assert [p.dominated_in_scheme for p in pts] == [False, True, False, False, True]
    b2 = P("y", 1.5, 2.5)
    mark_dominated([a, b2])
    assert b2.dominated and not b2.dominated_in_scheme  # only a point of another scheme beats it


@pytest.fixture(scope="module")
def sweep():
    return pareto_sweep(BistaticMonostatic.paper(2), ALL_SCHEMES, [0.0, 0.25, 0.5, 0.75, 1.0], options=FAST)


def test_sweep_shape_and_curves(sweep):
    assert len(sweep.points) == len(ALL_SCHEMES) * 5 and sweep.schemes == list(ALL_SCHEMES)
    rho, bp, ms = sweep.curve("wcrb-fdb")
    assert np.array_equal(rho, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert np.all(np.isfinite(bp)) and np.all(np.isfinite(ms))
    assert "wcrb-fdb" in sweep.table() and "sqrt BP CRB (m)" in sweep.table()
    assert len(sweep.to_dict()["points"]) == len(sweep.points)


def test_apa_is_a_single_point(sweep):
    _, bp, ms = sweep.curve("apa")
    assert np.ptp(bp) == 0 and np.ptp(ms) == 0


def test_wcrb_fdb_points_are_on_the_front(sweep):
    for p in sweep.points:
        if p.scheme == "wcrb-fdb" and 0 < p.rho < 1:
            assert not p.dominated, p
    # the front is made of FDB points only (CPA and APA live inside it)
    assert all(p.scheme.endswith("-fdb") for p in sweep.front())


def test_excess_over_reference(sweep):
    # chord interpolation of the sampled reference: zero on itself, clearly positive for APA
    assert np.allclose(sweep.excess_over("wcrb-fdb"), 0.0)
    assert np.nanmin(sweep.excess_over("apa")) > 0.05


@pytest.fixture(scope="module")
def k2():
    return BistaticMonostatic.paper(2)


def test_boundary_excess_against_epsilon_constraint_sdp(k2):
    sw = pareto_sweep(k2, ["wcrb-fdb", "wvm-fdb", "apa"], [0.0, 0.5, 1.0], options=FAST)
    # WCRB points solve the weighted sum, so they sit on the exact (epsilon-constraint) boundary ...
    e = boundary_excess(sw, k2, "wcrb-fdb")
    assert np.all(np.abs(e[:2]) < 1e-4) and np.isnan(e[2])  # rho = 1 is the BP end: skipped
    # ... nothing lies below it, and APA is well inside
    e_wvm = boundary_excess(sw, k2, "wvm-fdb")
    assert np.all(e_wvm[np.isfinite(e_wvm)] > -1e-4)
    assert boundary_excess(sw, k2, "apa")[0] > 0.1


@pytest.mark.slow
@pytest.mark.parametrize("K", [2, 3])
def test_paper_ordering_wvm_closer_than_wbf(K):
    sc = BistaticMonostatic.paper(K)
    sw = pareto_sweep(sc, ALL_SCHEMES, np.linspace(0, 1, 11), options=FAST)
    for variant in ("fdb", "cpa"):
        cb = variant == "cpa"
        wvm = np.nanmean(boundary_excess(sw, sc, f"wvm-{variant}", codebook=cb))
        wbf = np.nanmean(boundary_excess(sw, sc, f"wbf-{variant}", codebook=cb))
        assert 0 <= wvm < wbf, (K, variant, wvm, wbf)
