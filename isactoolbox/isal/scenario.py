"""The ISAL network of paper 003 (MODELS.md section 2): integrated sensing and localization.

Active nodes are radars (unknown positions; in asynchronous networks also an unknown clock offset
against the anchors' common clock) and anchors (known positions); one passive target reflects the
active nodes' UWB signals. A network has one or more time slots; radars and the target may move
between slots, anchors do not. Everything is stored in SI units (m, s, W, Hz, J); gains, losses and
the noise density are stored linear. Table 1 of the paper gives the defaults.

Node order everywhere in this package: radars 0..R-1, then anchors R..R+A-1 ("active nodes").
Clock offsets are stored and estimated in metres (``c * delta``), never in seconds.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from isactoolbox.core.scenario import Scenario, array, nonnegative, positive, scalar
from isactoolbox.errors import ScenarioValidationError

#: Speed of light (m/s).
SPEED_OF_LIGHT = 299_792_458.0

# Nodes closer than this are coincident: range-information intensities (1/d^2, 1/d^4) blow up.
_MIN_SEPARATION_M = 1e-3
# Random drops keep every pair of nodes at least this far apart, so drawn networks are sane.
_MIN_DROP_SEPARATION_M = 5.0


def _db(value_db: float) -> float:
    return float(10.0 ** (value_db / 10.0))


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class ISALNetwork(Scenario):
    """An integrated sensing and localization network (paper 003), one or more slots.

    Shapes: S slots, R radars, A anchors. ``radar_positions[s, r]`` is radar r in slot s,
    ``target_positions[s]`` the target in slot s; ``clock_offsets[s, r]`` is ``c * delta_r`` (m) in
    slot s (only link times depend on it, not the Fisher information). In a synchronous network
    the offsets are known (zero) and not estimated.

    Per-node power limits: ``node_power_max`` (R + A,) when given, else ``radar_power_max`` for every
    radar and ``anchor_power_max`` for every anchor. ``energy_budget`` (J) bounds the energy summed
    over all nodes and slots; a slot lasts ``slot_duration`` (s), so a node at power P spends
    ``P * slot_duration`` in one slot.
    """

    kind: ClassVar[str] = "isal"

    anchor_positions: np.ndarray = array(("A", 2), unit="m", doc="anchor positions (A, 2), fixed over slots")
    radar_positions: np.ndarray = array(("S", "R", 2), unit="m", doc="radar positions per slot (S, R, 2)")
    target_positions: np.ndarray = array(("S", 2), unit="m", doc="target position per slot (S, 2)")
    clock_offsets: np.ndarray = array(("S", "R"), unit="m", optional=True,
                                      doc="c * delta_r per slot (S, R), radar clock minus anchor clock; "
                                          "default 0; unused in synchronous networks")
    synchronous: bool = scalar(True, kind=bool, doc="True: all clocks agree; False: each radar has an "
                                                     "unknown offset against the anchors' clock")
    carrier_frequency: float = scalar(77e9, unit="Hz", checks=(positive,), doc="f_c (77 GHz)")
    bandwidth: float = scalar(500e6, unit="Hz", checks=(positive,), doc="B (500 MHz)")
    antenna_gain: float = scalar(_db(10.0), unit="1", checks=(positive,),
                                 doc="G of every node's antenna, linear (10 dB)")
    noise_psd: float = scalar(_db(-174.0) * 1e-3, unit="W/Hz", checks=(positive,),
                              doc="N_0, thermal-noise power spectral density (-174 dBm/Hz)")
    system_loss: float = scalar(_db(3.0), unit="1", checks=(positive,), doc="L, system loss, linear (3 dB)")
    rcs: float = scalar(10.0, unit="m^2", checks=(positive,), doc="sigma, radar cross section of the target")
    radar_power_max: float = scalar(1.0, unit="W", checks=(nonnegative,), doc="P_r,max, per-radar power limit")
    anchor_power_max: float = scalar(1.0, unit="W", checks=(nonnegative,), doc="P_a,max, per-anchor power limit")
    node_power_max: np.ndarray = array(("N",), unit="W", optional=True, checks=(nonnegative,),
                                       doc="per-active-node power limits (R + A,), radars first; "
                                           "overrides radar_power_max / anchor_power_max")
    energy_budget: float = scalar(10.0, unit="J", checks=(positive,),
                                  doc="E_total, energy over all nodes and slots (Table 1: 10 J, which "
                                      "does not bind for 4 nodes at 1 W in one 1 s slot)")
    slot_duration: float = scalar(1.0, unit="s", checks=(positive,), doc="length of one slot")
    velocity_variance: float = scalar(0.01, unit="m^2/s^2", checks=(positive,),
                                      doc="eta^2, variance of the radar velocity (temporal cooperation)")
    clock_drift_variance: float = scalar(1e-10, unit="1", checks=(positive,),
                                         doc="rho^2, variance of the relative clock drift rate (s/s)^2; "
                                             "the offset change over a slot has variance rho^2 T_slot^2 (s^2)")

    # -- sizes --
    @property
    def n_slots(self) -> int:
        return int(self.radar_positions.shape[0])

    @property
    def n_radars(self) -> int:
        return int(self.radar_positions.shape[1])

    @property
    def n_anchors(self) -> int:
        return int(self.anchor_positions.shape[0])

    @property
    def n_active(self) -> int:
        """Radars plus anchors."""
        return self.n_radars + self.n_anchors

    # -- derived quantities --
    @property
    def power_max(self) -> np.ndarray:
        """Per-active-node power limit (R + A,), W, radars first."""
        if self.node_power_max is not None:
            return np.asarray(self.node_power_max, dtype=float)
        return np.concatenate([np.full(self.n_radars, self.radar_power_max),
                               np.full(self.n_anchors, self.anchor_power_max)])

    @property
    def xi(self) -> float:
        """xi of eqs. (14)-(15), 1/W: ``lam = xi * P / d^2`` for a ranging link.

        ``xi = 8 pi^2 B^2 G^2 / ((4 pi)^2 N0 B L fc^2)``.
        """
        b, g, fc = self.bandwidth, self.antenna_gain, self.carrier_frequency
        return float(8 * np.pi ** 2 * b ** 2 * g ** 2
                     / ((4 * np.pi) ** 2 * self.noise_psd * b * self.system_loss * fc ** 2))

    def active_positions(self, slot: int = 0) -> np.ndarray:
        """Positions of the active nodes in ``slot`` (R + A, 2), radars first."""
        return np.vstack([self.radar_positions[slot], self.anchor_positions])

    def offsets_m(self, slot: int = 0) -> np.ndarray:
        """``c * delta`` of the active nodes in ``slot`` (R + A,); zero for anchors and synchronous networks."""
        out = np.zeros(self.n_active)
        if not self.synchronous and self.clock_offsets is not None:
            out[:self.n_radars] = self.clock_offsets[slot]
        return out

    # -- validation --
    def _check_consistency(self) -> None:
        owner = type(self).__name__
        if self.n_slots < 1:
            raise ScenarioValidationError("radar_positions", "needs at least one slot (axis 0 is empty)", owner=owner)
        if self.n_radars < 1:
            raise ScenarioValidationError("radar_positions", "empty radar set: at least one radar is needed",
                                          owner=owner)
        if self.n_anchors < 1:
            raise ScenarioValidationError("anchor_positions", "empty anchor set: at least one anchor is needed "
                                          "(radar positions are not identifiable without one)", owner=owner)
        if self.target_positions.shape[0] != self.n_slots:
            raise ScenarioValidationError("target_positions", f"has {self.target_positions.shape[0]} slot(s) but "
                                          f"radar_positions has {self.n_slots}", owner=owner)
        if self.clock_offsets is not None and self.clock_offsets.shape != (self.n_slots, self.n_radars):
            raise ScenarioValidationError("clock_offsets", f"must have shape ({self.n_slots}, {self.n_radars}), "
                                          f"got {self.clock_offsets.shape}", owner=owner)
        if self.node_power_max is not None and self.node_power_max.shape != (self.n_active,):
            raise ScenarioValidationError("node_power_max", f"must have one entry per active node "
                                          f"({self.n_radars} radars + {self.n_anchors} anchors = {self.n_active}), "
                                          f"got shape {self.node_power_max.shape}", owner=owner)
        if not np.any(self.power_max > 0):
            raise ScenarioValidationError("node_power_max" if self.node_power_max is not None else "radar_power_max",
                                          "every node's power limit is zero: nothing can transmit", owner=owner)
        anchors = self.anchor_positions
        gaps = np.linalg.norm(anchors[:, None] - anchors[None], axis=-1) + np.diag(np.full(self.n_anchors, np.inf))
        if np.min(gaps) < _MIN_SEPARATION_M:
            i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
            raise ScenarioValidationError("anchor_positions", f"anchor {i} and anchor {j} coincide", owner=owner)
        for s in range(self.n_slots):
            pos = self.active_positions(s)
            gaps = np.linalg.norm(pos[:, None] - pos[None], axis=-1) + np.diag(np.full(self.n_active, np.inf))
            if np.min(gaps) < _MIN_SEPARATION_M:
                i, j = sorted(np.unravel_index(np.argmin(gaps), gaps.shape))
                raise ScenarioValidationError("radar_positions", f"in slot {s}, {self._node_name(i)} and "
                                              f"{self._node_name(j)} coincide", owner=owner)
            t_gap = np.linalg.norm(pos - self.target_positions[s][None], axis=-1)
            if np.min(t_gap) < _MIN_SEPARATION_M:
                raise ScenarioValidationError("target_positions", f"in slot {s} the target sits on "
                                              f"{self._node_name(int(np.argmin(t_gap)))}", owner=owner)

    def _node_name(self, i: int) -> str:
        return f"radar {i}" if i < self.n_radars else f"anchor {i - self.n_radars}"

    # -- random instances --
    @classmethod
    def random(cls, seed: int, *, n_anchors: int = 2, n_radars: int = 2, n_slots: int = 1,
               side: float = 200.0, max_move: float = 20.0, **overrides: Any) -> "ISALNetwork":
        """Draw a ``side`` x ``side`` m network (default 200 m, 2 anchors, 2 radars, 1 slot).

        Anchors, slot-0 radars and every slot's target are uniform in the square; between slots each
        radar moves by a uniform step of at most ``max_move`` m per axis (clipped to the square).
        Every pair of nodes in a slot stays at least 5 m apart. ``overrides`` set any field
        (positions given explicitly are not drawn); ``synchronous=False`` draws clock offsets
        uniform in +-30 m (+-100 ns).
        """
        rng = np.random.default_rng(seed)

        def far_enough(p: np.ndarray, others: list[np.ndarray]) -> bool:
            return all(np.linalg.norm(p - q) >= _MIN_DROP_SEPARATION_M for q in others)

        def draw(others: list[np.ndarray]) -> np.ndarray:
            while True:
                p = rng.uniform(0.0, side, size=2)
                if far_enough(p, others):
                    return p

        anchors = (np.asarray(overrides.pop("anchor_positions"), float) if "anchor_positions" in overrides
                   else None)
        radars = np.asarray(overrides.pop("radar_positions"), float) if "radar_positions" in overrides else None
        targets = np.asarray(overrides.pop("target_positions"), float) if "target_positions" in overrides else None
        if anchors is None:
            placed: list[np.ndarray] = []
            for _ in range(n_anchors):
                placed.append(draw(placed))
            anchors = np.array(placed)
        if radars is None:
            radars = np.empty((n_slots, n_radars, 2))
            for s in range(n_slots):
                placed = list(anchors)
                for r in range(n_radars):
                    if s == 0:
                        p = draw(placed)
                    else:
                        while True:
                            p = np.clip(radars[s - 1, r] + rng.uniform(-max_move, max_move, size=2), 0.0, side)
                            if far_enough(p, placed):
                                break
                    radars[s, r] = p
                    placed.append(p)
        if targets is None:
            targets = np.array([draw(list(anchors) + list(radars[s])) for s in range(radars.shape[0])])
        fields: dict[str, Any] = {"anchor_positions": anchors, "radar_positions": radars,
                                  "target_positions": targets,
                                  "description": f"random {side:g} m x {side:g} m ISAL network, seed {seed}"}
        if not overrides.get("synchronous", True) and "clock_offsets" not in overrides:
            fields["clock_offsets"] = rng.uniform(-30.0, 30.0, size=(radars.shape[0], radars.shape[1]))
        fields.update(overrides)
        return cls(**fields)
