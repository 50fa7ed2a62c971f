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


def wrap_angle(x: np.ndarray | float) -> np.ndarray | float:
    """Wrap to (-pi, pi]."""
    y = np.mod(np.asarray(x) + np.pi, 2 * np.pi) - np.pi
    y = np.where(y == -np.pi, np.pi, y)
    return y if np.ndim(x) else float(y)


def angle_seen_from(origin: np.ndarray, point: np.ndarray, orientation: float) -> np.ndarray | float:
    """Angle of ``point`` (..., 2) seen from an array at ``origin`` with broadside ``orientation`` (rad)."""
    d = np.asarray(point) - np.asarray(origin)
    return wrap_angle(np.arctan2(d[..., 1], d[..., 0]) - orientation)


def angle_gradient(origin: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d angle / d point (1/m), shape (..., 2); d angle / d origin is its negative."""
    d = np.asarray(point) - np.asarray(origin)
    r2 = np.sum(d * d, axis=-1, keepdims=True)
    return np.stack([-d[..., 1], d[..., 0]], axis=-1) / r2


def distance_gradient(origin: np.ndarray, point: np.ndarray) -> np.ndarray:
    """d |point - origin| / d point (unit vector), shape (..., 2); d/d origin is its negative."""
    d = np.asarray(point) - np.asarray(origin)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)
