"""The checks behind :mod:`isactoolbox.testing`."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from isactoolbox.core.backend import Backend, get_backend
from isactoolbox.core.result import Result
from isactoolbox.core.scenario import Scenario
from isactoolbox.core.strategy import Strategy
from isactoolbox.errors import OptionError, ScenarioValidationError, UnsupportedProblemError
from isactoolbox.status import Status
from isactoolbox.testing.reference_problems import REFERENCE_PROBLEMS


# -- backends ---------------------------------------------------------------------------------------
def backend_checks(backend: str | Backend) -> Iterator[tuple[str, Callable[[], None]]]:
    """(name, check) pairs for one backend: one per reference problem, solved or refused as declared."""
    be = get_backend(backend) if isinstance(backend, str) else backend
    for name, build in REFERENCE_PROBLEMS.items():
        def run(build=build, name=name) -> None:
            model, expected = build()
            if not be.supports(model):
                try:
                    be.solve(model)
                except UnsupportedProblemError:
                    return
                raise AssertionError(f"{be.name}: declares it does not support {expected['class']} but "
                                     f"solve() did not raise UnsupportedProblemError on {name}")
            sol = be.solve(model)
            want = expected["status"]
            assert sol.status == want, (f"{be.name} on {name}: status {sol.status}, expected {want} "
                                        f"({sol.raw_status} {sol.message})")
            if want == Status.OPTIMAL:
                obj, ref, tol = sol.objective, expected["objective"], expected["tol"]
                assert obj is not None and abs(obj - ref) <= tol * max(1.0, abs(ref)), (
                    f"{be.name} on {name}: objective {obj}, expected {ref} (rel tol {tol})")
                res = sol.residuals()
                assert max(res.values()) <= 1e-5 * max(1.0, abs(ref)), f"{be.name} on {name}: residuals {res}"
                assert sol.solver and sol.backend == be.name, f"{be.name}: Solution must name backend and solver"
        yield f"{be.name}:{name}", run


def check_backend(backend: str | Backend) -> None:
    """Run every backend check; raise AssertionError listing the failures."""
    failures = []
    for name, run in backend_checks(backend):
        try:
            run()
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "backend conformance failures:\n" + "\n".join(failures)


# -- scenarios --------------------------------------------------------------------------------------
def check_scenario(scenario: Scenario) -> None:
    """Lossless file round trip, and unknown fields in a file are refused by name."""
    assert scenario.kind, f"{type(scenario).__name__} must set the class attribute `kind`"
    with tempfile.TemporaryDirectory() as tmp:
        path = scenario.save(Path(tmp) / "s.json")
        again = type(scenario).from_dict(json.loads(path.read_text()))
        assert scenario.equals(again), f"{type(scenario).__name__}: file round trip changed a field"
        data = json.loads(path.read_text())
        data["fields"]["no_such_field_xyz"] = 1
        try:
            type(scenario).from_dict(data)
        except ScenarioValidationError as exc:
            assert "no_such_field_xyz" in str(exc), f"unknown-field error must name the field: {exc}"
        else:
            raise AssertionError(f"{type(scenario).__name__}.from_dict accepted an unknown field")


# -- strategies -------------------------------------------------------------------------------------
def strategy_checks(strategy: Strategy, scenario: Scenario, backend: Any = None,
                    infeasible_scenario: Scenario | None = None) -> Iterator[tuple[str, Callable[[], None]]]:
    cls = type(strategy)

    def declares() -> None:
        assert cls.name, f"{cls.__name__} must set `name`"
        assert cls.scenario_kinds, f"{cls.__name__} must declare `scenario_kinds`"
        assert scenario.kind in cls.scenario_kinds, f"{cls.__name__} does not accept {scenario.kind!r}"
        for opt_name, opt in cls.option_specs().items():
            opt.validate(opt_name, opt.default, cls.__name__) if opt.default is not None else None

    def params_round_trip() -> None:
        clone = strategy.clone()
        assert clone.get_params() == strategy.get_params(), "clone() must reproduce get_params()"
        try:
            cls(no_such_option_xyz=1)
        except OptionError as exc:
            assert "no_such_option_xyz" in str(exc)
        else:
            raise AssertionError(f"{cls.__name__} accepted an unknown option")

    def solves_and_verifies() -> None:
        res = strategy.solve(scenario, backend)
        assert isinstance(res, Result), "solve() must return isactoolbox Result"
        assert res.strategy and res.backend, "Result must name strategy and backend"
        if res.status.has_solution:
            assert res.values, "a result with a solution must carry its physical values"
            assert res.verification.checks, "a result with a solution must carry a verification report"
        if res.status == Status.OPTIMAL:
            assert res.verification.passed, f"reported optimal but verification failed: {res.verification.failures}"
        again = Result.from_dict(json.loads(res.to_json()))
        assert again.to_dict() == res.to_dict(), "Result JSON round trip must be lossless"

    def infeasible_status() -> None:
        res = strategy.solve(infeasible_scenario, backend)
        assert res.status == Status.INFEASIBLE, f"infeasible instance came back {res.status}: {res.message}"

    yield "declares", declares
    yield "params_round_trip", params_round_trip
    yield "solves_and_verifies", solves_and_verifies
    if infeasible_scenario is not None:
        yield "infeasible_status", infeasible_status


def check_strategy(strategy: Strategy, scenario: Scenario, backend: Any = None,
                   infeasible_scenario: Scenario | None = None) -> None:
    for name, run in strategy_checks(strategy, scenario, backend, infeasible_scenario):
        try:
            run()
        except AssertionError as exc:
            raise AssertionError(f"{type(strategy).__name__} check {name!r}: {exc}") from None
