"""A small real problem used to exercise the core templates: power control over parallel links.

Scenario: gains g_k (linear), noise n_k (W), SNR targets gamma_k, per-link cap p_max (W).
Strategy: minimise sum p s.t. g_k p_k / n_k >= gamma_k, 0 <= p_k <= p_max (an LP, closed form
p_k = gamma_k n_k / g_k when that fits under the cap, else infeasible).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.core.result import Result, Timings
from isactoolbox.core.scenario import Scenario, array, nonnegative, positive, scalar
from isactoolbox.core.strategy import Strategy
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.modeling import Model


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class ParallelLinks(Scenario):
    kind = "toy-parallel-links"
    gains: np.ndarray = array(("K",), checks=[positive], doc="channel power gains (linear)")
    noise: np.ndarray = array(("K",), unit="W", checks=[positive])
    snr_target: np.ndarray = array(("K",), checks=[nonnegative], doc="linear SNR targets")
    p_max: float = scalar(1.0, unit="W", checks=[positive])
    phases: np.ndarray = array(("K",), dtype=complex, optional=True, doc="unused; exercises complex storage")

    def _check_consistency(self) -> None:
        from isactoolbox.errors import ScenarioValidationError
        if self.gains.size == 0:
            raise ScenarioValidationError("gains", "needs at least one link", owner="ParallelLinks")

    @classmethod
    def random(cls, seed: int, **overrides):
        rng = np.random.default_rng(seed)
        k = overrides.pop("k", 3)
        fields = dict(gains=rng.uniform(0.1, 1.0, k), noise=np.full(k, 1e-3), snr_target=rng.uniform(1, 10, k),
                      phases=np.exp(1j * rng.uniform(-np.pi, np.pi, k)))
        fields.update(overrides)
        return cls(**fields)


class MinPower(Strategy):
    name = "toy-min-power"
    scenario_kinds = ("toy-parallel-links",)
    default_backend = "picos:cvxopt"
    options = {"margin": Option(1.0, float, "multiply every SNR target by this")}

    def _solve(self, scenario, backend, options):
        m = Model("min-power")
        p = m.real("p", scenario.gains.size, lb=0.0, ub=scenario.p_max)
        target = scenario.snr_target * options["margin"]
        # whitened: SNR_k = g_k p_k / n_k, so the row is (g_k/n_k) p_k >= target_k
        m.add((scenario.gains / scenario.noise) * p >= target.reshape(-1, 1), name="snr")
        m.minimize(p.sum())
        sol = backend.solve(m.compile())
        values = {"power": sol.value(p).ravel()} if sol.x is not None else {}
        return Result(status=sol.status, objective=sol.objective, values=values, backend=sol.backend,
                      solver=sol.solver, solver_version=sol.solver_version, message=sol.message,
                      timings=Timings(build=sol.build_time, solver=sol.solve_time, solves=1))

    def verify(self, scenario, values, options):
        p = np.asarray(values["power"])
        report = VerificationReport()
        snr = scenario.gains * p / scenario.noise
        for k in range(p.size):
            report.add(check(f"snr[{k}]", snr[k], ">=", scenario.snr_target[k] * options["margin"]))
            report.add(check(f"power[{k}]", p[k], "<=", scenario.p_max, unit="W"))
        return report
