"""The power-allocation SDP both ISAL schemes solve, built once and re-solved with new data.

    minimise    sum_j tr U_j
    subject to  [[C_j + sum_k p_k A_jk, E_j], [E_j^T, U_j]] >> 0      (Schur form of U_j >= E_j^T FIM_j^-1 E_j)
                sum_k p_k <= budget,   0 <= p_k <= cap_k

``p`` are normalised powers, ``A_jk`` equilibrated coefficient matrices (constants of the structure),
``C_j`` the constant information (prior) and ``E_j`` selects the objective block and carries the
physical scaling, so ``sum_j tr U_j`` is the objective in the caller's units.

The solver sees the budget-relative form: ``q = p / budget`` (so ``sum q <= 1``), the LMI divided
by ``budget`` (``sum_k q_k A_jk + C_j / budget``) and ``E_j`` scaled by ``1/sqrt(sum caps)``, which
keeps every number O(1) whether a step gets 1% or all of the energy. ``budget``, ``C_j / budget``
and the per-node bounds ``cap / budget`` are model *parameters*: a traversal re-solves one compiled
model with new values.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

import numpy as np

from isactoolbox.modeling import Model, bmat, trace
from isactoolbox.status import Status


@dataclasses.dataclass(frozen=True)
class SchurBlock:
    """One LMI: ``A`` (K, w, w) per-variable coefficients, ``E`` (w, q) selector, constant part or not."""

    A: np.ndarray
    E: np.ndarray
    has_constant: bool = True


@dataclasses.dataclass
class SDPOutcome:
    status: Status
    p: np.ndarray | None  # normalised powers (K,)
    objective: float | None  # sum_j tr U_j (model units)
    solve_time: float
    build_time: float
    message: str = ""
    solver: str = ""
    solver_version: str = ""


class PowerSDP:
    """A compiled power-allocation SDP with parameters ``constant[j]`` and ``budget``."""

    def __init__(self, name: str, blocks: Sequence[SchurBlock], caps: np.ndarray) -> None:
        t0 = time.perf_counter()
        self.caps = np.asarray(caps, dtype=float)
        k = self.caps.size
        self.sigma = 1.0 / max(float(np.sum(self.caps)), 1e-300)
        m = Model(name)
        self.q = m.real("q", (k,), lb=0.0)
        self.q_max = m.parameter("cap_over_budget", (k,), value=np.ones(k))
        self.constants: list[Any] = []
        objective = 0.0
        for j, blk in enumerate(blocks):
            w, nq = blk.E.shape
            fim = 0.0
            for i in range(k):
                if np.any(blk.A[i]):
                    fim = self.q[i] * blk.A[i] + fim
            if blk.has_constant:
                c = m.parameter(f"constant_over_budget{j}", (w, w), value=np.zeros((w, w)))
                self.constants.append(c)
                fim = fim + c
            else:
                self.constants.append(None)
            U = m.symmetric(f"U{j}", nq)
            E = blk.E * np.sqrt(self.sigma)
            m.add(bmat([[fim, E], [E.T, U]]) >> 0, name=f"schur{j}")
            objective = objective + trace(U)
        m.add(self.q <= self.q_max, name="node limits")
        m.add(self.q.sum() <= 1.0, name="budget")
        m.minimize(objective)
        self.model = m
        self.compiled = m.compile()
        self.build_time = time.perf_counter() - t0
        self.solves = 0

    def solve(self, backend: Any, budget: float, constants: Sequence[np.ndarray | None] = ()) -> SDPOutcome:
        """Solve at ``budget`` (sum of normalised powers) and constant matrices (in block order)."""
        if not budget > 0:
            raise ValueError(f"the SDP needs a positive budget, got {budget}")
        self.q_max.value = self.caps / budget
        for par, value in zip(self.constants, constants):
            if par is not None and value is not None:
                par.value = 0.5 * (value + value.T) / budget
        sol = backend.solve(self.compiled)
        self.solves += 1
        p, objective = None, None
        if sol.status.has_solution and sol.x is not None:
            p = np.clip(np.asarray(sol.value(self.q), dtype=float).ravel(), 0.0, None) * budget
            # U >= sigma * E^T (FIM / budget)^-1 E = sigma * budget * (E^T FIM^-1 E)
            objective = float(sol.objective) / (self.sigma * budget)
        return SDPOutcome(sol.status, p, objective, float(sol.solve_time), float(sol.build_time),
                          sol.message or ("" if sol.status.is_success else sol.raw_status), sol.solver,
                          sol.solver_version)
