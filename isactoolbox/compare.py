"""Run the same computation on several backends and tabulate what each one returned.

Example::

    from isactoolbox.backends import get_backend
    from isactoolbox.compare import compare_backends, format_table, write_csv

    rows = compare_backends(lambda b: get_backend(b).solve(compiled), ["picos:cvxopt", "pyomo:ipopt"])
    print(format_table(rows))
    write_csv(rows, "comparison.csv")

``run`` takes a backend name ("family:solver") and returns an isactoolbox :class:`~isactoolbox.core.result.Result`
(a strategy run) or a backend :class:`~isactoolbox.core.backend.Solution` (one solver call). Each
backend is run once, one after the other, on whatever data ``run`` closes over. A backend that refuses
the problem (UnsupportedProblemError) or is not usable here (BackendUnavailableError) gives a row saying
so instead of stopping the comparison; any other exception propagates unless ``catch_errors=True``.

Columns (units: seconds for times):

- ``status``: the returned status (or ``unsupported`` / ``unavailable`` / ``error``);
- ``objective``: in the problem's own sense; ``objective_rel_diff``: relative to the first row whose
  status is ``optimal`` (the reference), ``|f - f_ref| / max(1, |f_ref|)``;
- ``max_violation``: for a Result, ``verification.max_violation`` (physical constraints recomputed
  from the returned values, relative); for a Solution, the largest canonical residual (absolute,
  model units: equalities, inequalities, bounds, LMI eigenvalues);
- ``certificate`` / ``duality_gap``: what the backend proved (e.g. a checked duality gap with the
  factor rank for ``pyomo:ipopt``, the solver's own optimality for interior-point and simplex codes);
- ``build_time``, ``solver_time``: as reported (Result.timings / Solution fields); ``total_time``:
  wall clock around ``run``; ``iterations`` (Solution) or ``solves`` (Result: solver calls made).
"""
from __future__ import annotations

import csv
import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from isactoolbox.errors import BackendUnavailableError, UnsupportedProblemError

COLUMNS = ("backend", "status", "objective", "objective_rel_diff", "max_violation", "duality_gap", "certificate",
           "build_time", "solver_time", "total_time", "iterations", "solves", "message")


@dataclasses.dataclass
class ComparisonRow:
    backend: str
    status: str
    objective: float | None = None
    objective_rel_diff: float | None = None
    max_violation: float | None = None
    duality_gap: float | None = None
    certificate: str = ""
    build_time: float | None = None
    solver_time: float | None = None
    total_time: float | None = None
    iterations: int | None = None
    solves: int | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in COLUMNS}


def _certificate_summary(cert: dict[str, Any]) -> tuple[float | None, str]:
    """(relative duality gap when one was checked, a one-line description)."""
    if not cert:
        return None, ""
    if "certified" in cert:  # pyomo:ipopt's checked SDP certificate
        gap = cert.get("relative_gap")
        rank = cert.get("rank")
        verdict = "certified" if cert["certified"] else "not certified (" + ", ".join(cert.get("failed", [])) + ")"
        extra = f", rank {rank}" if rank else ""
        return gap, f"{verdict}: rel. gap {_fmt(gap)}, min dual-slack eig {_fmt(cert.get('dual_slack_min_eig_rel'))}{extra}"
    if "mip_gap" in cert:
        return cert["mip_gap"], f"MIP gap {_fmt(cert['mip_gap'])}"
    if "lmi_min_eig_rel" in cert:  # outer approximation
        return None, (f"outer approximation: bound {_fmt(cert.get('objective_bound'))}, "
                      f"LMI min eig {_fmt(cert.get('lmi_min_eig_rel'))}, {cert.get('cuts')} cuts")
    if "infeasibility_proven" in cert:
        return None, "Farkas ray checked" if cert["infeasibility_proven"] else "no infeasibility proof"
    if "unbounded_direction" in cert:
        return None, "recession direction checked" if cert["unbounded_direction"] else "no unboundedness proof"
    if "solver_optimality" in cert:
        return None, f"{cert['solver_optimality']} optimality conditions"
    return None, ", ".join(f"{k}={_fmt(v)}" for k, v in cert.items() if isinstance(v, (int, float, str)))


def _row_from(backend: str, out: Any, wall: float) -> ComparisonRow:
    from isactoolbox.core.backend import Solution
    from isactoolbox.core.result import Result

    if isinstance(out, Result):
        cert = out.extra.get("certificate", {}) if isinstance(out.extra, dict) else {}
        gap, text = _certificate_summary(cert if isinstance(cert, dict) else {})
        checks = out.verification.checks
        return ComparisonRow(backend, str(out.status), out.objective, None,
                             out.verification.max_violation if checks else None, gap,
                             text or ("verified" if checks and out.verification.passed else ""),
                             out.timings.build, out.timings.solver, wall, out.extra.get("iterations"),
                             out.timings.solves, out.message)
    if isinstance(out, Solution):
        residuals = out.residuals() if out.x is not None else {}
        gap, text = _certificate_summary(out.certificate)
        return ComparisonRow(backend, str(out.status), out.objective, None,
                             max(residuals.values()) if residuals else None, gap, text,
                             out.build_time, out.solve_time, wall, out.iterations, 1, out.message)
    raise TypeError(f"run({backend!r}) returned {type(out).__name__}; expected an isactoolbox Result or Solution")


def compare_backends(run: Callable[[str], Any], backends: Iterable[str], *,
                     catch_errors: bool = False) -> list[ComparisonRow]:
    """One row per backend: ``run(backend)`` timed and summarised (see the module docstring)."""
    rows = []
    for name in backends:
        t0 = time.perf_counter()
        try:
            out = run(name)
        except UnsupportedProblemError as exc:
            rows.append(ComparisonRow(name, "unsupported", total_time=time.perf_counter() - t0, message=str(exc)))
            continue
        except BackendUnavailableError as exc:
            rows.append(ComparisonRow(name, "unavailable", total_time=time.perf_counter() - t0, message=str(exc)))
            continue
        except Exception as exc:
            if not catch_errors:
                raise
            rows.append(ComparisonRow(name, "error", total_time=time.perf_counter() - t0,
                                      message=f"{type(exc).__name__}: {exc}"))
            continue
        rows.append(_row_from(name, out, time.perf_counter() - t0))
    ref = next((r.objective for r in rows if r.status == "optimal" and r.objective is not None), None)
    if ref is not None:
        for r in rows:
            if r.objective is not None:
                r.objective_rel_diff = abs(r.objective - ref) / max(1.0, abs(ref))
    return rows


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if v == 0.0:
            return "0"
        return f"{v:.4g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"
    return str(v)


def _as_dict(row: Any) -> dict[str, Any]:
    return row.as_dict() if isinstance(row, ComparisonRow) else dict(row)


def format_table(rows: Sequence[Any], columns: Sequence[str] | None = None, *, max_width: int = 60) -> str:
    """Plain-text table of ``rows`` (ComparisonRow or dicts); long cells are cut to ``max_width``."""
    columns = list(columns or [c for c in COLUMNS if c != "message"])
    cells = [[_fmt(_as_dict(r).get(c)) for c in columns] for r in rows]
    cells = [[c if len(c) <= max_width else c[:max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(columns)]
    numeric = {"objective", "objective_rel_diff", "max_violation", "duality_gap", "build_time", "solver_time",
               "total_time", "iterations", "solves"}

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if h in numeric else v.ljust(w)
                         for v, w, h in zip(values, widths, columns)).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def write_csv(rows: Sequence[Any], path: str | Path) -> Path:
    """Write ``rows`` with every column (numbers at full precision, None as an empty cell)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        for r in rows:
            d = _as_dict(r)
            writer.writerow({c: ("" if d.get(c) is None else (repr(d[c]) if isinstance(d[c], float) else d[c]))
                             for c in COLUMNS})
    return path


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows written by :func:`write_csv`, numbers parsed back (exactly: floats are written with repr)."""
    out = []
    ints = {"iterations", "solves"}
    floats = {"objective", "objective_rel_diff", "max_violation", "duality_gap", "build_time", "solver_time",
              "total_time"}
    with Path(path).open(newline="") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = {}
            for k, v in raw.items():
                if v == "" and (k in ints or k in floats):
                    row[k] = None
                elif k in ints:
                    row[k] = int(v)
                elif k in floats:
                    row[k] = float(v)
                else:
                    row[k] = v
            out.append(row)
    return out


def plot_rows(rows: Sequence[Any], path: str | Path, *, pdf: bool = False) -> list[Path]:
    """Bar chart of build and solver time per backend (PNG, PDF on request), its data as CSV beside it."""
    from isactoolbox.reproductions.output import new_figure, save_figure

    data = [_as_dict(r) for r in rows]
    names = [d["backend"] for d in data]
    build = [d.get("build_time") or 0.0 for d in data]
    solver = [d.get("solver_time") or 0.0 for d in data]
    fig, ax = new_figure(figsize=(1.6 + 1.3 * len(names), 4))
    ax.bar(names, build, label="model build")
    ax.bar(names, solver, bottom=build, label="solver")
    for i, d in enumerate(data):
        ax.annotate(str(d.get("status", "")), (i, build[i] + solver[i]), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("time [s]")
    ax.set_title("backends side by side (status above each bar)")
    ax.legend(fontsize=8)
    files = save_figure(fig, path, pdf=pdf)
    files.append(write_csv(rows, Path(files[0]).with_suffix(".csv")))
    return files

