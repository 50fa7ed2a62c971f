"""compare_backends / format_table / CSV: one run per backend on the same data, real solvers."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.backends import get_backend
from isactoolbox.backends.pyomo_backend import PyomoBackend
from isactoolbox.compare import COLUMNS, ComparisonRow, compare_backends, format_table, read_csv, write_csv
from isactoolbox.core.result import Result, Timings
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.testing import reference_problems as ref

BACKENDS = ["picos:cvxopt", "pyomo:highs", "pyomo:highs-oa"] + (["pyomo:ipopt"] if PyomoBackend.availability("ipopt")
                                                                else [])


def test_rows_for_an_sdp_agree_and_refusals_are_rows():
    model, expected = ref.complex_hermitian_sdp()
    calls = []

    def run(name):
        calls.append(name)
        return get_backend(name).solve(model)

    rows = compare_backends(run, BACKENDS)
    assert calls == BACKENDS  # each backend exactly once, in order
    by = {r.backend: r for r in rows}
    assert by["pyomo:highs"].status == "unsupported" and "SDP" in by["pyomo:highs"].message
    for name in set(BACKENDS) - {"pyomo:highs"}:
        r = by[name]
        assert r.status == "optimal", (name, r.message)
        assert abs(r.objective - expected["objective"]) < 1e-6 * max(1, abs(expected["objective"]))
        assert r.objective_rel_diff < 1e-6
        assert r.max_violation is not None and r.max_violation < 1e-6
        assert r.total_time >= r.solver_time >= 0 and r.build_time >= 0
    assert by["picos:cvxopt"].objective_rel_diff == 0.0  # the first optimal row is the reference
    if "pyomo:ipopt" in by:
        r = by["pyomo:ipopt"]
        assert r.duality_gap is not None and r.duality_gap < 1e-6 and r.certificate.startswith("certified")
        assert r.iterations and r.iterations > 0
    assert "outer approximation" in by["pyomo:highs-oa"].certificate


def test_table_and_csv_round_trip(tmp_path):
    model, _ = ref.milp()
    rows = compare_backends(lambda b: get_backend(b).solve(model), ["pyomo:highs", "picos:glpk", "picos:cvxopt"])
    assert [r.status for r in rows] == ["optimal", "optimal", "unsupported"]
    assert rows[0].certificate.startswith("MIP gap")
    text = format_table(rows)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)
    for r, line in zip(rows, lines[2:]):
        assert line.startswith(r.backend) and r.status in line
    path = write_csv(rows, tmp_path / "cmp.csv")
    back = read_csv(path)
    assert [list(b) for b in back] == [list(COLUMNS)] * len(rows)
    for r, b in zip(rows, back):
        assert b == r.as_dict()  # floats are written exactly (repr)


def test_result_rows_use_the_verification_report():
    model, _ = ref.lp()

    def run(name):
        sol = get_backend(name).solve(model)
        x = sol.x
        report = VerificationReport()
        report.add(check("x0 + x1 >= 1", x[0] + x[1], ">=", 1.0))
        report.add(check("x0 - x1 <= 0.5", x[0] - x[1], "<=", 0.5))
        return Result(sol.status, sol.objective, values={"x": x}, verification=report,
                      timings=Timings(build=sol.build_time, solver=sol.solve_time, solves=1), backend=name)

    rows = compare_backends(run, ["pyomo:highs", "picos:cvxopt"])
    for r in rows:
        assert r.status == "optimal" and abs(r.objective - 1.25) < 1e-7
        assert r.max_violation is not None and r.max_violation <= 1e-7
        assert r.solves == 1 and r.certificate == "verified"


def test_unavailable_and_errors():
    model, _ = ref.lp()

    def run(name):
        if name == "broken":
            raise RuntimeError("boom")
        return get_backend(name).solve(model)

    with pytest.raises(RuntimeError, match="boom"):
        compare_backends(run, ["pyomo:highs", "broken"])
    rows = compare_backends(run, ["pyomo:highs", "broken"], catch_errors=True)
    assert rows[1].status == "error" and "boom" in rows[1].message
    with pytest.raises(TypeError, match="Result or Solution"):
        compare_backends(lambda b: 42, ["pyomo:highs"])


def test_format_table_accepts_dicts_and_cuts_long_cells():
    rows = [ComparisonRow("a", "optimal", 1.0, certificate="x" * 200), {"backend": "b", "status": "local",
                                                                         "objective": np.float64(2.5)}]
    text = format_table(rows, max_width=20)
    assert all(len(cell) <= 20 for line in text.splitlines()[2:] for cell in line.split("  ") if cell)
    assert "2.5" in text and "local" in text
