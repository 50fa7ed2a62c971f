"""Paper 003 (UWB integrated sensing and localization networks) Figs. 9-13, on the shipped networks.

Every figure plots the target SPEB (m^2, eq. (9)) of the step-by-step scheme against an energy
split, with the integrated scheme's level beside it:

- :func:`fig9`  single-slot synchronous: SPEB vs the share of E_total given to step 1 (radars);
- :func:`fig10` dual-slot synchronous: sum of the slots' SPEBs vs the share given to the first slot;
- :func:`fig11` single-slot asynchronous: one step's share fixed, SPEB vs the share of another step;
- :func:`fig12` dual-slot asynchronous: as Fig. 10;
- :func:`fig13` 500 MHz vs 5 MHz: Fig. 9's curves on one network at two bandwidths.

The paper draws its networks only as pictures; the shipped layouts of :mod:`isactoolbox.isal.networks`
stand in for them (Fig. 7a-d = ``single_abundant_a``, ``single_abundant_b``, ``single_limited_a``,
``single_limited_b``; Fig. 8a-d = the four ``dual_*`` networks). The printed 10 J budget never binds
with 4 nodes at 1 W (MODELS.md section 2), so the energy is the ``budget`` option in J per slot
(default the shipped 2 J per slot; E_total = budget x slots), like ``conclusions._budget``.

Curves are evaluated on the same share lattice as the ``step-by-step`` strategy's traversal
(:class:`~isactoolbox.isal.strategies.traversal.Lattice`, ``min_share=0``): the minimum of a Fig. 9
curve *is* what ``StepByStep(search="grid", min_share=0.0)`` returns. Every point re-solves one
compiled SDP per step (:class:`~isactoolbox.isal.strategies.sequential.StepRunner`), with real
solvers. A share of 0 for a step means that step does not transmit; a share that leaves the target
unobserved gives SPEB ``inf`` (written as ``inf`` in the CSV, left out of the plot).

Options (``--set key=value``; unknown names are an :class:`~isactoolbox.errors.OptionError`):
``resolution`` (share lattice spacing), ``budget`` (J per slot), ``carry`` ("block", the paper, or
"efim"), ``networks`` (names), ``search`` and ``step_resolution`` (Figs. 10/12: the search of each
slot's step shares), ``fixed`` (Fig. 11: the fixed shares), ``network`` and ``bandwidths`` (Fig. 13).
``backend`` is one backend spec (default ``cvxopt``); of a fallback chain only the first is used.
"""
from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from isactoolbox.core.backend import get_backend
from isactoolbox.core.options import Option, validate_options
from isactoolbox.errors import OptionError
from isactoolbox.isal.networks import BUDGET_PER_SLOT, LAYOUTS, shipped_network
from isactoolbox.isal.parameters import CLOCK, RADAR, TARGET
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.stepwise import CARRY_RULES
from isactoolbox.isal.strategies.integrated import Integrated
from isactoolbox.isal.strategies.sequential import StepRunner, allocate
from isactoolbox.isal.strategies.traversal import SEARCHES, Lattice
from isactoolbox.reproductions.output import ReproductionReport, new_figure, save_figure, write_rows

DEFAULT_BACKEND = "cvxopt"
SINGLE = tuple(n for n in LAYOUTS if n.startswith("single"))
DUAL = tuple(n for n in LAYOUTS if n.startswith("dual"))
#: the paper's panel letter of each shipped network (Figs. 7/8 a-d)
PANEL = {**{n: "abcd"[i] for i, n in enumerate(SINGLE)}, **{n: "abcd"[i] for i, n in enumerate(DUAL)}}
BLOCK_LABEL = {RADAR: "radar localisation", CLOCK: "clock offsets", TARGET: "target sensing"}


# -- options ------------------------------------------------------------------------------------
def _resolution_check(x: float) -> str | None:
    # 1/resolution must be a whole number of lattice steps, else the lattice silently re-spaces
    if not 0 < x <= 0.5:
        return "must lie in (0, 0.5]"
    n = round(1.0 / x)
    return None if abs(n * x - 1.0) < 1e-9 else f"1/resolution must be a whole number (got 1/{x} = {1 / x:.4g})"


def _names(x: Any) -> str | None:
    items = x.split(",") if isinstance(x, str) else x
    if not items or not all(isinstance(i, str) and i.strip() for i in items):
        return "must be a non-empty list of network names (or a comma-separated string)"
    return None


def _positive_list(x: Any) -> str | None:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return "must be a list of numbers"
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)) or np.any(a <= 0):
        return "must be a non-empty list of positive numbers"
    return None


def _fixed_list(x: Any) -> str | None:
    reason = _positive_list(x)
    if reason:
        return reason
    return None if np.all(np.asarray(x, dtype=float) < 1.0) else "shares must lie in (0, 1)"


def _specs(default_resolution: float, **extra: Option) -> dict[str, Option]:
    return {
        "resolution": Option(default_resolution, float, "spacing of the energy-share lattice (fraction of the "
                                                        "energy); 1/resolution must be whole",
                             check=_resolution_check),
        "budget": Option(BUDGET_PER_SLOT, float, "energy per slot, J (E_total = budget x slots); the printed "
                                                 "10 J does not bind",
                         check=lambda x: None if x > 0 else "must be > 0"),
        "carry": Option("block", str, "information carried between steps: 'block' (paper) or 'efim'",
                        choices=CARRY_RULES),
        **extra,
    }


def _parse(name: str, specs: Mapping[str, Option], options: Mapping[str, Any],
           full_overrides: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """Defaults, then the ``full=True`` sizes, then the caller's options (validated, unknown ones rejected)."""
    opts = {k: spec.default for k, spec in specs.items()}
    if full:
        opts.update(full_overrides)
    opts.update(validate_options(specs, options, name))
    return opts


def _network_names(owner: str, value: Any, allowed: Sequence[str]) -> list[str]:
    """The ``networks`` option (list or comma-separated string) as names, each one of ``allowed``."""
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [str(n) for n in value]
    bad = [n for n in names if n not in allowed]
    if bad:
        raise OptionError("networks", f"unknown network {bad[0]!r}; choose from {', '.join(allowed)}", owner=owner)
    return list(dict.fromkeys(names))  # a repeated name would only repeat its rows


def _backend_spec(backend: str | None) -> str:
    # one backend for every step's SDP; of a fallback chain "a,b" the first is used for the runners
    spec = backend or DEFAULT_BACKEND
    return spec.split(",")[0].strip() if isinstance(spec, str) else spec


def _network(name: str, synchronous: bool, budget_per_slot: float, **fields: Any) -> ISALNetwork:
    sc = shipped_network(name, synchronous)
    return sc.replace(energy_budget=budget_per_slot * sc.n_slots, **fields)


def _binding_line(sc: ISALNetwork, label: str) -> str | None:
    """A warning when the budget exceeds what all nodes can spend in the slots (integrated scheme)."""
    cap = float(np.sum(sc.power_max) * sc.slot_duration * sc.n_slots)
    if sc.energy_budget >= cap * (1 - 1e-9):
        return (f"{label}: budget {sc.energy_budget:g} J >= {cap:g} J that all nodes at their limits spend: "
                f"the integrated scheme's budget does not bind")
    return None


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else math.inf


# Two schemes whose SPEBs agree to this relative tolerance tie: with step 1's share 0 the step-by-step
# scheme *is* the integrated SDP, and the two solves then differ by solver tolerance only.
TIE_RTOL = 1e-6


def verdict(step_by_step: float, integrated: float) -> str:
    """Which scheme has the smaller target SPEB: "step-by-step", "integrated" or "tie"."""
    if step_by_step < integrated * (1 - TIE_RTOL):
        return "step-by-step"
    if step_by_step > integrated * (1 + TIE_RTOL):
        return "integrated"
    return "tie"


# A curve whose SPEB changes by less than this (relative) over its whole sweep is flat: the swept
# and the rest step then do the same job (e.g. with the block carry, step 2's window also holds the
# radar positions, so clock-step energy localises the radars too).
FLAT_RTOL = 1e-4


def trend(values: np.ndarray) -> str:
    """Shape of a curve over its finite points: "decreasing", "increasing", "flat" or "non-monotone"."""
    y = np.asarray(values, float)
    y = y[np.isfinite(y)]
    if y.size < 2 or np.max(y) <= np.min(y) * (1 + FLAT_RTOL):
        return "flat"
    d = np.diff(y)
    tol = TIE_RTOL * np.abs(y[:-1])
    if np.all(d <= tol):
        return "decreasing"
    if np.all(d >= -tol):
        return "increasing"
    return "non-monotone"


def _share_text(shares: Sequence[float]) -> str:
    return "/".join(f"{s:.4g}" for s in shares)


# -- computations ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Curve:
    """One step-by-step curve: shares (P, K) of E_total per step, target SPEB (P,) m^2, step SPEBs (P, K) m^2."""

    shares: np.ndarray
    target_speb: np.ndarray
    step_speb: np.ndarray
    statuses: list[str]


def step_curve(sc: ISALNetwork, runner: StepRunner, shares: np.ndarray) -> Curve:
    """Target SPEB (m^2) of the single-slot step-by-step scheme at each row of step ``shares`` (P, K).

    ``shares[p, k]`` is the fraction of ``sc.energy_budget`` (J) step k transmits; the runner memoises
    equal step prefixes, so curves sharing their first steps cost one SDP per new step.
    """
    E = sc.energy_budget
    out, steps, statuses = [], [], []
    for row in shares:
        state = runner.run(tuple(np.asarray(row) * E))
        out.append(_finite(runner.slot_target_speb(state, 0)))
        steps.append([_finite(v) for v in state.spebs])
        bad = [s.value for s in state.statuses if not s.is_success]
        statuses.append(bad[0] if bad else "optimal")
    return Curve(np.asarray(shares, float), np.array(out), np.array(steps), statuses)


def integrated_level(sc: ISALNetwork, backend: str) -> dict[str, Any]:
    """The integrated scheme (one joint SDP), verified by the strategy.

    Returns ``target_speb`` (m^2, summed over slots; inf when the solve failed), ``per_slot`` (S,)
    m^2, ``slot_energy`` (S,) J, ``power`` (S, N) W and the ``status`` string.
    """
    res = Integrated().solve(sc, backend=backend)
    if not res.status.is_success:  # a failed or unverified solve is no reference level
        S, N = sc.n_slots, sc.n_active
        return {"target_speb": math.inf, "per_slot": np.full(S, np.inf), "slot_energy": np.full(S, np.nan),
                "power": np.full((S, N), np.nan), "status": f"{res.status.value}: {res.message}"}
    per_slot = np.atleast_1d(res.metrics.get("target-speb-per-slot", [res.objective]))
    return {"target_speb": float(res.objective), "per_slot": np.asarray(per_slot, float),
            "slot_energy": np.asarray(res.extra["slot_energy"], float),
            "power": np.asarray(res.values["power"], float), "status": res.status.value}


def _lattice_1d(resolution: float) -> np.ndarray:
    """Shares (P, 2) of two consumers on the traversal lattice, first share 0 -> 1."""
    lat = Lattice(2, resolution, 0.0)
    return np.array([lat.shares(n) for n in lat.points()])


def _argmin(values: np.ndarray) -> int:
    # the first minimum, as the traversal breaks ties towards the lexicographically smallest point
    return int(np.argmin(np.where(np.isfinite(values), values, np.inf)))


def _plot_curve(ax: Any, x: np.ndarray, y: np.ndarray, **kw: Any) -> None:
    ok = np.isfinite(y)
    ax.semilogy(100 * x[ok], y[ok], **kw)


# -- Fig. 9 / Fig. 13 (single slot, synchronous) ---------------------------------------------------
def _single_sync_rows(name: str, sc: ISALNetwork, backend: str, resolution: float, carry: str,
                      extra: Mapping[str, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    runner = StepRunner(sc, get_backend(backend), carry=carry)
    shares = _lattice_1d(resolution)
    curve = step_curve(sc, runner, shares)
    integ = integrated_level(sc, backend)
    E = sc.energy_budget
    rows = []
    for k, row in enumerate(shares):
        rows.append({**(extra or {}), "network": name, "radar_share": row[0], "target_share": row[1],
                     "radar_energy_J": row[0] * E, "target_energy_J": row[1] * E,
                     "step_by_step_target_speb_m2": curve.target_speb[k],
                     "step1_radar_speb_m2": curve.step_speb[k, 0],
                     "integrated_target_speb_m2": integ["target_speb"], "status": curve.statuses[k]})
    best = _argmin(curve.target_speb)
    # a genuine two-step scheme: step 1 transmits (share >= one lattice step)
    proper = np.where(shares[:, 0] > 0, curve.target_speb, np.inf)
    kp = _argmin(proper)
    summary = {"energy_budget_J": E, "integrated_m2": integ["target_speb"], "integrated_status": integ["status"],
               "integrated_energy_J": float(np.sum(integ["slot_energy"])),
               "integrated_power_W": integ["power"][0].tolist(),
               "step_by_step_best_m2": float(curve.target_speb[best]),
               "best_radar_share": float(shares[best, 0]),
               "ratio_step_by_step_over_integrated": float(curve.target_speb[best] / integ["target_speb"]),
               "better": verdict(curve.target_speb[best], integ["target_speb"]),
               "step_by_step_best_with_radar_step_m2": float(proper[kp]),
               "best_radar_share_with_radar_step": float(shares[kp, 0]),
               "better_with_radar_step": verdict(proper[kp], integ["target_speb"]),
               "points": len(rows), "sdps": runner.timings.solves + 1,
               "failed_points": sum(s != "optimal" for s in curve.statuses)}
    return rows, {"curve": curve, "summary": summary}


def fig9(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
         **options: Any) -> ReproductionReport:
    """Fig. 9: single-slot synchronous networks, step-by-step SPEB vs step 1's energy share.

    CSV ``isal_fig9.csv``, one row per (network, share): ``radar_share`` / ``target_share``
    (fractions of E_total), their energies (J), ``step_by_step_target_speb_m2``, the radar SPEB after
    step 1 (m^2), ``integrated_target_speb_m2`` (the horizontal line) and the solver status.
    Default lattice 0.05 (21 points per network); ``full=True``: 0.01 (a paper-like fine traversal).
    """
    owner = "isal-fig9"
    specs = _specs(0.05, networks=Option(list(SINGLE), (list, tuple, str), "single-slot networks", check=_names))
    opts = _parse(owner, specs, options, {"resolution": 0.01}, full)
    names = _network_names(owner, opts["networks"], SINGLE)
    be = _backend_spec(backend)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    rows, summary, lines, curves = [], {}, [], {}
    for name in names:
        sc = _network(name, True, opts["budget"])
        r, info = _single_sync_rows(name, sc, be, opts["resolution"], opts["carry"])
        rows += r
        curves[name] = (info["curve"], info["summary"])
        summary[name] = info["summary"]
        s = info["summary"]
        lines.append(f"Fig. 9{PANEL[name]} {name}: step-by-step best {s['step_by_step_best_m2']:.4g} m^2 at "
                     f"{100 * s['best_radar_share']:.0f}% to radar localisation; integrated {s['integrated_m2']:.4g} "
                     f"m^2; better: {s['better']} (ratio {s['ratio_step_by_step_over_integrated']:.3f}; with step 1 "
                     f"transmitting: {s['better_with_radar_step']}, ratio "
                     f"{s['step_by_step_best_with_radar_step_m2'] / s['integrated_m2']:.3f})")
        warn = _binding_line(sc, name)
        if warn:
            lines.append(warn)
        if s["failed_points"]:
            lines.append(f"{name}: {s['failed_points']} points had a failed SDP (SPEB inf, see the status column)")
    files = [write_rows(rows, out_dir / "isal_fig9.csv")]
    files += _single_figure(curves, out_dir / "isal_fig9", pdf, "Fig. 9: single-slot synchronous networks",
                            opts["budget"])
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)


def _single_figure(curves: Mapping[str, tuple[Curve, Mapping[str, Any]]], path: Path, pdf: bool, title: str,
                   budget: float, labels: Mapping[str, str] | None = None) -> list[Path]:
    n = len(curves)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig, axes = new_figure(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, (name, (curve, s)) in zip(axes.ravel(), curves.items()):
        x = curve.shares[:, 0]
        _plot_curve(ax, x, curve.target_speb, marker=".", label="step-by-step")
        ax.axhline(s["integrated_m2"], color="C3", ls="--", label="integrated")
        k = _argmin(curve.target_speb)
        ax.plot(100 * x[k], curve.target_speb[k], "k*", ms=9, label=f"best: {100 * x[k]:.0f}% to step 1")
        ax.set_xlabel("energy share of step 1, radar localisation (% of E_total)")
        ax.set_ylabel("target SPEB (m$^2$)")
        ax.set_title((labels or {}).get(name, f"({PANEL.get(name, '')}) {name}"))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{title}, E_total = {budget:g} J")
    return save_figure(fig, path, pdf=pdf)


# -- Fig. 10 / Fig. 12 (two slots) -----------------------------------------------------------------
#: CSV columns of Figs. 10/12 (rows of splits with an empty slot leave the unsolved slot blank)
DUAL_COLUMNS = ("network", "first_slot_share", "second_slot_share", "first_slot_energy_J", "second_slot_energy_J",
                "step_by_step_total_m2", "step_by_step_first_slot_m2", "step_by_step_second_slot_m2",
                "step_shares_first_slot", "step_shares_second_slot", "integrated_sequential_total_m2",
                "integrated_sequential_first_slot_m2", "integrated_sequential_second_slot_m2",
                "integrated_joint_total_m2", "integrated_joint_first_slot_share", "status")
_EMPTY_SLOT = "not solved: a slot without energy"


def _dual(owner: str, synchronous: bool, full: bool, backend: str | None, options: Mapping[str, Any],
          default_resolution: float, default_step_resolution: float) -> tuple[Any, ...]:
    """(rows, summary, report lines, plot data, options, start time) of Fig. 10 (``synchronous``) or Fig. 12."""
    specs = _specs(default_resolution,
                   networks=Option(list(DUAL), (list, tuple, str), "dual-slot networks", check=_names),
                   search=Option("refine", str, "search of each slot's step shares at a given slot split",
                                 choices=SEARCHES),
                   step_resolution=Option(default_step_resolution, float, "lattice spacing of each slot's step "
                                          "shares (fraction of the slot's energy)", check=_resolution_check))
    opts = _parse(owner, specs, options, {"resolution": 0.01, "step_resolution": 0.01}, full)
    names = _network_names(owner, opts["networks"], DUAL)
    be = _backend_spec(backend)
    fig_no = owner.rsplit("fig", 1)[1]
    t0 = time.perf_counter()
    rows, summary, lines, plotted = [], {}, [], {}
    slot_split = _lattice_1d(opts["resolution"])
    for name in names:
        sc = _network(name, synchronous, opts["budget"])
        E = sc.energy_budget
        sbs = StepRunner(sc, get_backend(be), carry=opts["carry"])
        seq = StepRunner(sc, get_backend(be), carry="block", blocks=(TARGET,))
        joint = integrated_level(sc, be)
        blocks = sbs.steps[:sbs.steps_per_slot]
        sbs_total, seq_total, step_shares = [], [], []
        for split in slot_split:
            if np.any(split <= 0):
                # a slot without energy never sees its target (no prior reaches the target): SPEB inf
                row = {"network": name, "first_slot_share": split[0], "second_slot_share": split[1],
                       "first_slot_energy_J": split[0] * E, "second_slot_energy_J": split[1] * E,
                       **{k: math.inf for k in ("step_by_step_total_m2", "integrated_sequential_total_m2")},
                       # the other slot is not solved (the total is inf anyway) and stays blank
                       **{f"{scheme}_{which}_slot_m2": math.inf for scheme in ("step_by_step", "integrated_sequential")
                          for which, share in zip(("first", "second"), split) if share <= 0},
                       "integrated_joint_total_m2": joint["target_speb"],
                       "integrated_joint_first_slot_share": float(joint["slot_energy"][0] / E),
                       "status": _EMPTY_SLOT}
                rows.append(row)
                sbs_total.append(math.inf)
                seq_total.append(math.inf)
                step_shares.append(None)
                continue
            a = allocate(sbs, E, method=opts["search"], resolution=opts["step_resolution"], min_share=0.0,
                         slot_shares=split)
            # one step per slot: nothing to search inside a slot
            b = allocate(seq, E, method="grid", resolution=opts["step_resolution"], min_share=0.0, slot_shares=split)
            a_slots = [_finite(sbs.slot_target_speb(a.state, s)) for s in range(2)]
            b_slots = [_finite(seq.slot_target_speb(b.state, s)) for s in range(2)]
            bad = [s.value for s in a.state.statuses + b.state.statuses if not s.is_success]
            row = {"network": name, "first_slot_share": split[0], "second_slot_share": split[1],
                   "first_slot_energy_J": split[0] * E, "second_slot_energy_J": split[1] * E,
                   "step_by_step_total_m2": _finite(sum(a_slots)),
                   "step_by_step_first_slot_m2": a_slots[0], "step_by_step_second_slot_m2": a_slots[1],
                   # the step shares of each slot, as fractions of that slot's energy, in step order
                   "step_shares_first_slot": _share_text(a.step_shares[0]),
                   "step_shares_second_slot": _share_text(a.step_shares[1]),
                   "integrated_sequential_total_m2": _finite(sum(b_slots)),
                   "integrated_sequential_first_slot_m2": b_slots[0],
                   "integrated_sequential_second_slot_m2": b_slots[1],
                   "integrated_joint_total_m2": joint["target_speb"],
                   "integrated_joint_first_slot_share": float(joint["slot_energy"][0] / E),
                   "status": bad[0] if bad else "optimal"}
            rows.append(row)
            sbs_total.append(row["step_by_step_total_m2"])
            seq_total.append(row["integrated_sequential_total_m2"])
            step_shares.append(np.asarray(a.step_shares).round(6).tolist())
        sbs_total, seq_total = np.array(sbs_total), np.array(seq_total)
        ka, kb = _argmin(sbs_total), _argmin(seq_total)
        limited = [("limited" in part) for part in name.split("_")[1:3]]  # slot roles from the layout name
        joint_first = float(joint["slot_energy"][0] / E)
        s = {"energy_budget_J": E, "steps": [st.block for st in blocks],
             "step_by_step_best_m2": float(sbs_total[ka]),
             "step_by_step_best_first_slot_share": float(slot_split[ka, 0]),
             # (2, K): each slot's step shares (fractions of that slot's energy) at the best split
             "step_by_step_best_step_shares": step_shares[ka],
             "integrated_sequential_best_m2": float(seq_total[kb]),
             "integrated_sequential_best_first_slot_share": float(slot_split[kb, 0]),
             "integrated_joint_m2": joint["target_speb"], "integrated_joint_first_slot_share": joint_first,
             "integrated_joint_slot_energy_J": joint["slot_energy"].tolist(),
             "integrated_joint_per_slot_m2": joint["per_slot"].tolist(), "integrated_status": joint["status"],
             "slot_limited": limited,
             "better": verdict(sbs_total[ka], joint["target_speb"]),
             "sdps": sbs.timings.solves + seq.timings.solves + 1,
             "failed_points": sum(r["status"] not in ("optimal", _EMPTY_SLOT) for r in rows if r["network"] == name)}
        summary[name] = s
        plotted[name] = (slot_split[:, 0], sbs_total, seq_total, s)
        lines.append(f"Fig. {fig_no}{PANEL[name]} {name}: first-slot share step-by-step "
                     f"{100 * s['step_by_step_best_first_slot_share']:.0f}% ({s['step_by_step_best_m2']:.4g} m^2), "
                     f"integrated slot by slot {100 * s['integrated_sequential_best_first_slot_share']:.0f}% "
                     f"({s['integrated_sequential_best_m2']:.4g} m^2), integrated joint {100 * joint_first:.0f}% "
                     f"({joint['target_speb']:.4g} m^2)")
        warn = _binding_line(sc, name)
        if warn:
            lines.append(warn)
    return rows, summary, lines, plotted, opts, t0


def _dual_figure(plotted: Mapping[str, Any], path: Path, pdf: bool, title: str, budget: float) -> list[Path]:
    n = len(plotted)
    cols = 2 if n > 1 else 1
    nrows = math.ceil(n / cols)
    fig, axes = new_figure(nrows, cols, figsize=(5.2 * cols, 3.8 * nrows), squeeze=False)
    for ax, (name, (x, sbs_total, seq_total, s)) in zip(axes.ravel(), plotted.items()):
        _plot_curve(ax, x, sbs_total, marker=".", label="step-by-step (steps searched per slot)")
        _plot_curve(ax, x, seq_total, marker="x", ms=4, color="C2", label="integrated, slot by slot")
        ax.axhline(s["integrated_joint_m2"], color="C3", ls="--", label="integrated, joint SDP")
        ax.axvline(100 * s["integrated_joint_first_slot_share"], color="C3", ls=":", lw=1)
        k = _argmin(sbs_total)
        ax.plot(100 * x[k], sbs_total[k], "k*", ms=9)
        ax.set_xlabel("energy share of the first slot (% of E_total)")
        ax.set_ylabel("sum of the slots' target SPEBs (m$^2$)")
        ax.set_title(f"({PANEL.get(name, '')}) {name}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(f"{title}, E_total = {2 * budget:g} J")
    return save_figure(fig, path, pdf=pdf)


def _dual_report(owner: str, synchronous: bool, out_dir: Path, full: bool, backend: str | None, pdf: bool,
                 options: Mapping[str, Any], default_resolution: float,
                 default_step_resolution: float) -> ReproductionReport:
    rows, summary, lines, plotted, opts, t0 = _dual(owner, synchronous, full, backend, options, default_resolution,
                                                    default_step_resolution)
    out_dir = Path(out_dir)
    stem = owner.replace("-", "_")
    files = [write_rows(rows, out_dir / f"{stem}.csv", DUAL_COLUMNS)]
    kind = "synchronous" if synchronous else "asynchronous"
    files += _dual_figure(plotted, out_dir / stem, pdf, f"Fig. {owner.rsplit('fig', 1)[1]}: dual-slot {kind} networks",
                          opts["budget"])
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)


def fig10(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
          **options: Any) -> ReproductionReport:
    """Fig. 10: dual-slot synchronous networks, SPEB vs the energy split between the slots.

    CSV ``isal_fig10.csv``, one row per (network, split): ``first_slot_share`` of E_total (J in
    ``*_energy_J``); the step-by-step sum of target SPEBs (m^2) with each slot's step shares searched
    (``search``, on the same lattice), per slot and the shares found; the integrated scheme run slot
    by slot at that split (the paper's procedure); the joint integrated SDP (one line) and the split
    it chooses. Default lattice 0.05; ``full=True``: 0.01.
    """
    return _dual_report("isal-fig10", True, out_dir, full, backend, pdf, options, 0.1, 0.1)


def fig12(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
          **options: Any) -> ReproductionReport:
    """Fig. 12: dual-slot asynchronous networks, as :func:`fig10` with three steps per slot.

    Each slot's (radar, clock, target) shares are a 2-D search at every split. Default lattice 0.1
    (11 splits, 2-D coarse-to-fine step search per slot); ``full=True``: 0.01.
    """
    return _dual_report("isal-fig12", False, out_dir, full, backend, pdf, options, 0.2, 0.2)


# -- Fig. 11 (single slot, asynchronous: three steps) ---------------------------------------------
#: (fixed step, swept step, step taking the rest), the paper's three panel groups of Fig. 11:
#: step 2 (clocks) fixed -> radar vs target; step 3 (target) fixed -> radar vs clocks; step 1 fixed -> target vs clocks
FIG11_PANELS = ((CLOCK, RADAR, TARGET), (TARGET, RADAR, CLOCK), (RADAR, TARGET, CLOCK))
_ASYNC_ORDER = (RADAR, CLOCK, TARGET)


def fig11(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
          **options: Any) -> ReproductionReport:
    """Fig. 11: single-slot asynchronous networks; one step's share fixed, SPEB vs another step's share.

    For every network, fixed step (step 2 clock offsets, step 3 target, step 1 radars: the paper's
    three panel groups per network, :data:`FIG11_PANELS`) and fixed share ``f`` in ``fixed``, the
    swept step's share runs over the lattice from 0 to 1 - f and the third step gets the rest. CSV ``isal_fig11.csv``: ``fixed_step``,
    ``fixed_share``, ``swept_step``, ``swept_share``, ``rest_step``, ``rest_share``, the three shares
    by block, ``step_by_step_target_speb_m2`` and the integrated level (m^2). Default lattice 0.05
    with f in (0.1, 0.3, 0.5); ``full=True``: 0.01 with f = 0.1 ... 0.8.
    """
    owner = "isal-fig11"
    specs = _specs(0.05, networks=Option(list(SINGLE), (list, tuple, str), "single-slot networks", check=_names),
                   fixed=Option([0.1, 0.3, 0.5], (list, tuple), "shares of E_total the fixed step gets",
                                check=_fixed_list))
    opts = _parse(owner, specs, options, {"resolution": 0.01, "fixed": [round(0.1 * k, 1) for k in range(1, 9)]},
                  full)
    names = _network_names(owner, opts["networks"], SINGLE)
    be = _backend_spec(backend)
    lattice = Lattice(3, opts["resolution"], 0.0)
    # the fixed shares snapped onto the lattice, so every point is one the traversal also visits
    fixed_n = sorted({int(round(f * lattice.total)) for f in opts["fixed"]})
    if any(n <= 0 or n >= lattice.total for n in fixed_n):
        raise OptionError("fixed", f"every fixed share must be at least one lattice step ({1 / lattice.total:g}) "
                          f"from 0 and 1, got {opts['fixed']}", owner=owner)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    rows, summary, lines, plotted = [], {}, [], {}
    for name in names:
        sc = _network(name, False, opts["budget"])
        runner = StepRunner(sc, get_backend(be), carry=opts["carry"])
        integ = integrated_level(sc, be)
        panels: dict[str, Any] = {}
        best_all = (math.inf, None)
        for fixed, swept, rest in FIG11_PANELS:
            i_f, i_s = _ASYNC_ORDER.index(fixed), _ASYNC_ORDER.index(swept)
            for nf in fixed_n:
                pts = []
                for ns in range(lattice.total - nf + 1):
                    n = [0, 0, 0]
                    n[i_f], n[i_s] = nf, ns
                    n[_ASYNC_ORDER.index(rest)] = lattice.total - nf - ns
                    pts.append(lattice.shares((n[0], n[1])))
                shares = np.array(pts)
                curve = step_curve(sc, runner, shares)
                for k, row in enumerate(shares):
                    rows.append({"network": name, "fixed_step": fixed, "fixed_share": row[i_f], "swept_step": swept,
                                 "swept_share": row[i_s], "rest_step": rest,
                                 "rest_share": row[_ASYNC_ORDER.index(rest)],
                                 "radar_share": row[0], "clock_share": row[1], "target_share": row[2],
                                 "energy_budget_J": sc.energy_budget,
                                 "step_by_step_target_speb_m2": curve.target_speb[k],
                                 "integrated_target_speb_m2": integ["target_speb"], "status": curve.statuses[k]})
                kb = _argmin(curve.target_speb)
                panels[f"{fixed}={shares[0, i_f]:.4g}"] = {
                    "fixed_step": fixed, "fixed_share": float(shares[0, i_f]), "swept_step": swept,
                    "best_swept_share": float(shares[kb, i_s]), "best_m2": float(curve.target_speb[kb]),
                    # the paper reads these panels as "more energy to the swept step is better"
                    "trend_in_swept_share": trend(curve.target_speb),
                    "x": shares[:, i_s], "y": curve.target_speb}
                if curve.target_speb[kb] < best_all[0]:
                    best_all = (float(curve.target_speb[kb]), shares[kb])
        s = {"energy_budget_J": sc.energy_budget, "integrated_m2": integ["target_speb"],
             "integrated_status": integ["status"],
             "step_by_step_best_m2": best_all[0],
             "step_by_step_best_shares_radar_clock_target": None if best_all[1] is None else best_all[1].tolist(),
             "better": verdict(best_all[0], integ["target_speb"]),
             "panels": {k: {kk: vv for kk, vv in v.items() if kk not in ("x", "y")} for k, v in panels.items()},
             "sdps": runner.timings.solves + 1}
        summary[name] = s
        plotted[name] = (panels, integ["target_speb"])
        lines.append(f"Fig. 11 {name}: best step-by-step point {s['step_by_step_best_m2']:.4g} m^2 at "
                     f"radar/clock/target = {_share_text(s['step_by_step_best_shares_radar_clock_target'] or [])}; "
                     f"integrated {integ['target_speb']:.4g} m^2; better: {s['better']}")
        for fixed, swept, _ in FIG11_PANELS:
            trends = [v["trend_in_swept_share"] for v in panels.values() if v["fixed_step"] == fixed]
            lines.append(f"  {fixed} fixed, SPEB as {swept}'s share grows: " +
                         ", ".join(f"{t} x{trends.count(t)}" for t in dict.fromkeys(trends)))
        warn = _binding_line(sc, name)
        if warn:
            lines.append(warn)
    files = [write_rows(rows, out_dir / "isal_fig11.csv")]
    files += _fig11_figure(plotted, out_dir / "isal_fig11", pdf, opts["budget"])
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)


def _fig11_figure(plotted: Mapping[str, Any], path: Path, pdf: bool, budget: float) -> list[Path]:
    n = len(plotted)
    fig, axes = new_figure(n, 3, figsize=(15, 3.6 * n), squeeze=False)
    step_no = {b: i + 1 for i, b in enumerate(_ASYNC_ORDER)}
    for r, (name, (panels, integ)) in enumerate(plotted.items()):
        for c, (fixed, swept, rest) in enumerate(FIG11_PANELS):
            ax = axes[r, c]
            for j, v in enumerate(p for p in panels.values() if p["fixed_step"] == fixed):
                _plot_curve(ax, np.asarray(v["x"]), np.asarray(v["y"]), marker=".", color=f"C{j}",
                            label=f"step {step_no[fixed]} at {100 * v['fixed_share']:.0f}%")
            ax.axhline(integ, color="k", ls="--", label="integrated")
            ax.set_xlabel(f"share of step {step_no[swept]}, {BLOCK_LABEL[swept]} (% of E_total)")
            ax.set_ylabel("target SPEB (m$^2$)")
            ax.set_title(f"({PANEL.get(name, '')}) {name}: step {step_no[fixed]} ({fixed}) fixed, "
                         f"step {step_no[rest]} gets the rest", fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"Fig. 11: single-slot asynchronous networks, E_total = {budget:g} J")
    return save_figure(fig, path, pdf=pdf)


# -- Fig. 13 (bandwidth) ------------------------------------------------------------------------------
def fig13(out_dir: Path, *, full: bool = False, backend: str | None = None, pdf: bool = False,
          **options: Any) -> ReproductionReport:
    """Fig. 13: Fig. 9's comparison on one network at 500 MHz (UWB) and 5 MHz (the ``bandwidth`` field).

    Default network ``single_limited_a`` (the paper's Fig. 7c), synchronous. CSV ``isal_fig13.csv``:
    ``bandwidth_Hz`` and Fig. 9's columns. The range information intensity scales as xi ~ B (eq. (14):
    B^2 / (N0 B)), so every SPEB scales as 1/B and the allocation does not change: the 5 MHz
    curve is the 500 MHz curve times 100. Default lattice 0.05; ``full=True``: 0.01.
    """
    owner = "isal-fig13"
    specs = _specs(0.05, network=Option(SINGLE[2], str, "single-slot network", choices=SINGLE),
                   bandwidths=Option([500e6, 5e6], (list, tuple), "signal bandwidths B, Hz", check=_positive_list))
    opts = _parse(owner, specs, options, {"resolution": 0.01}, full)
    name = opts["network"]
    be = _backend_spec(backend)
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    rows, summary, lines, curves, labels = [], {"network": name}, [], {}, {}
    reference = None
    for k, bw in enumerate(float(b) for b in opts["bandwidths"]):
        sc = _network(name, True, opts["budget"], bandwidth=bw)
        r, info = _single_sync_rows(name, sc, be, opts["resolution"], opts["carry"], extra={"bandwidth_Hz": bw})
        rows += r
        key = f"{bw / 1e6:g} MHz"
        s = info["summary"]
        s["bandwidth_Hz"] = bw
        s["xi_per_W"] = sc.xi
        if reference is None:
            reference = s
        s["integrated_over_first_bandwidth"] = s["integrated_m2"] / reference["integrated_m2"]
        summary[key] = s
        curves[key] = (info["curve"], s)
        labels[key] = f"({'abcdefgh'[k % 8]}) {name}, B = {key}"
        lines.append(f"Fig. 13 B = {key}: integrated {s['integrated_m2']:.4g} m^2, step-by-step best "
                     f"{s['step_by_step_best_m2']:.4g} m^2 at {100 * s['best_radar_share']:.0f}% to radars "
                     f"(x{s['integrated_over_first_bandwidth']:.4g} the {reference['bandwidth_Hz'] / 1e6:g} MHz SPEB)")
    files = [write_rows(rows, out_dir / "isal_fig13.csv")]
    files += _single_figure(curves, out_dir / "isal_fig13", pdf, f"Fig. 13: bandwidth, {name}", opts["budget"],
                            labels)
    summary["seconds"] = time.perf_counter() - t0
    return ReproductionReport(owner, files, summary, lines)
