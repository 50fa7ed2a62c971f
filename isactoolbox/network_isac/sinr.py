"""Communication model of paper 000: the SINR (5) of every CU."""
from __future__ import annotations

import numpy as np

from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.solution import Decision


def channel_covariances(scenario: NetworkISAC) -> np.ndarray:
    """H[s, k] = h_{s,k} h_{s,k}^H (S, K, N, N), so received power is Re tr(H W)."""
    h = scenario.channels
    return np.einsum("ska,skb->skab", h, h.conj())


def received_powers(scenario: NetworkISAC, decision: Decision) -> np.ndarray:
    """Q[j, k] = h_{a_k, j}^H W_k h_{a_k, j} (K, K), W: power of CU k's beam arriving at CU j."""
    h = scenario.channels
    a = decision.association
    hj = h[a, :, :]  # (k, j, N): channel of beam k's BS to every CU j
    q = np.einsum("kja,kab,kjb->jk", hj.conj(), decision.beam_covariances, hj)
    return np.real(q)


def sensing_interference(scenario: NetworkISAC, decision: Decision) -> np.ndarray:
    """sum_{s != s_r} h_{s,k}^H R_s h_{s,k} per CU (K,), W."""
    h = scenario.channels
    R = decision.sensing_covariances.copy()
    R[decision.receiver] = 0.0
    return np.real(np.einsum("ska,sab,skb->k", h.conj(), R, h))


def sinr(scenario: NetworkISAC, decision: Decision) -> np.ndarray:
    """SINR (5) of every CU (K,), linear."""
    q = received_powers(scenario, decision)
    signal = np.diag(q).copy()
    interference = q.sum(axis=1) - signal + sensing_interference(scenario, decision)
    return signal / (interference + scenario.noise_power_cu)
