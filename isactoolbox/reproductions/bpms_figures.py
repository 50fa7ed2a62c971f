"""Paper 004 (joint bistatic positioning and monostatic sensing), Figs. 2 and 3.

``isactoolbox reproduce bpms-fig2 --out DIR``: transmit beampatterns of FDB / CPA / APA (WCRB at
rho = 1, BP only, and rho = 0, MS only) with the UE and target directions marked.
``isactoolbox reproduce bpms-fig3 --out DIR``: sqrt BP CRB vs sqrt MS CRB of all seven schemes for
K = 2 and K = 3, with each mismatch point's distance from the exact tradeoff boundary.

Both read the shipped scenarios ``bpms_k2.json`` / ``bpms_k3.json`` (Sec. IV-A, gain phases drawn
once from seed 2025 and stored). Every PNG has a CSV of the plotted numbers beside it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from isactoolbox.errors import OptionError
from isactoolbox.reproductions.output import ReproductionReport, new_figure, save_figure, write_rows

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "data" / "scenarios"
#: The schemes whose points are judged against the exact boundary (WCRB lies on it by construction).
MISMATCH_SCHEMES = ("wvm-fdb", "wbf-fdb", "wvm-cpa", "wbf-cpa")
#: Fig. 2 panels, in the paper's order within a row.
PATTERN_SCHEMES = (("fdb", "wcrb-fdb"), ("cpa", "wcrb-cpa"), ("apa", "apa"))
DEFAULT_BACKEND = "cvxopt"  # what every 004 strategy uses when given none

# Matplotlib style per scheme: colour by criterion, line by variant (FDB solid, CPA dashed).
_STYLE = {"wcrb": ("C0", "o"), "wvm": ("C2", "s"), "wbf": ("C3", "^")}


# ---------------------------------------------------------------------------------------------
# options
# ---------------------------------------------------------------------------------------------
def _int_at_least(low: int) -> Callable[[Any], str | None]:
    def check(x: Any) -> str | None:
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
            return f"must be an integer, got {x!r}"
        return None if x >= low else f"must be >= {low}, got {x}"
    return check


def _one_of(*choices: Any) -> Callable[[Any], str | None]:
    def check(x: Any) -> str | None:
        return None if x in choices and not isinstance(x, bool) else f"must be one of {list(choices)}, got {x!r}"
    return check


def _boolean(x: Any) -> str | None:
    return None if isinstance(x, bool) else f"must be true or false, got {x!r}"


def _take_options(name: str, options: Mapping[str, Any],
                  spec: Mapping[str, tuple[Any, Callable[[Any], str | None]]]) -> dict[str, Any]:
    """``spec``: option -> (default, check); unknown or ill-typed options raise OptionError."""
    unknown = sorted(set(options) - set(spec))
    if unknown:
        raise OptionError(unknown[0], f"unknown option; {name} accepts {', '.join(sorted(spec))}", owner=name)
    out = {}
    for key, (default, check) in spec.items():
        value = options.get(key, default)
        problem = check(value)
        if problem:
            raise OptionError(key, problem, owner=name)
        out[key] = value
    return out


def load_paper_scenario(n_targets: int) -> Any:
    """The shipped Sec. IV-A scenario with K = ``n_targets`` (2 or 3) targets."""
    from isactoolbox.core.scenario import load_scenario

    return load_scenario(SCENARIO_DIR / f"bpms_k{n_targets}.json")


# ---------------------------------------------------------------------------------------------
# Fig. 2: beampatterns
# ---------------------------------------------------------------------------------------------
def beampattern(scenario: Any, W: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Transmit power radiated towards each angle, a_T(theta)^H V a_T(theta) with V = W W^H.

    ``W``: (n_tx, L) beamformers per subcarrier (W); ``angles``: (n,) rad in the BS frame
    (0 = broadside). Returns (n,) in W per subcarrier, array gain included: the isotropic
    covariance V = (P/M) I / n_tx gives P/M at every angle. The channel is H = g a_rx a_tx^H,
    so a path leaving at theta carries a_tx(theta)^H W, whose energy is this quantity.
    """
    from isactoolbox.bpms.arrays import steering

    A = steering(np.asarray(angles, dtype=float), scenario.n_tx, scenario.array_phase_reference)  # (n, n_tx)
    # ||W^H a||^2 instead of a^H V a: real and >= 0 by construction, no round-off imaginary part
    return np.sum(np.abs(A.conj() @ np.asarray(W, dtype=complex)) ** 2, axis=1)


def node_directions(scenario: Any) -> dict[str, float]:
    """AOD (rad, BS frame) of the UE and of each target: 'UE', 'T1', ..., 'TK'."""
    from isactoolbox.bpms.arrays import angle_seen_from

    th = np.atleast_1d(angle_seen_from(scenario.bs_position, scenario.node_positions(), scenario.bs_orientation))
    return {("UE" if k == 0 else f"T{k}"): float(t) for k, t in enumerate(th)}


def fig2(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
         **options: Any) -> ReproductionReport:
    """Fig. 2: beampatterns of FDB-WCRB, CPA-WCRB and APA at rho = 1 (BP, top) and rho = 0 (MS, bottom).

    Options: ``n_targets`` (2 or 3, default 3 as in the paper's Fig. 2), ``angle_points`` (angles
    in [-90, 90] deg; default 721 quick, 3601 full). The optimisation is the same either way (it
    takes seconds); ``full`` only refines the angle grid. Writes ``bpms_fig2.png`` and
    ``bpms_fig2.csv`` (angle in deg; per panel the pattern in W per subcarrier and in dB over
    the isotropic full-power pattern P/M).
    """
    from isactoolbox.bpms.pareto import pareto_sweep

    name = "bpms-fig2"
    opts = _take_options(name, options, {
        "n_targets": (3, _one_of(2, 3)),
        "angle_points": (3601 if full else 721, _int_at_least(3)),
    })
    out_dir = Path(out_dir)
    sc = load_paper_scenario(opts["n_targets"])
    sweep = pareto_sweep(sc, [s for _, s in PATTERN_SCHEMES], [1.0, 0.0],
                         backend=backend or DEFAULT_BACKEND, keep_results=True)
    angles = np.linspace(-np.pi / 2, np.pi / 2, opts["angle_points"])
    iso = sc.power_per_subcarrier  # the isotropic full-power pattern: the 0 dB reference
    dirs = node_directions(sc)

    rows: list[dict[str, Any]] = [{"angle_deg": float(np.degrees(a))} for a in angles]
    patterns: dict[tuple[str, str], np.ndarray] = {}
    summary: dict[str, Any] = {"n_targets": sc.n_targets, "panels": {},
                               "directions_deg": {k: float(np.degrees(v)) for k, v in dirs.items()}}
    lines = [f"bpms-fig2 (K = {sc.n_targets}): directions seen from the BS "
             + ", ".join(f"{k} {np.degrees(v):+.1f} deg" for k, v in dirs.items())]
    for task, rho in (("bp", 1.0), ("ms", 0.0)):
        for variant, scheme in PATTERN_SCHEMES:
            res = sweep.results[(scheme, rho)]
            if not (res.status.has_solution and res.verification.passed):
                raise RuntimeError(f"{scheme} at rho = {rho} returned {res.status.value}: {res.message}")
            p = beampattern(sc, res.values["W"], angles)
            patterns[(task, variant)] = p
            db = 10 * np.log10(np.maximum(p, 1e-300) / iso)
            for r, pw, d in zip(rows, p, db):
                r[f"{task}_{variant}_W"] = float(pw)
                r[f"{task}_{variant}_dB"] = float(d)
            toward = {k: 10 * np.log10(beampattern(sc, res.values["W"], np.array([v]))[0] / iso)
                      for k, v in dirs.items()}
            panel = f"{task.upper()}-{variant.upper()}"
            summary["panels"][panel] = {
                "rho": rho, "scheme": scheme, "status": res.status.value,
                "gain_toward_dB": toward, "peak_deg": float(np.degrees(angles[np.argmax(p)])),
                "peak_dB": float(db.max()), "strongest_node": max(toward, key=toward.get),
                "sqrt_bp_crb_m": res.metrics["sqrt-bp-crb"], "sqrt_ms_crb_m": res.metrics["sqrt-ms-crb"]}
            lines.append(f"{panel:7s} (rho = {rho:g}, {scheme}): "
                         + ", ".join(f"{k} {v:+.1f} dB" for k, v in toward.items())
                         + f"; peak {db.max():+.1f} dB at {np.degrees(angles[np.argmax(p)]):+.1f} deg")
    # The paper's reading of Fig. 2: APA does not adapt to rho; FDB and CPA do.
    apa_same = bool(np.allclose(patterns[("bp", "apa")], patterns[("ms", "apa")], rtol=1e-12, atol=0))
    summary["apa_identical_for_bp_and_ms"] = apa_same
    lines.append(f"APA pattern identical at rho = 1 and rho = 0: {'yes' if apa_same else 'NO'}")

    fig, axes = new_figure(2, 3, figsize=(13, 6.5), sharex=True, sharey=True)
    deg = np.degrees(angles)
    letters = iter("abcdef")
    for i, (task, rho) in enumerate((("bp", 1.0), ("ms", 0.0))):
        for j, (variant, _) in enumerate(PATTERN_SCHEMES):
            ax = axes[i, j]
            db = 10 * np.log10(np.maximum(patterns[(task, variant)], 1e-300) / iso)
            ax.plot(deg, db, color="k", lw=1.2)
            for k, (node, th) in enumerate(dirs.items()):
                ax.axvline(np.degrees(th), color="C3" if node == "UE" else "C0", ls="--" if node == "UE" else ":",
                           lw=1.1, label=node if node == "UE" else ("target" if k == 1 else None))
                ax.annotate(node, (np.degrees(th), 1.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -12), textcoords="offset points", fontsize=8)
            ax.set_title(f"({next(letters)}) {task.upper()}-{variant.upper()} (rho = {rho:g})", fontsize=10)
            ax.set_ylim(-30, 15)
            ax.grid(alpha=0.3)
            if i == 1:
                ax.set_xlabel("angle from BS broadside [deg]")
            if j == 0:
                ax.set_ylabel("a$^H$(θ) V a(θ) / (P/M) [dB]")
    axes[0, 0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"Transmit beampatterns, K = {sc.n_targets} (0 dB: isotropic at full power P/M)", fontsize=11)
    files = save_figure(fig, out_dir / "bpms_fig2.png", pdf=pdf)
    files.append(write_rows(rows, out_dir / "bpms_fig2.csv"))
    return ReproductionReport(name, files, summary, lines)


# ---------------------------------------------------------------------------------------------
# Fig. 3: tradeoff curves
# ---------------------------------------------------------------------------------------------
def fig3(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
         **options: Any) -> ReproductionReport:
    """Fig. 3: sqrt BP CRB vs sqrt MS CRB (m) of the seven schemes, (a) K = 2 and (b) K = 3.

    Options: ``points`` (rho values evenly in [0, 1]; default 5 quick, 21 full: the paper does not
    state its rho grid, 21 resolves the curves' bends near rho = 0 and 1), ``mismatch_method``
    for WBF / WVM (``"closed-form"`` quick: the exact solutions of (18) / (19), equal to the SDPs
    to solver accuracy, see tests/test_bpms_strategies.py; ``"sdp"`` full: the paper's SDPs; the
    CPA-WBF SDP takes ~15-35 s per point, so ``full`` runs ~22 min on two cores, ~4 min with
    ``mismatch_method="closed-form"``), ``boundary`` (default true: also solve the
    epsilon-constraint SDP under every mismatch point to measure its distance from the exact
    boundary). Writes ``bpms_fig3.png`` and ``bpms_fig3.csv`` (one row per K, scheme and rho;
    ``boundary_excess`` = sqrt MS CRB / least sqrt MS CRB at no worse BP CRB - 1, empty where it
    is not measured).
    """
    from isactoolbox.bpms.pareto import ALL_SCHEMES, boundary_excess, pareto_sweep, sweep_rows
    from isactoolbox.core.backend import get_backend

    name = "bpms-fig3"
    opts = _take_options(name, options, {
        "points": (21 if full else 5, _int_at_least(2)),
        "mismatch_method": ("sdp" if full else "closed-form", _one_of("sdp", "closed-form")),
        "boundary": (True, _boolean),
    })
    out_dir = Path(out_dir)
    be = get_backend(backend or DEFAULT_BACKEND)  # one instance: its compiled models are reused across K and rho
    rhos = np.round(np.linspace(0.0, 1.0, opts["points"]), 12)
    strategy_options = {s: {"method": opts["mismatch_method"]} for s in MISMATCH_SCHEMES}

    rows: list[dict[str, Any]] = []
    sweeps = {}
    summary: dict[str, Any] = {"rhos": rhos, "mismatch_method": opts["mismatch_method"]}
    lines: list[str] = []
    for K in (2, 3):
        sc = load_paper_scenario(K)
        sweep = pareto_sweep(sc, ALL_SCHEMES, rhos, backend=be, options=strategy_options)
        sweeps[K] = sweep
        excess: dict[str, np.ndarray] = {}
        if opts["boundary"]:
            for s in MISMATCH_SCHEMES:
                excess[s] = boundary_excess(sweep, sc, s, codebook=s.endswith("-cpa"), backend=be)
        seen: dict[str, int] = {}  # position of each point within its scheme's curve (excess order)
        for p, row in zip(sweep.points, sweep_rows(sweep)):
            i = seen[p.scheme] = seen.get(p.scheme, -1) + 1
            e = excess[p.scheme][i] if p.scheme in excess else np.nan
            rows.append({"K": K, **row, "boundary_excess": float(e) if np.isfinite(e) else ""})
        summary[f"K{K}"] = _tradeoff_summary(sweep, excess)
        lines.extend(_tradeoff_lines(K, summary[f"K{K}"]))
    if opts["boundary"]:
        # "the gap between WBF and WVM becomes more pronounced with more targets"
        for variant in ("fdb", "cpa"):
            g2, g3 = (summary[f"K{K}"]["wbf_minus_wvm"][variant] for K in (2, 3))
            summary[f"gap_grows_with_K_{variant}"] = bool(g3 > g2)
            lines.append(f"{variant.upper()}: WBF - WVM mean boundary excess K = 2 {100 * g2:.2f} %, "
                         f"K = 3 {100 * g3:.2f} % (grows with K: {'yes' if g3 > g2 else 'NO'})")

    fig, axes = new_figure(1, 2, figsize=(12, 5.2))
    for ax, K, letter in zip(axes, (2, 3), "ab"):
        _plot_tradeoff(ax, sweeps[K])
        ax.set_title(f"({letter}) K = {K} (targets {', '.join(str(k) for k in range(1, K + 1))})", fontsize=10)
    fig.suptitle("Tradeoff between BP and MS (square roots of the CRBs)", fontsize=11)
    files = save_figure(fig, out_dir / "bpms_fig3.png", pdf=pdf)
    files.append(write_rows(rows, out_dir / "bpms_fig3.csv"))
    return ReproductionReport(name, files, summary, lines)


def _tradeoff_summary(sweep: Any, excess: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Endpoints, the done-when relations and the mean boundary excess of one K's sweep."""
    ends = {s: {"rho0": sweep.point(s, 0.0), "rho1": sweep.point(s, 1.0)} for s in sweep.schemes}
    best_bp = min(p.sqrt_bp for p in sweep.points if p.valid)
    best_ms = min(p.sqrt_ms for p in sweep.points if p.valid)
    out: dict[str, Any] = {
        "points": {s: {"rho0": (e["rho0"].sqrt_bp, e["rho0"].sqrt_ms), "rho1": (e["rho1"].sqrt_bp, e["rho1"].sqrt_ms)}
                   for s, e in ends.items()},
        # 1e-5: the interior-point accuracy that passes into the CRBs (see test_bpms_strategies)
        "wcrb_fdb_best_bp_at_rho1": bool(ends["wcrb-fdb"]["rho1"].sqrt_bp <= best_bp * (1 + 1e-5)),
        "wcrb_fdb_best_ms_at_rho0": bool(ends["wcrb-fdb"]["rho0"].sqrt_ms <= best_ms * (1 + 1e-5)),
        "all_verified": all(p.verified for p in sweep.points),
        "front_schemes": sorted({p.scheme for p in sweep.front()}),
    }
    if excess:
        mean = {s: float(np.nanmean(e)) if np.any(np.isfinite(e)) else float("nan") for s, e in excess.items()}
        out["mean_boundary_excess"] = mean
        out["wbf_minus_wvm"] = {v: mean[f"wbf-{v}"] - mean[f"wvm-{v}"] for v in ("fdb", "cpa")}
    return out


def _tradeoff_lines(K: int, s: Mapping[str, Any]) -> list[str]:
    lines = [f"bpms-fig3 K = {K}: sqrt CRBs (BP, MS) in m at rho = 1 / rho = 0"]
    for scheme, e in s["points"].items():
        (b1, m1), (b0, m0) = e["rho1"], e["rho0"]
        lines.append(f"  {scheme:9s} rho=1 ({b1:.4f}, {m1:.4f})  rho=0 ({b0:.4f}, {m0:.4f})")
    lines.append(f"  WCRB-FDB best BP at rho = 1: {'yes' if s['wcrb_fdb_best_bp_at_rho1'] else 'NO'}; "
                 f"best MS at rho = 0: {'yes' if s['wcrb_fdb_best_ms_at_rho0'] else 'NO'}; "
                 f"non-dominated schemes: {', '.join(s['front_schemes'])}")
    if "mean_boundary_excess" in s:
        m = s["mean_boundary_excess"]
        for v in ("fdb", "cpa"):
            lines.append(f"  {v.upper()}: mean sqrt-MS excess over the exact boundary at equal BP: "
                         f"WVM {100 * m[f'wvm-{v}']:.2f} %, WBF {100 * m[f'wbf-{v}']:.2f} % "
                         f"(WVM closer: {'yes' if m[f'wvm-{v}'] < m[f'wbf-{v}'] else 'NO'})")
    return lines


def _plot_tradeoff(ax: Any, sweep: Any) -> None:
    for scheme in sweep.schemes:
        _, bp, ms = sweep.curve(scheme)
        if scheme == "apa":
            # no rho dependence: one point, drawn once
            ax.plot(bp[:1], ms[:1], "k*", ms=12, ls="none", label="APA")
            continue
        crit, variant = scheme.split("-")
        colour, marker = _STYLE[crit]
        ax.plot(bp, ms, color=colour, marker=marker, ms=5, ls="-" if variant == "fdb" else "--",
                mfc=colour if variant == "fdb" else "none", label=f"{variant.upper()}-{crit.upper()}")
    from matplotlib.ticker import FormatStrFormatter

    # log x: the CPA curves reach far right at rho = 0 (their BP is uncontrolled there), which on a
    # linear axis would squeeze every FDB curve into a corner
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FormatStrFormatter("%.2f"))
    ax.xaxis.set_minor_formatter(FormatStrFormatter("%.2f"))
    ax.tick_params(axis="x", which="both", labelsize=8)
    ax.set_xlabel("√CRB of BP (UE position) [m], log scale")
    ax.set_ylabel("√CRB of MS (UE + all targets) [m]")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
