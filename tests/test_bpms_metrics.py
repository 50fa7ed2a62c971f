"""bp-crb / ms-crb metrics (004): registry names, W vs V input, units, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.bpms.arrays import steering
from isactoolbox.bpms.metrics import BistaticPositioningCRB, MonostaticSensingCRB, sqrt_crb
from isactoolbox.bpms.position_model import bistatic_model, monostatic_model
from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.errors import ValidationError
from isactoolbox.registry import registry


@pytest.fixture(scope="module")
def sc() -> BistaticMonostatic:
    return BistaticMonostatic.paper(2)


def isotropic_W(sc):
    """L = n_tx orthogonal beams at full power: V = (P/M) I / n_tx."""
    return np.eye(sc.n_tx) * np.sqrt(sc.power_per_subcarrier / sc.n_tx)


def test_registry_names_resolve_to_classes():
    assert registry.metric("bp-crb") is BistaticPositioningCRB
    assert registry.metric("ms-crb") is MonostaticSensingCRB
    assert BistaticPositioningCRB.unit == MonostaticSensingCRB.unit == "m^2"


def test_w_and_v_give_same_value_and_root(sc):
    W = isotropic_W(sc)
    for metric in (BistaticPositioningCRB(), MonostaticSensingCRB()):
        a = metric.evaluate(sc, {"W": W})
        b = metric.evaluate(sc, {"V": W @ W.conj().T})
        assert a == pytest.approx(b, rel=1e-12)
        assert metric.root(sc, {"W": W}) == pytest.approx(np.sqrt(a)) == pytest.approx(sqrt_crb(a))
        assert np.trace(metric.matrix(sc, {"W": W})) == pytest.approx(a)


def test_matches_inverse_of_unscaled_position_fim(sc):
    # (8), (10) straight from J^T F_c J in physical units, no equilibration involved
    W = isotropic_W(sc)
    V = W @ W.conj().T
    for metric, model in ((BistaticPositioningCRB(), bistatic_model(sc)), (MonostaticSensingCRB(), monostatic_model(sc))):
        Fp = model.jacobian.T @ model.link.fim(model.xi0, V) @ model.jacobian
        t = model.target
        expected = np.trace(np.linalg.inv(Fp)[np.ix_(t, t)])
        assert metric.evaluate(sc, {"W": W}) == pytest.approx(expected, rel=1e-7)


def test_crb_scales_inversely_with_power(sc):
    W = isotropic_W(sc)
    for metric in (BistaticPositioningCRB(), MonostaticSensingCRB()):
        assert metric.evaluate(sc, {"W": 2 * W}) == pytest.approx(metric.evaluate(sc, {"W": W}) / 4, rel=1e-10)


def test_ms_crb_sums_over_all_nodes_and_is_larger_for_weaker_echo(sc):
    # Raising the UE's RCS 10 -> 1000 m^2 makes its echo stronger: MS CRB must fall.
    W = isotropic_W(sc)
    stronger = sc.replace(ue_rcs=1000.0)
    assert MonostaticSensingCRB().evaluate(stronger, {"W": W}) < MonostaticSensingCRB().evaluate(sc, {"W": W})
    assert MonostaticSensingCRB().matrix(sc, {"W": W}).shape == (2 * sc.n_targets + 2,) * 2
    assert BistaticPositioningCRB().matrix(sc, {"W": W}).shape == (2, 2)


def test_single_beam_vector_is_accepted(sc):
    w = steering(0.2, sc.n_tx) * np.sqrt(sc.power_per_subcarrier / sc.n_tx)
    assert BistaticPositioningCRB().evaluate(sc, {"W": w}) == BistaticPositioningCRB().evaluate(sc, {"W": w[:, None]})


@pytest.mark.parametrize("solution,field", [
    ({"W": np.ones((3, 2))}, "W"),
    ({"W": np.full((16, 2), np.nan)}, "W"),
    ({"V": np.eye(4)}, "V"),
    ({}, "W"),
])
def test_bad_solution_names_the_field(sc, solution, field):
    with pytest.raises(ValidationError) as info:
        BistaticPositioningCRB().evaluate(sc, solution)
    assert info.value.field == field
