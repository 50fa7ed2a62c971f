"""Information bookkeeping of the step-by-step scheme, checked against the block formulas written out."""
from __future__ import annotations

import numpy as np
import pytest

from isactoolbox.isal.fisher import causal_information, fisher_coefficients
from isactoolbox.isal.metrics import TargetSPEB
from isactoolbox.isal.scenario import ISALNetwork
from isactoolbox.isal.stepwise import step_matrices


def _schur(M: np.ndarray, k: int) -> np.ndarray:
    return M[:k, :k] - M[:k, k:] @ np.linalg.inv(M[k:, k:]) @ M[k:, :k]


def test_sync_single_slot_block_and_efim_carry_written_out():
    sc = ISALNetwork.random(4)
    co = fisher_coefficients(sc)
    rng = np.random.default_rng(0)
    P = rng.uniform(0.1, 1.0, (1, 2, 4))
    I1, I2 = co.fim(P[:, 0]), co.fim(P[:, 1])
    R = 2 * sc.n_radars
    block = I2.copy()
    block[:R, :R] += I1[:R, :R]  # eqs. (54)-(62): step 1's J_e^R is the prior of step 2
    np.testing.assert_allclose(step_matrices(co, P, "block")[-1], block, rtol=1e-12)
    np.testing.assert_allclose(step_matrices(co, P, "block")[0], I1[:R, :R], rtol=1e-12)
    efim = I2.copy()
    efim[:R, :R] += _schur(I1, R)  # the target of step 1 marginalised, not ignored
    np.testing.assert_allclose(step_matrices(co, P, "efim")[-1], efim, rtol=1e-10)


def test_async_three_steps_written_out():
    sc = ISALNetwork.random(6, synchronous=False)
    co = fisher_coefficients(sc)
    P = np.random.default_rng(1).uniform(0.1, 1.0, (1, 3, 4))
    I = [co.fim(P[:, k]) for k in range(3)]
    R, C = 2 * sc.n_radars, 3 * sc.n_radars
    g1 = I[0][:R, :R]
    g2 = I[1][:C, :C].copy()
    g2[:R, :R] += g1  # (74): J_sub with step 1's J_e^R
    g3 = I[2].copy()
    g3[:C, :C] += g2  # (80): I_theta with step 2's J_sub
    mats = step_matrices(co, P, "block")
    for got, want in zip(mats, (g1, g2, g3)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_efim_carry_never_exceeds_the_information_of_the_summed_powers(seed):
    sc = ISALNetwork.random(seed, synchronous=bool(seed % 2), n_slots=1 + seed % 2)
    co = fisher_coefficients(sc)
    K = 2 if sc.synchronous else 3
    P = np.random.default_rng(seed).uniform(0.0, 1.0, (sc.n_slots, K, 4))
    final = step_matrices(co, P, "efim")[-1]
    total = co.fim(P.sum(axis=1))
    assert np.linalg.eigvalsh(total - final)[0] > -1e-9 * np.max(np.abs(total))
    # the block rule can claim more than that (it ignores what early steps say about later blocks)
    block = step_matrices(co, P, "block")[-1]
    assert np.linalg.eigvalsh(total - block)[0] < 0


def test_dual_slot_prior_enters_once_and_one_step_per_slot_is_the_causal_fim():
    sc = ISALNetwork.random(9, n_slots=2, synchronous=False)
    co = fisher_coefficients(sc)
    P = np.random.default_rng(2).uniform(0.1, 1.0, (2, 1, 4))
    from isactoolbox.isal.stepwise import Accumulator
    acc = Accumulator(co, "block", blocks=("target",))
    mats = [acc.advance(P[s, 0]) for s in range(2)]
    for s in range(2):
        np.testing.assert_allclose(mats[s], causal_information(co, P[:, 0], s), rtol=1e-12)
    # zero energy in every step but the last of each slot: the step scheme is the slot-by-slot integrated one
    K = 3
    Q = np.zeros((2, K, 4))
    Q[:, -1] = P[:, 0]
    assert TargetSPEB().evaluate(sc, {"step_power": Q}) == pytest.approx(
        TargetSPEB().evaluate(sc, {"power": P[:, 0]}), rel=1e-10)
