"""Before/after comparison of the overhead cases, robust to a VM whose speed drifts between runs.

On this machine kind one solver call moves by 10-40% between processes minutes apart, so a "before"
benchmark run followed by an "after" run compares the VM's two states as much as the two trees.
This alternates short runs of both checkouts (before, after, before, after, ...) and reports, per
route, the median over the runs of each run's own ratio to the raw solver (which shares that run's
machine state), next to the overheads::

    git worktree add /tmp/before <commit>
    python -m benchmarks.compare --before /tmp/before --pairs 6
    python -m benchmarks.compare --before /tmp/before --case network-isac-sdp --backends clarabel --pairs 3

Each run is ``overhead_case`` of ``benchmarks/run.py`` in that checkout (its own code and package,
put first on ``PYTHONPATH``), restricted to the given backends: about 45 s per BPMS run with
``cvxopt``. Nothing is asserted; this prints a table (and ``--json`` writes every run).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: Run in the checkout under test: one overhead case, its rows as JSON on the last line of stdout.
_CHILD = """
import json, sys
from benchmarks.run import overhead_case
case, backends, repeats = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
raw = [b for b in backends if b in ("cvxopt", "clarabel")]
kwargs = {"timeout": 120.0} if case == "bpms-wcrb-fdb" else {}
print(json.dumps(overhead_case(case, backends, raw, repeats, **kwargs), default=str))
"""


def run_checkout(checkout: Path, case: str, backends: list[str], repeats: int) -> dict[str, Any]:
    """One overhead-case run with ``checkout``'s code (its benchmarks and its package)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", _CHILD, case, ",".join(backends), str(repeats)], cwd=checkout,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarize(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Per route and side: median overhead (ms) and median of the runs' ratios by overhead, with their range."""
    lines = []
    routes = [r for r in runs["after"][0] if "overhead_s" in runs["after"][0][r]]
    for route in routes:
        for side in ("before", "after"):
            rows = [run[route] for run in runs[side] if "overhead_s" in run.get(route, {})]
            if not rows:
                continue
            ratio_key = next((k for k in rows[0] if k.endswith("_by_overhead")), None)
            ov = [1e3 * r["overhead_s"] for r in rows]
            cell = f"{route:28s} {side:6s} overhead {statistics.median(ov):7.2f} ms"
            if ratio_key:
                ratios = [r[ratio_key] for r in rows]
                cell += f"   ratio {statistics.median(ratios):.4f} (runs {min(ratios):.4f}-{max(ratios):.4f})"
            lines.append(cell)
    for side in ("before", "after"):
        raws = {k: [round(1e3 * run[k]["total_s"], 1) for run in runs[side]] for k in runs[side][0] if k.startswith("raw:")}
        lines.append(f"raw solver ms, {side}: {raws}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="checkout of the reference commit (e.g. a git worktree)")
    ap.add_argument("--after", default=str(ROOT), help="checkout under test (default: this one)")
    ap.add_argument("--case", default="bpms-wcrb-fdb", choices=("bpms-wcrb-fdb", "network-isac-sdp"))
    ap.add_argument("--backends", default="cvxopt", help="comma list, e.g. cvxopt,clarabel")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=9, help="runs per route inside each process")
    ap.add_argument("--json", help="also write every run here")
    args = ap.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for i in range(args.pairs):
        for side, checkout in (("before", args.before), ("after", args.after)):
            runs[side].append(run_checkout(Path(checkout), args.case, backends, args.repeats))
            print(f"pair {i + 1}/{args.pairs}: {side} done", file=sys.stderr, flush=True)
    print("\n".join(summarize(runs)))
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
