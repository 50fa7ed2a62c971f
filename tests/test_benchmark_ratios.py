"""The benchmark's ratio bookkeeping (benchmarks.run.add_ratios) on rows of known times."""
from __future__ import annotations

import pytest

from benchmarks.run import add_ratios


def test_toolbox_rows_get_raw_ratios_and_speedups_against_optimal_cvxpy_routes_only():
    rows = {
        "toolbox:cvxopt": {"total_s": 0.5, "overhead_s": 0.02, "status": "optimal"},
        "toolbox-compile:cvxopt": {"total_s": 0.6, "overhead_s": 0.04, "status": "optimal"},
        "toolbox-full:cvxopt": {"total_s": 2.0, "status": "optimal"},
        "raw:cvxopt": {"total_s": 0.4, "status": "optimal"},
        "raw-full:cvxopt": {"total_s": 1.6, "status": "optimal"},
        "cvxpy-native:CVXOPT": {"total_s": 3.0, "status": "optimal"},
        "cvxpy-native-vec:CVXOPT": {"total_s": 1.0, "status": "optimal"},
        "cvxpy:CVXOPT": {"total_s": 0.6, "status": "optimal_inaccurate"},
        "toolbox:pyomo:ipopt": {"error": "timed out after 120 s"},
    }
    add_ratios(rows)
    tb, full = rows["toolbox:cvxopt"], rows["toolbox-full:cvxopt"]
    assert tb["x_raw_cvxopt"] == pytest.approx(1.25)       # against raw on its own (reduced) data
    assert full["x_raw_cvxopt"] == pytest.approx(1.25)     # against raw-full
    assert tb["x_raw_cvxopt_by_overhead"] == pytest.approx(1.05)  # (0.4 + 0.02) / 0.4
    compiled = rows["toolbox-compile:cvxopt"]  # a first scenario of its size: against raw too
    assert compiled["x_raw_cvxopt_by_overhead"] == pytest.approx(1.1)
    assert compiled["speedup_vs_cvxpy-native"] == pytest.approx(5.0)
    assert "x_raw_cvxopt_by_overhead" not in full            # no overhead measured on that row
    assert tb["speedup_vs_cvxpy-native"] == pytest.approx(6.0)
    assert tb["speedup_vs_cvxpy-native-vec"] == pytest.approx(2.0)
    assert full["speedup_vs_cvxpy-native-vec"] == pytest.approx(0.5)
    assert "speedup_vs_cvxpy" not in tb                     # that CVXPY route was not optimal
    assert not any(k.startswith("speedup") for k in rows["raw:cvxopt"])
    assert rows["toolbox:pyomo:ipopt"] == {"error": "timed out after 120 s"}


def test_compare_reports_the_median_of_each_runs_own_ratio():
    """benchmarks.compare: per route and side, medians over the runs of the overhead and of the
    run's ratio to its own raw solver; routes without an overhead (raw, errors) get no line."""
    from benchmarks.compare import summarize

    def run(raw: float, overhead: float) -> dict:
        rows = {"toolbox:cvxopt": {"total_s": raw + overhead, "overhead_s": overhead, "status": "optimal"},
                "raw:cvxopt": {"total_s": raw, "status": "optimal"},
                "toolbox:pyomo:ipopt": {"error": "timed out after 120 s"}}
        add_ratios(rows)
        return rows

    runs = {"before": [run(0.05, 0.006), run(0.08, 0.008), run(0.06, 0.009)],
            "after": [run(0.05, 0.004), run(0.10, 0.005), run(0.06, 0.003)]}
    lines = summarize(runs)
    before = next(l for l in lines if l.startswith("toolbox:cvxopt") and " before " in l)
    after = next(l for l in lines if l.startswith("toolbox:cvxopt") and " after " in l)
    assert "overhead    8.00 ms" in before and "ratio 1.1200 (runs 1.1000-1.1500)" in before
    assert "overhead    4.00 ms" in after and "ratio 1.0500 (runs 1.0500-1.0800)" in after
    assert not any(l.startswith(("raw:", "toolbox:pyomo")) for l in lines)
    assert "raw solver ms, after: {'raw:cvxopt': [50.0, 100.0, 60.0]}" in lines
