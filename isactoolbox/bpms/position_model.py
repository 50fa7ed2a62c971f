"""Position-domain parametrisations of the BP link (3), (7) and the MS link (5), (9).

A :class:`PositionModel` ties a :class:`~isactoolbox.bpms.link.MultipathLink` to position-domain
parameters eta: the geometric map ``xi(eta)`` and its analytic Jacobian ``J = d xi / d eta``.

Conventions (MODELS.md): the clock offset enters in metres (``b = c Delta t``) and each complex
gain as ``g = |g0| (x + j y)`` with ``(x, y)`` the real/imaginary parts of ``g / |g0|`` (``|g0|``
the true magnitude), so every nuisance parameter is of order one. With ``normalise_gains=False``
the gains enter in their physical units instead; the position CRBs are the same.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import numpy as np

from isactoolbox.bpms.arrays import angle_gradient, angle_seen_from, distance, distance_gradient
from isactoolbox.bpms.link import MultipathLink, PathLayout
from isactoolbox.bpms.scenario import SPEED_OF_LIGHT, BistaticMonostatic

C0 = SPEED_OF_LIGHT


@dataclasses.dataclass(frozen=True)
class PositionModel:
    """eta -> xi for one link, evaluated at the scenario's true parameters ``eta0``.

    ``target`` lists the indices of eta whose CRB is traced (UE position for BP, all positions for MS).
    """

    link: MultipathLink
    names: tuple[str, ...]
    units: tuple[str, ...]
    eta0: np.ndarray
    target: np.ndarray
    xi_of_eta: Callable[[np.ndarray], np.ndarray]
    jacobian: np.ndarray  # (n_xi, n_eta) at eta0

    @functools.cached_property
    def xi0(self) -> np.ndarray:
        """xi(eta0), computed once (the model is immutable; so is the array)."""
        xi = self.xi_of_eta(self.eta0)
        xi.setflags(write=False)
        return xi

    def channel_of_eta(self, eta: np.ndarray) -> np.ndarray:
        """H_m (M, n_rx, n_tx) as a function of the position-domain parameters."""
        return self.link.channel(self.xi_of_eta(eta))


# The labels and index layouts depend on the number of paths only; built once per size (read-only).
@functools.lru_cache(maxsize=None)
def _layout(n_paths: int, blocks: tuple[str, ...]) -> PathLayout:
    """Consecutive blocks of n_paths entries in the order given; a repeated name shares its block."""
    start: dict[str, int] = {}
    for name in blocks:
        start.setdefault(name, len(start) * n_paths)
    idx = {name: np.arange(n_paths) + s for name, s in start.items()}
    for a in idx.values():
        a.setflags(write=False)
    return PathLayout(tx_angle=idx["tx"], rx_angle=idx.get("rx", idx["tx"]), delay=idx["delay"],
                      gain_re=idx["re"], gain_im=idx["im"])


@functools.lru_cache(maxsize=None)
def _bistatic_labels(K: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(eta names, eta units, xi names) of :func:`bistatic_model` with K targets."""
    P = K + 1
    names = (["ue_x", "ue_y", "ue_orientation"] + [f"target{k}_{c}" for k in range(1, K + 1) for c in "xy"]
             + ["clock_m"] + [f"gain{k}_re" for k in range(P)] + [f"gain{k}_im" for k in range(P)])
    units = ("m", "m", "rad") + ("m",) * (2 * K) + ("m",) + ("1",) * (2 * P)
    xi_names = ([f"aod{k}" for k in range(P)] + [f"aoa{k}" for k in range(P)] + [f"delay{k}" for k in range(P)]
                + [f"alpha{k}_re" for k in range(P)] + [f"alpha{k}_im" for k in range(P)])
    return tuple(names), units, tuple(xi_names)


@functools.lru_cache(maxsize=None)
def _bistatic_positions(K: int) -> tuple[np.ndarray, np.ndarray]:
    """(k, pos): the path indices 0..K and, per path, the eta columns (P, 2) of its far end (p_U, then p_k)."""
    k = np.arange(K + 1)
    pos = np.where(k == 0, 0, 1 + 2 * k)[:, None] + np.arange(2)
    k.setflags(write=False)
    pos.setflags(write=False)
    return k, pos


@functools.lru_cache(maxsize=None)
def _monostatic_labels(K: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(eta names, eta units, xi names) of :func:`monostatic_model` with K targets."""
    P = K + 1
    names = ([f"ue_{c}" for c in "xy"] + [f"target{k}_{c}" for k in range(1, P) for c in "xy"]
             + [f"gain{k}_re" for k in range(P)] + [f"gain{k}_im" for k in range(P)])
    units = ("m",) * (2 * P) + ("1",) * (2 * P)
    xi_names = ([f"angle{k}" for k in range(P)] + [f"delay{k}" for k in range(P)]
                + [f"beta{k}_re" for k in range(P)] + [f"beta{k}_im" for k in range(P)])
    return tuple(names), units, tuple(xi_names)


def bp_gains(sc: BistaticMonostatic) -> np.ndarray:
    """alpha_0..alpha_K (MODELS.md 3): free-space LOS and bistatic radar-equation NLOS gains."""
    lam = sc.wavelength
    pB, pU, P = sc.bs_position, sc.ue_position, sc.target_positions
    mag = np.empty(sc.n_targets + 1)
    mag[0] = lam / (4 * np.pi * distance(pB, pU))
    mag[1:] = np.sqrt(sc.target_rcs) * lam / ((4 * np.pi) ** 1.5 * distance(pU, P) * distance(pB, P))
    return mag * np.exp(1j * sc.bp_phases)


def ms_gains(sc: BistaticMonostatic) -> np.ndarray:
    """beta_0..beta_K (MODELS.md 3): monostatic radar equation, the UE being target 0."""
    lam = sc.wavelength
    rcs = np.concatenate([[sc.ue_rcs], sc.target_rcs])
    d = distance(sc.bs_position, sc.node_positions())
    return np.sqrt(rcs) * lam / ((4 * np.pi) ** 1.5 * d**2) * np.exp(1j * sc.ms_phases)


def _link(sc: BistaticMonostatic, n_rx: int, layout: PathLayout, names: tuple[str, ...]) -> MultipathLink:
    return MultipathLink(n_tx=sc.n_tx, n_rx=n_rx, reference=sc.array_phase_reference,
                         subcarrier_spacing=sc.subcarrier_spacing, n_subcarriers=sc.n_subcarriers,
                         n_pilots=sc.n_pilots, noise_variance=sc.noise_variance, layout=layout,
                         names=names)


def _gain_block(g0: np.ndarray, normalise: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scale per path, eta values re, eta values im) for the gain parametrisation."""
    scale = np.abs(g0) if normalise else np.ones(g0.shape)
    return scale, (g0 / scale).real, (g0 / scale).imag


def _bistatic_rays(pB: np.ndarray, pU: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(origins (2, 1, 2), ends (2, P, 2)): the rays pB -> far end of path k (pU, then the targets) and
    pU -> near end of path k (pB, then the targets); every BP angle and leg is one of them."""
    P = targets.shape[0] + 1
    return np.array([pB, pU])[:, None], np.concatenate([pU[None], targets, pB[None], targets]).reshape(2, P, 2)


def bistatic_model(sc: BistaticMonostatic, *, normalise_gains: bool = True) -> PositionModel:
    """BP: eta = [p_U (2), phi, p_1..p_K (2K), b = c dt, x_0..x_K, y_0..y_K] (4K+6 entries).

    xi = [theta_B (K+1), theta_U (K+1), tau (K+1), Re alpha (K+1), Im alpha (K+1)] (5K+5); angles in
    rad, delays in s; AOA in the UE frame (global angle minus phi); tau_0 = |pU-pB|/c + dt,
    tau_k = (|pk-pB| + |pU-pk|)/c + dt.
    """
    K = sc.n_targets
    P = K + 1
    pB, oB = sc.bs_position, sc.bs_orientation
    scale, x0, y0 = _gain_block(bp_gains(sc), normalise_gains)
    names, units, xi_names = _bistatic_labels(K)
    eta0 = np.concatenate([sc.ue_position, [sc.ue_orientation], sc.target_positions.ravel(),
                           [C0 * sc.clock_bias], x0, y0])
    i_phi, i_b, i_g = 2, 3 + 2 * K, 4 + 2 * K

    def xi_of_eta(eta: np.ndarray) -> np.ndarray:
        eta = np.asarray(eta, dtype=float)
        pU, phi = eta[0:2], eta[i_phi]
        targets = eta[3:3 + 2 * K].reshape(K, 2)
        origins, ends = _bistatic_rays(pB, pU, targets)
        th = angle_seen_from(origins, ends, np.array([[oB], [phi]]))  # (2, P): theta_B, theta_U
        d = distance(origins, ends)
        d[1, 0] = 0.0  # the LOS path has no UE-side leg
        tau = (d[0] + d[1] + eta[i_b]) / C0
        return np.concatenate([th.ravel(), tau, scale * eta[i_g:i_g + P], scale * eta[i_g + P:i_g + 2 * P]])

    # --- analytic Jacobian at eta0, all paths at once (rows: path k of each xi block) ---
    origins, ends = _bistatic_rays(pB, sc.ue_position, sc.target_positions)
    g = angle_gradient(origins, ends).reshape(2 * P, 2)  # d angle / d end; d / d origin is its negative
    u = distance_gradient(origins, ends).reshape(2 * P, 2)  # d length / d end
    J = np.zeros((5 * P, 4 * K + 6))
    k, pos = _bistatic_positions(K)
    # AOD of each far end from pB
    J[k[:, None], pos] = g[:P]
    # AOA at the UE (minus phi): of pB on the LOS, of pk on path k (d/dpk = g, d/dpU = -g)
    J[P + k[1:, None], pos[1:]] = g[P + 1:]
    J[P:2 * P, pos[0]] = -g[P:]
    # delays |pU - pB|/c and (|pk - pB| + |pU - pk|)/c
    u_tau = u[:P].copy()
    u_tau[1:] += u[P + 1:]
    J[2 * P + k[:, None], pos] = u_tau / C0
    J[2 * P + 1:3 * P, pos[0]] = -u[P + 1:] / C0
    J[P + k, i_phi] = -1.0
    J[2 * P + k, i_b] = 1.0 / C0
    J[3 * P + k, i_g + k] = scale
    J[4 * P + k, i_g + P + k] = scale

    link = _link(sc, sc.n_ue, _layout(P, ("tx", "rx", "delay", "re", "im")), xi_names)
    return PositionModel(link=link, names=names, units=units, eta0=eta0, target=np.array([0, 1]),
                         xi_of_eta=xi_of_eta, jacobian=J)


def monostatic_model(sc: BistaticMonostatic, *, normalise_gains: bool = True) -> PositionModel:
    """MS: eta = [p_U, p_1..p_K (2K+2), x_0..x_K, y_0..y_K] (4K+4 entries).

    xi = [theta_B (K+1), kappa (K+1), Re beta (K+1), Im beta (K+1)]; kappa_k = 2 |pk - pB| / c.
    """
    K = sc.n_targets
    P = K + 1
    pB, oB = sc.bs_position, sc.bs_orientation
    scale, x0, y0 = _gain_block(ms_gains(sc), normalise_gains)
    names, units, xi_names = _monostatic_labels(K)
    nodes0 = sc.node_positions()
    eta0 = np.concatenate([nodes0.ravel(), x0, y0])
    i_g = 2 * P

    def xi_of_eta(eta: np.ndarray) -> np.ndarray:
        eta = np.asarray(eta, dtype=float)
        nodes = eta[:2 * P].reshape(P, 2)
        th = angle_seen_from(pB, nodes, oB)
        kappa = 2.0 * distance(pB, nodes) / C0
        return np.concatenate([th, kappa, scale * eta[i_g:i_g + P], scale * eta[i_g + P:i_g + 2 * P]])

    J = np.zeros((4 * P, 4 * P))
    k = np.arange(P)
    pos = 2 * k[:, None] + np.arange(2)  # (P, 2): columns of node k
    J[k[:, None], pos] = angle_gradient(pB, nodes0)
    J[P + k[:, None], pos] = 2.0 * distance_gradient(pB, nodes0) / C0
    J[2 * P + k, i_g + k] = scale
    J[3 * P + k, i_g + P + k] = scale

    link = _link(sc, sc.n_rx, _layout(P, ("tx", "delay", "re", "im")), xi_names)
    return PositionModel(link=link, names=names, units=units, eta0=eta0, target=np.arange(2 * P),
                         xi_of_eta=xi_of_eta, jacobian=J)
