"""The ISAL networks shipped as scenario files (MODELS.md section 2; the paper's Figs. 7-8).

The paper shows its four single-slot and four dual-slot 200 m x 200 m networks (2 anchors, 2 radars,
1 target) only as pictures, so these are our own layouts with the same meaning:
"sensing-resource-abundant" = the target within 15 m of two active nodes (and the radars far from
the anchors), "limited" = the target 100 m or more from every active node. Energy budgets bind
(2 J per slot against 4 nodes x 1 W x 1 s); the printed 10 J would not. Every network is shipped synchronous and asynchronous
(``isal_<name>_sync.json`` / ``isal_<name>_async.json``); :func:`write_shipped` regenerates the files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from isactoolbox.isal.scenario import ISALNetwork

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "data" / "scenarios"

#: Energy per slot of the shipped networks (J): half of what 4 nodes at 1 W spend in a 1 s slot.
BUDGET_PER_SLOT = 2.0

_A1 = {"anchors": [[10.0, 10.0], [190.0, 10.0]], "radars": [[95.0, 180.0], [115.0, 185.0]], "target": [105.0, 178.0]}
_A1_MOVED = [[98.0, 178.0], [118.0, 183.0]]
_FAR = [105.0, 70.0]  # 104-112 m from every active node of _A1's layout

LAYOUTS: dict[str, dict[str, Any]] = {
    "single_abundant_a": {
        "text": "target between the two radars (10 m and 12 m away) at the top, anchors ~190 m away at the bottom",
        "anchors": _A1["anchors"], "radars": [_A1["radars"]], "targets": [_A1["target"]]},
    "single_abundant_b": {
        "text": "target 12 m from radar 0 and 14 m from anchor 0 in the top-left corner, the others far away",
        "anchors": [[15.0, 185.0], [185.0, 15.0]], "radars": [[[30.0, 165.0], [120.0, 60.0]]],
        "targets": [[20.0, 172.0]]},
    "single_limited_a": {
        "text": "active nodes along the bottom, target at the far top (>= 145 m from every node)",
        "anchors": [[10.0, 10.0], [190.0, 10.0]], "radars": [[[60.0, 50.0], [140.0, 50.0]]],
        "targets": [[100.0, 190.0]]},
    "single_limited_b": {
        "text": "uniform layout: active nodes in the four corners, target in the centre (127 m from each)",
        "anchors": [[10.0, 10.0], [190.0, 190.0]], "radars": [[[10.0, 190.0], [190.0, 10.0]]],
        "targets": [[100.0, 100.0]]},
    "dual_abundant_abundant": {
        "text": "single_abundant_a in slot 0; radars and target move ~4 m, target still 10-12 m from both radars",
        "anchors": _A1["anchors"], "radars": [_A1["radars"], _A1_MOVED],
        "targets": [_A1["target"], [108.0, 175.0]]},
    "dual_abundant_limited": {
        "text": "single_abundant_a in slot 0; in slot 1 the target is 104-112 m from every active node",
        "anchors": _A1["anchors"], "radars": [_A1["radars"], _A1_MOVED], "targets": [_A1["target"], _FAR]},
    "dual_limited_abundant": {
        "text": "target 104-112 m from every active node in slot 0, 10-12 m from both radars in slot 1",
        "anchors": _A1["anchors"], "radars": [_A1["radars"], _A1_MOVED], "targets": [_FAR, [108.0, 175.0]]},
    "dual_limited_limited": {
        "text": "uniform corner layout of single_limited_b in both slots, radars and target moving ~7 m",
        "anchors": [[10.0, 10.0], [190.0, 190.0]], "radars": [[[10.0, 190.0], [190.0, 10.0]],
                                                              [[15.0, 185.0], [185.0, 15.0]]],
        "targets": [[100.0, 100.0], [105.0, 95.0]]},
}

#: Clock offsets (m, c * delta) of the asynchronous variants; they do not change the information.
_ASYNC_OFFSETS = [12.0, -7.5]


def shipped_network(name: str, synchronous: bool = True) -> ISALNetwork:
    """Build shipped network ``name`` (a key of :data:`LAYOUTS`)."""
    lay = LAYOUTS[name]
    n_slots = len(lay["targets"])
    fields: dict[str, Any] = {
        "anchor_positions": lay["anchors"], "radar_positions": lay["radars"], "target_positions": lay["targets"],
        "synchronous": synchronous, "energy_budget": BUDGET_PER_SLOT * n_slots,
        "description": (f"paper 003 style {'dual' if n_slots == 2 else 'single'}-slot "
                        f"{'synchronous' if synchronous else 'asynchronous'} network '{name}': {lay['text']}; "
                        f"200 m x 200 m, 2 anchors, 2 radars, 1 target, Table 1 parameters, "
                        f"binding budget {BUDGET_PER_SLOT * n_slots:g} J")}
    if not synchronous:
        fields["clock_offsets"] = [list(_ASYNC_OFFSETS)] * n_slots
    return ISALNetwork(**fields)


def shipped_file(name: str, synchronous: bool = True) -> Path:
    return SCENARIO_DIR / f"isal_{name}_{'sync' if synchronous else 'async'}.json"


def write_shipped(directory: Path | None = None) -> list[Path]:
    """(Re)write every shipped ISAL scenario file."""
    out = []
    for name in LAYOUTS:
        for sync in (True, False):
            path = shipped_file(name, sync) if directory is None else Path(directory) / shipped_file(name, sync).name
            out.append(shipped_network(name, sync).save(path))
    return out
