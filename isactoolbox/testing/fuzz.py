"""Fuzzing every cheap strategy on random small scenarios: no verified violation may hide in a success.

Each draw picks a scenario kind and a strategy in rotation, draws a small random scenario of that
kind (seed, targets, budgets and sizes varied), solves it with real solvers and then

- re-runs ``strategy.verify(scenario, result.values, result.options)`` on every result whose status
  is ``optimal`` or ``feasible`` and counts the results whose recomputed verification fails
  (such a result is a bug: the template should have downgraded it to ``inaccurate``);
- round-trips the scenario (``Scenario.save`` / ``load_scenario``) and the result
  (``Result.save`` / ``Result.load``) through JSON files and counts non-identical copies; the
  verification is also recomputed from the *loaded* copies, so a lossy save cannot hide.

Command: ``python -m isactoolbox.testing.fuzz --count 1000 --seed 0 [--json]``.

Sizes (chosen so one draw costs ~0.1-3 s): network ISAC S = 3 BSs, K = 1-2 CUs, N = 4 antennas;
ISAL 1-3 anchors, 1-2 radars, 1-2 slots, share lattice 0.1; BPMS K = 1-2 targets, 4 antennas per
array, 16-64 subcarriers, 2-6 slots.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from isactoolbox.core.result import Result
from isactoolbox.core.scenario import Scenario, load_scenario
from isactoolbox.registry import registry
from isactoolbox.serialization import to_jsonable
from isactoolbox.status import Status

#: strategy name -> scenario kind it is fuzzed on (cheap strategies only: exhaustive and ao-penalty
#: cost tens of seconds per drop and are covered by their own tests).
DEFAULT_STRATEGIES: dict[str, str] = {
    "bigm-misdp": "network-isac", "closest-bs": "network-isac", "random": "network-isac",
    "bistatic": "network-isac",
    "integrated": "isal", "step-by-step": "isal",
    "apa": "bistatic-monostatic", "wcrb-fdb": "bistatic-monostatic", "wcrb-cpa": "bistatic-monostatic",
}
#: statuses whose result claims every physical constraint holds
CLAIMS = (Status.OPTIMAL, Status.FEASIBLE)


# -- scenario draws ---------------------------------------------------------------------------------
def draw_network_isac(rng: np.random.Generator) -> tuple[Scenario, dict[str, Any]]:
    """S = 3, N = 4, K in {1, 2}; Gamma 0-12 dB, eps 10^0-10^2 m^2, P 40-45 dBm (about half feasible)."""
    from isactoolbox.network_isac.scenario import NetworkISAC
    from isactoolbox.network_isac.units import db_to_linear, dbm_to_watt

    sc = NetworkISAC.random(int(rng.integers(2 ** 31)), n_bs=3, n_users=int(rng.integers(1, 3)), n_antennas=4,
                            sinr_min=float(db_to_linear(rng.uniform(0.0, 12.0))),
                            crlb_max=float(10.0 ** rng.uniform(0.0, 2.0)),
                            max_power=float(dbm_to_watt(rng.uniform(40.0, 45.0))))
    return sc, {"seed": int(rng.integers(1000)), "randomizations": 8}


def draw_isal(rng: np.random.Generator) -> tuple[Scenario, dict[str, Any]]:
    """1-3 anchors, 1-2 radars, 1-2 slots, sync or async; energy 0.05-10 J; power limits 0.1-1 W."""
    from isactoolbox.isal.scenario import ISALNetwork

    sc = ISALNetwork.random(int(rng.integers(2 ** 31)), n_anchors=int(rng.integers(1, 4)),
                            n_radars=int(rng.integers(1, 3)), n_slots=int(rng.integers(1, 3)),
                            synchronous=bool(rng.integers(2)),
                            energy_budget=float(10.0 ** rng.uniform(-1.3, 1.0)),
                            radar_power_max=float(rng.uniform(0.1, 1.0)),
                            anchor_power_max=float(rng.uniform(0.1, 1.0)))
    return sc, {"resolution": 0.1}


def draw_bpms(rng: np.random.Generator) -> tuple[Scenario, dict[str, Any]]:
    """K in {1, 2} targets within 10-25 m, 4-antenna arrays, 16-64 subcarriers, 2-6 slots, -30 to -10 dBm."""
    from isactoolbox.bpms.scenario import BistaticMonostatic, dbm_to_watt

    K = int(rng.integers(1, 3))
    while True:  # keep targets off the BS, the UE and each other (validation would refuse them)
        r = rng.uniform(10.0, 25.0, K)
        phi = rng.uniform(0.2, np.pi - 0.2, K)
        targets = np.column_stack([r * np.cos(phi), r * np.sin(phi)])
        ue = np.array([-5.0, 20.0])
        gaps = [np.linalg.norm(t - ue) for t in targets] + (
            [np.linalg.norm(targets[0] - targets[1])] if K == 2 else [])
        if min(gaps) > 2.0:
            break
    sc = BistaticMonostatic.random(int(rng.integers(2 ** 31)), target_positions=targets,
                                   n_tx=4, n_rx=4, n_ue=4, n_subcarriers=int(rng.choice([16, 32, 64])),
                                   n_slots=int(rng.integers(2, 7)),
                                   power=float(dbm_to_watt(rng.uniform(-30.0, -10.0))))
    return sc, {"rho": float(rng.uniform(0.0, 1.0))}


DRAWS: dict[str, Callable[[np.random.Generator], tuple[Scenario, dict[str, Any]]]] = {
    "network-isac": draw_network_isac, "isal": draw_isal, "bistatic-monostatic": draw_bpms,
}


def _options_for(name: str, options: dict[str, Any]) -> dict[str, Any]:
    specs = registry.strategy(name).option_specs()
    return {k: v for k, v in options.items() if k in specs}


# -- lossless checks -------------------------------------------------------------------------------
def _same(a: Any, b: Any) -> bool:
    """Exact equality of JSON-encoded data (arrays bitwise through their tagged lists)."""
    return json.dumps(to_jsonable(a), sort_keys=True) == json.dumps(to_jsonable(b), sort_keys=True)


@dataclasses.dataclass
class Case:
    """One fuzz draw and what was found."""

    index: int
    kind: str
    strategy: str
    status: str
    seconds: float
    violation: bool = False  # a claimed success whose recomputed verification fails
    worst: str = ""
    scenario_mismatch: bool = False
    result_mismatch: bool = False
    error: str = ""
    scenario: dict[str, Any] | None = None  # kept for violations / mismatches / errors (reproducer)
    options: dict[str, Any] | None = None


def run_case(index: int, kind: str, strategy: str, rng: np.random.Generator, backend: Any = None,
             workdir: Path | None = None) -> Case:
    """Draw one scenario of ``kind``, solve it with ``strategy`` and check claims and round trips."""
    scenario, opts = DRAWS[kind](rng)
    opts = _options_for(strategy, opts)
    t0 = time.perf_counter()
    case = Case(index, kind, strategy, "", 0.0)
    try:
        result = registry.strategy(strategy)(**opts).solve(scenario, backend)
    except Exception as exc:  # a crash is a finding, not a reason to stop the run
        case.status = "error"
        case.error = f"{type(exc).__name__}: {exc}"
        case.scenario, case.options = scenario.to_dict(), opts
        case.seconds = time.perf_counter() - t0
        case.error += "\n" + traceback.format_exc(limit=3)
        return case
    case.seconds = time.perf_counter() - t0
    case.status = result.status.value
    strat = registry.strategy(strategy)(**opts)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        sc_path = scenario.save(Path(tmp) / "scenario.json")
        loaded_sc = load_scenario(sc_path)
        case.scenario_mismatch = not loaded_sc.equals(scenario)
        res_path = result.save(Path(tmp) / "result.json")
        loaded = Result.load(res_path)
        case.result_mismatch = not _same(loaded.to_dict(), result.to_dict())
    if result.status in CLAIMS:
        reports = [strat.verify(scenario, result.values, result.options)]
        if not case.scenario_mismatch and not case.result_mismatch:
            reports.append(strat.verify(loaded_sc, loaded.values, loaded.options))
        failed = [r for r in reports if not r.passed]
        if failed:
            case.violation = True
            worst = max(failed[0].failures, key=lambda c: c.violation)
            case.worst = f"{worst.name}: value {worst.value:.6g} vs limit {worst.limit:.6g} ({worst.violation:.2e})"
    if case.violation or case.scenario_mismatch or case.result_mismatch:
        case.scenario, case.options = scenario.to_dict(), opts
    return case


@dataclasses.dataclass
class FuzzReport:
    """Tallies of a fuzz run: per strategy and status, claimed-success violations, lossy round trips."""

    count: int
    seed: int
    seconds: float
    by_strategy: dict[str, dict[str, int]]
    violations: int
    scenario_mismatches: int
    result_mismatches: int
    errors: int
    findings: list[Case]

    @property
    def ok(self) -> bool:
        return self.violations == 0 and self.scenario_mismatches == 0 and self.result_mismatches == 0

    def totals(self) -> dict[str, int]:
        out: Counter = Counter()
        for row in self.by_strategy.values():
            out.update(row)
        return dict(out)

    def table(self) -> str:
        statuses = sorted({s for row in self.by_strategy.values() for s in row})
        head = f"{'strategy':<14}" + "".join(f"{s:>14}" for s in statuses) + f"{'total':>8}"
        lines = [head]
        for name, row in sorted(self.by_strategy.items()):
            lines.append(f"{name:<14}" + "".join(f"{row.get(s, 0):>14}" for s in statuses)
                         + f"{sum(row.values()):>8}")
        tot = self.totals()
        lines.append(f"{'all':<14}" + "".join(f"{tot.get(s, 0):>14}" for s in statuses) + f"{sum(tot.values()):>8}")
        lines.append(f"verified violations among optimal/feasible: {self.violations}; lossy scenario round "
                     f"trips: {self.scenario_mismatches}; lossy result round trips: {self.result_mismatches}; "
                     f"crashes: {self.errors}; {self.count} draws, seed {self.seed}, {self.seconds:.0f} s")
        for f in self.findings:
            what = ("VIOLATION " + f.worst if f.violation else "crash " + f.error.splitlines()[0] if f.error
                    else "lossy round trip")
            lines.append(f"  draw {f.index} {f.strategy}: {what}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "seed": self.seed, "seconds": self.seconds, "by_strategy": self.by_strategy,
                "totals": self.totals(), "violations": self.violations,
                "scenario_mismatches": self.scenario_mismatches, "result_mismatches": self.result_mismatches,
                "errors": self.errors, "ok": self.ok,
                "findings": [to_jsonable(dataclasses.asdict(f)) for f in self.findings]}


def run_fuzz(count: int, seed: int = 0, strategies: Sequence[str] | None = None, sizes: str = "small",
             backend: Any = None, progress: Callable[[Case], None] | None = None) -> FuzzReport:
    """Run ``count`` draws, strategies in rotation (each draw a fresh scenario of that strategy's kind).

    ``strategies``: names from :data:`DEFAULT_STRATEGIES` (default all of them). ``sizes``: only
    "small" (the sizes in the module docstring). ``backend``: passed to every solve (default each
    strategy's own default chain). Draw i uses ``np.random.default_rng([seed, i])``, so any single
    draw can be reproduced with :func:`run_case`.
    """
    if sizes != "small":
        raise ValueError(f"sizes must be 'small', got {sizes!r}")
    names = list(strategies) if strategies else list(DEFAULT_STRATEGIES)
    unknown = [n for n in names if n not in DEFAULT_STRATEGIES]
    if unknown:
        raise ValueError(f"no fuzz draw for strategies {unknown}; known: {', '.join(DEFAULT_STRATEGIES)}")
    # Kinds alternate first, then the strategies within a kind, so a short run still covers every kind.
    by_kind: dict[str, list[str]] = defaultdict(list)
    for n in names:
        by_kind[DEFAULT_STRATEGIES[n]].append(n)
    kinds = list(by_kind)
    order = []
    turn = Counter()
    for i in range(count):
        kind = kinds[i % len(kinds)]
        order.append((kind, by_kind[kind][turn[kind] % len(by_kind[kind])]))
        turn[kind] += 1
    t0 = time.perf_counter()
    tallies: dict[str, Counter] = defaultdict(Counter)
    findings: list[Case] = []
    viol = smis = rmis = errs = 0
    for i, (kind, name) in enumerate(order):
        case = run_case(i, kind, name, np.random.default_rng([seed, i]), backend)
        tallies[name][case.status] += 1
        viol += case.violation
        smis += case.scenario_mismatch
        rmis += case.result_mismatch
        errs += bool(case.error)
        if case.violation or case.scenario_mismatch or case.result_mismatch or case.error:
            findings.append(case)
        if progress is not None:
            progress(case)
    return FuzzReport(count, seed, time.perf_counter() - t0, {k: dict(v) for k, v in tallies.items()},
                      viol, smis, rmis, errs, findings)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m isactoolbox.testing.fuzz", description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100, help="number of random draws (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--strategies", default=None, help="comma list (default: " + ",".join(DEFAULT_STRATEGIES) + ")")
    ap.add_argument("--backend", default=None, help="backend for every solve (default: each strategy's)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--progress", action="store_true", help="one line per draw on stderr")
    args = ap.parse_args(argv)

    def show(case: Case) -> None:
        print(f"{case.index:5d} {case.strategy:<13} {case.status:<15} {case.seconds:6.2f}s"
              + (" VIOLATION" if case.violation else ""), file=sys.stderr, flush=True)

    names = [s.strip() for s in args.strategies.split(",")] if args.strategies else None
    report = run_fuzz(args.count, args.seed, names, backend=args.backend, progress=show if args.progress else None)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.table())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
