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
from typing import Callable

import numpy as np

from isactoolbox.bpms.arrays import angle_gradient, angle_seen_from, distance_gradient
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

    @property
    def xi0(self) -> np.ndarray:
        return self.xi_of_eta(self.eta0)

    def channel_of_eta(self, eta: np.ndarray) -> np.ndarray:
        """H_m (M, n_rx, n_tx) as a function of the position-domain parameters."""
        return self.link.channel(self.xi_of_eta(eta))


def _layout(n_paths: int, blocks: list[str]) -> PathLayout:
    """Consecutive blocks of n_paths entries in the order given; a repeated name shares its block."""
    start = {}
    for name in blocks:
        start.setdefault(name, len(start) * n_paths)
    idx = {name: np.arange(n_paths) + s for name, s in start.items()}
    return PathLayout(tx_angle=idx["tx"], rx_angle=idx.get("rx", idx["tx"]), delay=idx["delay"],
                      gain_re=idx["re"], gain_im=idx["im"])


def bp_gains(sc: BistaticMonostatic) -> np.ndarray:
    """alpha_0..alpha_K (MODELS.md 3): free-space LOS and bistatic radar-equation NLOS gains."""
    lam = sc.wavelength
    pB, pU, P = sc.bs_position, sc.ue_position, sc.target_positions
    mag = np.empty(sc.n_targets + 1)
    mag[0] = lam / (4 * np.pi * np.linalg.norm(pB - pU))
    mag[1:] = (np.sqrt(sc.target_rcs) * lam
               / ((4 * np.pi) ** 1.5 * np.linalg.norm(pU - P, axis=1) * np.linalg.norm(P - pB, axis=1)))
    return mag * np.exp(1j * sc.bp_phases)


def ms_gains(sc: BistaticMonostatic) -> np.ndarray:
    """beta_0..beta_K (MODELS.md 3): monostatic radar equation, the UE being target 0."""
    lam = sc.wavelength
    rcs = np.concatenate([[sc.ue_rcs], sc.target_rcs])
    d = np.linalg.norm(sc.node_positions() - sc.bs_position, axis=1)
    return np.sqrt(rcs) * lam / ((4 * np.pi) ** 1.5 * d**2) * np.exp(1j * sc.ms_phases)


def _link(sc: BistaticMonostatic, n_rx: int, layout: PathLayout, names: list[str]) -> MultipathLink:
    return MultipathLink(n_tx=sc.n_tx, n_rx=n_rx, reference=sc.array_phase_reference,
                         subcarrier_spacing=sc.subcarrier_spacing, n_subcarriers=sc.n_subcarriers,
                         n_pilots=sc.n_pilots, noise_variance=sc.noise_variance, layout=layout,
                         names=tuple(names))


def _gain_block(g0: np.ndarray, normalise: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scale per path, eta values re, eta values im) for the gain parametrisation."""
    scale = np.abs(g0) if normalise else np.ones(g0.shape)
    return scale, (g0 / scale).real, (g0 / scale).imag


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
    names = (["ue_x", "ue_y", "ue_orientation"] + [f"target{k}_{c}" for k in range(1, K + 1) for c in "xy"]
             + ["clock_m"] + [f"gain{k}_re" for k in range(P)] + [f"gain{k}_im" for k in range(P)])
    units = ("m", "m", "rad") + ("m",) * (2 * K) + ("m",) + ("1",) * (2 * P)
    eta0 = np.concatenate([sc.ue_position, [sc.ue_orientation], sc.target_positions.ravel(),
                           [C0 * sc.clock_bias], x0, y0])
    i_phi, i_b, i_g = 2, 3 + 2 * K, 4 + 2 * K

    def xi_of_eta(eta: np.ndarray) -> np.ndarray:
        eta = np.asarray(eta, dtype=float)
        pU, phi = eta[0:2], eta[i_phi]
        targets = eta[3:3 + 2 * K].reshape(K, 2)
        b = eta[i_b]
        nodes = np.vstack([pU[None, :], targets])  # far end of each path, seen from the BS
        th_B = angle_seen_from(pB, nodes, oB)
        th_U = np.concatenate([[angle_seen_from(pU, pB, phi)], angle_seen_from(pU, targets, phi)])
        d_B = np.linalg.norm(nodes - pB, axis=1)
        d_U = np.concatenate([[0.0], np.linalg.norm(targets - pU, axis=1)])
        tau = (d_B + d_U + b) / C0
        return np.concatenate([th_B, th_U, tau, scale * eta[i_g:i_g + P], scale * eta[i_g + P:i_g + 2 * P]])

    # --- analytic Jacobian at eta0 ---
    pU, targets = sc.ue_position, sc.target_positions
    J = np.zeros((5 * P, 4 * K + 6))
    r_thB, r_thU, r_tau, r_re, r_im = (np.arange(P) + s * P for s in range(5))
    col_pos = [np.array([0, 1])] + [np.array([3 + 2 * (k - 1), 4 + 2 * (k - 1)]) for k in range(1, P)]
    # LOS: AOD of pU from pB, AOA of pB from pU (minus phi), delay |pU - pB|/c
    J[r_thB[0], col_pos[0]] = angle_gradient(pB, pU)
    J[r_thU[0], col_pos[0]] = -angle_gradient(pU, pB)
    J[r_tau[0], col_pos[0]] = distance_gradient(pB, pU) / C0
    for k in range(1, P):
        pk = targets[k - 1]
        J[r_thB[k], col_pos[k]] = angle_gradient(pB, pk)
        g_u = angle_gradient(pU, pk)  # AOA of pk at the UE: d/dpk = g_u, d/dpU = -g_u
        J[r_thU[k], col_pos[k]] = g_u
        J[r_thU[k], col_pos[0]] = -g_u
        u_bk, u_uk = distance_gradient(pB, pk), distance_gradient(pU, pk)
        J[r_tau[k], col_pos[k]] = (u_bk + u_uk) / C0
        J[r_tau[k], col_pos[0]] = -u_uk / C0
    J[r_thU, i_phi] = -1.0
    J[r_tau, i_b] = 1.0 / C0
    J[r_re, i_g + np.arange(P)] = scale
    J[r_im, i_g + P + np.arange(P)] = scale

    xi_names = ([f"aod{k}" for k in range(P)] + [f"aoa{k}" for k in range(P)] + [f"delay{k}" for k in range(P)]
                + [f"alpha{k}_re" for k in range(P)] + [f"alpha{k}_im" for k in range(P)])
    link = _link(sc, sc.n_ue, _layout(P, ["tx", "rx", "delay", "re", "im"]), xi_names)
    return PositionModel(link=link, names=tuple(names), units=units, eta0=eta0, target=np.array([0, 1]),
                         xi_of_eta=xi_of_eta, jacobian=J)


def monostatic_model(sc: BistaticMonostatic, *, normalise_gains: bool = True) -> PositionModel:
    """MS: eta = [p_U, p_1..p_K (2K+2), x_0..x_K, y_0..y_K] (4K+4 entries).

    xi = [theta_B (K+1), kappa (K+1), Re beta (K+1), Im beta (K+1)]; kappa_k = 2 |pk - pB| / c.
    """
    K = sc.n_targets
    P = K + 1
    pB, oB = sc.bs_position, sc.bs_orientation
    scale, x0, y0 = _gain_block(ms_gains(sc), normalise_gains)
    names = ([f"ue_{c}" for c in "xy"] + [f"target{k}_{c}" for k in range(1, P) for c in "xy"]
             + [f"gain{k}_re" for k in range(P)] + [f"gain{k}_im" for k in range(P)])
    units = ("m",) * (2 * P) + ("1",) * (2 * P)
    nodes0 = sc.node_positions()
    eta0 = np.concatenate([nodes0.ravel(), x0, y0])
    i_g = 2 * P

    def xi_of_eta(eta: np.ndarray) -> np.ndarray:
        eta = np.asarray(eta, dtype=float)
        nodes = eta[:2 * P].reshape(P, 2)
        th = angle_seen_from(pB, nodes, oB)
        kappa = 2.0 * np.linalg.norm(nodes - pB, axis=1) / C0
        return np.concatenate([th, kappa, scale * eta[i_g:i_g + P], scale * eta[i_g + P:i_g + 2 * P]])

    J = np.zeros((4 * P, 4 * P))
    for k in range(P):
        cols = np.array([2 * k, 2 * k + 1])
        J[k, cols] = angle_gradient(pB, nodes0[k])
        J[P + k, cols] = 2.0 * distance_gradient(pB, nodes0[k]) / C0
    J[2 * P + np.arange(P), i_g + np.arange(P)] = scale
    J[3 * P + np.arange(P), i_g + P + np.arange(P)] = scale

    xi_names = ([f"angle{k}" for k in range(P)] + [f"delay{k}" for k in range(P)]
                + [f"beta{k}_re" for k in range(P)] + [f"beta{k}_im" for k in range(P)])
    link = _link(sc, sc.n_rx, _layout(P, ["tx", "delay", "re", "im"]), xi_names)
    return PositionModel(link=link, names=tuple(names), units=units, eta0=eta0, target=np.arange(2 * P),
                         xi_of_eta=xi_of_eta, jacobian=J)
