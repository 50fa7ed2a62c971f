"""Half-wavelength ULA steering vectors and planar angles (MODELS.md, common conventions; 004: s = +1)."""
from __future__ import annotations

import numpy as np


def phase_reference(n: int, reference: str) -> float:
    """Element index r the phases are measured from: (n-1)/2 for "centre", 0 for "first"."""
    if reference == "centre":
        return (n - 1) / 2.0
    if reference == "first":
        return 0.0
    raise ValueError(f"array phase reference must be 'centre' or 'first', got {reference!r}")


def steering(theta: np.ndarray | float, n: int, reference: str = "centre") -> np.ndarray:
    """a(theta)_i = exp(j pi (i - r) sin theta), shape (n,) or (..., n) for an array of angles (rad)."""
    idx = np.arange(n) - phase_reference(n, reference)
    return np.exp(1j * np.pi * np.multiply.outer(np.sin(theta), idx))


def steering_derivative(theta: np.ndarray | float, n: int, reference: str = "centre") -> np.ndarray:
    """d a(theta) / d theta = j pi (i - r) cos(theta) a(theta), same shape as :func:`steering`."""
    idx = np.arange(n) - phase_reference(n, reference)
    return 1j * np.pi * np.multiply.outer(np.cos(theta), idx) * steering(theta, n, reference)


def steering_with_derivative(theta: np.ndarray, n: int, reference: str = "centre") -> tuple[np.ndarray, np.ndarray]:
    """(:func:`steering`, :func:`steering_derivative`) for angles ``theta`` (P,) rad, each (P, n).

    One exponential serves both; the FIM factor needs every path's pair.
    """
    theta = np.asarray(theta, dtype=float)
    idx = np.arange(n) - phase_reference(n, reference)
    a = np.exp(1j * np.pi * np.multiply.outer(np.sin(theta), idx))
    return a, (1j * np.pi * np.multiply.outer(np.cos(theta), idx)) * a


def wrap_angle(x: np.ndarray | float) -> np.ndarray | float:
    """Wrap to (-pi, pi]."""
    x = np.asarray(x)
    y = np.mod(x + np.pi, 2 * np.pi) - np.pi
    y = np.where(y == -np.pi, np.pi, y)
    return y if x.ndim else float(y)


def angle_seen_from(origin: np.ndarray, point: np.ndarray, orientation: float) -> np.ndarray | float:
    """Angle of ``point`` (..., 2) seen from an array at ``origin`` with broadside ``orientation`` (rad)."""
    d = np.asarray(point) - np.asarray(origin)
    return wrap_angle(np.arctan2(d[..., 1], d[..., 0]) - orientation)


_ROTATE = np.array([-1.0, 1.0])  # (dy, dx) -> (-dy, dx)


def distance(origin: np.ndarray, point: np.ndarray) -> np.ndarray:
    """|point - origin| (m), shape (...,) for points (..., 2)."""
    d = np.subtract(point, origin)
    return np.sqrt((d * d).sum(axis=-1))


def angle_gradient(origin: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d angle / d point (1/m), shape (..., 2); d angle / d origin is its negative."""
    d = np.subtract(point, origin)
    r2 = (d * d).sum(axis=-1, keepdims=True)
    return d[..., ::-1] * _ROTATE / r2  # (-dy, dx) / r^2


def distance_gradient(origin: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d |point - origin| / d point (unit vector), shape (..., 2); d/d origin is its negative."""
    d = np.subtract(point, origin)
    return d / np.sqrt((d * d).sum(axis=-1, keepdims=True))
