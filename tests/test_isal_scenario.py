"""ISALNetwork scenario: Table 1 defaults, file round trip, random drops, validation, shipped files."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.core.scenario import load_scenario
from isactoolbox.errors import ScenarioValidationError
from isactoolbox.isal.networks import LAYOUTS, shipped_file, shipped_network
from isactoolbox.isal.scenario import ISALNetwork

GEOMETRY = dict(anchor_positions=[[20.0, 20.0], [180.0, 20.0]], radar_positions=[[[90.0, 150.0], [130.0, 160.0]]],
                target_positions=[[110.0, 172.0]])


def test_table1_defaults():
    sc = ISALNetwork(**GEOMETRY)
    assert sc.carrier_frequency == 77e9
    assert sc.bandwidth == 500e6
    assert sc.antenna_gain == pytest.approx(10.0)  # 10 dB
    assert sc.noise_psd == pytest.approx(1e-3 * 10 ** (-17.4))  # -174 dBm/Hz in W/Hz
    assert sc.system_loss == pytest.approx(10 ** 0.3)  # 3 dB
    assert sc.rcs == 10.0 and sc.energy_budget == 10.0 and sc.slot_duration == 1.0
    assert sc.velocity_variance == 0.01 and sc.clock_drift_variance == 1e-10
    np.testing.assert_array_equal(sc.power_max, [1.0, 1.0, 1.0, 1.0])
    assert sc.synchronous and sc.n_slots == 1 and sc.n_radars == 2 and sc.n_anchors == 2


def test_xi_matches_eq14_written_with_c():
    # eq. (14) keeps c^2 in numerator and denominator; evaluate it literally, d = 1 m, P = 1 W
    sc = ISALNetwork(**GEOMETRY)
    c = 299_792_458.0
    lam = (8 * np.pi ** 2 * sc.bandwidth ** 2 / c ** 2) * (sc.antenna_gain ** 2 * c ** 2) / (
        (4 * np.pi) ** 2 * sc.noise_psd * sc.bandwidth * sc.system_loss * sc.carrier_frequency ** 2)
    assert sc.xi == pytest.approx(lam, rel=1e-12)


def test_file_round_trip_is_lossless(tmp_path):
    sc = ISALNetwork.random(7, n_slots=2, synchronous=False, energy_budget=3.0)
    back = load_scenario(sc.save(tmp_path / "net.json"))
    assert isinstance(back, ISALNetwork) and back.equals(sc)


def test_random_draws_are_reproducible_and_inside_the_square():
    a = ISALNetwork.random(11, n_slots=2)
    b = ISALNetwork.random(11, n_slots=2)
    assert a.equals(b)
    assert not a.equals(ISALNetwork.random(12, n_slots=2))
    for arr in (a.anchor_positions, a.radar_positions, a.target_positions):
        assert np.all((arr >= 0) & (arr <= 200))
    assert a.radar_positions.shape == (2, 2, 2) and a.target_positions.shape == (2, 2)
    asyn = ISALNetwork.random(11, synchronous=False)
    assert asyn.clock_offsets.shape == (1, 2) and not asyn.synchronous


def _bad(**changes):
    fields = {**GEOMETRY, **changes}
    return lambda: ISALNetwork(**fields)


@pytest.mark.parametrize("field, changes", [
    ("radar_positions", dict(radar_positions=[[90.0, 150.0], [130.0, 160.0]])),  # missing slot axis
    ("anchor_positions", dict(anchor_positions=[[20.0, np.nan], [180.0, 20.0]])),
    ("target_positions", dict(target_positions=[[110.0, np.inf]])),
    ("target_positions", dict(target_positions=[[110.0, 172.0], [1.0, 2.0]])),  # 2 slots vs 1
    ("rcs", dict(rcs=-1.0)),
    ("velocity_variance", dict(velocity_variance=0.0)),
    ("clock_drift_variance", dict(clock_drift_variance=-1e-10)),
    ("radar_power_max", dict(radar_power_max=-0.5)),
    ("node_power_max", dict(node_power_max=[1.0, 1.0, -1.0, 1.0])),
    ("node_power_max", dict(node_power_max=[1.0, 1.0, 1.0])),
    ("node_power_max", dict(node_power_max=[0.0, 0.0, 0.0, 0.0])),
    ("energy_budget", dict(energy_budget=0.0)),
    ("bandwidth", dict(bandwidth=-5e8)),
    ("synchronous", dict(synchronous="yes")),
    ("anchor_positions", dict(anchor_positions=[[20.0, 20.0], [20.0, 20.0]])),
    ("radar_positions", dict(radar_positions=[[[20.0, 20.0], [130.0, 160.0]]])),  # radar on anchor
    ("radar_positions", dict(radar_positions=[[[90.0, 150.0], [90.0, 150.0]]])),
    ("target_positions", dict(target_positions=[[130.0, 160.0]])),  # target on radar 1
    ("target_positions", dict(target_positions=[[180.0, 20.0]])),  # target on anchor 1
    ("radar_positions", dict(radar_positions=np.zeros((1, 0, 2)))),  # no radars
    ("anchor_positions", dict(anchor_positions=np.zeros((0, 2)))),  # no anchors
    ("clock_offsets", dict(clock_offsets=[[1.0, 2.0, 3.0]])),
    ("clock_offsets", dict(clock_offsets=[[1.0, np.nan]])),
])
def test_bad_input_names_the_field(field, changes):
    with pytest.raises(ScenarioValidationError) as err:
        _bad(**changes)()
    assert err.value.field == field
    assert field in str(err.value)


def test_unknown_field_in_file_is_rejected():
    data = ISALNetwork(**GEOMETRY).to_dict()
    data["fields"]["carrier_freq"] = 1.0
    with pytest.raises(ScenarioValidationError, match="carrier_freq"):
        ISALNetwork.from_dict(data)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("sync", [True, False])
def test_shipped_files(name, sync):
    sc = load_scenario(shipped_file(name, sync))
    assert sc.equals(shipped_network(name, sync))  # files are what the builder makes
    assert sc.synchronous is sync
    assert sc.n_anchors == 2 and sc.n_radars == 2 and sc.n_slots == (2 if name.startswith("dual") else 1)
    for arr in (sc.anchor_positions, sc.radar_positions, sc.target_positions):
        assert np.all((arr >= 0) & (arr <= 200))
    # the budget binds: less than every node at its limit for every slot
    assert sc.energy_budget < np.sum(sc.power_max) * sc.slot_duration * sc.n_slots
    # abundant slots: target within 15 m of two active nodes; limited: >= 100 m from all
    kinds = name.split("_")[1:1 + sc.n_slots] if name.startswith("dual") else [name.split("_")[1]]
    for s, kind in enumerate(kinds):
        d = np.sort(np.linalg.norm(sc.active_positions(s) - sc.target_positions[s], axis=1))
        if kind == "abundant":
            assert d[1] <= 15.0
        else:
            assert d[0] >= 100.0
