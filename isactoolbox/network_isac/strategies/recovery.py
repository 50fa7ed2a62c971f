"""Rank-one beamformers from an SDR solution, with a tightness report.

Theorem 1 of the paper says the relaxation of a fixed choice has a rank-one optimum, and interior-point
solutions are then rank one up to solver accuracy: the principal eigenvector is the beamformer.
When a W_k is not rank one (ratio lambda_2 / lambda_1 above tolerance), or the eigenvector loses
feasibility, the directions are fixed and the powers (and the sensing covariances) re-optimised by
one SDP, first with the principal eigenvectors, then with Gaussian randomization draws
w = U diag(lambda)^1/2 z; the best feasible draw wins.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from isactoolbox.core.verification import VerificationReport
from isactoolbox.network_isac.scenario import NetworkISAC
from isactoolbox.network_isac.solution import Decision
from isactoolbox.network_isac.strategies.base import PHYSICAL_RTOL, RANK_ONE_RTOL, decision_checks
from isactoolbox.network_isac.strategies.choice_sdp import ChoiceOutcome
from isactoolbox.network_isac.strategies.sdp_chain import ChoiceSolver, outcome_decision
from isactoolbox.status import Status


@dataclasses.dataclass
class Recovered:
    """Physical solution (``values`` of a Result) and how it was obtained."""

    values: dict[str, Any]
    objective: float  # total transmit power of the recovered beamformers, W
    tightness: dict[str, Any]
    feasible: bool
    solves: int = 0


def _values(decision: Decision, vectors: np.ndarray) -> dict[str, Any]:
    return {"receiver": int(decision.receiver), "association": decision.association.astype(int),
            "W": vectors, "R": decision.sensing_covariances}


def _violation(scenario: NetworkISAC, decision: Decision) -> float:
    report = VerificationReport()
    decision_checks(scenario, decision, report)
    return report.max_violation


def _power(decision: Decision) -> float:
    return float(sum(np.real(np.trace(W)) for W in decision.beam_covariances)
                 + sum(np.real(np.trace(R)) for R in decision.sensing_covariances))


def recover(scenario: NetworkISAC, outcome: ChoiceOutcome, solver: ChoiceSolver, *, randomizations: int = 32,
            seed: int = 0) -> Recovered:
    """Beamforming vectors (K, N) in sqrt(W) from a fixed-choice SDR ``outcome``."""
    relaxed = outcome_decision(outcome)
    K = relaxed.beam_covariances.shape[0]
    lam, vec = np.linalg.eigh(relaxed.beam_covariances)  # ascending
    top = np.maximum(lam[:, -1], 0.0)
    ratios = np.where(top > 0, np.maximum(lam[:, -2], 0.0) / np.where(top > 0, top, 1.0), 0.0)
    vectors = np.sqrt(top)[:, None] * vec[:, :, -1]
    tight = {"eigenvalue_ratio": ratios, "relaxed_power": float(outcome.objective),
             "rank_one": bool(np.all(ratios <= RANK_ONE_RTOL))}
    principal = Decision(relaxed.receiver, relaxed.association,
                         np.einsum("ka,kb->kab", vectors, vectors.conj()), relaxed.sensing_covariances)
    if tight["rank_one"] and _violation(scenario, principal) <= PHYSICAL_RTOL:
        power = _power(principal)
        tight.update(method="principal eigenvector", recovered_power=power,
                     relaxation_gap=power / tight["relaxed_power"] - 1.0)
        return Recovered(_values(principal, vectors), power, tight, True)

    # Fixed directions, re-optimised powers: principal eigenvectors first, then random draws.
    rng = np.random.default_rng(seed)
    best: tuple[float, Decision, np.ndarray] | None = None
    solves = 0
    sqrt_w = vec * np.sqrt(np.maximum(lam, 0.0))[:, None, :]
    draws = [vec[:, :, -1]] + [np.einsum("kab,kb->ka", sqrt_w, (rng.standard_normal((K, lam.shape[1]))
                                                                 + 1j * rng.standard_normal((K, lam.shape[1]))) / np.sqrt(2))
                               for _ in range(randomizations)]
    for i, directions in enumerate(draws):
        unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
        V = {k: np.outer(unit[k], unit[k].conj()) for k in range(K)}
        chained = solver.solve(outcome.spec, directions=V)
        solves += chained.timings.solves
        out = chained.outcome
        if not out.status.is_success:
            continue
        dec = outcome_decision(out)
        if _violation(scenario, dec) > PHYSICAL_RTOL:
            continue
        power = _power(dec)
        if best is None or power < best[0]:
            w = np.sqrt(np.maximum(np.real(np.trace(dec.beam_covariances, axis1=1, axis2=2)), 0.0))[:, None] * unit
            best = (power, dec, w)
        if i == 0 and tight["rank_one"]:
            break  # eigenvectors were right; only the power split needed a touch-up
    if best is None:
        tight.update(method="none feasible", recovered_power=None, relaxation_gap=None, draws=len(draws))
        return Recovered(_values(principal, vectors), _power(principal), tight, False, solves)
    power, dec, w = best
    tight.update(method="eigenvector + power re-optimisation" if tight["rank_one"] else "Gaussian randomization",
                 recovered_power=power, relaxation_gap=power / tight["relaxed_power"] - 1.0, draws=len(draws))
    return Recovered(_values(dec, w), power, tight, True, solves)


def recovered_status(solver_status: Status, recovered: Recovered) -> Status:
    """OPTIMAL only when the SDR was solved to optimality and the recovery kept its value."""
    if not recovered.feasible:
        return Status.INACCURATE
    gap = recovered.tightness.get("relaxation_gap")
    if solver_status is Status.OPTIMAL and gap is not None and gap <= 1e-6:
        return Status.OPTIMAL
    return Status.FEASIBLE
