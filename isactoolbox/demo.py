"""``isactoolbox demo``: shipped scenarios solved end to end, results and a figure written to a folder.

Each demo loads a scenario file, runs a registered strategy on the default backend, prints the
result summary (status, objective, verification, timings) and saves the result JSON. The ISAL demo
also draws the network with the optimised node powers.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from isactoolbox.core.scenario import load_scenario
from isactoolbox.errors import BrokenPluginError, UnknownPluginError
from isactoolbox.registry import registry

SCENARIOS = Path(__file__).parent / "data" / "scenarios"
DEMOS = [
    ("network_isac_small.json", "exhaustive"),
    ("isal_single_limited_a_sync.json", "integrated"),
    ("bpms_k2.json", "wcrb-fdb"),
]


def plot_isal_powers(scenario: Any, result: Any, path: Path) -> Path:
    """Map of anchors, radars and target, each active node labelled with its optimised power."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    power = np.asarray(result.values["power"]).reshape(-1, scenario.radar_positions.shape[-2]
                                                       + scenario.anchor_positions.shape[-2])[0]
    radars = np.asarray(scenario.radar_positions).reshape(-1, 2)[: scenario.radar_positions.shape[-2]]
    anchors = np.asarray(scenario.anchor_positions).reshape(-1, 2)
    target = np.asarray(scenario.target_positions).reshape(-1, 2)[0]
    nodes = np.vstack([radars, anchors])
    fig, ax = plt.subplots(figsize=(6, 5.5))
    ax.scatter(*radars.T, marker="^", s=90, label="radar (unknown position)")
    ax.scatter(*anchors.T, marker="s", s=90, label="anchor (known position)")
    ax.scatter(*target, marker="*", s=200, c="k", label="target")
    for (x, y), p in zip(nodes, power):
        ax.annotate(f"{p:.3g} W", (x, y), textcoords="offset points", xytext=(6, 6))
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    speb = result.metrics.get("target-speb")
    ax.set_title(f"ISAL integrated allocation: node powers\n(target SPEB {speb:.3g} m$^2$)" if speb is not None
                 else "ISAL integrated allocation")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_aspect("equal", adjustable="datalim")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_demo(out_dir: Path, as_json: bool = False) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = []
    solved = 0
    for filename, strategy_name in DEMOS:
        scenario = load_scenario(SCENARIOS / filename)
        try:
            strategy = registry.strategy(strategy_name)()
        except (UnknownPluginError, BrokenPluginError) as exc:
            report.append({"scenario": filename, "strategy": strategy_name, "skipped": str(exc)})
            continue
        result = strategy.solve(scenario)
        path = result.save(out_dir / f"{Path(filename).stem}.{strategy_name}.result.json")
        entry = {"scenario": filename, "strategy": strategy_name, "status": result.status.value,
                 "objective": result.objective, "verified": result.verification.passed, "result": str(path)}
        if scenario.kind == "isal" and "power" in result.values:
            entry["figure"] = str(plot_isal_powers(scenario, result, out_dir / "isal_powers.png"))
        report.append(entry)
        solved += result.status.is_success
        if not as_json:
            print(f"== {filename} with {strategy_name}")
            print(result.summary())
            print(f"written     {path}" + (f" and {entry['figure']}" if "figure" in entry else ""))
            print()
    if as_json:
        print(json.dumps(report, indent=1))
    return 0 if solved else 1
