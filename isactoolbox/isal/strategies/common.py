"""What both ISAL schemes share: options, physical verification and reported metrics."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from isactoolbox.core.options import Option
from isactoolbox.errors import OptionError
from isactoolbox.core.verification import VerificationReport, check
from isactoolbox.isal.metrics import all_spebs
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.strategies.traversal import SEARCHES

# Powers are compared with their limits relative to the largest limit (interior-point solutions
# sit within ~1e-8 of active bounds).
POWER_RTOL = 1e-6


def _positive(x: float) -> str | None:
    return None if x > 0 else "must be > 0"


def _share(x: float) -> str | None:
    return None if 0.0 <= x < 0.5 else "must lie in [0, 0.5)"


SEARCH_OPTIONS: dict[str, Option] = {
    "search": Option("refine", str, "energy-split traversal: full 'grid' (the paper), coarse-to-fine 'refine', "
                                     "or nested 'golden' section", choices=SEARCHES),
    "resolution": Option(0.01, float, "lattice spacing of the energy shares (fraction of the energy)",
                         check=lambda x: None if 0 < x <= 0.5 else "must lie in (0, 0.5]"),
    "min_share": Option(0.01, float, "smallest share any step / slot gets (0 allows skipping a step)", check=_share),
    "points": Option(5, int, "coarse ticks per axis of the 'refine' search",
                     check=lambda x: None if x >= 3 else "must be >= 3"),
}


def _shares(x: list) -> str | None:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return "must be a list of numbers"
    if a.ndim != 1 or a.size < 1 or np.any(a < 0) or abs(a.sum() - 1.0) > 1e-9:
        return "must be non-negative shares summing to 1"
    return None


SLOT_SHARE_OPTION = Option(None, (list, tuple), "fixed energy shares of the slots (S,) instead of a search",
                           allow_none=True, check=_shares)
STEP_SHARE_OPTION = Option(None, (list, tuple), "fixed energy shares of each slot's steps (K,) instead of a "
                                                "search (the paper's Figs. 9/11 curves)", allow_none=True, check=_shares)


def check_share_length(owner: str, name: str, shares: Any, expected: int) -> np.ndarray | None:
    """The fixed shares as an array, or an OptionError naming the option when the length is wrong."""
    if shares is None:
        return None
    a = np.asarray(shares, dtype=float)
    if a.size != expected:
        raise OptionError(name, f"needs {expected} shares for this scenario, got {a.size}", owner=owner)
    return a


def verify_powers(scenario: ISALNetwork, power: np.ndarray, report: VerificationReport, label: str,
                  energy_limit: float, duration: float) -> None:
    """Nonnegativity, per-node limits and the energy limit of one power array (..., N) W."""
    caps = scenario.power_max
    scale = max(float(np.max(caps)), 1e-300)
    report.add(check(f"{label} power >= 0", float(np.min(power)), ">=", 0.0, unit="W", scale=scale,
                     tolerance=POWER_RTOL))
    excess = power - caps
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    report.add(check(f"{label} power <= node limit (worst {tuple(int(i) for i in worst)})",
                     float(power[worst]), "<=", float(caps[worst[-1]]), unit="W", scale=scale,
                     tolerance=POWER_RTOL))
    report.add(check(f"{label} energy <= budget", float(np.sum(power) * duration), "<=", energy_limit, unit="J",
                     tolerance=POWER_RTOL))


def report_metrics(scenario: ISALNetwork, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = dict(all_spebs(scenario, values))
    smoothed = all_spebs(scenario, values, causal=False)
    if scenario.n_slots > 1:
        out["target-speb-smoothed"] = smoothed["target-speb"]
    return out
