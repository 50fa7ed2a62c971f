"""Benchmark suite: toolbox vs the raw solver and vs CVXPY on the same canonical data, and compiled-model re-use.

Run from the repository root (needs the ``bench`` extra: ``pip install -e ".[bench]"``)::

    python -m benchmarks.run                      # every quick case, 3 repeats, table on stdout
    python -m benchmarks.run --cases network-isac-sdp --repeats 5 --json bench.json
    python -m benchmarks.run --cases bnb-vs-exhaustive   # S=4, K=5 Table II: about 10-20 minutes
    python -m benchmarks.run --cases ao-iteration        # AO W-step at S=4, K=5: minutes per iteration

Every time is a median over ``--repeats`` runs in one process on this machine; ratios compare
routes measured in the same run. Nothing here is a test: no time is asserted anywhere.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "isactoolbox" / "data" / "scenarios"


def median_of(repeats: int, fn: Callable[[], dict[str, float]]) -> dict[str, Any]:
    runs = [fn() for _ in range(repeats)]
    out: dict[str, Any] = {}
    for key in runs[0]:
        vals = [r[key] for r in runs]
        out[key] = statistics.median(vals) if all(isinstance(v, (int, float)) for v in vals) else vals[-1]
    return out


# -- problem builders: each returns a fresh compiled model of the standard case ---------------------
def network_isac_sdp() -> Any:
    """Table II geometry, receiver BS 1 (index 0), every CU to its closest transmitter."""
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP, ChoiceSpec

    sc = load_scenario(SCENARIOS / "network_isac_table2.json")
    d = sc.distances_to_users()
    assoc = [min((s for s in range(sc.n_bs) if s != 0), key=lambda s: d[s, k]) for k in range(sc.n_users)]
    # Preconditioned: the form Clarabel (the raw-solver reference) accepts.
    return ChoiceSDP(sc, ChoiceSpec.fixed(0, assoc), precondition=True)


def bpms_wcrb() -> Any:
    from isactoolbox.bpms.problems import WCRBProblem
    from isactoolbox.core.scenario import load_scenario

    return WCRBProblem(load_scenario(SCENARIOS / "bpms_k3.json"), use_codebook=False)


def overhead_case(make: Callable[[], Any], backends: list[str], repeats: int, raw: bool = True) -> dict[str, Any]:
    """Per backend: toolbox model build, backend translation, solver, total; raw Clarabel and CVXPY on the same data."""
    from benchmarks.canonical import cvxpy_seconds, raw_clarabel_seconds
    from isactoolbox.core.backend import get_backend

    rows: dict[str, Any] = {}
    for name in backends:
        def once() -> dict[str, float]:
            t0 = time.perf_counter()
            problem = make()
            build = time.perf_counter() - t0
            sol = get_backend(name).solve(problem.compiled)
            return {"model_build_s": build, "backend_build_s": sol.build_time, "solver_s": sol.solve_time,
                    "total_s": time.perf_counter() - t0, "status": str(sol.status),
                    "objective": float(sol.objective) if sol.objective is not None else float("nan")}
        try:
            rows[name] = median_of(repeats, once)
        except Exception as exc:  # a missing backend is a row, not a crash
            rows[name] = {"error": f"{type(exc).__name__}: {exc}"}
    if raw:
        def raw_once() -> dict[str, float]:
            seconds, status, obj = raw_clarabel_seconds(make().compiled)
            return {"solver_s": seconds, "total_s": seconds, "status": status, "objective": obj}
        rows["raw clarabel"] = median_of(repeats, raw_once)
        for solver in ("CLARABEL", "CVXOPT"):
            def cvx_once(solver: str = solver) -> dict[str, float]:
                t0 = time.perf_counter()
                compiled = make().compiled
                build = time.perf_counter() - t0
                cbuild, solve, status, obj = cvxpy_seconds(compiled, solver)
                return {"model_build_s": build + cbuild, "solver_s": solve, "total_s": build + cbuild + solve,
                        "status": status, "objective": obj}
            try:
                rows[f"cvxpy + {solver.lower()}"] = median_of(repeats, cvx_once)
            except Exception as exc:
                rows[f"cvxpy + {solver.lower()}"] = {"error": f"{type(exc).__name__}: {exc}"}
    raw_t = rows.get("raw clarabel", {}).get("total_s")
    for name, row in rows.items():
        if raw_t and "total_s" in row:
            row["x_raw_clarabel"] = row["total_s"] / raw_t
    for name in backends:
        for cv in ("cvxpy + clarabel", "cvxpy + cvxopt"):
            same_solver = cv.split("+ ")[1] in name
            if same_solver and "total_s" in rows.get(cv, {}) and "total_s" in rows[name]:
                rows[name]["speedup_vs_" + cv.replace(" + ", "_")] = rows[cv]["total_s"] / rows[name]["total_s"]
    return rows


def reuse_case(repeats: int) -> dict[str, Any]:
    """Re-solving one structure for new data: parameter update in the compiled model vs a rebuild each time."""
    from isactoolbox.core.backend import get_backend

    rhos = np.linspace(0.0, 1.0, 5)
    out: dict[str, Any] = {}

    def wcrb_reuse() -> dict[str, float]:
        be = get_backend("picos:cvxopt")
        t0 = time.perf_counter()
        p = bpms_wcrb()
        for rho in rhos:
            p.solve(be, float(rho))
        return {"total_s": time.perf_counter() - t0}

    def wcrb_rebuild() -> dict[str, float]:
        be = get_backend("picos:cvxopt")
        t0 = time.perf_counter()
        for rho in rhos:
            bpms_wcrb().solve(be, float(rho))
        return {"total_s": time.perf_counter() - t0}

    out["bpms wcrb rho sweep (5), compiled once"] = median_of(repeats, wcrb_reuse)
    out["bpms wcrb rho sweep (5), rebuilt per rho"] = median_of(repeats, wcrb_rebuild)

    gammas = 10 ** (np.array([4.0, 6.0, 8.0]) / 10)

    def isac_reuse() -> dict[str, float]:
        be = get_backend("clarabel")
        t0 = time.perf_counter()
        p = network_isac_sdp()
        for g in gammas:
            p.set_targets(sinr_min=float(g))
            p.solve(be)
        return {"total_s": time.perf_counter() - t0}

    def isac_rebuild() -> dict[str, float]:
        from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP

        be = get_backend("clarabel")
        t0 = time.perf_counter()
        base = network_isac_sdp()
        for g in gammas:
            ChoiceSDP(base.scenario, base.spec, sinr_min=float(g), precondition=True).solve(be)
        return {"total_s": time.perf_counter() - t0}

    out["network-isac Gamma sweep (3), compiled once"] = median_of(repeats, isac_reuse)
    out["network-isac Gamma sweep (3), rebuilt per Gamma"] = median_of(repeats, isac_rebuild)
    return out


def bpms_fim(repeats: int) -> dict[str, Any]:
    """BPMS FIM coefficient precomputation, M = 1024 subcarriers, K = 3 (BP and MS), on a fresh scenario each run."""
    from isactoolbox.bpms.fim import bp_fim, ms_fim
    from isactoolbox.core.scenario import load_scenario

    def once() -> dict[str, float]:
        sc = load_scenario(SCENARIOS / "bpms_k3.json")  # a new object: the per-scenario cache is empty
        t0 = time.perf_counter()
        bp_fim(sc)
        t1 = time.perf_counter()
        ms_fim(sc)
        return {"bp_s": t1 - t0, "ms_s": time.perf_counter() - t1, "total_s": time.perf_counter() - t0,
                "subcarriers": sc.n_subcarriers}

    return {"bp + ms coefficients": median_of(repeats, once)}


def ao_iteration(repeats: int) -> dict[str, Any]:
    """AO-penalty W-step (23) on Table II (S=4, K=5, N=8), receiver BS 1: 3 penalty updates, compiled once vs rebuilt.

    The slopes mu (1 - 2 a) follow an association drifting towards binary, as in Algorithm 1's iterations.
    """
    from isactoolbox.core.backend import get_backend
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.network_isac.strategies.ao_model import AOModel

    sc = load_scenario(SCENARIOS / "network_isac_table2.json")
    d = sc.distances_to_users()
    closest = np.array([min((s for s in range(sc.n_bs) if s != 0), key=lambda s: d[s, k]) for k in range(sc.n_users)])
    slopes = []
    for w in (0.6, 0.8, 0.95):  # share on the closest transmitter
        a = np.full((sc.n_bs, sc.n_users), (1 - w) / (sc.n_bs - 2))
        a[closest, np.arange(sc.n_users)] = w
        a[0] = 0.0
        slopes.append(1.0 * (1 - 2 * a))

    def reuse() -> dict[str, float]:
        be = get_backend("picos:cvxopt")
        t0 = time.perf_counter()
        model = AOModel(sc, 0, precondition=True)
        for c in slopes:
            model.set_penalty(c)
            model.solve(be)
        return {"per_iteration_s": (time.perf_counter() - t0) / len(slopes)}

    def rebuild() -> dict[str, float]:
        be = get_backend("picos:cvxopt")
        t0 = time.perf_counter()
        for c in slopes:
            model = AOModel(sc, 0, precondition=True)
            model.set_penalty(c)
            model.solve(be)
        return {"per_iteration_s": (time.perf_counter() - t0) / len(slopes)}

    out = {"compiled once": median_of(repeats, reuse), "rebuilt every iteration": median_of(repeats, rebuild)}
    out["rebuild / reuse"] = out["rebuilt every iteration"]["per_iteration_s"] / out["compiled once"]["per_iteration_s"]
    return out


def bnb_vs_exhaustive(repeats: int) -> dict[str, Any]:
    """Table II (S=4, K=5, N=8): SDPs and wall time of exhaustive vs branch-and-bound (one run each)."""
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.registry import registry

    sc = load_scenario(SCENARIOS / "network_isac_table2.json")
    out = {}
    for name, opts in (("bigm-misdp", {}), ("exhaustive", {"workers": 2})):
        t0 = time.perf_counter()
        res = registry.strategy(name)(**opts).solve(sc)
        out[name] = {"status": str(res.status), "objective_W": res.objective, "sdps": res.timings.solves,
                     "total_s": time.perf_counter() - t0, "receiver": res.values.get("receiver"),
                     "association": list(map(int, res.values.get("association", [])))}
    out["sdp_ratio"] = out["bigm-misdp"]["sdps"] / max(out["exhaustive"]["sdps"], 1)
    return out


CASES: dict[str, Callable[[int], dict[str, Any]]] = {
    "network-isac-sdp": lambda n: overhead_case(network_isac_sdp, ["clarabel", "picos:cvxopt", "pyomo:ipopt"], n),
    "bpms-wcrb-fdb": lambda n: overhead_case(bpms_wcrb, ["picos:cvxopt", "clarabel", "pyomo:ipopt"], n),
    "compiled-reuse": reuse_case,
    "bpms-fim": bpms_fim,
    "ao-iteration": ao_iteration,
    "bnb-vs-exhaustive": bnb_vs_exhaustive,
}
QUICK = ("network-isac-sdp", "bpms-wcrb-fdb", "compiled-reuse", "bpms-fim")


def format_rows(case: str, rows: dict[str, Any]) -> str:
    lines = [f"== {case}"]
    for name, row in rows.items():
        if isinstance(row, dict):
            cells = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
        else:
            cells = f"{row:.4g}" if isinstance(row, float) else str(row)
        lines.append(f"  {name:45s} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(QUICK), help=f"comma list of {', '.join(CASES)}")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    results = {}
    for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
        if case not in CASES:
            ap.error(f"unknown case {case!r}; known: {', '.join(CASES)}")
        results[case] = CASES[case](args.repeats)
        print(format_rows(case, results[case]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
