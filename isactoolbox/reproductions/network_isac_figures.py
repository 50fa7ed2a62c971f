"""Paper 000 (network ISAC) Sec. IV: Table II, Fig. 3 (average total power vs Gamma), Fig. 4 (infeasibility rate).

- :func:`table2`: receiving BS and total transmit power of the proposed scheme (``bigm-misdp``,
  branch-and-bound: the certified optimum of the SDR problem) and of scheme 1 (``closest-bs``) on the
  shipped Table II geometry (``isactoolbox/data/scenarios/network_isac_table2.json``).
- :func:`fig3`: average total transmit power (dBm) vs the minimum SINR Gamma (dB), per scheme.
- :func:`fig4`: infeasibility rate vs Gamma, per scheme.

Schemes (registry names): ``bigm-misdp`` (proposed, exact), ``closest-bs`` (scheme 1), ``random``
(scheme 2, its ``seed`` = the drop's seed), ``bistatic`` (scheme 3) and ``ao-penalty`` (Algorithm 1)
when that strategy loads.

Drops: drop d is ``NetworkISAC.random(seed + d, n_bs=S, n_users=K, sinr_min=Gamma)``; every Gamma of a
drop uses the same geometry and channels (only ``sinr_min`` changes), so per drop the proposed
optimum is non-decreasing in Gamma. Figs. 3 and 4 share one per-drop table
(``network_isac_drops.csv``, one row per drop x Gamma x scheme); it is cached in ``out_dir`` as
``network_isac_drops.json`` together with the options that produced it and reused by the other
figure when called with the same options (option ``reuse=False`` recomputes).

Averaging (Fig. 3, option ``averaging``): ``"common"`` (default) averages the total power in W over
the drops where *every* compared scheme returned a solution at that Gamma, then converts the mean to
dBm; ``"own"`` averages each scheme over its own feasible drops (the paper's "averaged over the
feasible solutions"). Both are written to the CSV. A status that is neither a solution nor
INFEASIBLE (solver error, time limit) is counted as "failed": excluded from the averages and from
the infeasibility rate (rate = INFEASIBLE drops / drops), and reported in its own column.

Options (``--set key=value``; unknown names raise :class:`~isactoolbox.errors.OptionError`):
Figs. 3/4 ``drops``, ``gammas`` (list of dB), ``strategies`` (list or comma-separated), ``n_bs``,
``n_users``, ``seed``, ``averaging``, ``reuse``; Table II ``users`` (number of CUs kept, the first ones).
Defaults are quick (S = 3, K = 2, 3 drops, Gamma 0/4/8 dB; Table II with the first 3 CUs);
``full=True`` is the paper's size (S = 4, K = 5, 50 drops, Gamma 0..12 dB step 2; all 5 CUs).
``backend`` goes to every strategy (default: each strategy's own fallback chain).
"""
from __future__ import annotations

import json
import math
import time
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from isactoolbox.core.options import Option, validate_options
from isactoolbox.errors import OptionError
from isactoolbox.reproductions.output import ReproductionReport, new_figure, save_figure, write_rows

PROPOSED = "bigm-misdp"
SCHEME1 = "closest-bs"
BASELINES = ("closest-bs", "random", "bistatic")
AO = "ao-penalty"
LABELS = {
    "bigm-misdp": "Proposed (B&B optimum)",
    "exhaustive": "Proposed (exhaustive)",
    "ao-penalty": "Proposed, Algorithm 1 (AO-penalty)",
    "closest-bs": "Scheme 1 (closest BS receives)",
    "random": "Scheme 2 (random)",
    "bistatic": "Scheme 3 (bistatic BS1->BS2)",
}
#: relative tolerance of "no baseline below the proposed optimum"
ORDER_RTOL = 1e-6
TABLE2_FILE = "network_isac_table2.json"
DROPS_CSV = "network_isac_drops.csv"
DROPS_CACHE = "network_isac_drops.json"
DROP_COLUMNS = ("drop", "seed", "gamma_db", "strategy", "status", "feasible", "power_W", "power_dBm",
                "receiver", "association", "verified", "sdps", "seconds", "message")


def watt_to_dbm(p: float) -> float:
    return 10.0 * math.log10(p) + 30.0 if p and p > 0 and math.isfinite(p) else math.nan


def ao_available() -> bool:
    """True when the ``ao-penalty`` strategy (Algorithm 1) loads from the registry."""
    from isactoolbox.registry import registry

    try:
        registry.strategy(AO)
    except Exception:  # noqa: BLE001 - any import/plugin failure means "not available"
        return False
    return True


def default_strategies() -> list[str]:
    return [PROPOSED, *BASELINES] + ([AO] if ao_available() else [])


# -- options ------------------------------------------------------------------------------------
def _int_at_least(n: int):
    return lambda x: None if x >= n else f"must be >= {n}"


def _gamma_list(x: Any) -> str | None:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return "must be a list of numbers (dB)"
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)):
        return "must be a non-empty list of finite numbers (dB)"
    return None


def _names_check(x: Any) -> str | None:
    items = x.split(",") if isinstance(x, str) else x
    if not items or not all(isinstance(i, str) and i.strip() for i in items):
        return "must be a non-empty list of strategy names (or a comma-separated string)"
    return None


def _parse(owner: str, specs: Mapping[str, Option], options: Mapping[str, Any],
           full_overrides: Mapping[str, Any], full: bool) -> dict[str, Any]:
    opts = {k: spec.default for k, spec in specs.items()}
    if full:
        opts.update(full_overrides)
    opts.update(validate_options(specs, options, owner))
    return opts


def _sweep_specs() -> dict[str, Option]:
    return {
        "drops": Option(3, int, "random drops (CUs and target uniform in the 150 m disc)", check=_int_at_least(1)),
        "gammas": Option([0.0, 4.0, 8.0], (list, tuple), "minimum SINR grid Gamma, dB", check=_gamma_list),
        "strategies": Option(None, (list, tuple, str), "schemes to compare (registry names; default proposed, "
                             "schemes 1-3 and ao-penalty when it loads)", allow_none=True, check=_names_check),
        "n_bs": Option(3, int, "S, number of BSs", check=_int_at_least(2)),
        "n_users": Option(2, int, "K, number of CUs", check=_int_at_least(1)),
        "seed": Option(0, int, "seed of drop 0 (drop d uses seed + d)"),
        "crlb_max": Option(1.0, float, "eps, CRLB bound, m^2", check=lambda x: None if x > 0 else "must be > 0"),
        "averaging": Option("common", str, "'common' (drops feasible for every scheme) or 'own' (each scheme's "
                            "feasible drops)", choices=("common", "own")),
        "reuse": Option(True, bool, "reuse the cached per-drop table in out_dir when its options match"),
    }


SWEEP_FULL = {"drops": 50, "gammas": [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0], "n_bs": 4, "n_users": 5}


def _strategy_names(owner: str, value: Any) -> list[str]:
    from isactoolbox.registry import registry

    if value is None:
        return default_strategies()
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [str(n).strip() for n in value]
    names = list(dict.fromkeys(names))
    known = registry.names("strategy")
    for n in names:
        if n not in known:
            raise OptionError("strategies", f"unknown strategy {n!r}; known: {', '.join(sorted(known))}", owner=owner)
    if PROPOSED not in names and "exhaustive" not in names:
        raise OptionError("strategies", f"must include the proposed scheme {PROPOSED!r} (or 'exhaustive')",
                          owner=owner)
    return names


def _reference(names: Sequence[str]) -> str:
    return PROPOSED if PROPOSED in names else "exhaustive"


# -- solving ------------------------------------------------------------------------------------
def _solve(name: str, scenario: Any, backend: str | None, seed: int) -> dict[str, Any]:
    """One strategy on one scenario: status, power (W), receiver, association, verification, cost."""
    from isactoolbox.registry import registry

    cls = registry.strategy(name)
    kwargs = {"seed": seed} if name == "random" else {}
    t0 = time.perf_counter()
    res = cls(**kwargs).solve(scenario, backend=backend)
    dt = time.perf_counter() - t0
    status = res.status
    ok = bool(status.is_success and res.objective is not None)
    vals = res.values or {}
    assoc = vals.get("association", res.extra.get("association"))
    sdps = res.extra.get("sdps")
    if sdps is None and getattr(res, "timings", None) is not None:
        sdps = getattr(res.timings, "solves", None)
    return {"status": status.value, "feasible": ok,
            "power_W": float(res.objective) if ok else math.nan,
            "power_dBm": watt_to_dbm(float(res.objective)) if ok else math.nan,
            "receiver": int(vals["receiver"]) if ok and "receiver" in vals else "",
            "association": " ".join(str(int(a)) for a in assoc) if ok and assoc is not None else "",
            "verified": bool(res.verification.passed) if res.verification is not None else "",
            "sdps": sdps if sdps is not None else "", "seconds": round(dt, 3),
            "message": (res.message or "")[:200]}


def _failed(status: str) -> bool:
    return status not in ("optimal", "feasible", "local", "infeasible")


def _sweep(owner: str, out_dir: Path, full: bool, backend: str | None, options: Mapping[str, Any]
           ) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """The per-drop table of Figs. 3/4 (computed, or reused from ``out_dir``), the options, and whether reused."""
    from isactoolbox.network_isac.scenario import NetworkISAC
    from isactoolbox.network_isac.units import db_to_linear

    opts = _parse(owner, _sweep_specs(), options, SWEEP_FULL, full)
    opts["gammas"] = [float(g) for g in opts["gammas"]]
    opts["strategies"] = _strategy_names(owner, opts["strategies"])
    key = {k: opts[k] for k in ("drops", "gammas", "strategies", "n_bs", "n_users", "seed", "crlb_max")}
    key["backend"] = backend
    cache = out_dir / DROPS_CACHE
    if opts["reuse"] and cache.exists():
        try:
            data = json.loads(cache.read_text())
        except (OSError, json.JSONDecodeError):
            data = None
        if data and data.get("key") == key:
            return data["rows"], opts, True
    from isactoolbox.experiments.progress import progress_bar

    rows: list[dict[str, Any]] = []
    total = opts["drops"] * len(opts["gammas"]) * len(opts["strategies"])
    with progress_bar(total, label=owner) as bar:  # drawn only on a terminal
        for d in range(opts["drops"]):
            seed = opts["seed"] + d
            for g in opts["gammas"]:
                sc = NetworkISAC.random(seed, n_bs=opts["n_bs"], n_users=opts["n_users"],
                                        sinr_min=float(db_to_linear(g)), crlb_max=opts["crlb_max"])
                for name in opts["strategies"]:
                    rows.append({"drop": d, "seed": seed, "gamma_db": g, "strategy": name,
                                 **_solve(name, sc, backend, seed)})
                    bar.advance(failed=_failed(rows[-1]["status"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_rows(rows, out_dir / DROPS_CSV, DROP_COLUMNS)
    cache.write_text(json.dumps({"key": key, "rows": rows}, default=str))
    return rows, opts, False


def _aggregate(rows: Sequence[Mapping[str, Any]], names: Sequence[str], gammas: Sequence[float]
               ) -> list[dict[str, Any]]:
    """Per (Gamma, scheme): averages (W and dBm, 'common' and 'own'), infeasibility and failure rates."""
    out = []
    for g in gammas:
        at = [r for r in rows if float(r["gamma_db"]) == g]
        drops = sorted({int(r["drop"]) for r in at})
        table = {(int(r["drop"]), r["strategy"]): r for r in at}
        common = [d for d in drops if all(table.get((d, n), {}).get("feasible") for n in names)]
        for n in names:
            mine = [table[(d, n)] for d in drops if (d, n) in table]
            own = [float(r["power_W"]) for r in mine if r["feasible"]]
            com = [float(table[(d, n)]["power_W"]) for d in common]
            n_inf = sum(r["status"] == "infeasible" for r in mine)
            n_fail = sum(_failed(r["status"]) for r in mine)
            out.append({"gamma_db": g, "strategy": n, "label": LABELS.get(n, n), "drops": len(mine),
                        "feasible_drops": len(own), "infeasible_drops": n_inf, "failed_drops": n_fail,
                        "infeasibility_rate": n_inf / len(mine) if mine else math.nan,
                        "failure_rate": n_fail / len(mine) if mine else math.nan,
                        "common_drops": len(common),
                        "avg_power_common_W": float(np.mean(com)) if com else math.nan,
                        "avg_power_common_dBm": watt_to_dbm(float(np.mean(com))) if com else math.nan,
                        "avg_power_own_W": float(np.mean(own)) if own else math.nan,
                        "avg_power_own_dBm": watt_to_dbm(float(np.mean(own))) if own else math.nan})
    return out


def order_violations(rows: Sequence[Mapping[str, Any]], reference: str = PROPOSED,
                     rtol: float = ORDER_RTOL) -> list[str]:
    """Drops where a scheme beats the exact reference (power below it, or feasible where it is infeasible)."""
    table = {(int(r["drop"]), float(r["gamma_db"]), r["strategy"]): r for r in rows}
    bad = []
    for (d, g, n), r in table.items():
        ref = table.get((d, g, reference))
        if n == reference or ref is None or _failed(ref["status"]):
            continue
        if r["feasible"] and not ref["feasible"]:
            bad.append(f"drop {d}, {g:g} dB: {n} feasible, {reference} {ref['status']}")
        elif r["feasible"] and float(r["power_W"]) < float(ref["power_W"]) * (1 - rtol):
            bad.append(f"drop {d}, {g:g} dB: {n} {float(r['power_W']):.6g} W < {reference} {float(ref['power_W']):.6g} W")
    return bad


def _sweep_summary(rows: Sequence[Mapping[str, Any]], agg: Sequence[Mapping[str, Any]], opts: Mapping[str, Any],
                   reused: bool) -> tuple[dict[str, Any], list[str]]:
    names = opts["strategies"]
    ref = _reference(names)
    viol = order_violations(rows, ref)
    lines = [f"S={opts['n_bs']}, K={opts['n_users']}, {opts['drops']} drops (seeds {opts['seed']}.."
             f"{opts['seed'] + opts['drops'] - 1}), Gamma {opts['gammas']} dB, eps {opts['crlb_max']:g} m^2; "
             f"schemes {', '.join(names)}" + (" (per-drop table reused from the cache)" if reused else "")]
    if AO not in names and not ao_available():
        lines.append(f"{AO} (Algorithm 1) not available in the registry: skipped")
    lines.append(f"ordering check ({ref} <= every other scheme per drop, rel tol {ORDER_RTOL:g}): "
                 + ("holds at every drop" if not viol else f"{len(viol)} violations: " + "; ".join(viol[:5])))
    n_fail = sum(_failed(r["status"]) for r in rows)
    if n_fail:
        lines.append(f"{n_fail} solves failed (neither a solution nor infeasible; see the status column)")
    summary: dict[str, Any] = {"options": {k: v for k, v in opts.items()}, "reference": ref,
                               "order_violations": viol, "failed_solves": n_fail, "reused": reused,
                               "seconds_solving": float(sum(float(r["seconds"]) for r in rows)),
                               "per_gamma": list(agg)}
    return summary, lines


# -- Fig. 3 / Fig. 4 ----------------------------------------------------------------------------
FIG3_COLUMNS = ("gamma_db", "strategy", "label", "avg_power_common_dBm", "avg_power_common_W", "common_drops",
                "avg_power_own_dBm", "avg_power_own_W", "feasible_drops", "drops")
FIG4_COLUMNS = ("gamma_db", "strategy", "label", "infeasibility_rate", "infeasible_drops", "failure_rate",
                "failed_drops", "drops")
MARKERS = {"bigm-misdp": "o", "exhaustive": "o", "ao-penalty": "x", "closest-bs": "s", "random": "^",
           "bistatic": "v"}


def fig3(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
         **options: Any) -> ReproductionReport:
    """Fig. 3: average total transmit power (dBm) vs Gamma (dB), per scheme.

    CSV ``network_isac_fig3.csv``: per (Gamma, scheme) the mean power over the common feasible drops
    and over the scheme's own feasible drops (W and dBm; mean taken in W). The per-drop table is
    ``network_isac_drops.csv``.
    """
    owner = "network-isac-fig3"
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    rows, opts, reused = _sweep(owner, out_dir, full, backend, options)
    names, gammas = opts["strategies"], opts["gammas"]
    agg = _aggregate(rows, names, gammas)
    summary, lines = _sweep_summary(rows, agg, opts, reused)
    col = "avg_power_common_dBm" if opts["averaging"] == "common" else "avg_power_own_dBm"
    files = [out_dir / DROPS_CSV, write_rows(agg, out_dir / "network_isac_fig3.csv", FIG3_COLUMNS)]
    fig, ax = new_figure(figsize=(6.0, 4.2))
    for n in names:
        y = np.array([a[col] for a in agg if a["strategy"] == n], float)
        ax.plot(gammas, y, marker=MARKERS.get(n, "."), label=LABELS.get(n, n))
    ax.set_xlabel(r"minimum SINR requirement $\Gamma$ (dB)")
    ax.set_ylabel("average total transmit power (dBm)")
    how = ("drops feasible for all schemes" if opts["averaging"] == "common" else "each scheme's feasible drops")
    ax.set_title(f"Fig. 3: S={opts['n_bs']}, K={opts['n_users']}, {opts['drops']} drops; mean over {how}",
                 fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    files += save_figure(fig, out_dir / "network_isac_fig3", pdf=pdf)
    lines.append(f"averaging: {opts['averaging']} ({how}); mean of W, shown in dBm")
    ref = summary["reference"]
    for g in gammas:
        at = {a["strategy"]: a for a in agg if a["gamma_db"] == g}
        parts = [f"{n} {at[n][col]:.2f}" for n in names]
        gaps = [f"{n} +{at[n][col] - at[ref][col]:.2f} dB" for n in names
                if n != ref and math.isfinite(at[n][col]) and math.isfinite(at[ref][col])]
        lines.append(f"Gamma {g:g} dB ({at[ref]['common_drops']} common drops): average dBm " + ", ".join(parts)
                     + ("; gap to proposed: " + ", ".join(gaps) if gaps else ""))
    yp = np.array([a[col] for a in agg if a["strategy"] == ref], float)
    fin = yp[np.isfinite(yp)]
    summary["proposed_avg_dBm"] = yp.tolist()
    summary["proposed_nondecreasing"] = bool(np.all(np.diff(fin) >= -1e-9)) if fin.size > 1 else True
    lines.append(f"proposed average non-decreasing in Gamma: {summary['proposed_nondecreasing']}")
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)


def fig4(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
         **options: Any) -> ReproductionReport:
    """Fig. 4: infeasibility rate (INFEASIBLE drops / drops) vs Gamma (dB), per scheme.

    CSV ``network_isac_fig4.csv``; failed solves (neither a solution nor INFEASIBLE) are counted in
    ``failure_rate``, not in the infeasibility rate. Shares the per-drop table with :func:`fig3`.
    """
    owner = "network-isac-fig4"
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    rows, opts, reused = _sweep(owner, out_dir, full, backend, options)
    names, gammas = opts["strategies"], opts["gammas"]
    agg = _aggregate(rows, names, gammas)
    summary, lines = _sweep_summary(rows, agg, opts, reused)
    files = [out_dir / DROPS_CSV, write_rows(agg, out_dir / "network_isac_fig4.csv", FIG4_COLUMNS)]
    fig, ax = new_figure(figsize=(6.0, 4.2))
    for n in names:
        y = [a["infeasibility_rate"] for a in agg if a["strategy"] == n]
        ax.plot(gammas, y, marker=MARKERS.get(n, "."), label=LABELS.get(n, n))
    ax.set_xlabel(r"minimum SINR requirement $\Gamma$ (dB)")
    ax.set_ylabel("infeasibility rate (fraction of drops)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Fig. 4: S={opts['n_bs']}, K={opts['n_users']}, {opts['drops']} drops", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    files += save_figure(fig, out_dir / "network_isac_fig4", pdf=pdf)
    ref = summary["reference"]
    ok = True
    for g in gammas:
        at = {a["strategy"]: a for a in agg if a["gamma_db"] == g}
        ok &= all(at[ref]["infeasibility_rate"] <= at[n]["infeasibility_rate"] for n in names)
        lines.append(f"Gamma {g:g} dB: infeasibility rate " + ", ".join(
            f"{n} {at[n]['infeasibility_rate']:.2f}" for n in names))
    summary["proposed_rate_lowest"] = bool(ok)
    lines.append(f"proposed infeasibility rate <= every scheme's at every Gamma: {ok}")
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)


# -- Table II -----------------------------------------------------------------------------------
def table2_scenario(users: int | None = None) -> Any:
    """The shipped Table II scenario, optionally with only its first ``users`` CUs."""
    from isactoolbox.core.scenario import load_scenario

    path = resources.files("isactoolbox") / "data" / "scenarios" / TABLE2_FILE
    with resources.as_file(path) as p:
        sc = load_scenario(p)
    if users is not None and users < sc.n_users:
        sc = sc.replace(cu_positions=np.asarray(sc.cu_positions)[:users],
                        channels=np.asarray(sc.channels)[:, :users])
    return sc


def table2(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
           **options: Any) -> ReproductionReport:
    """Table II: receiving BS and total power of the proposed scheme vs scheme 1 on the Table II geometry.

    CSV ``network_isac_table2.csv`` (one row per scheme; BSs numbered 1..S as in the paper) and a bar
    chart ``network_isac_table2.png``. Default: the first 3 CUs (minutes); ``full=True`` all 5
    (the paper's setup; the branch-and-bound then takes several minutes).
    """
    owner = "network-isac-table2"
    specs = {"users": Option(3, int, "number of CUs kept (the first ones of Table II; 5 = the paper)",
                             check=lambda x: None if 1 <= x <= 5 else "must lie in 1..5"),
             "strategies": Option([PROPOSED, SCHEME1], (list, tuple, str), "schemes (registry names)",
                                  check=_names_check)}
    opts = _parse(owner, specs, options, {"users": 5}, full)
    names = _strategy_names(owner, opts["strategies"])
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    sc = table2_scenario(opts["users"])
    rows = []
    for n in names:
        r = _solve(n, sc, backend, 0)
        rows.append({"strategy": n, "label": LABELS.get(n, n), "users": sc.n_users,
                     "receiving_bs": (int(r["receiver"]) + 1) if r["receiver"] != "" else "",
                     "total_power_dBm": r["power_dBm"], "total_power_W": r["power_W"],
                     "association_bs": " ".join(str(int(a) + 1) for a in r["association"].split())
                     if r["association"] else "",
                     "status": r["status"], "verified": r["verified"], "sdps": r["sdps"], "seconds": r["seconds"]})
    files = [write_rows(rows, out_dir / "network_isac_table2.csv")]
    fig, ax = new_figure(figsize=(5.5, 3.6))
    xs = np.arange(len(rows))
    ys = [r["total_power_dBm"] for r in rows]
    ax.bar(xs, [y if math.isfinite(y) else 0.0 for y in ys], color=[f"C{i}" for i in range(len(rows))])
    ax.set_xticks(xs, [f"{r['label']}\nreceiver BS{r['receiving_bs']}" for r in rows], fontsize=8)
    ax.set_ylabel("total transmit power (dBm)")
    ax.set_title(f"Table II geometry, K = {sc.n_users} CUs, Gamma = {10 * math.log10(sc.sinr_min):.0f} dB",
                 fontsize=9)
    for x, y in zip(xs, ys):
        if math.isfinite(y):
            ax.text(x, y, f"{y:.1f} dBm", ha="center", va="bottom", fontsize=8)
    files += save_figure(fig, out_dir / "network_isac_table2", pdf=pdf)
    lines = [f"Table II geometry with the first {sc.n_users} of 5 CUs (Gamma "
             f"{10 * math.log10(sc.sinr_min):.1f} dB, eps {sc.crlb_max:g} m^2); paper: proposed BS2 29.7 dBm, "
             f"scheme 1 BS1 38.7 dBm (all 5 CUs)"]
    for r in rows:
        lines.append(f"{r['label']}: receiver BS{r['receiving_bs']}, {r['total_power_dBm']:.2f} dBm "
                     f"({r['total_power_W']:.4g} W), association BS {r['association_bs']}, status {r['status']}, "
                     f"{r['seconds']:.0f} s")
    summary: dict[str, Any] = {"users": sc.n_users, "rows": rows}
    by = {r["strategy"]: r for r in rows}
    if PROPOSED in by and SCHEME1 in by:
        gap = by[SCHEME1]["total_power_dBm"] - by[PROPOSED]["total_power_dBm"]
        summary["gap_dB"] = gap
        lines.append(f"scheme 1 - proposed = {gap:.2f} dB (paper: 9.0 dB)")
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)
