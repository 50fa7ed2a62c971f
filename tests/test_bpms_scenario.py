"""BistaticMonostatic scenario (004): defaults, shipped files, round trip, validation."""
from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest

from isactoolbox.bpms.scenario import BistaticMonostatic
from isactoolbox.core.scenario import load_scenario
from isactoolbox.errors import ScenarioValidationError

SCENARIOS = resources.files("isactoolbox") / "data" / "scenarios"


def test_paper_defaults_section_iv_a():
    sc = BistaticMonostatic.paper(3)
    assert sc.n_tx == sc.n_rx == sc.n_ue == 16
    assert sc.n_subcarriers == 1024 and sc.n_slots == 16 and sc.n_pilots == 100
    assert np.array_equal(sc.target_positions, [[-10, 15], [5, 15], [0, 17]])
    assert np.array_equal(sc.ue_position, [-5, 20]) and np.array_equal(sc.bs_position, [0, 0])
    assert sc.ue_orientation == pytest.approx(110 * math.pi / 180)
    assert sc.power == pytest.approx(1e-5)  # -20 dBm
    # sigma^2 = F N0 df with F = 10 dB, N0 = -173.855 dBm/Hz, df = 120 MHz / 1024
    sigma2 = 10 ** (10 / 10) * 10 ** (-173.855 / 10) * 1e-3 * 120e6 / 1024
    assert sc.noise_variance == pytest.approx(sigma2, rel=1e-12)
    assert sc.wavelength == pytest.approx(299792458 / 28e9)
    assert sc.ue_rcs == 10 and np.all(sc.target_rcs == 100)
    assert sc.clock_bias == 1e-6


@pytest.mark.parametrize("K", [2, 3])
def test_shipped_files_load_through_registry(K):
    sc = load_scenario(SCENARIOS / f"bpms_k{K}.json")
    assert isinstance(sc, BistaticMonostatic) and sc.kind == "bistatic-monostatic"
    assert sc.n_targets == K
    assert sc.bp_phases.shape == sc.ms_phases.shape == (K + 1,)
    # the file is exactly what the documented recipe draws
    assert sc.equals(BistaticMonostatic.paper(K, seed=2025))


def test_round_trip_is_lossless(tmp_path):
    sc = BistaticMonostatic.random(7, n_ue=8, array_phase_reference="first")
    back = load_scenario(sc.save(tmp_path / "s.json"))
    assert back.equals(sc)


def test_random_is_reproducible_and_phases_in_range():
    a, b, c = BistaticMonostatic.random(3), BistaticMonostatic.random(3), BistaticMonostatic.random(4)
    assert a.equals(b) and not a.equals(c)
    for sc in (a, c):
        for ph in (sc.bp_phases, sc.ms_phases):
            assert np.all(np.abs(ph) <= math.pi)


# --- validation: one case per bad input, error names the field ------------------------------------------
def _fields(**changes):
    base = BistaticMonostatic.paper(2).to_dict()["fields"]
    base.update(changes)
    return base


BAD = [
    ("target_positions", {"target_positions": np.zeros((0, 2)), "target_rcs": np.zeros(0),
                          "bp_phases": np.zeros(1), "ms_phases": np.zeros(1)}),  # no targets
    ("target_positions", {"target_positions": np.zeros((2, 3))}),                   # wrong shape
    ("target_positions", {"target_positions": [[np.nan, 1.0], [5.0, 15.0]]}),       # NaN
    ("target_positions", {"target_positions": [[0.0, 0.0], [5.0, 15.0]]}),          # on the BS
    ("target_positions", {"target_positions": [[-5.0, 20.0], [5.0, 15.0]]}),        # on the UE
    ("target_positions", {"target_positions": [[5.0, 15.0], [5.0, 15.0]]}),         # coincident targets
    ("ue_position", {"ue_position": [0.0, 0.0]}),                                    # UE on the BS
    ("ue_position", {"ue_position": [1.0, np.inf]}),
    ("bs_position", {"bs_position": [0.0]}),
    ("target_rcs", {"target_rcs": [100.0, -1.0]}),
    ("target_rcs", {"target_rcs": [100.0, 100.0, 100.0]}),                           # K mismatch
    ("ue_rcs", {"ue_rcs": 0.0}),
    ("bp_phases", {"bp_phases": [0.0, 0.1]}),                                        # not K+1
    ("ms_phases", {"ms_phases": [0.0, 0.1, 4.0]}),                                   # out of [-pi, pi]
    ("power", {"power": -1e-5}),
    ("noise_psd", {"noise_psd": 0.0}),
    ("noise_figure", {"noise_figure": -1.0}),
    ("bandwidth", {"bandwidth": float("nan")}),
    ("carrier_frequency", {"carrier_frequency": 0.0}),
    ("n_tx", {"n_tx": 0}),
    ("n_rx", {"n_rx": 2.5}),
    ("n_ue", {"n_ue": -4}),
    ("n_subcarriers", {"n_subcarriers": 0}),
    ("n_slots", {"n_slots": 0}),
    ("n_pilots", {"n_pilots": 0}),
    ("clock_bias", {"clock_bias": float("inf")}),
    ("array_phase_reference", {"array_phase_reference": "middle"}),
]


@pytest.mark.parametrize("field,changes", BAD, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD)])
def test_bad_input_names_the_field(field, changes):
    with pytest.raises(ScenarioValidationError) as info:
        BistaticMonostatic(**_fields(**changes))
    assert info.value.field == field
    assert field in str(info.value)


def test_paper_rejects_unknown_target_count():
    with pytest.raises(ScenarioValidationError, match="target_positions"):
        BistaticMonostatic.paper(4)


def test_unknown_field_in_file_is_named():
    data = BistaticMonostatic.paper(2).to_dict()
    data["fields"]["n_antennas"] = 3
    with pytest.raises(ScenarioValidationError, match="n_antennas"):
        BistaticMonostatic.from_dict(data)
