"""NetworkISAC scenario: defaults, drops, shipped files, round trips and input validation."""
from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

from isactoolbox.core.scenario import load_scenario
from isactoolbox.errors import ScenarioValidationError
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.units import db_to_linear, dbm_to_watt, linear_to_db, watt_to_dbm

SCENARIOS = files("isactoolbox") / "data" / "scenarios"


def test_table_one_defaults():
    sc = NetworkISAC.random(0)
    assert (sc.n_bs, sc.n_users, sc.n_antennas) == (4, 5, 8)
    assert watt_to_dbm(sc.max_power) == pytest.approx(45.0)
    assert linear_to_db(sc.sinr_min) == pytest.approx(8.0)
    assert sc.crlb_max == 1.0
    assert watt_to_dbm(sc.noise_power_cu) == pytest.approx(-85.0)
    assert watt_to_dbm(sc.noise_power_bs) == pytest.approx(-65.0)
    assert linear_to_db(sc.path_gain_ref) == pytest.approx(-30.0)
    assert (sc.samples, sc.rcs_factor, sc.rms_bandwidth) == (1024, 100.0, 0.0)
    np.testing.assert_array_equal(sc.bs_positions, [[0, 100], [100, 0], [0, -100], [-100, 0]])
    np.testing.assert_allclose(sc.bs_orientations, np.pi / 2)
    assert dbm_to_watt(30.0) == pytest.approx(1.0) and db_to_linear(10.0) == pytest.approx(10.0)


def test_table_two_file_is_the_paper_geometry_and_reproducible():
    sc = load_scenario(SCENARIOS / "network_isac_table2.json")
    assert isinstance(sc, NetworkISAC)
    np.testing.assert_array_equal(sc.cu_positions, [[-30, 80], [20, 130], [50, -80], [-40, -70], [-70, -20]])
    np.testing.assert_array_equal(sc.target_position, [30, 60])
    assert linear_to_db(sc.sinr_min) == pytest.approx(8.0) and sc.crlb_max == 1.0
    assert sc.equals(NetworkISAC.table2(seed=2023))


def test_shipped_files_round_trip(tmp_path):
    for path in SCENARIOS.iterdir():
        if path.name.startswith("network_isac_"):
            sc = load_scenario(path)
            again = load_scenario(sc.save(tmp_path / path.name))
            assert again.equals(sc)


def test_random_is_reproducible_and_respects_sizes():
    a = NetworkISAC.random(3, n_bs=5, n_users=3, n_antennas=6)
    assert a.equals(NetworkISAC.random(3, n_bs=5, n_users=3, n_antennas=6))
    assert not a.equals(NetworkISAC.random(4, n_bs=5, n_users=3, n_antennas=6))
    assert a.channels.shape == (5, 3, 6) and a.echo_gains.shape == (5, 5)
    np.testing.assert_allclose(np.linalg.norm(a.bs_positions, axis=1), 100.0)


def test_drops_lie_in_the_disc_and_gains_follow_the_path_loss():
    ratios = []
    for seed in range(40):
        sc = NetworkISAC.random(seed, n_users=3, n_antennas=4)
        assert np.all(np.linalg.norm(sc.cu_positions, axis=1) <= 150.0)
        assert np.linalg.norm(sc.target_position) <= 150.0
        d = sc.distances_to_users()
        ratios.append(np.abs(sc.channels) ** 2 / (1e-3 * d[:, :, None] ** -3.0))
        dt = sc.distances_to_target()
        expected = 100.0 * 1e-3 * dt[None, :] ** -2 * 1e-3 * dt[:, None] ** -2
        off = ~np.eye(4, dtype=bool)
        np.testing.assert_allclose(np.abs(sc.echo_gains[off]) ** 2, expected[off], rtol=1e-12)
    # Rayleigh: |CN(0,1)|^2 is Exp(1); 40 * 4 * 3 * 4 = 1920 samples -> std of the mean ~ 0.023.
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.1)


def test_overrides_fix_geometry_and_draw_channels():
    cu = [[10.0, 20.0], [-50.0, 5.0]]
    sc = NetworkISAC.random(1, cu_positions=cu, target_position=[5.0, -5.0], sinr_min=2.0, n_antennas=3)
    np.testing.assert_array_equal(sc.cu_positions, cu)
    assert sc.channels.shape == (4, 2, 3) and sc.sinr_min == 2.0


def _valid_fields():
    sc = NetworkISAC.random(0, n_bs=3, n_users=2, n_antennas=2)
    return {name: getattr(sc, name) for name in sc.field_specs()}


@pytest.mark.parametrize("field,value", [
    ("channels", np.ones((3, 2, 2, 1), dtype=complex)),          # wrong rank
    ("channels", np.ones((3, 5, 2), dtype=complex)),             # K disagrees with cu_positions
    ("echo_gains", np.ones((3, 2), dtype=complex)),              # S disagrees
    ("cu_positions", np.array([[np.nan, 0.0], [1.0, 2.0]])),     # NaN
    ("target_position", np.array([np.inf, 0.0])),                # inf
    ("bs_orientations", np.zeros(2)),                            # S disagrees
    ("max_power", -1.0),                                         # negative power
    ("noise_power_cu", 0.0),                                     # zero variance
    ("noise_power_bs", -1e-12),                                  # negative variance
    ("sinr_min", -2.0),
    ("crlb_max", 0.0),
    ("samples", 0),
    ("samples", 10.5),
    ("rms_bandwidth", -1.0),
])
def test_bad_fields_raise_naming_the_field(field, value):
    fields = _valid_fields()
    fields[field] = value
    with pytest.raises(ScenarioValidationError, match=field):
        NetworkISAC(**fields)


def test_coincident_nodes_and_degenerate_sets_are_rejected():
    base = _valid_fields()
    bs = base["bs_positions"].copy()
    bs[1] = bs[0]
    with pytest.raises(ScenarioValidationError, match="bs_positions"):
        NetworkISAC(**{**base, "bs_positions": bs})
    cu = base["cu_positions"].copy()
    cu[1] = base["bs_positions"][2]
    with pytest.raises(ScenarioValidationError, match="cu_positions"):
        NetworkISAC(**{**base, "cu_positions": cu})
    with pytest.raises(ScenarioValidationError, match="target_position"):
        NetworkISAC(**{**base, "target_position": base["bs_positions"][1]})
    with pytest.raises(ScenarioValidationError, match="cu_positions"):  # empty user set
        NetworkISAC(**{**base, "cu_positions": np.zeros((0, 2)), "channels": np.zeros((3, 0, 2), complex)})
    with pytest.raises(ScenarioValidationError, match="bs_positions"):  # no transmitter left
        NetworkISAC(**{**base, "bs_positions": base["bs_positions"][:1], "bs_orientations": None,
                       "channels": base["channels"][:1], "echo_gains": np.zeros((1, 1), complex)})
    alpha = base["echo_gains"].copy()
    alpha[0, 2] = 0.0
    with pytest.raises(ScenarioValidationError, match="echo_gains"):
        NetworkISAC(**{**base, "echo_gains": alpha})


def test_unknown_field_in_file_is_rejected():
    data = NetworkISAC.random(0, n_users=1, n_antennas=2).to_dict()
    data["fields"]["bogus"] = 1.0
    with pytest.raises(ScenarioValidationError, match="bogus"):
        NetworkISAC.from_dict(data)
