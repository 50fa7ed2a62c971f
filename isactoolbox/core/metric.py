"""The ``PerformanceMetric`` interface."""
from __future__ import annotations

import abc
from typing import Any, ClassVar, Mapping

from isactoolbox.core.scenario import Scenario


class PerformanceMetric(abc.ABC):
    """A physical quantity evaluated on a scenario and a solution.

    ``solution`` is the mapping of physical values a strategy returns in ``Result.values`` (e.g.
    ``{"W": ..., "R": ...}`` for beamformers, ``{"power": ...}`` for node powers).

    Metrics whose quantity is convex-representable also emit it into a neutral model through
    :meth:`constraint` (e.g. SINR as an affine inequality, a CRB bound as a Schur-complement LMI) or
    :meth:`expression` (an affine objective); the defaults say that it is not representable.

    Constructor arguments select what is measured (e.g. which user); they are stored unchanged.
    """

    name: ClassVar[str] = ""
    unit: ClassVar[str] = ""
    scenario_kinds: ClassVar[tuple[str, ...]] = ()
    #: "min" when lower is better (power, CRB), "max" when higher is better (SINR).
    sense: ClassVar[str] = "min"

    @abc.abstractmethod
    def evaluate(self, scenario: Scenario, solution: Mapping[str, Any]) -> Any:
        """Value in ``unit`` (scalar, or an array documented by the subclass)."""

    def constraint(self, model: Any, scenario: Scenario, variables: Mapping[str, Any], bound: Any) -> list[Any]:
        """Constraints stating ``metric <= bound`` (or ``>=`` for sense "max") on ``variables``."""
        raise NotImplementedError(f"metric {self.name!r} has no convex constraint form")

    def expression(self, model: Any, scenario: Scenario, variables: Mapping[str, Any]) -> Any:
        """The metric as an affine expression of ``variables``, when it is affine."""
        raise NotImplementedError(f"metric {self.name!r} is not affine in the decision variables")
