"""Bad-input cases of the issue not already covered by the per-model scenario tests.

Covered elsewhere (tests/test_*_scenario.py, test_core_interfaces.py, test_cli.py, test_registry.py):
wrong shapes, NaN/inf, negative powers and variances, coincident nodes, targets on a BS, empty user
sets and unknown fields in a scenario file for every model; unknown backend family; CLI one-line errors.
Here: unknown strategy / solver names through the Python API, NaN in complex channels, scenario files
with an unknown kind, and options of the wrong type on every model's real strategies.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from isactoolbox import load_scenario, registry
from isactoolbox.core.backend import get_backend
from isactoolbox.errors import IsacToolboxError, OptionError, ScenarioValidationError, UnknownPluginError
from isactoolbox.network_isac.scenario import NetworkISAC


def test_unknown_strategy_name_is_named_with_the_known_ones():
    with pytest.raises(UnknownPluginError, match="no-such-strategy") as info:
        registry.strategy("no-such-strategy")
    assert "bigm-misdp" in str(info.value)


@pytest.mark.parametrize("name, needle", [("picos:nosuch", "nosuch"), ("nosuch:x", "nosuch")])
def test_unknown_backend_names_are_named(name, needle):
    with pytest.raises(IsacToolboxError, match=needle):
        get_backend(name)


def test_unknown_backend_in_a_solve_is_named():
    sc = NetworkISAC.random(0, n_bs=3, n_users=1, n_antennas=2)
    with pytest.raises(IsacToolboxError, match="nosuch"):
        registry.strategy("bistatic")().solve(sc, "nosuch:solver")


def test_nan_in_complex_channels_is_named():
    sc = NetworkISAC.random(0, n_bs=3, n_users=1, n_antennas=2)
    h = np.array(sc.channels)
    h[0, 0, 1] = complex(np.nan, 0.0)
    with pytest.raises(ScenarioValidationError, match="channels"):
        sc.replace(channels=h)


def test_scenario_file_with_unknown_kind_is_named(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"kind": "no-such-kind", "fields": {}}))
    with pytest.raises(UnknownPluginError, match="no-such-kind"):
        load_scenario(path)


@pytest.mark.parametrize("strategy, option, value", [
    ("bigm-misdp", "node_limit", "many"),
    ("bigm-misdp", "mode", "exact"),           # not one of the choices
    ("closest-bs", "gap_tol", -1.0),           # fails its check
    ("random", "seed", 1.5),
    ("exhaustive", "receivers", 3),
    ("integrated", "resolution", "coarse"),
    ("step-by-step", "carry", 1),
    ("wcrb-fdb", "rho", "half"),
    ("apa", "rho", 2.0),
])
def test_options_of_the_wrong_type_or_value_are_named(strategy, option, value):
    with pytest.raises(OptionError) as info:
        registry.strategy(strategy)(**{option: value})
    assert info.value.field == option and option in str(info.value)


def test_option_of_the_wrong_type_at_solve_time_is_named():
    sc = NetworkISAC.random(0, n_bs=3, n_users=1, n_antennas=2)
    with pytest.raises(OptionError, match="randomizations"):
        registry.strategy("bistatic")().solve(sc, "picos:cvxopt", randomizations="lots")
