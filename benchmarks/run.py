"""Benchmark suite: toolbox vs the raw solver and vs CVXPY on the same canonical data, and compiled-model re-use.

Run from the repository root (needs the ``bench`` extra: ``pip install -e ".[bench]"``)::

    python -m benchmarks.run                      # every quick case, 3 repeats, table on stdout
    python -m benchmarks.run --cases network-isac-sdp --repeats 5 --json bench.json
    python -m benchmarks.run --cases bnb-vs-exhaustive   # S=4, K=5 Table II: about 27 minutes
    python -m benchmarks.run --cases ao-iteration        # AO W-step at S=4, K=5: about a minute
    python -m benchmarks.run --cases ao-full --repeats 1  # the whole AO run on Table II: about 5-7 minutes
    python -m benchmarks.run --cases isal                # ISAL integrated vs step-by-step, per backend

The routes of one solver (toolbox cold and warm, raw solver, CVXPY) run interleaved in one spawned
process with a time limit, so their ratios see the same machine state and a stalled solver becomes
a "timed out" row instead of hanging the suite.

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
# A builder takes the scenario object a user holds (loaded outside the timed region: reading the
# JSON file is not model building) and builds everything else, FIM coefficients included (they are
# cached per scenario object, and every run gets a fresh one).
def network_isac_sdp(sc: Any = None) -> Any:
    """Table II geometry, receiver BS 1 (index 0), every CU to its closest transmitter."""
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP, ChoiceSpec

    sc = sc if sc is not None else load_scenario(SCENARIOS / "network_isac_table2.json")
    d = sc.distances_to_users()
    assoc = [min((s for s in range(sc.n_bs) if s != 0), key=lambda s: d[s, k]) for k in range(sc.n_users)]
    # Preconditioned: the form Clarabel (the raw-solver reference) accepts.
    return ChoiceSDP(sc, ChoiceSpec.fixed(0, assoc), precondition=True)


def bpms_wcrb(reduce_range: bool = True, sc: Any = None) -> Any:
    """WCRB FDB, K = 3, M_T = 16; by default on the FIMs' 8-dimensional shared range (the toolbox's
    default), ``reduce_range=False`` the full 16 x 16 covariance program (what CVXPY is given)."""
    from isactoolbox.bpms.problems import WCRBProblem
    from isactoolbox.core.scenario import load_scenario

    sc = sc if sc is not None else load_scenario(SCENARIOS / "bpms_k3.json")
    return WCRBProblem(sc, use_codebook=False, reduce_range=reduce_range)


#: Scenario file of each case, loaded untimed before every run.
CASE_SCENARIOS = {"network-isac-sdp": "network_isac_table2.json", "bpms-wcrb-fdb": "bpms_k3.json"}
BUILDERS: dict[str, Callable[[Any], Any]] = {"network-isac-sdp": network_isac_sdp,
                                             "bpms-wcrb-fdb": lambda sc: bpms_wcrb(sc=sc)}
def _forget_wcrb_templates() -> None:
    from isactoolbox.bpms.problems import wcrb_template

    wcrb_template.cache_clear()


#: Problem classes that compile one program per problem size and give each scenario an instance:
#: route ``toolbox-compile`` clears this cache first, so it pays the compile a first scenario of its
#: size pays (``toolbox`` then shows every further scenario of that size, a Monte-Carlo run's cost).
TEMPLATE_CACHES: dict[str, Callable[[], None]] = {"bpms-wcrb-fdb": _forget_wcrb_templates}
#: Builders of the same problem without the formulation-level reduction: routes ``toolbox-full``,
#: ``warm-full`` and ``raw-full`` show what the modelling layer alone costs on the full program.
FULL_BUILDERS: dict[str, Callable[[Any], Any]] = {"bpms-wcrb-fdb": lambda sc: bpms_wcrb(reduce_range=False, sc=sc)}


def route_once(builder: str, route: str) -> dict[str, Any]:
    """One timed run of one route on a freshly built problem.

    Routes: ``toolbox:<backend>`` (model build + translation + solve), ``toolbox-compile:<backend>``
    (the same with the problem class's per-size template forgotten first, see ``TEMPLATE_CACHES``:
    the first scenario of its size in a process), ``warm:<backend>`` (the
    compiled model and backend handle kept, so a re-solve after a parameter update: what AO
    iterations and Gamma sweeps pay), ``raw:clarabel`` / ``raw:cvxopt`` (the solver alone on the
    canonical data), ``cvxpy:<SOLVER>`` (CVXPY built from the same data, same solver settings),
    ``cvxpy-default:<SOLVER>`` (the same at CVXPY's and the solver's defaults), ``cvxpy-native:<SOLVER>``
    (the problem written from scratch in CVXPY, as a researcher writes it) and, for BPMS,
    ``cvxpy-native-vec:<SOLVER>`` (the same with the FIM vectorised). A ``-full`` suffix on
    ``toolbox``, ``warm`` and ``raw`` (BPMS) builds the program without the toolbox's range reduction,
    the 16 x 16 covariance CVXPY is given.
    """
    from benchmarks.canonical import TOOLBOX_SETTINGS, cvxpy_seconds, raw_clarabel_seconds, raw_cvxopt_seconds
    from isactoolbox.core.backend import get_backend
    from isactoolbox.core.scenario import load_scenario

    kind, _, name = route.partition(":")
    build = BUILDERS[builder]
    if kind == "toolbox-compile":
        TEMPLATE_CACHES[builder]()
        kind = "toolbox"
    if kind.endswith("-full"):
        build, kind = FULL_BUILDERS[builder], kind[: -len("-full")]

    def fresh_scenario() -> Any:  # a new object each run: no FIM is cached from an earlier one
        return load_scenario(SCENARIOS / CASE_SCENARIOS[builder])

    # The toolbox backends get the settings the raw and CVXPY routes use.
    settings = TOOLBOX_SETTINGS.get(name, {})
    if kind in ("toolbox", "warm"):
        sc = fresh_scenario()
        t0 = time.perf_counter()
        problem = build(sc)
        model_build = time.perf_counter() - t0
        backend = get_backend(name, **settings)
        if kind == "warm":
            backend.solve(problem.compiled)  # compile and translate once, untimed
            for param in problem.compiled.parameters:  # a parameter update (same values): the backend
                param.value = param.value              # updates its handle or re-imports, as in a sweep
            model_build, t0 = 0.0, time.perf_counter()
        sol = backend.solve(problem.compiled)
        total = time.perf_counter() - t0
        # overhead_s: everything but the solver call itself (model build, translation, the backend's
        # wrapper), i.e. what the toolbox adds to the raw route's work.
        return {"model_build_s": model_build, "backend_build_s": sol.build_time, "solver_s": sol.solve_time,
                "overhead_s": total - sol.solve_time, "total_s": total, "status": str(sol.status),
                "objective": float(sol.objective) if sol.objective is not None else float("nan")}
    if kind == "raw":
        seconds, status, obj = (raw_clarabel_seconds if name == "clarabel" else raw_cvxopt_seconds)(
            build(fresh_scenario()).compiled)
        return {"solver_s": seconds, "total_s": seconds, "status": status, "objective": obj}
    if kind in ("cvxpy", "cvxpy-default"):
        sc = fresh_scenario()
        t0 = time.perf_counter()
        compiled = build(sc).compiled
        model_build = time.perf_counter() - t0
        cbuild, solve, status, obj = cvxpy_seconds(compiled, name, same_settings=kind == "cvxpy")
        return {"model_build_s": model_build + cbuild, "solver_s": solve, "total_s": model_build + cbuild + solve,
                "status": status, "objective": obj}
    if kind in ("cvxpy-native", "cvxpy-native-vec"):
        # The same problem written in CVXPY as a researcher would (benchmarks/cvxpy_native.py);
        # "-vec": BPMS's FIM as one product on vec(X), a CVXPY-savvy variant.
        from benchmarks.cvxpy_native import native_seconds

        which = {"network-isac-sdp": "network-isac", "bpms-wcrb-fdb": "bpms-wcrb"}[builder]
        opts = {"fim": "vectorised"} if kind == "cvxpy-native-vec" else {}
        row = native_seconds(which, name, same_settings=True, **opts)
        return {"model_build_s": row["construction_s"], "compile_s": row["compilation_s"],
                "solver_s": row["solve_s"] - row["compilation_s"], "total_s": row["total_s"],
                "status": row["status"], "objective": row["objective"]}
    raise ValueError(f"unknown route {route!r}")


def _group_child(builder: str, routes: list[str], repeats: int, conn: Any) -> None:
    """Routes of one solver, interleaved run by run in one process: their ratios see the same machine state.

    (Separate processes per route differed by up to 30% on the same solve; interleaving removes that.)
    """
    runs: dict[str, list[dict[str, Any]]] = {r: [] for r in routes}
    errors: dict[str, str] = {}
    for _ in range(repeats):
        for route in routes:
            if route in errors:
                continue
            try:
                runs[route].append(route_once(builder, route))
            except Exception as exc:  # reported as the row, the suite goes on
                errors[route] = f"{type(exc).__name__}: {exc}"
    out: dict[str, Any] = {}
    for route in routes:
        if route in errors:
            out[route] = {"error": errors[route]}
        else:
            it = iter(runs[route])
            out[route] = median_of(len(runs[route]), lambda: next(it))
    conn.send(out)


def overhead_case(builder: str, backends: list[str], raw: list[str], repeats: int,
                  timeout: float = 300.0) -> dict[str, Any]:
    """Per backend: toolbox cold and warm; the raw solver and CVXPY with the same solver, on the same data.

    Each solver's routes run interleaved in one child process, killed after ``timeout`` s: a stalled
    solver becomes a "timed out" row instead of hanging the suite.
    """
    groups: dict[str, list[str]] = {}  # solver -> its backends: one child, so their ratios share a state
    for backend in backends:
        groups.setdefault(solver_of(backend), []).append(backend)
    rows: dict[str, Any] = {}
    for solver, members in groups.items():
        group = [f"{kind}:{b}" for b in members for kind in ("toolbox", "warm")]
        if builder in TEMPLATE_CACHES:
            group.insert(1, f"toolbox-compile:{members[0]}")
        if solver in raw:
            group.append(f"raw:{solver}")
        if builder in FULL_BUILDERS and solver in raw:
            group += [f"toolbox-full:{members[0]}", f"warm-full:{members[0]}", f"raw-full:{solver}"]
        if solver in ("clarabel", "cvxopt"):
            S = solver.upper()
            group += [f"cvxpy:{S}", f"cvxpy-default:{S}", f"cvxpy-native:{S}"]
            if builder == "bpms-wcrb-fdb":
                group.append(f"cvxpy-native-vec:{S}")
        got = isolated(_group_child, (builder, group, repeats), timeout)
        rows.update(got if "error" not in got else {route: dict(got) for route in group})
    add_ratios(rows)
    return rows


def solver_of(backend: str) -> str:
    """The solver behind a backend or route name: ``picos:cvxopt`` -> ``cvxopt``."""
    low = backend.lower()
    return "clarabel" if "clarabel" in low else "cvxopt" if "cvxopt" in low else low.rpartition(":")[2]


def add_ratios(rows: dict[str, Any]) -> None:
    """Per timed row: ``x_raw_<solver>`` against the raw solver on the same data (``raw-full`` for the
    ``-full`` routes) and, for toolbox rows, ``speedup_vs_<cvxpy route>`` against every CVXPY route
    of the same solver that ended ``optimal``.

    Toolbox rows also get ``x_raw_<solver>_by_overhead`` = (raw median + toolbox overhead median) / raw
    median. The toolbox's solver call is the raw route's call on the same data, yet one such call
    moves by +-20% from run to run on this VM kind, which medians of a few repeats do not average out;
    adding the measured overhead to the raw median gives the same ratio without that noise.
    """
    for route, row in rows.items():
        if "total_s" not in row:
            continue
        solver = solver_of(route.partition(":")[2])
        solver = solver if solver in ("clarabel", "cvxopt") else None
        if solver is None:
            continue
        kind = route.split(":")[0]
        raw_kind = "raw-full" if kind.endswith("-full") else "raw"  # each against the raw solver on its own data
        ref = rows.get(f"{raw_kind}:{solver}", {}).get("total_s")
        if ref:
            row[f"x_raw_{solver}"] = row["total_s"] / ref
            if "overhead_s" in row:
                row[f"x_raw_{solver}_by_overhead"] = (ref + row["overhead_s"]) / ref
        if kind not in ("toolbox", "toolbox-compile", "warm", "toolbox-full", "warm-full"):
            continue
        for cvxpy_kind in ("cvxpy", "cvxpy-default", "cvxpy-native", "cvxpy-native-vec"):
            ref_row = rows.get(f"{cvxpy_kind}:{solver.upper()}", {})
            # a CVXPY route that failed or stopped inaccurate is no reference for a speed-up
            if ref_row.get("status") == "optimal" and ref_row.get("total_s"):
                row[f"speedup_vs_{cvxpy_kind}"] = ref_row["total_s"] / row["total_s"]


def strategy_once(scenario_file: str, strategy: str, options: dict[str, Any], backend: str) -> dict[str, Any]:
    """One strategy run end to end: wall time, SDPs solved, time inside the solver and model building."""
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.registry import registry

    sc = load_scenario(SCENARIOS / scenario_file)
    t0 = time.perf_counter()
    res = registry.strategy(strategy)(**options).solve(sc, backend=backend)
    return {"total_s": time.perf_counter() - t0, "solver_s": res.timings.solver, "model_build_s": res.timings.build,
            "sdps": res.timings.solves, "status": str(res.status),
            "objective": float(res.objective) if res.objective is not None else float("nan")}


def _strategy_child(args: tuple[Any, ...], repeats: int, conn: Any) -> None:
    try:
        conn.send(median_of(repeats, lambda: strategy_once(*args)))
    except Exception as exc:
        conn.send({"error": f"{type(exc).__name__}: {exc}"})


def isolated(target: Callable[..., None], args: tuple[Any, ...], timeout: float) -> dict[str, Any]:
    """Run ``target(*args, conn)`` in a spawned child; its one message, or an error row after ``timeout`` s."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, child), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(timeout):
            return parent.recv()
        return {"error": f"timed out after {timeout:.0f} s"}
    except EOFError:
        return {"error": f"the child process died (exit code {proc.exitcode})"}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()


def isal_case(repeats: int, timeout: float = 600.0) -> dict[str, Any]:
    """ISAL (paper 001) single-slot asynchronous network: integrated SDP vs the step-by-step traversal, per backend."""
    rows: dict[str, Any] = {}
    for strategy in ("integrated", "step-by-step"):
        for backend in ("cvxopt", "clarabel", "pyomo:ipopt"):
            args = ("isal_single_abundant_a_async.json", strategy, {}, backend)
            rows[f"{strategy} / {backend}"] = isolated(_strategy_child, (args, repeats), timeout)
    return rows


def ao_full(repeats: int) -> dict[str, Any]:
    """The whole AO-penalty run on Table II (S=4, K=5, N=8; every receiver), default chain: minutes."""
    args = ("network_isac_table2.json", "ao-penalty", {}, None)
    return {"ao-penalty / default chain": isolated(_strategy_child, (args, repeats), 3600.0)}


def reuse_case(repeats: int) -> dict[str, Any]:
    """Re-solving one structure for new data: parameter update in the compiled model vs a rebuild each time."""
    from isactoolbox.core.backend import get_backend

    rhos = np.linspace(0.0, 1.0, 5)
    out: dict[str, Any] = {}

    def wcrb_reuse() -> dict[str, float]:
        be = get_backend("cvxopt")
        t0 = time.perf_counter()
        p = bpms_wcrb()
        for rho in rhos:
            p.solve(be, float(rho))
        return {"total_s": time.perf_counter() - t0}

    def wcrb_rebuild() -> dict[str, float]:
        be = get_backend("cvxopt")
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
    """BPMS FIM coefficient precomputation, M = 1024 subcarriers, K = 3 (BP and MS), on a fresh scenario each run.

    ``bp_s`` / ``ms_s``: the FIMs as the programs use them (thin factors, session 14);
    ``coefficients_s``: the full (n, n, n_tx, n_tx) coefficient arrays of both formed from them;
    ``total_s`` all of it.
    """
    from isactoolbox.bpms.fim import bp_fim, ms_fim
    from isactoolbox.core.scenario import load_scenario

    def once() -> dict[str, float]:
        sc = load_scenario(SCENARIOS / "bpms_k3.json")  # a new object: the per-scenario cache is empty
        t0 = time.perf_counter()
        bp = bp_fim(sc)
        t1 = time.perf_counter()
        ms = ms_fim(sc)
        t2 = time.perf_counter()
        bp.coefficients, ms.coefficients  # noqa: B018 (formed on first use)
        t3 = time.perf_counter()
        return {"bp_s": t1 - t0, "ms_s": t2 - t1, "coefficients_s": t3 - t2, "total_s": t3 - t0,
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

    from isactoolbox.network_isac.strategies.base import default_chain

    first, precondition = default_chain()[0]  # the route the AO strategy tries first
    route = (first.name, {k: v for k, v in first.params.items() if v is not None})

    def reuse() -> dict[str, float]:
        be = get_backend(route[0], **route[1])
        t0 = time.perf_counter()
        model = AOModel(sc, 0, precondition=precondition)
        for c in slopes:
            model.set_penalty(c)
            statuses.append(str(model.solve(be)[0].status))
        return {"per_iteration_s": (time.perf_counter() - t0) / len(slopes), "statuses": ",".join(statuses[-3:])}

    def rebuild() -> dict[str, float]:
        be = get_backend(route[0], **route[1])
        t0 = time.perf_counter()
        for c in slopes:
            model = AOModel(sc, 0, precondition=precondition)
            model.set_penalty(c)
            statuses.append(str(model.solve(be)[0].status))
        return {"per_iteration_s": (time.perf_counter() - t0) / len(slopes), "statuses": ",".join(statuses[-3:])}

    statuses: list[str] = []
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
        if name == "exhaustive":
            # Choices no backend decided (neither optimal nor infeasible) keep the optimum uncertified;
            # their best approximate power says how far they are from mattering.
            rows = res.extra["choices"]
            undecided = [c for c in rows if c["status"] not in ("optimal", "infeasible")]
            out[name].update(choices=len(rows), infeasible=sum(c["status"] == "infeasible" for c in rows),
                             undecided=len(undecided),
                             undecided_min_power_W=min((c["power"] for c in undecided if c["power"] is not None),
                                                       default=None),
                             accepted_from={b: sum(c["backend"] == b for c in rows) for b in {c["backend"] for c in rows}})
    out["sdp_ratio"] = out["bigm-misdp"]["sdps"] / max(out["exhaustive"]["sdps"], 1)
    return out


CASES: dict[str, Callable[[int], dict[str, Any]]] = {
    "network-isac-sdp": lambda n: overhead_case("network-isac-sdp",
                                                ["clarabel", "cvxopt", "picos:cvxopt", "pyomo:ipopt"],
                                                ["clarabel", "cvxopt"], n),
    # Ipopt on the WCRB factorization ran past 120 s (and once past 25 min): it gets a time limit.
    "bpms-wcrb-fdb": lambda n: overhead_case("bpms-wcrb-fdb", ["cvxopt", "picos:cvxopt", "clarabel", "pyomo:ipopt"],
                                             ["cvxopt", "clarabel"], n, timeout=120.0),
    "compiled-reuse": reuse_case,
    "bpms-fim": bpms_fim,
    "ao-iteration": ao_iteration,
    "bnb-vs-exhaustive": bnb_vs_exhaustive,
    "isal": isal_case,
    "ao-full": ao_full,
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
