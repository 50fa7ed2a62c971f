"""The network-ISAC scenario of paper 000 (MODELS.md section 1).

S base stations with N-antenna ULAs, K single-antenna communication users (CUs) and one sensing
target (ST). One BS is chosen as the sensing receiver; the others transmit, serving the CUs and
illuminating the target. Everything is stored in SI units (W, m, rad, Hz); channel amplitudes are
dimensionless linear gains. Table I of the paper gives the defaults.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from isactoolbox.core.scenario import Scenario, array, nonnegative, positive, scalar
from isactoolbox.errors import ScenarioValidationError
from isactoolbox.network_isac.units import db_to_linear, dbm_to_watt

#: BS positions of the paper's Sec. IV / Table II (m).
TABLE2_BS_POSITIONS = np.array([[0.0, 100.0], [100.0, 0.0], [0.0, -100.0], [-100.0, 0.0]])
#: CU positions of the Table II setup (m).
TABLE2_CU_POSITIONS = np.array([[-30.0, 80.0], [20.0, 130.0], [50.0, -80.0], [-40.0, -70.0], [-70.0, -20.0]])
#: Target position of the Table II setup (m).
TABLE2_TARGET_POSITION = np.array([30.0, 60.0])

# Nodes closer than this are treated as coincident (path loss and angles blow up).
_MIN_SEPARATION_M = 1e-6
# Random drops keep users and target at least this far from every BS.
_MIN_DROP_DISTANCE_M = 1.0


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class NetworkISAC(Scenario):
    """Joint BS selection, user association and beamforming instance (paper 000).

    Shapes: S BSs, K CUs, N antennas per BS. ``channels[s, k]`` is h_{s,k} (N,), the downlink
    channel from BS s to CU k (the CU receives ``h^H x``). ``echo_gains[s, s']`` is alpha_{s,s'},
    the complex gain of the path transmitter s' -> target -> receiver s (the diagonal is unused).
    """

    kind: ClassVar[str] = "network-isac"

    bs_positions: np.ndarray = array(("S", 2), unit="m", doc="BS array centres (S, 2)")
    bs_orientations: np.ndarray = array(("S",), unit="rad", optional=True,
                                        doc="global angle of each ULA's broadside (S,); default pi/2 (+y)")
    cu_positions: np.ndarray = array(("K", 2), unit="m", doc="CU positions (K, 2)")
    target_position: np.ndarray = array((2,), unit="m", doc="sensing-target position (2,)")
    channels: np.ndarray = array(("S", "K", "N"), dtype=complex, unit="1",
                                 doc="h[s, k] (S, K, N): channel BS s -> CU k, linear amplitude")
    echo_gains: np.ndarray = array(("S", "S"), dtype=complex, unit="1",
                                   doc="alpha[s, s'] (S, S): gain transmitter s' -> target -> receiver s")
    max_power: float = scalar(float(dbm_to_watt(45.0)), unit="W", checks=(positive,),
                              doc="P, per-BS transmit power limit (45 dBm)")
    sinr_min: float = scalar(float(db_to_linear(8.0)), unit="1", checks=(positive,),
                             doc="Gamma, minimum SINR of every CU, linear (8 dB)")
    crlb_max: float = scalar(1.0, unit="m^2", checks=(positive,), doc="eps, bound on the location CRLB")
    noise_power_cu: float = scalar(float(dbm_to_watt(-85.0)), unit="W", checks=(positive,),
                                   doc="sigma_c^2, noise power at each CU (-85 dBm)")
    noise_power_bs: float = scalar(float(dbm_to_watt(-65.0)), unit="W", checks=(positive,),
                                   doc="sigma_r^2, noise power per antenna at the receiving BS (-65 dBm)")
    samples: int = scalar(1024, kind=int, checks=(positive,), doc="L, radar samples")
    path_gain_ref: float = scalar(1e-3, unit="1", checks=(positive,), doc="beta0, path gain at 1 m (-30 dB)")
    rcs_factor: float = scalar(100.0, unit="1", checks=(positive,), doc="kappa, RCS factor of the echo gain")
    rms_bandwidth: float = scalar(0.0, unit="Hz", checks=(nonnegative,),
                                  doc="B_rms; 0 = angle-only sensing, > 0 adds delay information")
    cu_path_loss_exponent: float = scalar(3.0, unit="1", checks=(positive,), doc="BS-CU path-loss exponent (drops)")
    target_path_loss_exponent: float = scalar(2.0, unit="1", checks=(positive,),
                                              doc="BS-target path-loss exponent per hop (drops)")
    area_radius: float = scalar(150.0, unit="m", checks=(positive,), doc="radius of the disc random drops use")

    # -- sizes --
    @property
    def n_bs(self) -> int:
        return int(self.bs_positions.shape[0])

    @property
    def n_users(self) -> int:
        return int(self.cu_positions.shape[0])

    @property
    def n_antennas(self) -> int:
        return int(self.channels.shape[2])

    # -- validation --
    def _check_consistency(self) -> None:
        owner = type(self).__name__
        if self.bs_orientations is None:
            orient = np.full(self.n_bs, np.pi / 2)
            orient.setflags(write=False)
            object.__setattr__(self, "bs_orientations", orient)
        elif self.bs_orientations.shape != (self.n_bs,):
            raise ScenarioValidationError("bs_orientations", f"must have shape ({self.n_bs},), got "
                                          f"{self.bs_orientations.shape}", owner=owner)
        if self.n_bs < 2:
            raise ScenarioValidationError("bs_positions", "needs at least 2 BSs (one receives, the others "
                                          f"transmit), got {self.n_bs}", owner=owner)
        if self.n_users < 1:
            raise ScenarioValidationError("cu_positions", "empty user set: at least one CU is needed", owner=owner)
        if self.n_antennas < 1:
            raise ScenarioValidationError("channels", "needs at least one antenna (axis 2 is empty)", owner=owner)
        bs = self.bs_positions
        gaps = np.linalg.norm(bs[:, None, :] - bs[None, :, :], axis=-1)
        gaps[np.eye(self.n_bs, dtype=bool)] = np.inf
        if np.min(gaps) < _MIN_SEPARATION_M:
            i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
            raise ScenarioValidationError("bs_positions", f"BS {i} and BS {j} coincide", owner=owner)
        cu_gap = np.linalg.norm(self.cu_positions[:, None, :] - bs[None, :, :], axis=-1)
        if np.min(cu_gap) < _MIN_SEPARATION_M:
            k, s = np.unravel_index(np.argmin(cu_gap), cu_gap.shape)
            raise ScenarioValidationError("cu_positions", f"CU {k} sits on BS {s}", owner=owner)
        t_gap = np.linalg.norm(bs - self.target_position[None, :], axis=-1)
        if np.min(t_gap) < _MIN_SEPARATION_M:
            raise ScenarioValidationError("target_position", f"target sits on BS {int(np.argmin(t_gap))}: "
                                          "its angle is undefined", owner=owner)
        off = ~np.eye(self.n_bs, dtype=bool)
        if np.any(np.abs(self.echo_gains[off]) == 0.0):
            raise ScenarioValidationError("echo_gains", "every bistatic gain alpha[s, s'] (s != s') must be "
                                          "nonzero (the gain-phase nuisance needs a reference)", owner=owner)

    # -- derived quantities --
    def target_angles(self) -> np.ndarray:
        """Local angle (rad) of the target seen from every BS (S,)."""
        from isactoolbox.network_isac.geometry import local_angle

        return np.array([local_angle(self.bs_positions[s], self.bs_orientations[s], self.target_position)
                         for s in range(self.n_bs)])

    def distances_to_target(self) -> np.ndarray:
        """|target - BS s| (S,), m."""
        return np.linalg.norm(self.bs_positions - self.target_position[None, :], axis=-1)

    def distances_to_users(self) -> np.ndarray:
        """|CU k - BS s| (S, K), m."""
        return np.linalg.norm(self.bs_positions[:, None, :] - self.cu_positions[None, :, :], axis=-1)

    # -- random instances --
    @classmethod
    def random(cls, seed: int, *, n_bs: int | None = None, n_users: int | None = None,
               n_antennas: int | None = None, **overrides: Any) -> "NetworkISAC":
        """Draw a drop (MODELS.md section 1).

        BSs default to the Table II positions (S = 4), or S points on the 100 m circle starting at
        (0, 100) and going clockwise for another ``n_bs``. CUs (default K = 5) and the target are
        uniform in the disc of radius ``area_radius`` (at least 1 m from every BS). Channels:
        ``h = sqrt(beta0 d^-a_cu) CN(0, I_N)`` (default N = 8); echo gains
        ``|alpha_{s,s'}|^2 = kappa beta0 d_{s',t}^-a_t beta0 d_{t,s}^-a_t`` with uniform phase
        (diagonal 0). ``overrides`` set any field; a field given explicitly is not drawn, the
        others are drawn for the given geometry (so ``random(seed, cu_positions=...)`` draws the
        channels of a fixed layout).
        """
        rng = np.random.default_rng(seed)
        defaults = {f.name: f.default for f in dataclasses.fields(cls)
                    if f.default is not dataclasses.MISSING}
        par = {**defaults, **overrides}
        if "bs_positions" in overrides:
            bs = np.asarray(overrides["bs_positions"], dtype=float)
        elif n_bs is None or n_bs == 4:
            bs = TABLE2_BS_POSITIONS.copy()
        else:
            phi = np.pi / 2 - 2 * np.pi * np.arange(n_bs) / n_bs
            bs = np.round(100.0 * np.column_stack([np.cos(phi), np.sin(phi)]), 9)
        radius = float(par["area_radius"])

        def drop(count: int) -> np.ndarray:
            pts = np.empty((count, 2))
            i = 0
            while i < count:
                r = radius * np.sqrt(rng.uniform())
                phi = rng.uniform(-np.pi, np.pi)
                p = np.array([r * np.cos(phi), r * np.sin(phi)])
                if np.min(np.linalg.norm(bs - p, axis=-1)) >= _MIN_DROP_DISTANCE_M:
                    pts[i] = p
                    i += 1
            return pts

        k_users = 5 if n_users is None else int(n_users)
        cu = np.asarray(overrides["cu_positions"], dtype=float) if "cu_positions" in overrides else drop(k_users)
        target = (np.asarray(overrides["target_position"], dtype=float) if "target_position" in overrides
                  else drop(1)[0])
        n_ant = 8 if n_antennas is None else int(n_antennas)
        beta0 = float(par["path_gain_ref"])
        if "channels" in overrides:
            h = overrides["channels"]
        else:
            d = np.linalg.norm(bs[:, None, :] - cu[None, :, :], axis=-1)
            gain = np.sqrt(beta0 * d ** (-float(par["cu_path_loss_exponent"])))
            fading = (rng.standard_normal((len(bs), len(cu), n_ant))
                      + 1j * rng.standard_normal((len(bs), len(cu), n_ant))) / np.sqrt(2.0)
            h = gain[:, :, None] * fading
        if "echo_gains" in overrides:
            alpha = overrides["echo_gains"]
        else:
            dt = np.linalg.norm(bs - target[None, :], axis=-1)
            hop = beta0 * dt ** (-float(par["target_path_loss_exponent"]))
            mag = np.sqrt(float(par["rcs_factor"]) * np.outer(hop, hop))
            phase = rng.uniform(-np.pi, np.pi, size=(len(bs), len(bs)))
            alpha = mag * np.exp(1j * phase)
            np.fill_diagonal(alpha, 0.0)
        fields = {**{k: v for k, v in overrides.items()}, "bs_positions": bs, "cu_positions": cu,
                  "target_position": target, "channels": h, "echo_gains": alpha}
        return cls(**fields)

    @classmethod
    def table2(cls, seed: int = 2023, **overrides: Any) -> "NetworkISAC":
        """The fixed geometry of the paper's Table II (Gamma = 8 dB, eps = 1 m^2), channels from ``seed``."""
        base = {"bs_positions": TABLE2_BS_POSITIONS, "cu_positions": TABLE2_CU_POSITIONS,
                "target_position": TABLE2_TARGET_POSITION,
                "description": f"Table II geometry of paper 000 (Fig. 2); Rayleigh channels and echo phases "
                               f"drawn with seed {seed}"}
        return cls.random(seed, **{**base, **overrides})
