"""The benchmark problems written natively in CVXPY, the way a researcher would write them.

:mod:`benchmarks.canonical` hands CVXPY the toolbox's already-canonical, vectorised data: CVXPY's
best case, not what a CVXPY user writes. Here the same optimisation problems are modelled from
scratch with CVXPY atoms (complex Hermitian matrix variables, ``cp.real(cp.trace(H @ W))``,
``cp.bmat`` LMIs, ``>> 0``), with the same mathematical formulation and the same numerical scaling
(power units, congruence preconditioners T, whitened SINR rows divided by Gamma, equilibrated FIMs)
as the toolbox, so the solver sees a problem of the same conditioning and only the modelling layer
differs. Only numpy data are taken from the toolbox (scenario fields, channels, FIM coefficient
helpers, preconditioners, units); no toolbox model object is used.

Not reproduced: the toolbox's internal equilibration of its canonical data (diagonal congruence
``D M D`` of each LMI, row scaling and rounding-residue removal in ``CompiledModel.data``). CVXOPT
through CVXPY solves both problems without them; Clarabel through CVXPY solves BPMS, but on the
network SDP it stops AlmostSolved (``optimal_inaccurate``) 0.55% above the optimum, because the
CRLB LMI ``[[U, I], [I, J]]`` mixes O(1) and O(500) coefficients. ``scale_crlb_lmi=True`` applies
the congruence D M D to that one LMI (a diagnostic): Clarabel then reports optimal within 1e-4.

Run from the repository root::

    python -m benchmarks.cvxpy_native          # both problems, CLARABEL and CVXOPT, median of 3
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmarks.canonical import CLARABEL_SETTINGS, CVXOPT_SETTINGS, TOOLBOX_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "isactoolbox" / "data" / "scenarios"
#: The scenario file of each case.
SCENARIO_FILES = {"network-isac": "network_isac_table2.json", "bpms-wcrb": "bpms_k3.json"}
RECEIVER = 0
RHO = 0.5  # WCRBProblem's default weight

def solver_settings(solver: str, same_settings: bool = True) -> dict[str, Any]:
    if not same_settings:
        return {}
    if solver == "CLARABEL":
        return dict(CLARABEL_SETTINGS)
    if solver == "CVXOPT":
        return {"kktsolver": "chol", **CVXOPT_SETTINGS}
    return {}


# -- numeric data (numpy only), as the toolbox computes it -------------------------------------------
def network_isac_data(scenario: Any = None) -> dict[str, Any]:
    """Table II, receiver 0, every CU to its closest transmitter: the numbers ChoiceSDP uses."""
    from isactoolbox.core.scenario import load_scenario
    from isactoolbox.network_isac.fim import transmitter_information
    from isactoolbox.network_isac.strategies.choice_sdp import interference_preconditioner

    sc = scenario if scenario is not None else load_scenario(SCENARIOS / SCENARIO_FILES["network-isac"])
    S, K = sc.n_bs, sc.n_users
    r = RECEIVER
    d = sc.distances_to_users()
    assoc = [min((s for s in range(S) if s != r), key=lambda s: d[s, k]) for k in range(K)]
    tx = [s for s in range(S) if s != r]
    unit = float(sc.max_power)  # P: power rows and the objective are in units of P
    sensing_unit = unit
    gamma = float(sc.sinr_min)
    eps = float(sc.crlb_max)
    h = sc.channels  # (S, K, N)
    gain = np.sum(np.abs(h) ** 2, axis=2)
    # beam (s, k) in units of the interference-free power giving CU k the SINR Gamma from BS s
    beam_unit = {(s, k): min(gamma * sc.noise_power_cu / gain[s, k], unit) for k, s in enumerate(assoc)}
    T = {key: interference_preconditioner(sc, key[0], u, key[1]) for key, u in beam_unit.items()}
    T.update({("R", s): interference_preconditioner(sc, s, sensing_unit, None) for s in tx})
    return {"scenario": sc, "assoc": assoc, "tx": tx, "unit": unit, "sensing_unit": sensing_unit,
            "gamma": gamma, "eps": eps, "beam_unit": beam_unit, "T": T,
            "Hn": np.einsum("ska,skb->skab", h, h.conj()) / sc.noise_power_cu,
            "info": transmitter_information(sc, r)}


def bpms_data(scenario: Any = None) -> dict[str, Any]:
    """bpms_k3 (fresh scenario: the FIM coefficients are computed, as in the toolbox route)."""
    from isactoolbox.bpms.fim import bp_fim, ms_fim
    from isactoolbox.bpms.formulation import crb_unit
    from isactoolbox.core.scenario import load_scenario

    sc = scenario if scenario is not None else load_scenario(SCENARIOS / SCENARIO_FILES["bpms-wcrb"])
    bp, ms = bp_fim(sc), ms_fim(sc)
    return {"scenario": sc, "bp": bp, "ms": ms, "unit": crb_unit(sc, bp, ms)}


# -- the CVXPY models ------------------------------------------------------------------------------
def network_isac_problem(data: dict[str, Any] | None = None,
                         scale_crlb_lmi: bool = False) -> tuple[Any, Callable[[Any], float]]:
    """ChoiceSDP (fixed choice, structured CRLB, preconditioned) in CVXPY; objective map to W.

    Variables: Hermitian PSD W[s,k] (one per CU, at its serving BS) and R[s] (every transmitter),
    symmetric U (2 x 2), real t[s]. Physical blocks are T W T^H (times their power unit).
    """
    import cvxpy as cp

    d = network_isac_data() if data is None else data
    sc, assoc, tx = d["scenario"], d["assoc"], d["tx"]
    N = sc.n_antennas
    unit, su, bu, T, Hn = d["unit"], d["sensing_unit"], d["beam_unit"], d["T"], d["Hn"]

    W = {(s, k): cp.Variable((N, N), hermitian=True, name=f"W[{s},{k}]") for k, s in enumerate(assoc)}
    R = {s: cp.Variable((N, N), hermitian=True, name=f"R[{s}]") for s in tx}
    U = cp.Variable((2, 2), symmetric=True, name="U")
    cons = [X >> 0 for X in W.values()] + [X >> 0 for X in R.values()]
    # physical (preconditioned) blocks, each in its own power unit
    Wp = {key: T[key] @ X @ T[key].conj().T for key, X in W.items()}
    Rp = {s: T[("R", s)] @ R[s] @ T[("R", s)].conj().T for s in tx}

    def received(H: np.ndarray, X: Any) -> Any:  # Re tr(H X), H Hermitian
        return cp.real(cp.trace(H @ X))

    # SINR_k >= Gamma, whitened by the CU noise and divided by Gamma
    for k, sk in enumerate(assoc):
        signal = bu[(sk, k)] * received(Hn[sk, k], Wp[(sk, k)])
        interference = sum(bu[(sj, j)] * received(Hn[sj, k], Wp[(sj, j)]) for j, sj in enumerate(assoc) if j != k)
        interference = interference + sum(su * received(Hn[s, k], Rp[s]) for s in tx)
        cons.append(signal / d["gamma"] - interference >= 1.0)
    # transmit covariance of every BS, units of P, and its power budget
    C = {}
    for s in tx:
        C[s] = (su / unit) * Rp[s] + sum((bu[(s2, k)] / unit) * Wp[(s2, k)] for k, s2 in enumerate(assoc) if s2 == s)
        cons.append(cp.real(cp.trace(C[s])) <= 1.0)
    # CRLB <= eps: J = sum_s [scale illum_s Re Q11_s + scale deriv_s t_s], t_s <= Schur(Q_s),
    # [[U, I], [I, J]] >> 0, tr U <= 1 (positions scaled by sqrt(eps): the bound is 1)
    scale = unit * d["eps"]
    J = 0
    t = {}
    for info in d["info"]:
        s = info.transmitter
        B = np.column_stack([info.steering, info.derivative_direction])
        Q = B.conj().T @ C[s] @ B
        J = J + (scale * info.illumination) * cp.real(Q[0, 0])
        if np.any(info.derivative):
            t[s] = cp.Variable(name=f"t[{s}]")
            cons.append(Q - t[s] * np.array([[0.0, 0.0], [0.0, 1.0]]) >> 0)
            J = J + (scale * info.derivative) * t[s]
    I2 = np.eye(2)
    M = cp.bmat([[U, I2], [I2, J]])
    if scale_crlb_lmi:
        # Diagnostic, not a researcher's default: the congruence D M D (same PSD set) with D
        # bringing J's largest diagonal coefficients to 1, as the toolbox's LMI equilibration does.
        big = np.max([np.maximum(np.diag(scale * i.illumination), np.diag(scale * i.derivative))
                      for i in d["info"]], axis=0)
        D = np.diag(np.concatenate([np.ones(2), 1.0 / np.sqrt(big)]))
        M = D @ M @ D
    cons.append(M >> 0)
    cons.append(cp.trace(U) <= 1.0)
    power = sum(cp.real(cp.trace(C[s])) for s in tx)  # every block sits at a transmitter
    prob = cp.Problem(cp.Minimize(power), cons)
    return prob, lambda p: unit * float(p.value)


def bpms_wcrb_problem(data: dict[str, Any] | None = None, rho: float = RHO,
                      fim: str = "entrywise") -> tuple[Any, Callable[[Any], float]]:
    """WCRBProblem (full-digital, use_codebook=False) in CVXPY; objective map to m^2.

    min rho tr Tb + (1 - rho) tr Tm  s.t.  [[Ft(X), E S], [S E^T, T]] >> 0 (BP and MS), tr X <= 1,
    X >> 0, with Ft_ab(X) = Re tr(C_ab X) the equilibrated FIMs and X = V / v0. ``fim="entrywise"``
    writes Ft entry by entry (a researcher's loop; C_ab = C_ba, so each pair is built once);
    ``"vectorised"`` as one matrix product on vec(X) (a CVXPY-savvy user's variant).
    """
    import cvxpy as cp

    d = bpms_data() if data is None else data
    bp, ms, unit = d["bp"], d["ms"], d["unit"]
    nt = bp.n_tx
    X = cp.Variable((nt, nt), hermitian=True, name="X")
    cons = [X >> 0, cp.real(cp.trace(X)) <= 1.0]

    def fim_matrix(lin: Any) -> Any:
        n, Cc = lin.size, lin.coefficients
        if fim == "vectorised":
            # Ft = Re reshape(M vec(X)), M[(a,b), :] = vec(C_ab^T) (column-major vec of X)
            M = np.stack([Cc[a, b].T.reshape(-1, order="F") for a in range(n) for b in range(n)])
            return cp.reshape(cp.real(M @ cp.vec(X, order="F")), (n, n), order="C")
        F = [[None] * n for _ in range(n)]
        for a in range(n):
            for b in range(a, n):
                F[a][b] = F[b][a] = cp.real(cp.trace(Cc[a, b] @ X))
        return cp.bmat(F)

    def crb_epigraph(lin: Any, name: str) -> Any:
        n, tg = lin.size, len(lin.target)
        ES = np.zeros((n, tg))
        ES[np.asarray(lin.target), np.arange(tg)] = np.sqrt(lin.crb_weights / unit)
        Tv = cp.Variable((tg, tg), symmetric=True, name=f"{name}_T")
        cons.append(cp.bmat([[fim_matrix(lin), ES], [ES.T, Tv]]) >> 0)
        return cp.trace(Tv)

    objective = rho * crb_epigraph(bp, "bp") + (1 - rho) * crb_epigraph(ms, "ms")
    prob = cp.Problem(cp.Minimize(objective), cons)
    return prob, lambda p: unit * float(p.value)


PROBLEMS = {"network-isac": (network_isac_data, network_isac_problem),
            "bpms-wcrb": (bpms_data, bpms_wcrb_problem)}


def native_seconds(which: str, solver: str = "CLARABEL", same_settings: bool = True,
                   **options: Any) -> dict[str, Any]:
    """One cold run: numpy data, CVXPY construction, solve() (canonicalisation + solver), objective.

    ``data_s`` is the numpy data the toolbox model build computes as well (preconditioners, FIM
    coefficients); ``construction_s`` = data + CVXPY expressions; ``solve_s`` = wall time of
    ``problem.solve`` (``compilation_s`` of it is CVXPY's canonicalisation, ``solver_s`` the
    solver's own time as CVXPY reports it). Objective in toolbox units (W, or m^2 for BPMS).
    """
    import cvxpy as cp

    from isactoolbox.core.scenario import load_scenario

    make_data, make_problem = PROBLEMS[which]
    # The scenario object is the user's input, loaded untimed as on the toolbox routes.
    scenario = load_scenario(SCENARIOS / SCENARIO_FILES[which])
    t0 = time.perf_counter()
    data = make_data(scenario)
    t1 = time.perf_counter()
    prob, to_toolbox = make_problem(data, **options)
    t2 = time.perf_counter()
    try:
        prob.solve(solver=solver, **solver_settings(solver, same_settings))
        status = str(prob.status)
    except cp.error.SolverError as exc:  # CVXPY raises when the solver returns no usable point
        status = f"SolverError: {exc}"
    t3 = time.perf_counter()
    stats = prob.solver_stats
    return {"data_s": t1 - t0, "build_s": t2 - t1, "construction_s": t2 - t0, "solve_s": t3 - t2,
            "compilation_s": getattr(prob, "compilation_time", None) or float("nan"),
            "solver_s": (stats.solve_time if stats is not None and stats.solve_time is not None else float("nan")),
            "iterations": (stats.num_iters if stats is not None and stats.num_iters is not None else -1),
            "interface_and_solver_s": t3 - t2 - (getattr(prob, "compilation_time", None) or 0.0),
            "total_s": t3 - t0, "status": status,
            "objective": (to_toolbox(prob) if status.startswith("optimal") and prob.value is not None
                          and np.isfinite(prob.value) else float("nan"))}


def problem_sizes(which: str, solver: str, **options: Any) -> dict[str, Any]:
    """What CVXPY hands the solver: constraint matrix shape, variables, cone dimensions."""
    _, make_problem = PROBLEMS[which]
    prob, _ = make_problem(**options)
    data, _, _ = prob.get_problem_data(solver)
    out = {"A": data["A"].shape if data.get("A") is not None else None, "n": len(data["c"])}
    if data.get("G") is not None:
        out["G"] = data["G"].shape
    dims = data["dims"]
    out["dims"] = {"zero": dims.zero, "nonneg": dims.nonneg, "soc": list(dims.soc), "psd": list(dims.psd)}
    return out


# -- the toolbox on the same case ------------------------------------------------------------------
def toolbox_seconds(which: str, backend_name: str) -> dict[str, Any]:
    """Toolbox cold route (model build + backend translation + solve), objective in W / m^2."""
    from benchmarks.run import bpms_wcrb, network_isac_sdp
    from isactoolbox.core.backend import get_backend

    from isactoolbox.core.scenario import load_scenario

    be = get_backend(backend_name, **TOOLBOX_SETTINGS[backend_name])
    sc = load_scenario(SCENARIOS / SCENARIO_FILES[which])
    t0 = time.perf_counter()
    model = network_isac_sdp(sc) if which == "network-isac" else bpms_wcrb(sc=sc)
    build = time.perf_counter() - t0
    out = model.solve(be) if which == "network-isac" else model.solve(be, RHO)
    total = time.perf_counter() - t0
    backend_build = out.timings.build - build if which == "network-isac" else out.timings.build
    return {"model_build_s": build, "backend_build_s": backend_build, "solver_s": out.timings.solver,
            "total_s": total, "status": str(out.status),
            "objective": float(out.objective) if out.objective is not None else float("nan")}


def check_network_data() -> float:
    """Largest relative difference between this file's preconditioners/units and a ChoiceSDP's."""
    from isactoolbox.network_isac.strategies.choice_sdp import ChoiceSDP, ChoiceSpec

    d = network_isac_data()
    ref = ChoiceSDP(d["scenario"], ChoiceSpec.fixed(RECEIVER, d["assoc"]), precondition=True)
    err = max(np.linalg.norm(d["T"][k] - ref.congruence.T[k]) / np.linalg.norm(ref.congruence.T[k]) for k in d["T"])
    err = max(err, max(abs(d["beam_unit"][k] / ref.beam_unit[k] - 1) for k in d["beam_unit"]))
    assert set(d["T"]) == set(ref.congruence.T) and abs(float(ref.crlb_bound.value.ravel()[0]) - 1) < 1e-12
    return float(err)


def _median(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows]
        out[key] = statistics.median(vals) if all(isinstance(v, (int, float)) for v in vals) else vals[-1]
    return out


def main(repeats: int = 3) -> int:
    import warnings

    import cvxpy  # noqa: F401  (imports are not charged to the first timed run)

    warnings.filterwarnings("ignore", message="Solution may be inaccurate")
    for which in PROBLEMS:  # nor are first-call caches of either side
        native_seconds(which, "CLARABEL")
        toolbox_seconds(which, "clarabel")
    print(f"network data vs ChoiceSDP: max rel. difference {check_network_data():.1e}")
    variants = [("network-isac", {}), ("network-isac", {"scale_crlb_lmi": True}),
                ("bpms-wcrb", {}), ("bpms-wcrb", {"fim": "vectorised"})]
    for which, opts in variants:
        label = which + "".join(f" {k}={v}" for k, v in opts.items())
        for solver, backend in (("CLARABEL", "clarabel"), ("CVXOPT", "cvxopt")):
            sizes = problem_sizes(which, solver, **opts)
            native, tool = [], []
            for _ in range(repeats):  # interleaved: both routes see the same machine state
                native.append(native_seconds(which, solver, **opts))
                tool.append(toolbox_seconds(which, backend))
            n, tb = _median(native), _median(tool)
            rel = abs(n["objective"] - tb["objective"]) / abs(tb["objective"])
            print(f"== {label} / {solver}  (CVXPY -> solver: {sizes})")
            print(f"  cvxpy   data {n['data_s']:.4f}s  expressions {n['build_s']:.4f}s  solve() {n['solve_s']:.4f}s"
                  f" (compilation {n['compilation_s']:.4f}s, solver {n['solver_s']:.4f}s,"
                  f" solver+interface {n['interface_and_solver_s']:.4f}s, {n['iterations']} it)"
                  f"  total {n['total_s']:.4f}s  {n['status']}  obj {n['objective']:.10g}")
            print(f"  toolbox build {tb['model_build_s']:.4f}s  backend {tb['backend_build_s']:.4f}s"
                  f"  solver {tb['solver_s']:.4f}s  total {tb['total_s']:.4f}s  {tb['status']}"
                  f"  obj {tb['objective']:.10g}")
            print(f"  rel. objective difference {rel:.2e};  cvxpy total / toolbox total = "
                  f"{n['total_s'] / tb['total_s']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
