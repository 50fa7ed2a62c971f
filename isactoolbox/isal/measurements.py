"""Link delays, their Jacobian and range-information intensities (paper 003, eqs. (10)-(15), (21)).

Everything is written on *link ranges* ``c * t`` (m) rather than link times ``t`` (s): with
``J_t = J_r / c`` the paper's FIM ``J_t^T c^2 diag(lam) J_t`` equals ``J_r^T diag(lam) J_r`` and the
Jacobian ``J_r`` is dimensionless (unit vectors and +-1), which keeps the numbers O(1).

- ranging ``m -> n``: ``c t = d_mn + b_n - b_m``;
- sensing ``m -> target -> n``: ``c t = d_mt + d_tn + b_n - b_m``;

with ``b = c * delta`` the clock offsets in metres (0 for anchors and in synchronous networks).
Intensities: ranging ``lam = xi P_m / d_mn^2``, sensing ``lam = xi P_m (sigma / 4 pi) / (d_mt^2 d_tn^2)``.
"""
from __future__ import annotations

import numpy as np

from isactoolbox.isal.links import RANGING, SENSING, network_links
from isactoolbox.isal.parameters import CLOCK, RADAR, TARGET, ParameterLayout
from isactoolbox.isal.scenario import SPEED_OF_LIGHT, ISALNetwork


def layout_of(scenario: ISALNetwork) -> ParameterLayout:
    return ParameterLayout(scenario.n_radars, scenario.n_slots, scenario.synchronous)


def true_parameters(scenario: ISALNetwork) -> np.ndarray:
    """theta at the scenario's true values (layout of :class:`ParameterLayout`), m."""
    lay = layout_of(scenario)
    theta = np.zeros(lay.size)
    for s in range(scenario.n_slots):
        theta[lay.index(RADAR, s)] = scenario.radar_positions[s].ravel()
        if not scenario.synchronous:
            theta[lay.index(CLOCK, s)] = scenario.offsets_m(s)[:scenario.n_radars]
        theta[lay.index(TARGET, s)] = scenario.target_positions[s]
    return theta


def _unpack(scenario: ISALNetwork, theta: np.ndarray, slot: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Active-node positions (N, 2), offsets (N,) and target (2,) of ``slot`` read from theta."""
    lay = layout_of(scenario)
    radars = theta[lay.index(RADAR, slot)].reshape(-1, 2)
    pos = np.vstack([radars, scenario.anchor_positions])
    offsets = np.zeros(scenario.n_active)
    if not scenario.synchronous:
        offsets[:scenario.n_radars] = theta[lay.index(CLOCK, slot)]
    return pos, offsets, theta[lay.index(TARGET, slot)]


def link_ranges(scenario: ISALNetwork, theta: np.ndarray, *, include_offsets: bool = True) -> np.ndarray:
    """``c * t`` of every link (S, L), m, at parameters ``theta`` (see module docstring)."""
    theta = np.asarray(theta, dtype=float)
    links = network_links(scenario.n_radars, scenario.n_anchors)
    out = np.empty((scenario.n_slots, len(links)))
    for s in range(scenario.n_slots):
        pos, b, tgt = _unpack(scenario, theta, s)
        if not include_offsets:
            b = np.zeros_like(b)
        for k, link in enumerate(links):
            if link.kind == SENSING:
                path = np.linalg.norm(pos[link.tx] - tgt) + np.linalg.norm(tgt - pos[link.rx])
            else:
                path = np.linalg.norm(pos[link.tx] - pos[link.rx])
            out[s, k] = path + b[link.rx] - b[link.tx]
    return out


def link_times(scenario: ISALNetwork, theta: np.ndarray) -> np.ndarray:
    """Link times (S, L), s: eq. (10) (synchronous) / (21) (asynchronous)."""
    return link_ranges(scenario, theta) / SPEED_OF_LIGHT


def _unit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unit vector from b to a (the gradient of |a - b| with respect to a)."""
    v = a - b
    return v / np.linalg.norm(v)


def range_jacobian(scenario: ISALNetwork) -> np.ndarray:
    """``d(c t_l) / d theta`` (S, L, n): dimensionless; row l of slot s is nonzero only in slot s's columns."""
    lay = layout_of(scenario)
    links = network_links(scenario.n_radars, scenario.n_anchors)
    R = scenario.n_radars
    J = np.zeros((scenario.n_slots, len(links), lay.size))
    theta = true_parameters(scenario)
    for s in range(scenario.n_slots):
        pos, _, tgt = _unpack(scenario, theta, s)
        radar_cols = lay.index(RADAR, s).reshape(-1, 2)
        clock_cols = lay.index(CLOCK, s)
        target_cols = lay.index(TARGET, s)
        for k, link in enumerate(links):
            row = J[s, k]
            m, n = link.tx, link.rx
            if link.kind == SENSING:
                row[target_cols] += _unit(tgt, pos[m]) + _unit(tgt, pos[n])
                if m < R:
                    row[radar_cols[m]] += _unit(pos[m], tgt)
                if n < R:
                    row[radar_cols[n]] += _unit(pos[n], tgt)
            else:
                if m < R:
                    row[radar_cols[m]] += _unit(pos[m], pos[n])
                if n < R:
                    row[radar_cols[n]] += _unit(pos[n], pos[m])
            if not scenario.synchronous:
                if n < R:
                    row[clock_cols[n]] += 1.0
                if m < R:
                    row[clock_cols[m]] -= 1.0
    return J


def intensity_per_watt(scenario: ISALNetwork) -> np.ndarray:
    """Range-information intensity per watt of the transmitter (S, L), 1/(m^2 W): eqs. (14)-(15)."""
    links = network_links(scenario.n_radars, scenario.n_anchors)
    xi = scenario.xi
    out = np.empty((scenario.n_slots, len(links)))
    for s in range(scenario.n_slots):
        pos = scenario.active_positions(s)
        tgt = scenario.target_positions[s]
        for k, link in enumerate(links):
            if link.kind == RANGING:
                out[s, k] = xi / np.sum((pos[link.tx] - pos[link.rx]) ** 2)
            else:
                d2_tx = np.sum((pos[link.tx] - tgt) ** 2)
                d2_rx = np.sum((tgt - pos[link.rx]) ** 2)
                out[s, k] = xi * scenario.rcs / (4 * np.pi) / (d2_tx * d2_rx)
    return out


def transmitters(scenario: ISALNetwork) -> np.ndarray:
    """Transmitting active node of every link (L,)."""
    return np.array([link.tx for link in network_links(scenario.n_radars, scenario.n_anchors)])
