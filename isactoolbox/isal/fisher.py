"""Fisher information of an ISAL network, linear in the node powers (paper 003, eqs. (13)-(25)).

``FIM(P) = sum_{s, i} P[s, i] F[s, i] + T``: ``F[s, i]`` collects the links node i transmits in slot
s (``sum_l lam_l/P_i * j_l j_l^T`` over the rows ``j_l`` of the range Jacobian), and ``T`` is the
temporal cooperation between consecutive slots (MODELS.md section 2): information on the difference
of the radar positions, ``[[T_loc, -T_loc], [-T_loc, T_loc]]`` with ``T_loc = I / (eta^2 T_slot^2)``,
and, in asynchronous networks, of the clock offsets in metres with ``T_tau = I / (c^2 rho^2 T_slot^2)``
(with the paper's 1 s slot these are MODELS.md's ``I/eta^2`` and ``I/(c^2 rho^2)``).

Solvers get :meth:`FisherCoefficients.equilibrated` data: powers normalised by ``power_scale`` and
the FIM congruence-scaled ``D FIM D`` so that it has a unit diagonal with every node at its limit.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from isactoolbox.isal.measurements import intensity_per_watt, layout_of, range_jacobian, transmitters
from isactoolbox.isal.parameters import CLOCK, RADAR, TARGET, ParameterLayout
from isactoolbox.isal.scenario import SPEED_OF_LIGHT, ISALNetwork

# Relative eigenvalue below which an (equilibrated) information matrix counts as singular.
SINGULAR_RTOL = 1e-12


@dataclasses.dataclass(frozen=True)
class PriorTerm:
    """Constant information ``matrix`` on the parameters ``index`` (temporal cooperation of one slot pair)."""

    index: np.ndarray
    matrix: np.ndarray
    name: str = ""

    def placed(self, n: int) -> np.ndarray:
        out = np.zeros((n, n))
        out[np.ix_(self.index, self.index)] = self.matrix
        return out


@dataclasses.dataclass(frozen=True)
class FisherCoefficients:
    """``FIM(p) = sum_{s,i} p[s,i] coefficients[s,i] + sum(prior terms)``, possibly equilibrated.

    ``coefficients`` (S, N, n, n). With ``scaling = d`` and ``power_scale = P0`` the physical FIM at
    powers ``P = P0 * p`` (W) is ``diag(1/d) FIM(p) diag(1/d)``; the physical data have ``d = 1`` and
    ``P0 = 1 W``.
    """

    layout: ParameterLayout
    coefficients: np.ndarray
    prior_terms: tuple[PriorTerm, ...]
    scaling: np.ndarray
    power_scale: float = 1.0

    @property
    def size(self) -> int:
        return self.layout.size

    def prior(self) -> np.ndarray:
        out = np.zeros((self.size, self.size))
        for term in self.prior_terms:
            out += term.placed(self.size)
        return out

    def fim(self, power: np.ndarray) -> np.ndarray:
        """FIM at (normalised, for equilibrated data) powers (S, N), in this object's units."""
        power = np.asarray(power, dtype=float).reshape(self.coefficients.shape[:2])
        return np.einsum("si,sijk->jk", power, self.coefficients) + self.prior()

    def slot_fim(self, power: np.ndarray, slot: int) -> np.ndarray:
        """Information from the links of ``slot`` alone at powers (N,) (no prior)."""
        return np.einsum("i,ijk->jk", np.asarray(power, dtype=float), self.coefficients[slot])

    def equilibrated(self, power_max: np.ndarray) -> "FisherCoefficients":
        """Solver-ready copy: ``p = P / P0`` with ``P0 = max(power_max)`` and ``D FIM D`` unit-diagonal at the limits.

        ``power_max`` (N,) per-node limits (W). A parameter with no information even at the limits
        keeps scale 1 (it stays unidentifiable; the SPEB reports that as inf).
        """
        if not np.all(self.scaling == 1.0) or self.power_scale != 1.0:
            raise ValueError("equilibrate physical coefficients only")
        caps = np.broadcast_to(np.asarray(power_max, dtype=float), self.coefficients.shape[:2])
        p0 = float(np.max(caps))
        full = self.fim(caps)
        diag = np.diag(full).copy()
        d = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
        D = np.outer(d, d)
        coeffs = self.coefficients * D[None, None] * p0
        terms = tuple(PriorTerm(t.index, t.matrix * D[np.ix_(t.index, t.index)], t.name) for t in self.prior_terms)
        return FisherCoefficients(self.layout, coeffs, terms, d, p0)

    def to_physical(self, fim: np.ndarray, index: Sequence[int] | None = None) -> np.ndarray:
        """Map an information matrix in these units back to physical units (1/m^2)."""
        d = self.scaling if index is None else self.scaling[np.asarray(index)]
        return fim / np.outer(d, d)

    def crb_to_physical(self, crb: np.ndarray, index: Sequence[int]) -> np.ndarray:
        """Map a CRB block (inverse-FIM block) on ``index`` back to physical units (m^2)."""
        d = self.scaling[np.asarray(index)]
        return crb * np.outer(d, d)


def temporal_prior_terms(scenario: ISALNetwork) -> tuple[PriorTerm, ...]:
    """Temporal cooperation between consecutive slots (eqs. (19)-(20), (24)-(25)), physical units (1/m^2)."""
    lay = layout_of(scenario)
    dt2 = scenario.slot_duration ** 2
    terms = []
    for s in range(scenario.n_slots - 1):
        blocks = [(RADAR, 1.0 / (scenario.velocity_variance * dt2))]
        if not scenario.synchronous:
            blocks.append((CLOCK, 1.0 / (SPEED_OF_LIGHT ** 2 * scenario.clock_drift_variance * dt2)))
        for block, weight in blocks:
            a, b = lay.index(block, s), lay.index(block, s + 1)
            k = a.size
            eye = np.eye(k)
            terms.append(PriorTerm(np.concatenate([a, b]), weight * np.block([[eye, -eye], [-eye, eye]]),
                                   f"{block}[{s}]-{block}[{s + 1}]"))
    return tuple(terms)


def fisher_coefficients(scenario: ISALNetwork) -> FisherCoefficients:
    """Physical coefficient matrices ``F[s, i]`` (S, N, n, n), 1/(m^2 W), and the temporal prior."""
    lay = layout_of(scenario)
    J = range_jacobian(scenario)
    kappa = intensity_per_watt(scenario)
    tx = transmitters(scenario)
    F = np.zeros((scenario.n_slots, scenario.n_active, lay.size, lay.size))
    for s in range(scenario.n_slots):
        for i in range(scenario.n_active):
            rows = J[s, tx == i]
            F[s, i] = rows.T @ (kappa[s, tx == i][:, None] * rows)
    return FisherCoefficients(lay, F, temporal_prior_terms(scenario), np.ones(lay.size), 1.0)


def as_power(scenario: ISALNetwork, power: np.ndarray) -> np.ndarray:
    """Node powers as (S, N) W; (N,) is accepted for single-slot networks."""
    p = np.asarray(power, dtype=float)
    if p.shape == (scenario.n_active,) and scenario.n_slots == 1:
        p = p[None]
    if p.shape != (scenario.n_slots, scenario.n_active):
        raise ValueError(f"power must have shape ({scenario.n_slots}, {scenario.n_active}) "
                         f"(slots x active nodes, radars first), got {np.shape(power)}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("powers must be finite and >= 0")
    return p


def fisher_information(scenario: ISALNetwork, power: np.ndarray) -> np.ndarray:
    """Physical FIM (n, n), 1/m^2, of all slots at node powers (S, N) W, temporal prior included."""
    return fisher_coefficients(scenario).fim(as_power(scenario, power))


def causal_information(coeffs: FisherCoefficients, power: np.ndarray, slot: int) -> np.ndarray:
    """Information available at the end of ``slot``: links of slots <= slot and the priors among them.

    Returned on the parameters of slots 0..slot (a leading block of theta). A slot pair's prior is
    included only when both of its slots are: the information on a difference says nothing about
    either end alone.
    """
    lay = coeffs.layout
    n = (slot + 1) * lay.per_slot
    p = np.asarray(power, dtype=float).reshape(coeffs.coefficients.shape[:2])
    out = np.einsum("si,sijk->jk", p[:slot + 1], coeffs.coefficients[:slot + 1])[:n, :n]
    for term in coeffs.prior_terms:
        if np.all(term.index < n):
            out += term.placed(coeffs.size)[:n, :n]
    return out


# -- bounds --------------------------------------------------------------------------------------
def block_crb(fim: np.ndarray, index: Sequence[int]) -> np.ndarray:
    """Block ``index`` of ``fim^-1`` (the CRB of those parameters), inf-filled when not identifiable.

    Uses the (generalised) Schur complement over the other parameters after a unit-diagonal
    rescaling, so parameters with no information at all do not poison the others: for a PSD FIM the
    range of the cross block lies in the range of the nuisance block and a pseudo-inverse is exact.
    """
    fim = np.asarray(fim, dtype=float)
    fim = 0.5 * (fim + fim.T)
    idx = np.asarray(index, dtype=int)
    diag = np.diag(fim).copy()
    d = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    G = fim * np.outer(d, d)
    rest = np.setdiff1d(np.arange(fim.shape[0]), idx)
    A = G[np.ix_(idx, idx)]
    if rest.size:
        B = G[np.ix_(idx, rest)]
        C = G[np.ix_(rest, rest)]
        A = A - B @ np.linalg.pinv(C, rcond=SINGULAR_RTOL, hermitian=True) @ B.T
    A = 0.5 * (A + A.T)
    w, V = np.linalg.eigh(A)
    if w[0] <= SINGULAR_RTOL * max(1.0, w[-1]):
        return np.full((idx.size, idx.size), np.inf)
    inv = (V / w) @ V.T
    return inv * np.outer(d[idx], d[idx])


def speb(fim: np.ndarray, index: Sequence[int]) -> float:
    """Squared error bound of the parameters ``index``: tr of their block of ``fim^-1`` (eq. (9)), m^2."""
    if len(index) == 0:
        return 0.0
    return float(np.trace(block_crb(fim, index)))


def slot_speb(coeffs: FisherCoefficients, power: np.ndarray, block: str, slot: int, *, causal: bool = True) -> float:
    """SPEB (m^2, physical) of ``block`` in ``slot`` at powers (S, N) in ``coeffs``' units.

    ``causal``: from the information available at the end of that slot (later slots unused);
    otherwise from all slots (smoothing).
    """
    lay = coeffs.layout
    idx = lay.index(block, slot)
    if idx.size == 0:
        return 0.0
    fim = causal_information(coeffs, power, slot) if causal else coeffs.fim(power)
    return float(np.trace(coeffs.crb_to_physical(block_crb(fim, idx), idx)))


def total_speb(coeffs: FisherCoefficients, power: np.ndarray, block: str = TARGET, *, causal: bool = True,
               slots: Sequence[int] | None = None) -> float:
    """Sum over ``slots`` (default all) of :func:`slot_speb`."""
    slots = range(coeffs.layout.n_slots) if slots is None else slots
    return float(sum(slot_speb(coeffs, power, block, s, causal=causal) for s in slots))
