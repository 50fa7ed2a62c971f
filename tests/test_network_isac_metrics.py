"""Metrics of network ISAC: SINR (5), location CRLB (7), total power, against hand computations."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.errors import ValidationError
from isactoolbox.network_isac import fim
from isactoolbox.network_isac.metrics import SINR, LocationCRLB, TotalTransmitPower
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.registry import registry


def _solution(seed: int = 0):
    sc = NetworkISAC.random(seed, n_bs=4, n_users=3, n_antennas=4)
    rng = np.random.default_rng(seed)
    N = sc.n_antennas
    w = (rng.standard_normal((3, N)) + 1j * rng.standard_normal((3, N))) * 0.3
    R = np.zeros((4, N, N), dtype=complex)
    for s in (0, 1, 3):
        A = rng.standard_normal((N, 2)) + 1j * rng.standard_normal((N, 2))
        R[s] = 0.1 * A @ A.conj().T
    R[2] = 5.0 * np.eye(N)  # the receiver's entry must be ignored
    return sc, {"receiver": 2, "association": np.array([0, 3, 0]), "W": w, "R": R}


def test_sinr_matches_a_hand_loop_and_matrix_form():
    sc, sol = _solution()
    h, w, R, a = sc.channels, sol["W"], sol["R"], sol["association"]
    expected = []
    for k in range(3):
        signal = abs(np.vdot(h[a[k], k], w[k])) ** 2
        interf = sum(abs(np.vdot(h[a[j], k], w[j])) ** 2 for j in range(3) if j != k)
        interf += sum(np.real(h[s, k].conj() @ R[s] @ h[s, k]) for s in (0, 1, 3))
        expected.append(signal / (interf + sc.noise_power_cu))
    got = SINR().evaluate(sc, sol)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    as_matrices = {**sol, "W": np.einsum("ka,kb->kab", w, w.conj())}
    np.testing.assert_allclose(SINR().evaluate(sc, as_matrices), expected, rtol=1e-12)
    assert SINR(user=1).evaluate(sc, sol) == pytest.approx(expected[1], rel=1e-12)
    np.testing.assert_allclose(SINR.to_db(got), 10 * np.log10(expected))


def test_total_power_and_crlb():
    sc, sol = _solution(1)
    w, R = sol["W"], sol["R"]
    total = np.sum(np.abs(w) ** 2) + sum(np.real(np.trace(R[s])) for s in (0, 1, 3))
    assert TotalTransmitPower().evaluate(sc, sol) == pytest.approx(total, rel=1e-12)
    per_bs = TotalTransmitPower(per_bs=True).evaluate(sc, sol)
    assert per_bs[2] == 0.0 and per_bs.sum() == pytest.approx(total, rel=1e-12)
    C = R.copy()
    C[2] = 0
    C[0] += np.outer(w[0], w[0].conj()) + np.outer(w[2], w[2].conj())
    C[3] += np.outer(w[1], w[1].conj())
    F = fim.fim(sc, 2, C)
    assert LocationCRLB().evaluate(sc, sol) == pytest.approx(np.trace(np.linalg.inv(F)[:2, :2]), rel=1e-8)


@pytest.mark.parametrize("key,value", [
    ("association", np.array([0, 2, 0])),   # a CU served by the receiver
    ("association", np.array([0, 1])),      # wrong length
    ("receiver", 7),
    ("W", np.zeros((3, 5), complex)),
    ("R", np.zeros((4, 3, 3), complex)),
])
def test_bad_solutions_raise_naming_the_entry(key, value):
    sc, sol = _solution()
    with pytest.raises(ValidationError, match=key):
        SINR().evaluate(sc, {**sol, key: value})


def test_metrics_are_registered():
    assert registry.metric("sinr") is SINR
    assert registry.metric("location-crlb") is LocationCRLB
    assert registry.metric("total-power") is TotalTransmitPower
    assert registry.scenario("network-isac") is NetworkISAC
