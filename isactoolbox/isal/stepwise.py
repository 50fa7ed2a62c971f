"""Information accumulated by the step-by-step scheme (paper 003, eqs. (54)-(83)).

Every slot is estimated in steps, one per parameter block in the paper's order: radar positions,
clock offsets (asynchronous networks), target. Step k is its own transmission interval with powers
``P_k``; it sees the links of its slot and the information *carried* from the steps before, and
minimises the SPEB of its own block. Two carry rules:

- ``"block"`` (the paper): step k's information matrix is the leading block of the FIM over the
  parameters estimated so far (radars; radars + clocks; everything), plus the previous step's
  matrix as prior; that matrix is what is carried. Later-block parameters are ignored in early
  steps (as if known), which is what the paper's ``J_e^R`` and ``J_sub`` do.
- ``"efim"``: step k's matrix covers all parameters of the slots so far; what is carried is its
  equivalent FIM (Schur complement) on the parameters estimated so far, i.e. the not-yet-estimated
  parameters are marginalised instead of ignored. Never more information than the integrated FIM
  of the summed powers.

A temporal-cooperation prior term (slot pair) enters once, at the first step whose matrix covers
both of its ends.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from isactoolbox.isal.fisher import FisherCoefficients
from isactoolbox.isal.parameters import ParameterLayout

CARRY_RULES = ("block", "efim")


@dataclasses.dataclass(frozen=True)
class Step:
    """One step: it estimates ``block`` of ``slot``; its information matrix lives on ``window``."""

    slot: int
    block: str
    position: int  # index of the step within its slot
    estimated: np.ndarray  # parameters estimated up to and including this step (a prefix of theta)
    window: np.ndarray  # parameters of this step's information matrix (a prefix of theta)
    objective: np.ndarray  # parameters whose SPEB the step minimises (its block)

    @property
    def name(self) -> str:
        return f"{self.block}[{self.slot}]"


def plan_steps(layout: ParameterLayout, carry: str = "block", blocks: tuple[str, ...] | None = None) -> list[Step]:
    """The steps of every slot in order (2 per slot synchronous, 3 asynchronous).

    ``blocks=("target",)`` gives one step per slot over all of its parameters: the integrated scheme
    run slot after slot (the paper's (36)-(53)).
    """
    if carry not in CARRY_RULES:
        raise ValueError(f"carry must be one of {CARRY_RULES}, got {carry!r}")
    blocks = layout.block_names() if blocks is None else blocks
    steps = []
    for s in range(layout.n_slots):
        for k, block in enumerate(blocks):
            end = int(layout.index(block, s)[-1]) + 1
            slot_end = (s + 1) * layout.per_slot
            estimated = np.arange(end)
            window = estimated if carry == "block" else np.arange(slot_end)
            steps.append(Step(s, block, k, estimated, window, layout.index(block, s)))
    return steps


def schur_onto(matrix: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Equivalent FIM of ``matrix`` on the leading parameters ``keep`` (generalised Schur complement)."""
    n = matrix.shape[0]
    k = keep.size
    if k == n:
        return matrix.copy()
    A, B, C = matrix[:k, :k], matrix[:k, k:], matrix[k:, k:]
    d = np.sqrt(np.maximum(np.diag(C), 0.0))
    d = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 1.0)
    Cs = C * np.outer(d, d)
    out = A - (B * d) @ np.linalg.pinv(Cs, rcond=1e-12, hermitian=True) @ (B * d).T
    return 0.5 * (out + out.T)


class Accumulator:
    """Walks the steps: constant part of each step's matrix, then the carried information.

    Works in the units of ``coeffs`` (physical or equilibrated: the carry rules commute with the
    diagonal congruence).
    """

    def __init__(self, coeffs: FisherCoefficients, carry: str = "block", blocks: tuple[str, ...] | None = None) -> None:
        self.coeffs = coeffs
        self.carry = carry
        self.steps = plan_steps(coeffs.layout, carry, blocks)
        self._carried = np.zeros((0, 0))
        self._used: set[int] = set()
        self.k = 0

    def copy(self) -> "Accumulator":
        out = object.__new__(Accumulator)
        out.coeffs, out.carry, out.steps = self.coeffs, self.carry, self.steps
        out._carried, out._used, out.k = self._carried, set(self._used), self.k
        return out

    def constant(self) -> np.ndarray:
        """Constant part of the current step's matrix on its window: carried prior + new prior terms."""
        step = self.steps[self.k]
        w = step.window.size
        out = np.zeros((w, w))
        c = self._carried.shape[0]
        out[:c, :c] = self._carried
        for t, term in enumerate(self.coeffs.prior_terms):
            if t not in self._used and np.all(term.index < w):
                out += term.placed(self.coeffs.size)[:w, :w]
        return out

    def slot_part(self, power: np.ndarray) -> np.ndarray:
        """The current step's own links at node powers (N,), on its window."""
        step = self.steps[self.k]
        w = step.window.size
        return self.coeffs.slot_fim(power, step.slot)[:w, :w]

    def coefficient_blocks(self) -> np.ndarray:
        """Per-node coefficient matrices of the current step on its window (N, w, w)."""
        step = self.steps[self.k]
        w = step.window.size
        return self.coeffs.coefficients[step.slot][:, :w, :w]

    def advance(self, power: np.ndarray) -> np.ndarray:
        """Close the current step at powers (N,); returns its information matrix (window x window)."""
        step = self.steps[self.k]
        w = step.window.size
        matrix = self.constant() + self.slot_part(power)
        for t, term in enumerate(self.coeffs.prior_terms):
            if np.all(term.index < w):
                self._used.add(t)
        self._carried = matrix if self.carry == "block" else schur_onto(matrix, step.estimated)
        self.k += 1
        return matrix

    @property
    def done(self) -> bool:
        return self.k >= len(self.steps)


def step_matrices(coeffs: FisherCoefficients, step_power: np.ndarray, carry: str = "block") -> list[np.ndarray]:
    """Information matrix of every step at powers ``step_power`` (S, K, N) (K steps per slot)."""
    acc = Accumulator(coeffs, carry)
    lay = coeffs.layout
    k_per_slot = len(lay.block_names())
    sp = np.asarray(step_power, dtype=float)
    if sp.shape != (lay.n_slots, k_per_slot, coeffs.coefficients.shape[1]):
        raise ValueError(f"step_power must have shape ({lay.n_slots}, {k_per_slot}, "
                         f"{coeffs.coefficients.shape[1]}) (slots x steps x active nodes), got {sp.shape}")
    out = []
    for step in list(acc.steps):
        out.append(acc.advance(sp[step.slot, step.position]))
    return out


def end_of_slot_information(coeffs: FisherCoefficients, step_power: np.ndarray, carry: str = "block") -> list[np.ndarray]:
    """Information at the end of every slot (on the parameters of slots 0..s), from the last step of each slot."""
    mats = step_matrices(coeffs, step_power, carry)
    k_per_slot = len(coeffs.layout.block_names())
    return [mats[(s + 1) * k_per_slot - 1] for s in range(coeffs.layout.n_slots)]
