"""Conformance suite for third-party strategies, backends and scenarios (cf. scikit-learn's check_estimator).

In a plugin's own tests::

    from isactoolbox.testing import check_backend, check_strategy, check_scenario
    def test_my_backend(): check_backend("mysolver:fast")
    def test_my_strategy(): check_strategy(MyStrategy(), scenario, backend="picos:cvxopt")

Each check raises AssertionError with a message saying what to change.
"""
from isactoolbox.testing.conformance import (backend_checks, check_backend, check_scenario, check_strategy,
                                             strategy_checks)
from isactoolbox.testing.reference_problems import REFERENCE_PROBLEMS

__all__ = ["REFERENCE_PROBLEMS", "backend_checks", "check_backend", "check_scenario", "check_strategy",
           "strategy_checks"]
