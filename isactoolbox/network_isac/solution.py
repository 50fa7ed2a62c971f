"""The physical decision of a network-ISAC solution and its validation.

A solution mapping (what strategies put in ``Result.values``) holds

- ``receiver``: int, the index of the receiving BS s_r;
- ``association``: (K,) int, the transmitting BS serving each CU (never the receiver);
- ``W``: the communication beamformers, either vectors (K, N) complex, ``W[k]`` being w_{a_k, k}
  in sqrt(W), or covariance matrices (K, N, N) complex Hermitian PSD in W (SDR solutions);
- ``R``: (S, N, N) complex Hermitian PSD sensing covariances in W (optional, zero by default;
  the receiver's entry is ignored because the receiver does not transmit).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from isactoolbox.errors import ValidationError
from isactoolbox.network_isac.scenario import NetworkISAC

_OWNER = "network-isac solution"


@dataclasses.dataclass(frozen=True)
class Decision:
    """Validated decision: receiver, association and covariance matrices (W units)."""

    receiver: int
    association: np.ndarray  # (K,) int
    beam_covariances: np.ndarray  # (K, N, N) complex, W_k = w_k w_k^H
    sensing_covariances: np.ndarray  # (S, N, N) complex, receiver's block zero

    @property
    def transmitters(self) -> tuple[int, ...]:
        return tuple(s for s in range(self.sensing_covariances.shape[0]) if s != self.receiver)


def parse_solution(scenario: NetworkISAC, solution: Mapping[str, Any]) -> Decision:
    """Check shapes and indices of a solution mapping and return its :class:`Decision`."""
    S, K, N = scenario.n_bs, scenario.n_users, scenario.n_antennas
    for key in ("receiver", "association", "W"):
        if key not in solution:
            raise ValidationError(key, "missing from the solution", owner=_OWNER)
    receiver = solution["receiver"]
    if isinstance(receiver, (bool, np.bool_)) or not float(receiver).is_integer() or not 0 <= int(receiver) < S:
        raise ValidationError("receiver", f"must be a BS index in 0..{S - 1}, got {receiver!r}", owner=_OWNER)
    receiver = int(receiver)
    assoc = np.asarray(solution["association"])
    if assoc.shape != (K,) or not np.all(np.isfinite(assoc.astype(float))) or np.any(assoc != np.round(assoc)):
        raise ValidationError("association", f"must be {K} integer BS indices, got {assoc!r}", owner=_OWNER)
    assoc = assoc.astype(int)
    if np.any((assoc < 0) | (assoc >= S)):
        raise ValidationError("association", f"BS indices must lie in 0..{S - 1}, got {assoc.tolist()}", owner=_OWNER)
    if np.any(assoc == receiver):
        raise ValidationError("association", f"CU(s) {np.flatnonzero(assoc == receiver).tolist()} are served by "
                              f"the receiving BS {receiver}, which does not transmit", owner=_OWNER)
    W = np.asarray(solution["W"], dtype=complex)
    if W.shape == (K, N):
        Wm = np.einsum("ka,kb->kab", W, W.conj())
    elif W.shape == (K, N, N):
        Wm = 0.5 * (W + np.conj(np.swapaxes(W, 1, 2)))
    else:
        raise ValidationError("W", f"must have shape ({K}, {N}) (vectors) or ({K}, {N}, {N}) (matrices), "
                              f"got {W.shape}", owner=_OWNER)
    if not np.all(np.isfinite(Wm)):
        raise ValidationError("W", "contains NaN or inf", owner=_OWNER)
    R = solution.get("R")
    if R is None:
        Rm = np.zeros((S, N, N), dtype=complex)
    else:
        R = np.asarray(R, dtype=complex)
        if R.shape != (S, N, N):
            raise ValidationError("R", f"must have shape ({S}, {N}, {N}), got {R.shape}", owner=_OWNER)
        if not np.all(np.isfinite(R)):
            raise ValidationError("R", "contains NaN or inf", owner=_OWNER)
        Rm = 0.5 * (R + np.conj(np.swapaxes(R, 1, 2)))
        Rm[receiver] = 0.0
    return Decision(receiver, assoc, Wm, Rm)


def transmit_covariances(decision: Decision) -> np.ndarray:
    """C_s = sum_{k: a_k = s} W_k + R_s for every BS (S, N, N), W; zero for the receiver."""
    C = decision.sensing_covariances.copy()
    for k, s in enumerate(decision.association):
        C[s] += decision.beam_covariances[k]
    C[decision.receiver] = 0.0
    return C


def bs_powers(decision: Decision) -> np.ndarray:
    """Transmit power tr C_s of every BS (S,), W."""
    return np.real(np.trace(transmit_covariances(decision), axis1=1, axis2=2))
