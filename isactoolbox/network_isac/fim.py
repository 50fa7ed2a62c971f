"""Sensing model of paper 000: the location FIM (appendix, eqs. (28)-(39)) and the CRLB (7).

Receiver s_r observes, over L samples, ``mu = sum_{s'} alpha_{s_r,s'} a(theta_r) a(theta_s')^H x_s'(t - tau_s')``
in white noise of power sigma_r^2 per antenna. Unknowns xi = [p_x, p_y, Re g_1..Re g_{S-1},
Im g_1..Im g_{S-1}], where the complex gain of transmitter s' is written ``alpha = c_s' g_s'`` with
``c_s' = |alpha_{s_r,s'}|`` (so g = alpha/|alpha| is O(1): the nuisance parametrisation of the
common rules; the CRLB of p does not depend on it). Signals of different BSs are uncorrelated with
sample covariances C_s'; delay information enters through ``E[xdot xdot^H] = (2 pi B_rms)^2 C`` and
``E[x xdot^H] = 0``, so with B_rms = 0 the FIM carries angle information only.

Every FIM entry is linear in the transmit covariances: ``F_ij = sum_{s'} Re tr(A[i, j, s'] C_s')``
with Hermitian N x N coefficient matrices A. :func:`linear_fim` returns them whitened (the 2L /
sigma_r^2 factor is inside), in power units of ``power_unit`` and equilibrated by a diagonal D, so
that the solver sees O(1) numbers; :class:`LinearFIM` maps results back to SI units.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from isactoolbox.network_isac import geometry
from isactoolbox.network_isac.scenario import NetworkISAC

SPEED_OF_LIGHT = 299_792_458.0  # m/s
N_POSITION = 2


def parameter_names(scenario: NetworkISAC, receiver: int) -> list[str]:
    """Names of the FIM rows: position, then real parts, then imaginary parts of the gains."""
    tx = [s for s in range(scenario.n_bs) if s != receiver]
    return ["p_x", "p_y"] + [f"Re g[{s}]" for s in tx] + [f"Im g[{s}]" for s in tx]


def _hermitian_part(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + np.conj(np.swapaxes(a, -1, -2)))


def raw_coefficients(scenario: NetworkISAC, receiver: int, *, reference: float = geometry.ULA_REFERENCE,
                     normalize_gains: bool = True) -> np.ndarray:
    """Coefficients A (n, n, S, N, N) of the physical FIM: ``F_ij = sum_s' Re tr(A[i,j,s'] C_s')``.

    n = 2 + 2(S-1); C in W; F in SI units (1/m^2 on the position block). The receiver's slice is
    zero. ``reference`` is the ULA phase reference r; ``normalize_gains=False`` uses the raw gains
    alpha (c = 1) as nuisances instead of alpha/|alpha|.
    """
    S, N = scenario.n_bs, scenario.n_antennas
    tx = [s for s in range(S) if s != receiver]
    n = N_POSITION + 2 * len(tx)
    A = np.zeros((n, n, S, N, N), dtype=complex)
    theta = scenario.target_angles()
    target = scenario.target_position
    whiten = 2.0 * scenario.samples / scenario.noise_power_bs
    delay_weight = (2.0 * np.pi * scenario.rms_bandwidth) ** 2
    a_r = geometry.steering_vector(theta[receiver], N, reference=reference)
    da_r = geometry.steering_derivative(theta[receiver], N, reference=reference)
    grad_r = geometry.angle_gradient(scenario.bs_positions[receiver], target)
    u_r = geometry.range_gradient(scenario.bs_positions[receiver], target)
    for m, s in enumerate(tx):
        alpha = scenario.echo_gains[receiver, s]
        c = abs(alpha) if normalize_gains else 1.0
        b = geometry.steering_vector(theta[s], N, reference=reference)
        db = geometry.steering_derivative(theta[s], N, reference=reference)
        grad_s = geometry.angle_gradient(scenario.bs_positions[s], target)
        dtau = (u_r + geometry.range_gradient(scenario.bs_positions[s], target)) / SPEED_OF_LIGHT
        G = np.outer(a_r, b.conj())
        dG = [np.outer(da_r, b.conj()) * grad_r[i] + np.outer(a_r, db.conj()) * grad_s[i] for i in range(2)]
        GhG = G.conj().T @ G
        for i in range(2):
            for j in range(2):
                term = dG[i].conj().T @ dG[j] + delay_weight * dtau[i] * dtau[j] * GhG
                A[i, j, s] = whiten * abs(alpha) ** 2 * term
            cross = whiten * np.conj(alpha) * c * (dG[i].conj().T @ G)
            re, im = N_POSITION + m, N_POSITION + len(tx) + m
            A[i, re, s] = A[re, i, s] = cross
            A[i, im, s] = A[im, i, s] = 1j * cross
        A[re, re, s] = A[im, im, s] = whiten * c ** 2 * GhG
    # Re tr(A C) = Re tr(A^H C) for Hermitian C, so only the Hermitian part matters.
    return _hermitian_part(A)


def schur_crlb(F: np.ndarray, n_position: int = N_POSITION, rtol: float = 1e-10) -> float:
    """tr((F_pp - F_pa F_aa^-1 F_ap)^-1), eq. (7); ``inf`` when the position is not identifiable.

    Nuisances without information (their transmitter is silent, so their rows vanish) are dropped
    first: they are unidentifiable but do not couple to the position.
    """
    F = 0.5 * (np.asarray(F, dtype=float) + np.asarray(F, dtype=float).T)
    diag = np.abs(np.diag(F))
    scale = max(float(diag.max(initial=0.0)), np.finfo(float).tiny)
    keep = [i for i in range(n_position, F.shape[0]) if diag[i] > rtol * scale]
    Fpp = F[:n_position, :n_position]
    if keep:
        Fpa = F[:n_position, keep]
        Faa = F[np.ix_(keep, keep)]
        eig_a = np.linalg.eigvalsh(Faa)
        if eig_a.min() <= rtol * scale:
            return float("inf")
        Fpp = Fpp - Fpa @ np.linalg.solve(Faa, Fpa.T)
    eig = np.linalg.eigvalsh(0.5 * (Fpp + Fpp.T))
    if eig.min() <= rtol * scale:
        return float("inf")
    return float(np.sum(1.0 / eig))


@dataclasses.dataclass(frozen=True)
class LinearFIM:
    """The FIM of receiver ``receiver`` as a linear map of the transmit covariances, solver-ready.

    ``F_eq = sum_s' Re tr(coefficients[:, :, s'] C_s' / power_unit)`` is the whitened,
    equilibrated FIM ``D F D`` with ``D = diag(scaling)``; the two position entries of D are equal,
    so the physical CRLB is ``crlb_unit * tr([F_eq^-1]_pp)`` and ``CRLB <= eps`` reads
    ``tr([F_eq^-1]_pp) <= eps / crlb_unit``.

    Shapes: coefficients (n, n, S, N, N) complex Hermitian in the last two axes (zero for the
    receiver), scaling (n,), n = 2 + 2(S-1).
    """

    receiver: int
    transmitters: tuple[int, ...]
    coefficients: np.ndarray
    scaling: np.ndarray
    power_unit: float
    n_position: int = N_POSITION

    @property
    def size(self) -> int:
        return int(self.scaling.shape[0])

    @property
    def crlb_unit(self) -> float:
        """m^2 per unit of the equilibrated CRLB."""
        return float(self.scaling[0] ** 2)

    def equilibrated(self, scaled_covariances: np.ndarray) -> np.ndarray:
        """F_eq (n, n) from covariances (S, N, N) in units of ``power_unit``."""
        F = np.einsum("ijsab,sba->ij", self.coefficients, scaled_covariances).real
        return 0.5 * (F + F.T)

    def physical(self, covariances: np.ndarray) -> np.ndarray:
        """The FIM in SI units from covariances (S, N, N) in W."""
        F_eq = self.equilibrated(np.asarray(covariances) / self.power_unit)
        return F_eq / np.outer(self.scaling, self.scaling)

    def crlb(self, covariances: np.ndarray) -> float:
        """Location CRLB (m^2) from covariances (S, N, N) in W."""
        return self.crlb_unit * schur_crlb(self.equilibrated(np.asarray(covariances) / self.power_unit),
                                          self.n_position)


def linear_fim(scenario: NetworkISAC, receiver: int, *, power_unit: float | None = None,
               reference: float = geometry.ULA_REFERENCE, normalize_gains: bool = True,
               position_scale: float | None = None) -> LinearFIM:
    """Whitened, equilibrated linear FIM of ``receiver``.

    ``power_unit`` (W, default the BS power limit P) is the unit of the covariances the solver
    uses. D is chosen so that every diagonal entry of F_eq is 1 when every transmitter radiates
    its full power P isotropically (C = P/N I); both position coordinates share the mean of their
    two entries, so the CRLB maps back with one factor. ``position_scale`` (m) rescales all of D so
    that the position entries equal it (``crlb_unit = position_scale**2``): sqrt(eps) makes the
    CRLB bound 1 in solver units, and one value puts the FIMs of several receivers on one scale.
    """
    if not 0 <= receiver < scenario.n_bs:
        raise ValueError(f"receiver must be a BS index in 0..{scenario.n_bs - 1}, got {receiver}")
    unit = float(scenario.max_power if power_unit is None else power_unit)
    raw = raw_coefficients(scenario, receiver, reference=reference, normalize_gains=normalize_gains)
    tx = tuple(s for s in range(scenario.n_bs) if s != receiver)
    N = scenario.n_antennas
    ref = np.zeros((scenario.n_bs, N, N), dtype=complex)
    ref[list(tx)] = scenario.max_power / N * np.eye(N)
    diag = np.einsum("iisab,sba->i", raw, ref).real
    scaling = np.ones(raw.shape[0])
    pos = float(np.mean(diag[:N_POSITION]))
    if pos > 0:
        scaling[:N_POSITION] = 1.0 / np.sqrt(pos)
    nuis = diag[N_POSITION:]
    scaling[N_POSITION:] = np.where(nuis > 0, 1.0 / np.sqrt(np.where(nuis > 0, nuis, 1.0)), 1.0)
    if position_scale is not None:
        # One factor for all of D keeps the balance between position and nuisance rows.
        scaling *= float(position_scale) / scaling[0]
    coefficients = unit * raw * np.outer(scaling, scaling)[:, :, None, None, None]
    # Exact symmetry in (i, j) so LMIs built from it are symmetric to the last bit.
    coefficients = 0.5 * (coefficients + np.swapaxes(coefficients, 0, 1))
    return LinearFIM(receiver, tx, coefficients, scaling, unit)


def fim(scenario: NetworkISAC, receiver: int, covariances: np.ndarray, **kwargs: float | bool) -> np.ndarray:
    """Physical FIM (n, n) of ``receiver`` for transmit covariances (S, N, N) in W."""
    return linear_fim(scenario, receiver, **kwargs).physical(covariances)


def location_crlb(scenario: NetworkISAC, receiver: int, covariances: np.ndarray, **kwargs: float | bool) -> float:
    """CRLB (7) of the target position (m^2) for transmit covariances (S, N, N) in W."""
    return linear_fim(scenario, receiver, **kwargs).crlb(covariances)


# -- the structured Schur complement ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TransmitterInformation:
    """Closed form of transmitter s''s share of the position information after its gain is removed.

    With the receive array referenced at its phase centre (so a_r^H a_r' = 0), the Schur complement
    of transmitter s''s 4 x 4 FIM block [p_x, p_y, Re g, Im g] is

        J_s' = illumination * (b^H C b) + derivative * mu,   mu = Schur complement of Q = B^H C B

    with B = [b, b'] the unit-norm transmit steering vector towards the target and its (unit-norm)
    derivative, Q (2 x 2) Hermitian and ``mu = Q_22 - |Q_12|^2 / Q_11``. ``illumination`` and
    ``derivative`` (2 x 2, 1/m^2 per W) carry the receive-angle, delay and transmit-angle terms.
    Because each gain couples only to its own transmitter, the Schur complement of the whole FIM is
    ``sum_s' J_s'``; ``mu >= t`` is the 2 x 2 LMI ``Q - diag(0, t) >> 0``.
    """

    transmitter: int
    steering: np.ndarray  # (N,) unit norm
    derivative_direction: np.ndarray  # (N,) unit norm, orthogonal to ``steering``; zeros at endfire
    illumination: np.ndarray  # (2, 2) real symmetric
    derivative: np.ndarray  # (2, 2) real symmetric


def transmitter_information(scenario: NetworkISAC, receiver: int) -> list[TransmitterInformation]:
    """:class:`TransmitterInformation` of every transmitter s' != ``receiver`` (SI units)."""
    N = scenario.n_antennas
    centre = (N - 1) / 2
    theta = scenario.target_angles()
    target = scenario.target_position
    whiten = 2.0 * scenario.samples / scenario.noise_power_bs
    delay_weight = (2.0 * np.pi * scenario.rms_bandwidth) ** 2
    da_r = geometry.steering_derivative(theta[receiver], N, reference=centre)
    grad_r = geometry.angle_gradient(scenario.bs_positions[receiver], target)
    u_r = geometry.range_gradient(scenario.bs_positions[receiver], target)
    out = []
    for s in range(scenario.n_bs):
        if s == receiver:
            continue
        gain = whiten * abs(scenario.echo_gains[receiver, s]) ** 2
        b = geometry.steering_vector(theta[s], N, reference=centre)
        db = geometry.steering_derivative(theta[s], N, reference=centre)
        grad_s = geometry.angle_gradient(scenario.bs_positions[s], target)
        dtau = (u_r + geometry.range_gradient(scenario.bs_positions[s], target)) / SPEED_OF_LIGHT
        # Per unit of (b_hat^H C b_hat) = (b^H C b) / N:
        illumination = gain * N * (np.vdot(da_r, da_r).real * np.outer(grad_r, grad_r)
                                   + delay_weight * N * np.outer(dtau, dtau))
        db_norm2 = float(np.vdot(db, db).real)
        if db_norm2 > 0:
            direction = db / np.sqrt(db_norm2)
            # Schur(B^H C B) for the unnormalised pair is ||b'||^2 times that of the unit-norm pair.
            derivative = gain * N * db_norm2 * np.outer(grad_s, grad_s)
        else:
            direction = np.zeros(N, dtype=complex)
            derivative = np.zeros((2, 2))
        out.append(TransmitterInformation(s, b / np.sqrt(N), direction, illumination, derivative))
    return out


def position_information(scenario: NetworkISAC, receiver: int, covariances: np.ndarray) -> np.ndarray:
    """Schur complement ``F_pp - F_pa F_aa^-1 F_ap`` (2, 2), 1/m^2, from the closed form."""
    J = np.zeros((2, 2))
    for term in transmitter_information(scenario, receiver):
        C = covariances[term.transmitter]
        B = np.column_stack([term.steering, term.derivative_direction])
        Q = B.conj().T @ C @ B
        q11 = float(Q[0, 0].real)
        mu = float(Q[1, 1].real) - (abs(Q[0, 1]) ** 2 / q11 if q11 > 0 else 0.0)
        J += term.illumination * q11 + term.derivative * mu
    return J
