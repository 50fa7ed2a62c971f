"""WCRB programs compiled once per problem size: each scenario's instance must hold exactly the
program built from that scenario's numbers as constants (the construction without templates)."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.bpms.fim import bp_fim, ms_fim
from isactoolbox.bpms.formulation import add_crb_epigraph, codebook, codebook_fim_expression, crb_unit
from isactoolbox.bpms.problems import WCRBProblem, covariance_variable, wcrb_template
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.modeling import Model

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def constant_program(sc: BistaticMonostatic, use_codebook: bool, rho: float):
    """(15) with every scenario number a constant in the model: the independent reference."""
    bp, ms = bp_fim(sc), ms_fim(sc)
    unit = crb_unit(sc, bp, ms)
    m = Model()
    if use_codebook:
        U = codebook(sc)
        lam = m.real("lam", U.shape[1], lb=0.0)
        m.add(lam.sum() <= 1.0, name="power")
        Fb, Fm = codebook_fim_expression(bp, U, lam), codebook_fim_expression(ms, U, lam)
    else:
        _, _, Fb, Fm = covariance_variable(m, sc, bp, ms, reduce_range=True)
    crb_b = add_crb_epigraph(m, Fb, bp.target, bp.crb_weights / unit, "bp")
    crb_m = add_crb_epigraph(m, Fm, ms.target, ms.crb_weights / unit, "ms")
    m.minimize(rho * crb_b + (1 - rho) * crb_m)
    return m.compile().data()


def assert_same_program(got, want):
    np.testing.assert_allclose(got.c, want.c, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.G.toarray(), want.G.toarray(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.h, want.h, rtol=1e-12, atol=1e-15)
    assert [(l.name, l.n) for l in got.lmis] == [(l.name, l.n) for l in want.lmis]
    for a, b in zip(got.lmis, want.lmis):
        scale = np.abs(b.F).max()
        np.testing.assert_allclose(a.F.toarray(), b.F.toarray(), rtol=1e-12, atol=1e-13 * scale)
        np.testing.assert_allclose(a.f, b.f, rtol=1e-12, atol=1e-13 * scale)


@pytest.mark.parametrize("use_codebook", [False, True], ids=["fdb", "cpa"])
def test_instances_of_one_size_hold_each_scenarios_own_program(use_codebook):
    first, second = BistaticMonostatic.paper(3), BistaticMonostatic.paper(3, seed=7)
    hits = wcrb_template.cache_info().hits
    p1 = WCRBProblem(first, use_codebook)
    p2 = WCRBProblem(second, use_codebook)  # same size: the same compiled structure
    assert wcrb_template.cache_info().hits >= hits + 1
    p2.rho.value = 0.2  # the other instance keeps its own rho
    assert_same_program(p1.compiled.data(), constant_program(first, use_codebook, 0.5))
    assert_same_program(p2.compiled.data(), constant_program(second, use_codebook, 0.2))
    # and the two programs do differ: the check above is not vacuous
    F1, F2 = p1.compiled.data().lmis[-1].F, p2.compiled.data().lmis[-1].F
    assert np.abs((F1 - F2).toarray()).max() > 1e-3 * np.abs(F1).max()


def test_fim_coordinate_map_evaluates_the_fim_of_a_hermitian_covariance():
    """A @ X.coordinates against LinearFIM.scaled (the factor evaluated directly), on random Hermitian
    covariances of the full and of the range-reduced program; rows (a, b) and (b, a) equal exactly."""
    from isactoolbox.bpms.fim import shared_range
    from isactoolbox.bpms.formulation import fim_coordinate_map

    rng = np.random.default_rng(5)
    sc = BistaticMonostatic.paper(3)
    bp, ms = bp_fim(sc), ms_fim(sc)
    Q = shared_range(bp, ms)
    for lin in (bp, ms, bp.restricted(Q), ms.restricted(Q)):
        X = Model().hermitian("X", lin.n_tx)
        B = rng.normal(size=(lin.n_tx, lin.n_tx)) + 1j * rng.normal(size=(lin.n_tx, lin.n_tx))
        value = B @ B.conj().T
        X.coords = np.linalg.lstsq(X.entry_map.toarray(), value.ravel(), rcond=None)[0].real
        A = fim_coordinate_map(lin, X)
        got = (A @ X.coords).reshape(lin.size, lin.size)
        want = lin.scaled(value)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())
        rows = A.reshape(lin.size, lin.size, -1)
        assert np.array_equal(rows, rows.transpose(1, 0, 2))
