"""The ``Strategy`` interface: an algorithm run on a scenario through a backend.

``solve`` is a fixed template (pymoo style): validate options and scenario kind, resolve the
backend chain, call the :meth:`_solve` hook, recompute the physical verification from the returned
values, downgrade the status if verification fails, evaluate metrics, and time everything.
Researchers override the documented hooks (``_solve`` or finer steps a strategy exposes, such as a
rounding step) without copying the rest.
"""
from __future__ import annotations

import abc
import time
from typing import Any, ClassVar, Mapping, Sequence

from isactoolbox.core.options import Option, validate_options
from isactoolbox.core.result import Result
from isactoolbox.core.scenario import Scenario
from isactoolbox.core.verification import VerificationReport
from isactoolbox.errors import ScenarioKindError
from isactoolbox.status import Status

BackendSpec = Any  # a Backend instance, a name like "picos:cvxopt", or a comma list / sequence of them


class Strategy(abc.ABC):
    """Base class of every algorithm.

    Class data read by generic code:

    - ``name``: registry name;
    - ``scenario_kinds``: the ``Scenario.kind`` values it accepts;
    - ``options``: name -> :class:`Option`; subclasses extend it (merged along the MRO);
    - ``default_backend``: used when ``solve`` gets no backend.
    """

    name: ClassVar[str] = ""
    scenario_kinds: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[dict[str, Option]] = {}
    default_backend: ClassVar[str] = "cvxopt"

    def __init__(self, **options: Any) -> None:
        # Stored unchanged after validation; no work here, so clone/compare are trivial.
        self._params = validate_options(self.option_specs(), options, type(self).__name__)

    # -- parameters --
    @classmethod
    def option_specs(cls) -> dict[str, Option]:
        specs: dict[str, Option] = {}
        for klass in reversed(cls.__mro__):
            specs.update(getattr(klass, "options", {}) or {})
        return specs

    def get_params(self) -> dict[str, Any]:
        """All options with defaults filled in."""
        out = {k: o.default for k, o in self.option_specs().items()}
        out.update(self._params)
        return out

    def set_params(self, **options: Any) -> "Strategy":
        self._params.update(validate_options(self.option_specs(), options, type(self).__name__))
        return self

    def clone(self) -> "Strategy":
        return type(self)(**self._params)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"

    # -- the template --
    def solve(self, scenario: Scenario, backend: BackendSpec = None, **options: Any) -> Result:
        """Run the strategy. ``backend`` may be a fallback chain ("a,b,c"); every attempt is recorded."""
        start = time.perf_counter()
        opts = self.get_params()
        opts.update(validate_options(self.option_specs(), options, type(self).__name__))
        self.check_scenario(scenario)
        chain = self.resolve_backends(backend)
        attempts: list[dict[str, Any]] = []
        result: Result | None = None
        for i, be in enumerate(chain):
            t0 = time.perf_counter()
            result = self._solve(scenario, be, opts)
            self._finish(result, scenario, be, opts)
            result.timings.total = time.perf_counter() - t0
            attempts.append({"backend": result.backend or getattr(be, "name", str(be)),
                             "status": result.status.value, "objective": result.objective,
                             "message": result.message, "seconds": result.timings.total})
            # Infeasible/unbounded are answers, not failures: the next backend would not change them.
            if result.status.is_success or result.status in (Status.INFEASIBLE, Status.UNBOUNDED):
                break
        assert result is not None
        if len(chain) > 1:
            result.attempts = attempts
        result.timings.total = time.perf_counter() - start
        return result

    def _finish(self, result: Result, scenario: Scenario, backend: Any, opts: Mapping[str, Any]) -> None:
        result.strategy = result.strategy or self.name
        result.scenario_kind = scenario.kind
        result.options = dict(opts)
        if not result.backend and backend is not None:
            result.backend = getattr(backend, "name", str(backend))
        if result.status.has_solution and result.values:
            result.verification = self.verify(scenario, result.values, opts)
            if not result.metrics:
                result.metrics = self.evaluate_metrics(scenario, result.values, opts)
            if result.status.is_success and not result.verification.passed:
                worst = max(result.verification.failures, key=lambda c: c.violation)
                result.message = (f"verification failed ({worst.name}: relative violation "
                                  f"{worst.violation:.2e}); " + result.message).rstrip("; ")
                result.status = Status.INACCURATE

    def check_scenario(self, scenario: Scenario) -> None:
        if self.scenario_kinds and scenario.kind not in self.scenario_kinds:
            raise ScenarioKindError(
                f"strategy {self.name!r} works on scenario kinds {', '.join(self.scenario_kinds)}, "
                f"not {scenario.kind!r}")

    def resolve_backends(self, backend: BackendSpec) -> list[Any]:
        from isactoolbox.core.backend import get_backend, usable_backends

        if backend is None:
            return usable_backends(self.default_backend)  # a missing plugin route is left out
        if isinstance(backend, str):
            backend = [b.strip() for b in backend.split(",") if b.strip()]
        if not isinstance(backend, Sequence):
            backend = [backend]
        return [get_backend(b) if isinstance(b, str) else b for b in backend]

    # ===================== TO BE OVERRIDDEN =====================
    @abc.abstractmethod
    def _solve(self, scenario: Scenario, backend: Any, options: Mapping[str, Any]) -> Result:
        """Run the algorithm with one backend; return a Result with status, objective and values."""

    @abc.abstractmethod
    def verify(self, scenario: Scenario, values: Mapping[str, Any], options: Mapping[str, Any]) -> VerificationReport:
        """Recompute every physical constraint from ``values`` (double precision, no solver data)."""

    def evaluate_metrics(self, scenario: Scenario, values: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """Metrics reported with the result; default none."""
        return {}
