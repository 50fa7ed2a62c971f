"""Beamformers W (n_tx, L) from a transmit covariance V: eigendecomposition, or Gaussian randomisation.

When ``rank V <= L`` the eigendecomposition is exact (``W W^H = V``); otherwise the paper's
randomisation [14] draws ``W = Q Lambda^{1/2} Z / sqrt(L)`` (``E[W W^H] = V``), rescales each draw
to the power ``tr V`` and keeps the best draw (the truncated eigendecomposition competes too).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Eigenvalues below this fraction of the largest count as zero when deciding the rank.
RANK_RTOL = 1e-7


def numerical_rank(V: np.ndarray, rtol: float = RANK_RTOL) -> int:
    lam = np.linalg.eigvalsh(0.5 * (V + V.conj().T))
    return int(np.sum(lam > rtol * max(lam[-1], 0.0))) if lam[-1] > 0 else 0


def eigen_beamformers(V: np.ndarray, L: int) -> np.ndarray:
    """Columns sqrt(lambda_i) q_i of the L largest eigenpairs (zero-padded to L columns).

    Each column's phase is fixed (largest-magnitude entry real positive) so the result is a
    deterministic function of V; the mismatch criterion (16) depends on that choice.
    """
    lam, Q = np.linalg.eigh(0.5 * (V + V.conj().T))
    order = np.argsort(lam)[::-1]
    lam, Q = np.clip(lam[order], 0.0, None), Q[:, order]
    keep = min(L, int(np.sum(lam > RANK_RTOL * max(lam[0], 0.0)))) if lam[0] > 0 else 0
    W = np.zeros((V.shape[0], L), dtype=complex)
    for i in range(keep):
        q = Q[:, i]
        j = int(np.argmax(np.abs(q)))
        W[:, i] = q * (np.abs(q[j]) / q[j]) * np.sqrt(lam[i])
    return W


def recover_beamformers(V: np.ndarray, L: int, *, score: Callable[[np.ndarray], float] | None = None,
                        draws: int = 100, seed: int = 0) -> tuple[np.ndarray, dict]:
    """W (n_tx, L) and a report {"method", "rank", "exact", "relative_error"}.

    ``score(W)`` (lower is better) ranks randomised candidates; it is only used when rank V > L.
    """
    V = 0.5 * (V + V.conj().T)
    rank = numerical_rank(V)
    power = float(np.trace(V).real)
    W = eigen_beamformers(V, L)
    method = "eigendecomposition"
    if rank > L:
        # Truncation loses power; restore it, then let randomised draws compete.
        W = W * np.sqrt(power / max(np.linalg.norm(W) ** 2, 1e-300))
        if score is not None and draws > 0:
            rng = np.random.default_rng(seed)
            lam, Q = np.linalg.eigh(V)
            root = Q * np.sqrt(np.clip(lam, 0.0, None))
            best, best_score = W, score(W)
            for _ in range(draws):
                Z = (rng.standard_normal((V.shape[0], L)) + 1j * rng.standard_normal((V.shape[0], L))) / np.sqrt(2 * L)
                cand = root @ Z
                cand *= np.sqrt(power / np.linalg.norm(cand) ** 2)
                s = score(cand)
                if s < best_score:
                    best, best_score, method = cand, s, "randomisation"
            W = best
    err = float(np.linalg.norm(W @ W.conj().T - V) / max(np.linalg.norm(V), 1e-300))
    return W, {"method": method, "rank": rank, "exact": rank <= L, "relative_error": err}
