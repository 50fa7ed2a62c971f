"""Array geometry of the network-ISAC model: angles, ULA steering vectors and their derivatives.

Conventions (MODELS.md): the angle of a point q seen from an array at p with broadside along the
global angle o is ``theta = atan2(q_y - p_y, q_x - p_x) - o`` wrapped to (-pi, pi]; the ULA (half
wavelength spacing) has ``a(theta)_n = exp(sign * j*pi*(n - reference)*sin(theta))``, n = 0..N-1,
with ``sign = -1, reference = 0`` for paper 000.
"""
from __future__ import annotations

import numpy as np

ULA_SIGN = -1.0
ULA_REFERENCE = 0.0


def wrap_angle(theta: float | np.ndarray) -> float | np.ndarray:
    """Wrap to (-pi, pi]."""
    wrapped = -np.mod(-np.asarray(theta, dtype=float) + np.pi, 2.0 * np.pi) + np.pi
    return wrapped if np.ndim(wrapped) else float(wrapped)


def local_angle(array_position: np.ndarray, orientation: float, point: np.ndarray) -> float:
    """Angle (rad) of ``point`` (2,) seen from an array at ``array_position`` (2,) with broadside ``orientation``."""
    d = np.asarray(point, dtype=float) - np.asarray(array_position, dtype=float)
    return float(wrap_angle(np.arctan2(d[1], d[0]) - orientation))


def angle_gradient(array_position: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d theta / d point (2,), rad/m: the orientation is a constant offset, so it drops out."""
    d = np.asarray(point, dtype=float) - np.asarray(array_position, dtype=float)
    r2 = float(d @ d)
    return np.array([-d[1], d[0]]) / r2


def range_gradient(array_position: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d |point - array_position| / d point (2,): the unit vector from the array to the point."""
    d = np.asarray(point, dtype=float) - np.asarray(array_position, dtype=float)
    return d / np.linalg.norm(d)


def steering_vector(theta: float, n_antennas: int, *, sign: float = ULA_SIGN,
                    reference: float = ULA_REFERENCE) -> np.ndarray:
    """ULA response (N,) complex at local angle ``theta`` (rad)."""
    n = np.arange(n_antennas) - reference
    return np.exp(sign * 1j * np.pi * n * np.sin(theta))


def steering_derivative(theta: float, n_antennas: int, *, sign: float = ULA_SIGN,
                        reference: float = ULA_REFERENCE) -> np.ndarray:
    """d a(theta) / d theta (N,) complex, per radian."""
    n = np.arange(n_antennas) - reference
    return sign * 1j * np.pi * n * np.cos(theta) * steering_vector(theta, n_antennas, sign=sign, reference=reference)
