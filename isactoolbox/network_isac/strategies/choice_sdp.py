"""The convex SDP of one receiver choice (Theorem 1), shared by every network-ISAC strategy.

With the receiving BS s_r fixed, problem (8) under the SDR is the SDP

    minimise    sum_{s,k} tr W_{s,k} + sum_{s != s_r} tr R_s
    subject to  SINR_k >= Gamma (affine after multiplying out)            for every CU k
                sum_k tr W_{s,k} + tr R_s <= P                             for every s != s_r
                CRLB(p) <= eps                                             (Schur-complement LMI)
                W_{s,k}, R_s Hermitian PSD.

A :class:`ChoiceSpec` gives, per CU, the BSs that may serve it. When every CU has exactly one
candidate this is the fixed-choice SDP of Theorem 1 (one W per CU). With several candidates it is
the big-M relaxation used at branch-and-bound nodes: ``tr W_{s,k} <= a_{s,k} P`` with
``sum_s a_{s,k} = 1``, ``0 <= a <= 1``, whose projection onto W (Fourier-Motzkin on a) is the single
row ``sum_s tr W_{s,k} <= P``; so a node needs no binaries and no a at all. Blocks the choice forces
to zero (the receiver's, non-candidates') are never created: a zero-forced block would leave the
interior-point solver without a strictly feasible point.

A CU may instead get a fixed beam direction (``directions``), W_k = p_k V_k with a scalar power
p_k >= 0: the power re-optimisation used after Gaussian randomisation.

Numerics: powers are in units of P (every block has trace <= 1), SINR rows are whitened by the CU
noise and divided by Gamma (right-hand side 1), the FIM is whitened and equilibrated
(:func:`isactoolbox.network_isac.fim.linear_fim`). ``CRLB <= eps`` is the LMI
``[[U, E^T], [E, F]] >> 0``, ``tr U <= eps / crlb_unit`` with E = [I_2; 0]: for F > 0 it says
``U >= [F^-1]_pp`` (Schur complement), with no numerical inverse anywhere.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Mapping, Sequence

import numpy as np

from isactoolbox.core.result import Timings
from isactoolbox.modeling import Model, bmat, congruence, inner, trace
from isactoolbox.network_isac.fim import LinearFIM, linear_fim, transmitter_information
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.status import Status


@dataclasses.dataclass(frozen=True)
class ChoiceSpec:
    """Receiver and, per CU, the transmitting BSs allowed to serve it (sorted, never the receiver)."""

    receiver: int
    candidates: tuple[tuple[int, ...], ...]
    #: BSs that neither serve a CU nor transmit a sensing signal (the bistatic baseline's idle BSs)
    silent: frozenset[int] = frozenset()


    @classmethod
    def fixed(cls, receiver: int, association: Sequence[int]) -> "ChoiceSpec":
        return cls(int(receiver), tuple((int(s),) for s in association))

    @classmethod
    def free(cls, scenario: NetworkISAC, receiver: int) -> "ChoiceSpec":
        tx = tuple(s for s in range(scenario.n_bs) if s != receiver)
        return cls(int(receiver), tuple(tx for _ in range(scenario.n_users)))

    @property
    def is_fixed(self) -> bool:
        return all(len(c) == 1 for c in self.candidates)

    @property
    def association(self) -> tuple[int, ...]:
        if not self.is_fixed:
            raise ValueError("the association is not fixed at this node")
        return tuple(c[0] for c in self.candidates)

    def restrict(self, user: int, bs: int) -> "ChoiceSpec":
        """The child node where CU ``user`` is served by ``bs``."""
        cands = list(self.candidates)
        cands[user] = (int(bs),)
        return ChoiceSpec(self.receiver, tuple(cands), self.silent)

    def validate(self, scenario: NetworkISAC) -> None:
        if not 0 <= self.receiver < scenario.n_bs:
            raise ValueError(f"receiver {self.receiver} is not a BS index")
        if len(self.candidates) != scenario.n_users:
            raise ValueError(f"need candidates for {scenario.n_users} CUs, got {len(self.candidates)}")
        for k, cand in enumerate(self.candidates):
            if (not cand or self.receiver in cand or any(not 0 <= s < scenario.n_bs for s in cand)
                    or any(s in self.silent for s in cand)):
                raise ValueError(f"CU {k}: candidates {cand} must be nonempty transmitting BSs")
        if self.receiver in self.silent or any(not 0 <= s < scenario.n_bs for s in self.silent):
            raise ValueError(f"silent BSs {sorted(self.silent)} must be BS indices other than the receiver")


@dataclasses.dataclass
class ChoiceOutcome:
    """Solved choice SDP in physical units (W)."""

    spec: ChoiceSpec
    status: Status
    objective: float | None  # total transmit power, W (None without a primal point)
    beams: dict[tuple[int, int], np.ndarray]  # (s, k) -> W_{s,k} (N, N) complex, W
    sensing: np.ndarray | None  # (S, N, N) complex, W; receiver's block zero
    timings: Timings
    message: str = ""
    raw_status: str = ""
    residuals: dict[str, float] = dataclasses.field(default_factory=dict)

    def shares(self) -> np.ndarray:
        """a_{s,k} implied by the relaxation: signal-power share of BS s for CU k (S, K)."""
        S = self.sensing.shape[0] if self.sensing is not None else 0
        K = len(self.spec.candidates)
        out = np.zeros((S, K))
        for (s, k), W in self.beams.items():
            out[s, k] = max(float(np.real(np.trace(W))), 0.0)
        tot = out.sum(axis=0, keepdims=True)
        return np.divide(out, tot, out=np.zeros_like(out), where=tot > 0)

    def covariances(self) -> np.ndarray:
        """Transmit covariance C_s of every BS (S, N, N), W."""
        C = self.sensing.copy()
        for (s, _), W in self.beams.items():
            C[s] += W
        return C


def interference_preconditioner(scenario: NetworkISAC, bs: int, unit: float, exclude: int | None) -> np.ndarray:
    """T = (I + sum_{j != exclude} INR_j hhat_j hhat_j^H)^(-1/2) (N, N) for a block of BS ``bs``.

    INR_j is the interference-to-noise ratio ``unit`` watts (spread over the channel) would cause at
    CU j; ``exclude`` is the CU the block serves. The congruence X -> T X T^H maps the PSD cone
    onto itself, so the feasible set is unchanged while the SINR rows get O(1) coefficients.
    """
    h = scenario.channels[bs]  # (K, N)
    gain = np.sum(np.abs(h) ** 2, axis=1)
    hhat = h / np.sqrt(np.maximum(gain, np.finfo(float).tiny))[:, None]
    M = np.eye(h.shape[1], dtype=complex)
    for j in range(h.shape[0]):
        if j != exclude:
            M += (unit * gain[j] / scenario.noise_power_cu) * np.outer(hhat[j], hhat[j].conj())
    w, V = np.linalg.eigh(M)
    return (V / np.sqrt(w)) @ V.conj().T


class BlockCongruence:
    """The congruence ``X -> T X T^H`` of every beam block (s, k) and sensing block ("R", s).

    T is :func:`interference_preconditioner` of the block's BS, power unit and served CU; with
    ``enabled=False`` every T is the identity. :meth:`physical` maps a block's solver variable (an
    expression) or its value (an array) to the physical matrix alike.
    """

    def __init__(self, scenario: NetworkISAC, beam_units: Mapping[tuple[int, int], float], sensing_unit: float,
                 transmitters: Sequence[int], enabled: bool) -> None:
        self.T: dict[Any, np.ndarray] = {}
        if enabled:
            for (s, k), unit in beam_units.items():
                self.T[(s, k)] = interference_preconditioner(scenario, s, unit, k)
            for s in transmitters:
                self.T[("R", s)] = interference_preconditioner(scenario, s, sensing_unit, None)

    def physical(self, key: Any, X: Any) -> Any:
        T = self.T.get(key)
        if T is None:
            return X
        return T @ X @ T.conj().T if isinstance(X, np.ndarray) else congruence(T, X)


class ChoiceSDP:
    """Builds the neutral model of one :class:`ChoiceSpec` once; re-solves it for new Gamma / eps.

    ``sinr_min`` and ``crlb_max`` are model parameters: :meth:`set_targets` changes them without
    rebuilding. ``directions`` maps CU -> unit-trace PSD (N, N) direction matrix V_k (fixed-choice
    CUs only) for power-only beams.
    """

    def __init__(self, scenario: NetworkISAC, spec: ChoiceSpec, *,
                 directions: Mapping[int, np.ndarray] | None = None,
                 sinr_min: float | None = None, crlb_max: float | None = None,
                 fim_data: LinearFIM | None = None, crlb_form: str = "structured",
                 sensing_unit: float | None = None, precondition: bool = True) -> None:
        t0 = time.perf_counter()
        spec.validate(scenario)
        self.scenario = scenario
        self.spec = spec
        self.directions = dict(directions or {})
        for k in self.directions:
            if len(spec.candidates[k]) != 1:
                raise ValueError(f"CU {k}: a fixed direction needs a fixed serving BS")
        S, K, N = scenario.n_bs, scenario.n_users, scenario.n_antennas
        r = spec.receiver
        self.unit = scenario.max_power
        self.sensing_unit = float(self.unit if sensing_unit is None else sensing_unit)
        eps = float(scenario.crlb_max if crlb_max is None else crlb_max)
        # sqrt(eps) as the position scale puts the CRLB bound at 1 and F ~ O(1) near the optimum.
        # The ULA phase centre as reference makes a'(theta) orthogonal to a(theta): the gain
        # nuisances then absorb little of the angle information, so the Schur complement is not a
        # small difference of large numbers. The CRLB does not depend on the reference.
        self.fim = fim_data if fim_data is not None else linear_fim(
            scenario, r, power_unit=self.unit, position_scale=np.sqrt(eps), reference=(N - 1) / 2)
        tx = [s for s in range(S) if s != r and s not in spec.silent]
        m = Model(f"network-isac choice r={r}")
        self.model = m
        # -- variables (only blocks the choice allows) --
        self.W: dict[tuple[int, int], Any] = {}
        self.p: dict[int, Any] = {}
        for k, cand in enumerate(spec.candidates):
            if k in self.directions:
                self.p[k] = m.real(f"p[{k}]", 1, lb=0.0)
            else:
                for s in cand:
                    self.W[(s, k)] = m.hermitian(f"W[{s},{k}]", N, psd=True)
        self.R = {s: m.hermitian(f"R[{s}]", N, psd=True) for s in tx}
        self.U = m.symmetric("U", 2)
        self.gamma_inv = m.parameter("1/Gamma", 1, 1.0 / float(scenario.sinr_min if sinr_min is None else sinr_min))
        self.crlb_bound = m.parameter("eps_scaled", 1, eps / self.fim.crlb_unit)

        # Each beam block has its own power unit: the power that would give CU k the SINR Gamma
        # from BS s without interference. Close CUs need ~1e-6 P; in units of P their SINR rows
        # would carry 1e6-size coefficients and stall the interior-point method.
        h = scenario.channels
        gamma0 = float(scenario.sinr_min if sinr_min is None else sinr_min)
        gain = np.sum(np.abs(h) ** 2, axis=2)  # (S, K)
        self.beam_unit: dict[tuple[int, int], float] = {}
        for k, cand in enumerate(spec.candidates):
            for s in cand:
                self.beam_unit[(s, k)] = min(gamma0 * scenario.noise_power_cu / gain[s, k], self.unit)

        # Congruence preconditioning X -> T X T^H (an automorphism of the PSD cone, so the feasible
        # set is unchanged): T shrinks the directions of CUs a block interferes with, in proportion
        # to the interference-to-noise ratio one unit of power would cause there (up to ~1e5 for a
        # CU next to the BS). Without it the SINR rows need R to null those CUs to ~1e-5 relative
        # accuracy and interior-point solvers stall or stop early.
        self.congruence = BlockCongruence(scenario, {key: self.beam_unit[key] for key in self.W},
                                          self.sensing_unit, tx, precondition)
        physical = self.congruence.physical

        # beam k's contribution, per transmitting BS: (BS, power unit in W, affine matrix)
        def beam_terms(k: int) -> list[tuple[int, float, Any]]:
            if k in self.directions:
                s = spec.candidates[k][0]
                return [(s, self.beam_unit[(s, k)], self.p[k] * self.directions[k])]
            return [(s, self.beam_unit[(s, k)], physical((s, k), self.W[(s, k)])) for s in spec.candidates[k]]

        self._Rphys = {s: physical(("R", s), self.R[s]) for s in tx}

        self._beam_terms = {k: beam_terms(k) for k in range(K)}
        # -- SINR: whitened by the CU noise, divided by Gamma --
        Hn = np.einsum("ska,skb->skab", h, h.conj()) / scenario.noise_power_cu
        for k in range(K):
            signal = sum(inner(u * Hn[s, k], X) for s, u, X in self._beam_terms[k])
            interference = sum(inner(u * Hn[s, k], X) for j in range(K) if j != k
                               for s, u, X in self._beam_terms[j])
            interference = interference + sum(inner(self.sensing_unit * Hn[s, k], self._Rphys[s]) for s in tx)
            m.add(self.gamma_inv * signal >= interference + 1.0, name=f"sinr[{k}]")
        # -- per-BS power (units of P) --
        for s in tx:
            load = (self.sensing_unit / self.unit) * trace(self._Rphys[s]).real
            for k in range(K):
                for s2, u, X in self._beam_terms[k]:
                    if s2 == s:
                        load = load + (u / self.unit) * trace(X).real
            m.add(load <= 1.0, name=f"power[{s}]")
        # -- big-M relaxation of the association, projected onto W --
        for k, cand in enumerate(spec.candidates):
            if len(cand) > 1:
                m.add(sum((self.beam_unit[(s, k)] / self.unit) * trace(self._beam_terms[k][i][2]).real
                          for i, s in enumerate(cand)) <= 1.0,
                      name=f"assoc[{k}]")
        # -- CRLB via the Schur complement --
        self.crlb_form = crlb_form
        I2 = np.eye(2)
        C_of: dict[int, Any] = {}  # transmit covariance of each BS, units of P
        for s in tx:
            C_s = (self.sensing_unit / self.unit) * self._Rphys[s]
            for k in range(K):
                for s2, u, X in self._beam_terms[k]:
                    if s2 == s:
                        C_s = C_s + (u / self.unit) * X
            C_of[s] = C_s
        if crlb_form == "structured":
            # J = sum_s [illumination_s * q11_s + derivative_s * t_s] with t_s <= Schur(Q_s), Q_s =
            # B_s^H C_s B_s (2 x 2): small LMIs, no difference of large numbers (fim.TransmitterInformation).
            scale = self.unit * eps  # J in units of 1/eps per P: the CRLB bound becomes 1
            J = None
            self.t: dict[int, Any] = {}
            for info in transmitter_information(scenario, r):
                s = info.transmitter
                if s not in C_of:  # a silent BS contributes no information
                    continue
                B = np.column_stack([info.steering, info.derivative_direction])
                Q = congruence(B.conj().T, C_of[s])  # B^H C_s B
                term = (scale * info.illumination) * Q[0, 0].real
                if np.any(info.derivative):
                    self.t[s] = m.real(f"t[{s}]", 1)
                    m.add(Q - self.t[s] * np.array([[0.0, 0.0], [0.0, 1.0]]) >> 0, name=f"crlb_tx[{s}]")
                    term = term + self.t[s] * (scale * info.derivative)
                J = term if J is None else J + term
            m.add(bmat([[self.U, I2], [I2, J]]) >> 0, name="crlb_inverse")
            m.add(trace(self.U) <= self.crlb_bound * (self.fim.crlb_unit / eps), name="crlb")
        else:
            self._generic_crlb(crlb_form, C_of, tx)
            m.add(trace(self.U) <= self.crlb_bound, name="crlb")
        objective = sum((u / self.unit) * trace(X).real for k in range(K) for _, u, X in self._beam_terms[k])
        objective = objective + sum((self.sensing_unit / self.unit) * trace(self._Rphys[s]).real for s in tx)
        m.minimize(objective)
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0


    def _generic_crlb(self, crlb_form: str, C_of: dict[int, Any], tx: list[int]) -> None:
        """CRLB constraint from the general linear FIM (every entry Re tr(G C)); for cross-checks."""
        m, n, N = self.model, self.fim.size, self.scenario.n_antennas
        I2 = np.eye(2)
        fim_terms: dict[int, Any] = {}
        for s in tx:
            Mmap = np.transpose(self.fim.coefficients[:, :, s], (0, 1, 3, 2)).reshape(n * n, N * N)
            fim_terms[s] = (Mmap @ C_of[s].reshape((N * N, 1))).real.reshape((n, n))
        if crlb_form == "joint":
            F = sum(fim_terms.values())
            E = np.zeros((n, 2))
            E[0, 0] = E[1, 1] = 1.0
            m.add(bmat([[self.U, E.T], [E, F]]) >> 0, name="crlb_schur")
        elif crlb_form == "two-stage":
            F = sum(fim_terms.values())
            J = m.symmetric("J", 2)
            m.add(bmat([[F[0:2, 0:2] - J, F[0:2, 2:n]], [F[2:n, 0:2], F[2:n, 2:n]]]) >> 0, name="crlb_schur")
            m.add(bmat([[self.U, I2], [I2, J]]) >> 0, name="crlb_inverse")
        elif crlb_form == "per-transmitter":
            # Transmitter s's nuisances couple only to its own C_s, so the Schur complement of F is
            # the sum of the per-transmitter Schur complements: J <= sum_s J_s, J_s <= Schur_s.
            Js = []
            ntx = len(tx)
            for idx, s in enumerate(tx):
                Fs = fim_terms[s]
                rows = [0, 1, 2 + idx, 2 + ntx + idx]
                sel = np.zeros((4, n))
                sel[np.arange(4), rows] = 1.0
                Fsub = sel @ Fs @ sel.T
                J_s = m.symmetric(f"J[{s}]", 2)
                Js.append(J_s)
                m.add(bmat([[Fsub[0:2, 0:2] - J_s, Fsub[0:2, 2:4]], [Fsub[2:4, 0:2], Fsub[2:4, 2:4]]]) >> 0,
                      name=f"crlb_schur[{s}]")
            m.add(bmat([[self.U, I2], [I2, sum(Js)]]) >> 0, name="crlb_inverse")
        else:
            raise ValueError(f"crlb_form must be joint, two-stage or per-transmitter, got {crlb_form!r}")

    def set_targets(self, sinr_min: float | None = None, crlb_max: float | None = None) -> None:
        """Change Gamma (linear) and/or eps (m^2) without rebuilding."""
        if sinr_min is not None:
            self.gamma_inv.value = 1.0 / float(sinr_min)
        if crlb_max is not None:
            self.crlb_bound.value = float(crlb_max) / self.fim.crlb_unit

    def solve(self, backend: Any) -> ChoiceOutcome:
        """Solve with a backend instance; values mapped back to W."""
        timings = Timings(build=self.build_time)
        self.build_time = 0.0  # charged once
        sol = backend.solve(self.compiled)
        timings.build += sol.build_time
        timings.solver += sol.solve_time
        timings.solves += 1
        S, N = self.scenario.n_bs, self.scenario.n_antennas
        beams: dict[tuple[int, int], np.ndarray] = {}
        sensing = None
        objective = None
        residuals: dict[str, float] = {}
        if sol.status.has_solution and sol.x is not None:
            for key, X in self.W.items():
                beams[key] = self.beam_unit[key] * self.congruence.physical(key, sol.value(X))
            for k, p in self.p.items():
                s = self.spec.candidates[k][0]
                beams[(s, k)] = (self.beam_unit[(s, k)] * max(float(sol.value(p).ravel()[0]), 0.0)
                                 * self.directions[k])
            sensing = np.zeros((S, N, N), dtype=complex)
            for s, R in self.R.items():
                sensing[s] = self.sensing_unit * self.congruence.physical(("R", s), sol.value(R))
            objective = self.unit * float(sol.objective)
            residuals = sol.residuals()
        return ChoiceOutcome(self.spec, sol.status, objective, beams, sensing, timings,
                             message=sol.message, raw_status=sol.raw_status, residuals=residuals)


def solve_choice(scenario: NetworkISAC, spec: ChoiceSpec, backend: Any, **kwargs: Any) -> ChoiceOutcome:
    """Build and solve the SDP of ``spec`` once."""
    return ChoiceSDP(scenario, spec, **kwargs).solve(backend)
