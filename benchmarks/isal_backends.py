"""ISAL (paper 001): every shipped scenario, integrated and step-by-step, per backend: time and agreement.

The evidence behind the ISAL backend recommendation (docs/performance.md)::

    python -m benchmarks.isal_backends --json notes/bench/isal_backends.json

For each scenario x strategy: wall time and status per backend, and the relative objective
difference of each backend to picos:cvxopt (the always-available reference).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "isactoolbox" / "data" / "scenarios"
BACKENDS = ("picos:cvxopt", "cvxopt", "clarabel")


def run(strategies: tuple[str, ...] = ("integrated", "step-by-step")) -> list[dict[str, Any]]:
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.registry import registry

    rows = []
    for path in sorted(SCENARIOS.glob("isal_*.json")):
        sc = load_scenario(path)
        for strategy in strategies:
            row: dict[str, Any] = {"scenario": path.stem, "strategy": strategy}
            for backend in BACKENDS:
                t0 = time.perf_counter()
                res = registry.strategy(strategy)().solve(sc, backend=backend)
                row[backend] = {"seconds": time.perf_counter() - t0, "status": res.status.value,
                                "objective": res.objective, "verified": res.verification.passed}
            ref = row["picos:cvxopt"]["objective"]
            for backend in BACKENDS[1:]:
                obj = row[backend]["objective"]
                row[backend]["rel_diff"] = (abs(obj - ref) / abs(ref) if obj is not None and ref else None)
            rows.append(row)
            print(json.dumps(row, default=str), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args(argv)
    rows = run()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
