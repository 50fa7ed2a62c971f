"""``BistaticMonostatic``: one BS pilots a UE (bistatic positioning) and senses targets (monostatic).

Paper 004 (Zhang et al., ICC Workshops 2025), conventions fixed by MODELS.md section 3. All fields
are SI and linear (watts, W/Hz, a linear noise figure); the paper's dB values appear only in the
defaults' docs and in :meth:`BistaticMonostatic.paper`.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from isactoolbox.core.scenario import Scenario, array, in_range, one_of, positive, scalar
from isactoolbox.errors import ScenarioValidationError

SPEED_OF_LIGHT = 299_792_458.0  # m/s

#: Target positions of Sec. IV-A (m); K = 2 uses the first two.
PAPER_TARGETS = ((-10.0, 15.0), (5.0, 15.0), (0.0, 17.0))

#: Nodes closer than this (m) count as coincident: every geometric derivative divides by distance.
MIN_SEPARATION = 1e-3


def dbm_to_watt(dbm: float) -> float:
    return 10.0 ** (dbm / 10.0) * 1e-3


def db_to_linear(db: float) -> float:
    return 10.0 ** (db / 10.0)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class BistaticMonostatic(Scenario):
    """Joint bistatic positioning (BP) at the UE and monostatic sensing (MS) at the BS.

    Geometry is 2-D. Path/target index ``k = 0`` is the UE (LOS path in BP, the UE echo in MS);
    ``k = 1..K`` are the passive targets. Arrays are half-wavelength ULAs,
    ``a(theta)_n = exp(j pi (n - r) sin theta)``, with ``r = (N-1)/2`` ("centre", the paper's
    convention) or ``r = 0`` ("first"); position CRBs do not depend on that choice.
    """

    kind: ClassVar[str] = "bistatic-monostatic"

    # --- base station ---
    bs_position: np.ndarray = array((2,), unit="m", doc="BS array centre (x, y)")
    bs_orientation: float = scalar(math.pi / 2, unit="rad",
                                   doc="global angle of the BS broadside (pi/2: broadside +y)")
    n_tx: int = scalar(16, kind=int, doc="BS transmit antennas M_T", checks=(positive,))
    n_rx: int = scalar(16, kind=int, doc="BS co-located receive antennas M_R", checks=(positive,))
    # --- user equipment ---
    ue_position: np.ndarray = array((2,), unit="m", doc="UE array centre (x, y)")
    ue_orientation: float = scalar(math.radians(110.0), unit="rad",
                                   doc="global angle of the UE broadside phi (unknown to BP)")
    n_ue: int = scalar(16, kind=int, doc="UE antennas M_U", checks=(positive,))
    clock_bias: float = scalar(1e-6, unit="s", doc="BS-UE clock offset Delta t (unknown to BP)")
    ue_rcs: float = scalar(10.0, unit="m^2", doc="radar cross section of the UE (MS target 0)",
                           checks=(positive,))
    # --- passive targets ---
    target_positions: np.ndarray = array(("K", 2), unit="m", doc="K passive targets (x, y)")
    target_rcs: np.ndarray = array(("K",), unit="m^2", doc="RCS of each target (BP and MS)",
                                   checks=(positive,))
    # --- gain phases (drawn once, stored) ---
    bp_phases: np.ndarray = array((None,), unit="rad", checks=(in_range(-math.pi, math.pi),),
                                  doc="phases of the K+1 BP path gains alpha_0..alpha_K")
    ms_phases: np.ndarray = array((None,), unit="rad", checks=(in_range(-math.pi, math.pi),),
                                  doc="phases of the K+1 MS echo gains beta_0..beta_K")
    # --- waveform ---
    power: float = scalar(dbm_to_watt(-20.0), unit="W",
                          doc="total transmit power P over all subcarriers (-20 dBm); tr V <= P/M",
                          checks=(positive,))
    carrier_frequency: float = scalar(28e9, unit="Hz", doc="f_c", checks=(positive,))
    bandwidth: float = scalar(120e6, unit="Hz", doc="W; subcarrier spacing W/M", checks=(positive,))
    n_subcarriers: int = scalar(1024, kind=int, doc="M; subcarriers m = 0..M-1", checks=(positive,))
    noise_figure: float = scalar(db_to_linear(10.0), unit="linear",
                                 doc="receiver noise figure F, linear (10 dB = 10.0)",
                                 checks=(positive,))
    noise_psd: float = scalar(dbm_to_watt(-173.855), unit="W/Hz",
                              doc="one-sided noise PSD N0 (-173.855 dBm/Hz)", checks=(positive,))
    n_slots: int = scalar(16, kind=int, doc="L slots = beamformer columns", checks=(positive,))
    n_pilots: int = scalar(100, kind=int, doc="N OFDM pilot symbols per slot", checks=(positive,))
    array_phase_reference: str = scalar("centre", kind=str, checks=(one_of("centre", "first"),),
                                        doc="ULA phase reference: 'centre' r=(N-1)/2, 'first' r=0")

    # -- derived quantities --
    @property
    def n_targets(self) -> int:
        return int(self.target_positions.shape[0])

    @property
    def wavelength(self) -> float:
        """lambda = c / f_c (m)."""
        return SPEED_OF_LIGHT / self.carrier_frequency

    @property
    def subcarrier_spacing(self) -> float:
        """Delta f = W / M (Hz)."""
        return self.bandwidth / self.n_subcarriers

    @property
    def noise_variance(self) -> float:
        """sigma^2 = F N0 Delta f (W), per subcarrier and antenna."""
        return self.noise_figure * self.noise_psd * self.subcarrier_spacing

    @property
    def power_per_subcarrier(self) -> float:
        """P / M (W): the bound on tr V = tr W W^H."""
        return self.power / self.n_subcarriers

    def node_positions(self) -> np.ndarray:
        """(K+1, 2) positions of the UE (row 0) and the targets (m)."""
        return np.vstack([self.ue_position[None, :], self.target_positions])

    def with_phase_reference(self, reference: str) -> "BistaticMonostatic":
        """The same physical channels written with another ULA phase reference ("centre"/"first").

        Moving the reference from r to r' multiplies a(theta) by exp(j pi (r - r') sin theta); the
        gain phases absorb that per path, so every H_m is unchanged (and so is every position CRB).
        """
        from isactoolbox.bpms.arrays import angle_seen_from, phase_reference

        def shift(n: int, theta: np.ndarray) -> np.ndarray:
            # a_new = a_old * exp(j pi (r_old - r_new) sin theta)
            return np.pi * (phase_reference(n, self.array_phase_reference)
                            - phase_reference(n, reference)) * np.sin(theta)

        nodes = self.node_positions()
        th_B = angle_seen_from(self.bs_position, nodes, self.bs_orientation)
        th_U = np.concatenate([[angle_seen_from(self.ue_position, self.bs_position, self.ue_orientation)],
                               angle_seen_from(self.ue_position, self.target_positions, self.ue_orientation)])
        # H = g a_rx a_tx^H: the new gain must undo the rx shift and the conjugated tx shift.
        bp = self.bp_phases - shift(self.n_ue, th_U) + shift(self.n_tx, th_B)
        ms = self.ms_phases - shift(self.n_rx, th_B) + shift(self.n_tx, th_B)
        wrap = lambda x: np.angle(np.exp(1j * x))  # noqa: E731
        return self.replace(array_phase_reference=reference, bp_phases=wrap(bp), ms_phases=wrap(ms))

    # -- validation --
    def _check_consistency(self) -> None:
        owner = type(self).__name__
        K = self.n_targets
        if K < 1:
            # Without a non-LOS path the UE's position, orientation and clock are not identifiable.
            raise ScenarioValidationError("target_positions", "needs at least one target (K >= 1)", owner=owner)
        for name in ("bp_phases", "ms_phases"):
            got = getattr(self, name).shape[0]
            if got != K + 1:
                raise ScenarioValidationError(name, f"needs K+1 = {K + 1} phases (UE path first), got {got}", owner=owner)
        bs, ue = self.bs_position, self.ue_position
        if np.linalg.norm(ue - bs) < MIN_SEPARATION:
            raise ScenarioValidationError("ue_position", "coincides with bs_position", owner=owner)
        for k, p in enumerate(self.target_positions):
            if np.linalg.norm(p - bs) < MIN_SEPARATION:
                raise ScenarioValidationError("target_positions", f"target {k} sits on the BS", owner=owner)
            if np.linalg.norm(p - ue) < MIN_SEPARATION:
                raise ScenarioValidationError("target_positions", f"target {k} sits on the UE", owner=owner)
            for j in range(k):
                if np.linalg.norm(p - self.target_positions[j]) < MIN_SEPARATION:
                    raise ScenarioValidationError("target_positions", f"targets {j} and {k} coincide", owner=owner)

    # -- instances --
    @classmethod
    def random(cls, seed: int, **overrides: Any) -> "BistaticMonostatic":
        """Paper geometry (Sec. IV-A) with gain phases drawn uniformly in [-pi, pi] from ``seed``.

        ``overrides`` set any field; the number of phases drawn follows ``target_positions``.
        """
        targets = np.asarray(overrides.pop("target_positions", PAPER_TARGETS), dtype=float)
        K = targets.shape[0] if targets.ndim == 2 else 0
        rng = np.random.default_rng(seed)
        fields: dict[str, Any] = {
            "bs_position": np.zeros(2),
            "ue_position": np.array([-5.0, 20.0]),
            "target_positions": targets,
            "target_rcs": np.full(K, 100.0),
            "bp_phases": rng.uniform(-math.pi, math.pi, K + 1),
            "ms_phases": rng.uniform(-math.pi, math.pi, K + 1),
            "description": (f"paper 004 Sec. IV-A, K = {K} (P = -20 dBm, N0 = -173.855 dBm/Hz and F = 10 dB "
                            f"stored linear in W, W/Hz, 1); gain phases drawn from seed {seed}"),
        }
        fields.update(overrides)
        return cls(**fields)

    @classmethod
    def paper(cls, n_targets: int = 3, seed: int = 2025, **overrides: Any) -> "BistaticMonostatic":
        """Sec. IV-A with the first ``n_targets`` paper targets (K = 2 or 3)."""
        if not 1 <= n_targets <= len(PAPER_TARGETS):
            raise ScenarioValidationError("target_positions", f"the paper lists 3 targets, asked for {n_targets}",
                                          owner=cls.__name__)
        return cls.random(seed, target_positions=np.array(PAPER_TARGETS[:n_targets]), **overrides)
