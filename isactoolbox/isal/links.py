"""The links of an ISAL network, eq. (10) / (21) of paper 003, as a list and as a graph.

Active nodes are numbered radars first (0..R-1), then anchors (R..R+A-1). The link list is, in the
paper's order (Appendix A):

- sensing ``m -> target -> n`` for every ordered pair of active nodes, ``m = n`` included
  (row-major over (m, n));
- ranging ``m -> n`` for m a radar and n any other active node, then for m an anchor and n a radar.

Each link carries one delay measurement; its information is proportional to the power of its
transmitter ``m``.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:
    from isactoolbox.isal.scenario import ISALNetwork

SENSING = "sensing"
RANGING = "ranging"


@dataclasses.dataclass(frozen=True)
class Link:
    """One delay measurement: ``kind`` is "sensing" (tx -> target -> rx) or "ranging" (tx -> rx)."""

    kind: str
    tx: int
    rx: int


def network_links(n_radars: int, n_anchors: int) -> tuple[Link, ...]:
    """All links of a network with ``n_radars`` radars and ``n_anchors`` anchors, in the paper's order."""
    n = n_radars + n_anchors
    sensing = [Link(SENSING, m, k) for m in range(n) for k in range(n)]
    ranging = [Link(RANGING, m, k) for m in range(n_radars) for k in range(n) if k != m]
    ranging += [Link(RANGING, m, k) for m in range(n_radars, n) for k in range(n_radars)]
    return tuple(sensing + ranging)


def node_label(index: int, n_radars: int) -> str:
    """Graph name of active node ``index``: "radar0", ..., "anchor0", ..."""
    return f"radar{index}" if index < n_radars else f"anchor{index - n_radars}"


def link_graph(scenario: "ISALNetwork", slot: int = 0) -> nx.MultiDiGraph:
    """The links of ``slot`` as a directed multigraph (a networkx DiGraph subclass).

    Nodes "radar<i>", "anchor<j>" and "target" carry ``role`` and ``position`` (m). Every link is one
    edge ``tx -> rx`` keyed by its index in :func:`network_links`, with attributes ``kind``,
    ``via`` ("target" for sensing links, None for ranging), ``length`` (propagation path, m),
    ``time`` (link time incl. clock offsets, s) and ``intensity_per_watt`` (range-information
    intensity per watt of the transmitter, 1/(m^2 W)).
    """
    from isactoolbox.isal.measurements import intensity_per_watt, link_ranges, true_parameters
    from isactoolbox.isal.scenario import SPEED_OF_LIGHT

    links = network_links(scenario.n_radars, scenario.n_anchors)
    g = nx.MultiDiGraph(slot=slot, synchronous=scenario.synchronous)
    pos = scenario.active_positions(slot)
    for i in range(scenario.n_active):
        g.add_node(node_label(i, scenario.n_radars), role="radar" if i < scenario.n_radars else "anchor",
                   position=pos[i].copy(), index=i)
    g.add_node("target", role="target", position=scenario.target_positions[slot].copy())
    ranges = link_ranges(scenario, true_parameters(scenario))[slot]
    geometric = link_ranges(scenario, true_parameters(scenario), include_offsets=False)[slot]
    kappa = intensity_per_watt(scenario)[slot]
    for k, link in enumerate(links):
        g.add_edge(node_label(link.tx, scenario.n_radars), node_label(link.rx, scenario.n_radars), key=k,
                   kind=link.kind, via="target" if link.kind == SENSING else None,
                   length=float(geometric[k]), time=float(ranges[k] / SPEED_OF_LIGHT),
                   intensity_per_watt=float(kappa[k]))
    return g
