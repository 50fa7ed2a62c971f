"""Neutral model of the rank-relaxed subproblem (23) of Algorithm 1 for one receiving BS.

With the receiver s_r fixed (b one-hot), subproblem (23) under the SDR is

    minimise    sum_{s,k} tr W~_{s,k} / P + sum_{s != s_r} tr R_s / P + sum_{s,k} c_{s,k} a_{s,k}
    subject to  SINR_k >= Gamma                       (C3, whitened by the CU noise, divided by Gamma)
                sum_k tr W~_{s,k} + tr R_s <= P       (C1)
                CRLB(p) <= eps                        (C2a-C2c, structured Schur-complement LMIs)
                tr W~_{s,k} <= a_{s,k} P              (big-M (18), M = P)
                sum_s a_{s,k} = 1, a >= 0             (C4, C7b)
                W~_{s,k}, R_s Hermitian PSD,

where W~_{s,k} = a_{s,k} W_{s,k} is the effective beam of BS s towards CU k and
``c_{s,k} = mu (1 - 2 a^(t)_{s,k})`` is the first-order Taylor (MM) coefficient of the penalty
``mu sum (a - a^2)`` (16)-(17) at the previous iterate (the constant ``mu sum (a^(t))^2`` is added
by the caller). Objective and mu are in units of P: mu = 1 means a unit of the relaxed binary
gap costs as much as one BS's full power.

Two deliberate departures from (18)-(21), both exact at binary a:

- the paper's matrix big-M ``W~ << a P I`` (18) is replaced by the trace form ``tr W~ <= a P``.
  Since lambda_max <= tr for PSD matrices, the trace form is at least as tight, and at a in {0, 1}
  both say the same thing together with C1; it costs one linear row instead of an N x N LMI;
- the unscaled W_{s,k} and rows (19)-(21) are dropped: W only appears there, and W := W~ satisfies
  (19)-(21) whenever (18) holds (W~ >= W~ - (1 - a) P I because a <= 1), so they never cut off a
  (W~, a) pair. The relaxation is therefore unchanged.

Numerics follow :class:`isactoolbox.network_isac.strategies.choice_sdp.ChoiceSDP`: each beam block
W~_{s,k} has its own power unit (the interference-free power that gives CU k the SINR Gamma from
BS s), optional congruence preconditioning of the blocks, SINR rows whitened, CRLB through the
closed-form per-transmitter information of :func:`isactoolbox.network_isac.fim.transmitter_information`
(J in units of 1/eps per P, so the bound is 1).

The model is compiled once; :meth:`AOModel.set_penalty` changes only the values of the parameter
``c`` between AO iterations, so a backend can update its solver model in place.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from isactoolbox.core.result import Timings
from isactoolbox.modeling import Model, bmat, congruence, inner, trace
from isactoolbox.network_isac.fim import transmitter_information
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.strategies.choice_sdp import BlockCongruence, ChoiceOutcome, ChoiceSpec

#: Models built by :class:`AOModel` in this process (tests check that AO iterations re-use them).
BUILD_COUNT = 0


class AOModel:
    """The compiled subproblem (23) of one receiver; re-solved with new penalty coefficients.

    Shapes: a and c are indexed by ``self.pairs`` = [(s, k) for k in CUs for s in transmitters],
    i.e. a vector of length (S - 1) K; :meth:`solve` returns them as an (S, K) array (zero on the
    receiver's row).
    """

    def __init__(self, scenario: NetworkISAC, receiver: int, *, precondition: bool = False) -> None:
        global BUILD_COUNT
        t0 = time.perf_counter()
        self.scenario = scenario
        self.receiver = r = int(receiver)
        self.spec = ChoiceSpec.free(scenario, r)
        S, K, N = scenario.n_bs, scenario.n_users, scenario.n_antennas
        self.unit = P = scenario.max_power
        eps = scenario.crlb_max
        gamma = scenario.sinr_min
        tx = [s for s in range(S) if s != r]
        self.tx = tx
        self.pairs = [(s, k) for k in range(K) for s in tx]
        m = Model(f"network-isac ao-penalty r={r}")
        self.model = m
        self.W = {key: m.hermitian(f"Wt[{key[0]},{key[1]}]", N, psd=True) for key in self.pairs}
        self.R = {s: m.hermitian(f"R[{s}]", N, psd=True) for s in tx}
        self.U = m.symmetric("U", 2)
        # a in [0, 1]: the upper bound follows from sum_s a = 1 and a >= 0, so it is not repeated.
        self.a = m.real("a", len(self.pairs), lb=0.0)
        self.c = m.parameter("penalty_slope", len(self.pairs), 0.0)

        h = scenario.channels
        gain = np.sum(np.abs(h) ** 2, axis=2)  # (S, K)
        self.beam_unit = {(s, k): min(gamma * scenario.noise_power_cu / gain[s, k], P) for s, k in self.pairs}

        # Same congruence preconditioner as ChoiceSDP (see there for why).
        self.congruence = BlockCongruence(scenario, {key: self.beam_unit[key] for key in self.pairs}, P, tx,
                                          precondition)
        physical = self.congruence.physical
        Wp = {key: physical(key, X) for key, X in self.W.items()}
        Rp = {s: physical(("R", s), self.R[s]) for s in tx}
        # -- C3: SINR, whitened by the CU noise, divided by Gamma --
        Hn = np.einsum("ska,skb->skab", h, h.conj()) / scenario.noise_power_cu
        for k in range(K):
            signal = sum(inner(self.beam_unit[(s, k)] * Hn[s, k], Wp[(s, k)]) for s in tx)
            interference = sum(inner(self.beam_unit[(s, j)] * Hn[s, k], Wp[(s, j)])
                               for j in range(K) if j != k for s in tx)
            interference = interference + sum(inner(P * Hn[s, k], Rp[s]) for s in tx)
            m.add((1.0 / gamma) * signal - interference >= 1.0, name=f"sinr[{k}]")
        # -- C1: per-BS power, units of P; the transmit covariance C_s for the CRLB --
        C_of: dict[int, Any] = {}
        for s in tx:
            C = Rp[s]
            for k in range(K):
                C = C + (self.beam_unit[(s, k)] / P) * Wp[(s, k)]
            C_of[s] = C
            m.add(trace(C).real <= 1.0, name=f"power[{s}]")
        # -- big-M (18) in trace form and C4 --
        for i, (s, k) in enumerate(self.pairs):
            m.add((self.beam_unit[(s, k)] / P) * trace(Wp[(s, k)]).real - self.a[i] <= 0.0, name=f"bigM[{s},{k}]")
        for k in range(K):
            m.add(sum(self.a[i] for i, (_, k2) in enumerate(self.pairs) if k2 == k) == 1.0, name=f"assoc[{k}]")
        # -- C2: CRLB via the structured Schur complement (fim.TransmitterInformation) --
        scale = P * eps  # J in units of 1/eps per P: the CRLB bound becomes 1
        J = None
        for info in transmitter_information(scenario, r):
            s = info.transmitter
            B = np.column_stack([info.steering, info.derivative_direction])
            Q = congruence(B.conj().T, C_of[s])  # B^H C_s B
            term = (scale * info.illumination) * Q[0, 0].real
            if np.any(info.derivative):
                t = m.real(f"t[{s}]", 1)
                m.add(Q - t * np.array([[0.0, 0.0], [0.0, 1.0]]) >> 0, name=f"crlb_tx[{s}]")
                term = term + t * (scale * info.derivative)
            J = term if J is None else J + term
        I2 = np.eye(2)
        m.add(bmat([[self.U, I2], [I2, J]]) >> 0, name="crlb_inverse")
        m.add(trace(self.U) <= 1.0, name="crlb")
        self._power = sum(trace(C_of[s]).real for s in tx)  # units of P
        m.minimize(self._power + inner(self.c, self.a))
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0
        BUILD_COUNT += 1

    def set_penalty(self, slopes: np.ndarray) -> None:
        """Linear penalty coefficients c_{s,k} (units of P per unit a), (S, K) or (len(pairs),)."""
        slopes = np.asarray(slopes, dtype=float)
        if slopes.ndim == 2:
            slopes = np.array([slopes[s, k] for s, k in self.pairs])
        self.c.value = slopes

    def solve(self, backend: Any) -> tuple[ChoiceOutcome, np.ndarray | None]:
        """Solve with the current penalty; (outcome in W with spec = free choice, a (S, K) or None)."""
        timings = Timings(build=self.build_time)
        self.build_time = 0.0  # charged once
        sol = backend.solve(self.compiled)
        timings.build += sol.build_time
        timings.solver += sol.solve_time
        timings.solves += 1
        S, K, N = self.scenario.n_bs, self.scenario.n_users, self.scenario.n_antennas
        beams: dict[tuple[int, int], np.ndarray] = {}
        sensing = None
        power = None
        a = None
        residuals: dict[str, float] = {}
        if sol.status.has_solution and sol.x is not None:
            for key, X in self.W.items():
                beams[key] = self.beam_unit[key] * self.congruence.physical(key, sol.value(X))
            sensing = np.zeros((S, N, N), dtype=complex)
            for s, R in self.R.items():
                sensing[s] = self.unit * self.congruence.physical(("R", s), sol.value(R))
            power = self.unit * float(np.asarray(sol.value(self._power)).ravel()[0])
            a = np.zeros((S, K))
            values = np.asarray(sol.value(self.a), dtype=float).ravel()
            for i, (s, k) in enumerate(self.pairs):
                a[s, k] = min(max(values[i], 0.0), 1.0)
            residuals = sol.residuals()
        outcome = ChoiceOutcome(self.spec, sol.status, power, beams, sensing, timings,
                                message=sol.message, raw_status=sol.raw_status, residuals=residuals)
        return outcome, a
