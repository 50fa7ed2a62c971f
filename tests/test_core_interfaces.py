"""Scenario validation and file round trip, the Strategy template, Result JSON, verification downgrade."""
import json

import numpy as np
import pytest

from isactoolbox.core.result import Result
from isactoolbox.errors import OptionError, ScenarioKindError, ScenarioValidationError
from isactoolbox.status import Status
from isactoolbox.testing import check_scenario, check_strategy

from toy_problem import MinPower, ParallelLinks


def test_scenario_round_trip_is_lossless(tmp_path):
    s = ParallelLinks.random(3, k=4)
    check_scenario(s)
    again = ParallelLinks.from_dict(json.loads(s.save(tmp_path / "s.json").read_text()))
    assert again.equals(s) and again.phases.dtype == complex
    assert np.array_equal(again.phases, s.phases)  # bitwise


@pytest.mark.parametrize("field, value, reason", [
    ("gains", [1.0, np.nan, 1.0], "finite"),
    ("gains", [1.0, -1.0, 1.0], "> 0"),
    ("noise", [1.0, 1.0], "noise"),  # K mismatch: the message names both fields
    ("snr_target", [[1.0, 2.0, 3.0]], "dimension"),
    ("p_max", "big", "number"),
    ("p_max", float("inf"), "finite"),
])
def test_bad_fields_are_named(field, value, reason):
    fields = dict(gains=[1.0, 1.0, 1.0], noise=[1.0, 1.0, 1.0], snr_target=[1.0, 1.0, 1.0])
    fields[field] = value
    with pytest.raises(ScenarioValidationError) as info:
        ParallelLinks(**fields)
    assert field in str(info.value) and reason in str(info.value)


def test_empty_link_set_is_refused():
    with pytest.raises(ScenarioValidationError, match="gains"):
        ParallelLinks(gains=[], noise=[], snr_target=[])


def test_strategy_solves_to_closed_form_and_round_trips():
    s = ParallelLinks(gains=[0.5, 0.25], noise=[1e-3, 2e-3], snr_target=[10.0, 5.0], p_max=1.0)
    res = MinPower().solve(s)
    assert res.status == Status.OPTIMAL and res.verification.passed
    closed = np.array([10 * 1e-3 / 0.5, 5 * 2e-3 / 0.25])
    assert np.allclose(res.values["power"], closed, rtol=1e-6)
    assert res.objective == pytest.approx(closed.sum(), rel=1e-6)
    assert res.timings.solves == 1 and res.timings.total >= res.timings.solver > 0
    assert Result.from_dict(json.loads(res.to_json())).to_dict() == res.to_dict()
    check_strategy(MinPower(), s, "picos:cvxopt",
                   infeasible_scenario=s.replace(snr_target=np.array([1e6, 1.0])))


def test_options_are_validated_by_name():
    with pytest.raises(OptionError, match="margin"):
        MinPower(margin="x")
    with pytest.raises(OptionError, match="known options: margin"):
        MinPower().solve(ParallelLinks.random(0), bogus=1)


def test_wrong_scenario_kind_is_refused():
    class Other(ParallelLinks):
        kind = "other"
    with pytest.raises(ScenarioKindError, match="toy-parallel-links"):
        MinPower().solve(Other(gains=[1.0], noise=[1.0], snr_target=[1.0]))


def test_failed_verification_is_never_optimal():
    """A subclass that changes one step (here: rounds powers down) gets INACCURATE, not OPTIMAL."""
    class RoundedDown(MinPower):
        def _solve(self, scenario, backend, options):
            res = super()._solve(scenario, backend, options)
            res.values["power"] = res.values["power"] * 0.9
            return res
    res = RoundedDown().solve(ParallelLinks(gains=[1.0], noise=[1.0], snr_target=[0.5]))
    assert res.status == Status.INACCURATE and "verification failed" in res.message


def test_fallback_chain_records_attempts():
    """glpk is an LP solver too; an infeasible answer stops the chain (it is an answer, not a failure)."""
    s = ParallelLinks(gains=[1.0], noise=[1.0], snr_target=[5.0], p_max=1.0)
    res = MinPower().solve(s, "picos:cvxopt,picos:glpk")
    assert res.status == Status.INFEASIBLE and len(res.attempts) == 1
    ok = MinPower().solve(s.replace(p_max=10.0), "picos:glpk,picos:cvxopt")
    assert ok.status == Status.OPTIMAL and ok.backend == "picos:glpk" and ok.attempts[0]["status"] == "optimal"


def test_a_default_chain_skips_a_backend_whose_plugin_is_missing():
    """A default chain may name a plugin backend first; where it is not installed the strategy still
    runs on the rest (a backend the user names explicitly is never skipped)."""
    from isactoolbox.errors import UnknownPluginError

    class PluginFirst(MinPower):
        default_backend = "no-such-plugin:solver,picos:cvxopt"

    sc = ParallelLinks.random(0)
    assert [b.name for b in PluginFirst().resolve_backends(None)] == ["picos:cvxopt"]
    res = PluginFirst().solve(sc)
    assert res.status is Status.OPTIMAL and res.backend == "picos:cvxopt" and res.verification.passed
    with pytest.raises(UnknownPluginError, match="no-such-plugin"):
        PluginFirst().solve(sc, backend="no-such-plugin:solver,picos:cvxopt")

    class OnlyMissing(MinPower):
        default_backend = "no-such-plugin:solver"

    with pytest.raises(UnknownPluginError, match="no-such-plugin"):
        OnlyMissing().solve(sc)
